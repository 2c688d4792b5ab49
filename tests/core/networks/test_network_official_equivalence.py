"""Our networks reproduce the OFFICIAL implementations' outputs (fixtures/official_*.npz).

The fixtures hold numbers only: made by bench/networks/make_official_fixtures.py, which
runs the official repositories' own modules (mks0601/3DMPPE_ROOTNET_RELEASE,
mks0601/Hand4Whole_RELEASE main and Pose2Pose) with the weights of
seeded_network_weights.py and ``torch.rand`` inputs from a stored seed.
"""
from pathlib import Path

import numpy as np
import pytest
import torch

from seeded_network_weights import seed_module_
from wholebody_core.networks import create_network

FIXTURES = Path(__file__).parent / "fixtures"
ATOL = 1e-4
ROOTNET_MEAN = torch.tensor([0.485, 0.456, 0.406])[:, None, None]
ROOTNET_STD = torch.tensor([0.229, 0.224, 0.225])[:, None, None]


def _inputs(fixture, name):
    shape = tuple(int(s) for s in fixture["input_shape"])
    image = torch.rand(shape, generator=torch.Generator().manual_seed(int(fixture["input_seed"])))
    if name == "rootnet":
        image = (image * 255 - ROOTNET_MEAN) / ROOTNET_STD
    # The generator must still give the official run's numbers.
    np.testing.assert_allclose(image.flatten()[:8].numpy(), fixture["input_first"], rtol=1e-6)
    assert float(image.double().sum()) == pytest.approx(float(fixture["input_sum"]), rel=1e-9)
    return image


def _run(name):
    fixture = np.load(FIXTURES / f"official_{name}.npz")
    model = seed_module_(create_network(name), int(fixture["weight_seed"]))
    image = _inputs(fixture, name)
    with torch.inference_mode():
        if name == "rootnet":
            out = model(image, torch.from_numpy(fixture["k_value"]))
        else:
            out = model(image)
    return fixture, out


def _close(ours, official, what):
    np.testing.assert_allclose(ours.detach().reshape(official.shape).numpy(), official, atol=ATOL, rtol=0,
                               err_msg=what)


def _close_rotvec(ours, official, what):
    """Axis-angle compared as rotations (identical vectors away from angle pi)."""
    from wholebody_core.maths.rotations import rotvec_to_rotmat
    ours = ours.detach().reshape(-1, 3).double().numpy()
    official = official.reshape(-1, 3).astype(np.float64)
    np.testing.assert_allclose(rotvec_to_rotmat(ours), rotvec_to_rotmat(official), atol=ATOL, err_msg=what)
    near_pi = np.linalg.norm(official, axis=1) > np.pi - 1e-3
    np.testing.assert_allclose(ours[~near_pi], official[~near_pi], atol=ATOL, err_msg=what)


def test_rootnet_matches_official():
    fixture, out = _run("rootnet")
    _close(out.root_xy, fixture["coord"][:, :2], "root x, y")
    # Z is large (RootNet's 0-255 input quirk makes gamma ~ 500 here): compare relatively.
    np.testing.assert_allclose(out.depth.numpy(), fixture["coord"][:, 2], rtol=1e-5, err_msg="depth")


def test_pose2pose_body_matches_official():
    fixture, out = _run("pose2pose_body")
    _close(out.joint_img, fixture["joint_img"], "joint_img")
    _close_rotvec(out.smpl_pose, fixture["smpl_pose"], "smpl_pose")
    _close(out.shape, fixture["smpl_shape"], "shape")
    _close(out.cam_trans, fixture["cam_trans"], "cam_trans")


def test_pose2pose_hand_matches_official():
    fixture, out = _run("pose2pose_hand")
    _close(out.joint_img, fixture["joint_img"], "joint_img")
    _close_rotvec(torch.cat((out.root_pose, out.hand_pose.reshape(-1, 45)), dim=1), fixture["mano_pose"], "mano_pose")
    _close(out.shape, fixture["mano_shape"], "shape")
    _close(out.cam_trans, fixture["cam_trans"], "cam_trans")


def test_pose2pose_face_matches_official():
    fixture, out = _run("pose2pose_face")
    _close_rotvec(out.root_pose, fixture["flame_root_pose"], "root_pose")
    _close_rotvec(out.jaw_pose, fixture["flame_jaw_pose"], "jaw_pose")
    _close(out.shape, fixture["flame_shape"], "shape")
    _close(out.expr, fixture["flame_expr"], "expr")
    _close(out.cam_trans, fixture["cam_trans"], "cam_trans")


def test_hand4whole_matches_official():
    fixture, out = _run("hand4whole")
    for ours, key in ((out.lhand_bbox, "lhand_bbox"), (out.rhand_bbox, "rhand_bbox"), (out.face_bbox, "face_bbox"),
                      (out.joint_img, "joint_img"), (out.shape, "smplx_shape"), (out.expr, "smplx_expr"),
                      (out.cam_trans, "cam_trans")):
        _close(ours, fixture[key], key)
    for ours, key in ((out.root_pose, "smplx_root_pose"), (out.body_pose, "smplx_body_pose"),
                      (out.lhand_pose, "smplx_lhand_pose"), (out.rhand_pose, "smplx_rhand_pose"),
                      (out.jaw_pose, "smplx_jaw_pose")):
        _close_rotvec(ours, fixture[key], key)
