"""The SMPL-X / AMASS .npz of one person: it reloads into the capture's rotations and, through the
smplx package and a synthetic SMPL-X model file, into the capture's joints."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

from addon_paths import REPO_ROOT
from capture_factory import synthetic_capture
from wholebody_mocap.addon import amass_export, axis_conversion
from wholebody_mocap.wholebody_core import body_model
from wholebody_mocap.wholebody_core.body_model_synthetic import SMPLX_NUM_VERTICES, write_synthetic_smplx_model
from wholebody_mocap.wholebody_core.errors import InputError
from wholebody_mocap.wholebody_core.maths.kinematics import full_pose_rotvec, joints_in_camera
from wholebody_mocap.wholebody_core.maths.rotations import rotvec_to_rotmat

INVALID = {1: [0, 3, 4]}


def _full_pose(capture, person):
    return full_pose_rotvec(*(getattr(capture, k)[person].astype(np.float64) for k in (
        "global_orient", "body_pose", "jaw_pose", "leye_pose", "reye_pose", "left_hand_pose", "right_hand_pose")))


def test_reloads_into_the_captures_rotations(tmp_path):
    _, capture = synthetic_capture(tmp_path / "a.capture.npz", num_people=2, num_frames=9, invalid=INVALID,
                                   stride=2, fps=30.0)
    floor = np.eye(4)
    floor[:3, :3] = rotvec_to_rotmat(np.array([0.2, 0.0, 0.1]))
    floor[:3, 3] = [0.0, 0.0, 1.4]
    path = amass_export.write_amass_npz(tmp_path / "p.npz", amass_export.amass_arrays(capture, 1, floor))
    with np.load(path, allow_pickle=False) as data:
        poses = data["poses"]
        assert poses.shape == (8, 165) and data["trans"].shape == (8, 3)     # rows: first to last captured
        assert str(data["surface_model_type"]) == "smplx" and str(data["gender"]) == "neutral"
        assert float(data["mocap_frame_rate"]) == 15.0 and bool(data["trans_is_pelvis"])
        np.testing.assert_array_equal(data["valid"], capture.valid[1, 1:])
        np.testing.assert_array_equal(data["frame_indices"], capture.frame_indices[1:])
        np.testing.assert_array_equal(np.concatenate([data[k] for k in (
            "root_orient", "pose_body", "pose_jaw", "pose_eye", "pose_hand")], axis=1), poses)
        np.testing.assert_allclose(data["betas"], capture.betas[1], atol=1e-7)
        trans = data["trans"]
    expected = _full_pose(capture, 1)[1:]
    world_rot = floor[:3, :3] @ axis_conversion.WORLD_FROM_CV
    rows = np.flatnonzero(capture.valid[1, 1:])
    got = poses.reshape(-1, 55, 3)
    np.testing.assert_allclose(got[rows, 1:], expected[rows, 1:], atol=1e-7)
    np.testing.assert_allclose(rotvec_to_rotmat(got[rows, 0]), world_rot @ rotvec_to_rotmat(expected[rows, 0]),
                               atol=1e-9)
    pelvis = capture.root_position[1, 1:].astype(np.float64) @ world_rot.T + floor[:3, 3]
    np.testing.assert_allclose(trans[rows], pelvis[rows], atol=1e-6)
    # rows where the person was not captured hold the previous captured pose
    np.testing.assert_array_equal(got[2], got[1])        # captured frames 3, 4 -> rows 2, 3 hold row 1
    np.testing.assert_array_equal(got[3], got[1])
    with pytest.raises(InputError, match="never captured"):
        capture.valid[0] = False
        amass_export.amass_arrays(capture, 0)


# Runs in a subprocess: torch in a Blender process that exported glTF makes it hang (4.5) or crash
# (4.2) at exit. Args: model file, the exported .npz, the output .npy (joints + trans).
_SMPLX_JOINTS = """
import sys
import numpy as np
from wholebody_core import body_model
model_path, npz_path, out_path = sys.argv[1:4]
model = body_model.load_through_smplx(model_path, dtype="float64")
with np.load(npz_path, allow_pickle=False) as data:
    poses = data["poses"].reshape(-1, 55, 3)
    betas = np.repeat(data["betas"][None], len(poses), axis=0)
    np.save(out_path, body_model.smplx_joints(model, poses, betas) + data["trans"][:, None])
"""


def test_smplx_reproduces_the_captured_joints(tmp_path):
    # a pinned core requirement (install_deps/requirements-core.txt): missing means a broken
    # environment, not a resource this machine may lack. Not imported here: see _SMPLX_JOINTS
    assert importlib.util.find_spec("smplx") is not None, "smplx is missing: run install_deps/install.py --dev"
    model_path = write_synthetic_smplx_model(tmp_path / "SMPLX_NEUTRAL.npz", num_vertices=SMPLX_NUM_VERTICES,
                                             num_shape_dirs=20)
    data = body_model.load_smplx_model_data(model_path)
    path, capture = synthetic_capture(tmp_path / "b.capture.npz", num_people=1, num_frames=5)
    capture.betas[0] = np.random.default_rng(2).normal(0.0, 0.8, 10)
    betas = capture.betas[0].astype(np.float64)
    capture.rest_joints[0] = body_model.rest_joints_for_betas(data, betas[None])[0]
    pose = _full_pose(capture, 0)
    capture.joints_cam[0] = joints_in_camera(pose, capture.rest_joints[0][None], capture.root_position[0])
    j0 = (data.J_regressor @ body_model.shaped_vertices(data, betas))[0]
    arrays = amass_export.amass_arrays(capture, 0, rest_pelvis_model=j0)
    assert not bool(arrays["trans_is_pelvis"])
    amass_export.write_amass_npz(tmp_path / "b.npz", arrays)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run([sys.executable, "-c", _SMPLX_JOINTS, str(model_path), str(tmp_path / "b.npz"),
                          str(tmp_path / "joints.npy")], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    joints = np.load(tmp_path / "joints.npy")
    expected = axis_conversion.cv_to_world(capture.joints_cam[0].astype(np.float64))
    error = np.abs(joints - expected).max()
    assert error < 1e-4, f"{error * 1000:.3f} mm"
