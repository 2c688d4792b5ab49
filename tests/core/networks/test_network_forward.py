"""Seeded forwards of every network: output shapes, ranges and the reference's wiring."""
import numpy as np
import torch

from seeded_network_weights import seed_module_
from wholebody_core.maths import rotations as R
from wholebody_core.networks import create_network, get_network_config
from wholebody_core.networks.hand4whole import crop_parts, hand_joints_to_body_hm, unflip_hand_joint_img
from wholebody_core.networks.pose2pose import unmirror_hand_rotvec


def _image(name, batch=2, seed=0):
    return torch.rand(batch, 3, *get_network_config(name).input_shape_hw, generator=torch.Generator().manual_seed(seed))


def _assert_rotvec(x, shape):
    assert tuple(x.shape) == shape
    assert torch.all(x.norm(dim=-1) <= np.pi + 1e-5)


def _assert_in_cells(joint_img, dhw):
    upper = torch.tensor([dhw[2] - 1, dhw[1] - 1, dhw[0] - 1], dtype=joint_img.dtype)
    assert torch.all(joint_img >= 0) and torch.all(joint_img <= upper)


def test_hand4whole_forward_and_wiring():
    model = seed_module_(create_network("hand4whole"), seed=3)
    image = _image("hand4whole", batch=2)
    seen = {}
    model.backbone.register_forward_hook(lambda m, i, o: seen.__setitem__("body_input", i[0]))
    model.hand_roi_net.register_forward_hook(lambda m, i, o: seen.update(hand_input=i[0], hand_feature=o))
    model.body_rotation_net.lhand_conv.register_forward_hook(lambda m, i, o: seen.__setitem__("lhand_feature", i[0]))
    with torch.inference_mode():
        out = model(image)
    assert tuple(out.joint_img.shape) == (2, 65, 3)
    _assert_in_cells(out.joint_img[:, :25], (8, 8, 6))
    for name, shape in (("root_pose", (2, 3)), ("body_pose", (2, 21, 3)), ("lhand_pose", (2, 15, 3)),
                        ("rhand_pose", (2, 15, 3)), ("jaw_pose", (2, 3))):
        _assert_rotvec(getattr(out, name), shape)
    for name, shape in (("shape", (2, 10)), ("expr", (2, 10)), ("cam_trans", (2, 3)), ("lhand_bbox", (2, 4)),
                        ("rhand_bbox", (2, 4)), ("face_bbox", (2, 4))):
        assert tuple(getattr(out, name).shape) == shape
    assert torch.all((out.cam_trans[:, 2] > 0) & (out.cam_trans[:, 2] < 56.382))
    # Body input: nearest 2x downsampling keeps every other pixel.
    torch.testing.assert_close(seen["body_input"], image[:, :, ::2, ::2], rtol=0, atol=0)
    # Hand batch = [left crops mirrored; right crops], boxes given in 512x384 pixels by the output.
    half_scale = torch.tensor([0.5, 0.5, 0.5, 0.5])
    left = crop_parts(image, out.lhand_bbox * half_scale, (256, 256))
    right = crop_parts(image, out.rhand_bbox * half_scale, (256, 256))
    torch.testing.assert_close(seen["hand_input"], torch.cat((left.flip(3), right)), rtol=1e-5, atol=1e-5)
    # The body rotation net sees the left-hand feature map flipped back.
    torch.testing.assert_close(seen["lhand_feature"], seen["hand_feature"][:2].flip(3), rtol=0, atol=0)


def test_left_hand_unflip_conventions():
    joints = torch.tensor([[[0.0, 1.0, 2.0], [7.0, 3.0, 4.0], [2.5, 0.0, 7.0]]])
    np.testing.assert_allclose(unflip_hand_joint_img(joints).numpy(), [[[7, 1, 2], [0, 3, 4], [4.5, 0, 7]]])
    # (ax, -ay, -az) is the rotation conjugated by the x-mirror: M R M with M = diag(-1, 1, 1).
    rotvec = np.random.default_rng(0).normal(size=(10, 3))
    mirror = np.diag([-1.0, 1.0, 1.0])
    expected = R.rotmat_to_rotvec(mirror @ R.rotvec_to_rotmat(rotvec) @ mirror)
    got = unmirror_hand_rotvec(torch.from_numpy(rotvec)).numpy()
    np.testing.assert_allclose(R.rotvec_to_rotmat(got), R.rotvec_to_rotmat(expected), atol=1e-12)


def test_hand_joints_map_from_box_units_to_body_heatmap():
    box = torch.tensor([[64.0, 96.0, 128.0, 160.0]])  # xyxy in 256x192 pixels
    joints = torch.tensor([[[0.0, 0.0, 3.0], [8.0, 8.0, 5.0], [4.0, 2.0, 1.0]]])
    got = hand_joints_to_body_hm(joints, box).numpy()
    # 32 px per heatmap cell; 8 hand cells span the box.
    np.testing.assert_allclose(got, [[[2, 3, 3], [4, 5, 5], [3, 3.5, 1]]])


def test_pose2pose_body_forward():
    model = seed_module_(create_network("pose2pose_body"), seed=4)
    with torch.inference_mode():
        out = model(_image("pose2pose_body"))
    _assert_in_cells(out.joint_img, (8, 8, 6))
    assert tuple(out.joint_img.shape) == (2, 25, 3)
    _assert_rotvec(out.root_pose, (2, 3))
    _assert_rotvec(out.body_pose, (2, 21, 3))
    assert tuple(out.shape.shape) == (2, 10) and tuple(out.cam_trans.shape) == (2, 3)
    pose = out.smpl_pose
    assert tuple(pose.shape) == (2, 72)
    torch.testing.assert_close(pose[:, 3:66], out.body_pose.reshape(2, 63))
    assert torch.all(pose[:, 66:] == 0)


def test_pose2pose_hand_forward():
    model = seed_module_(create_network("pose2pose_hand"), seed=5)
    with torch.inference_mode():
        out = model(_image("pose2pose_hand"))
    _assert_in_cells(out.joint_img, (8, 8, 8))
    assert tuple(out.joint_img.shape) == (2, 21, 3)
    _assert_rotvec(out.root_pose, (2, 3))
    _assert_rotvec(out.hand_pose, (2, 15, 3))
    assert torch.all((out.cam_trans[:, 2] > 0) & (out.cam_trans[:, 2] < 7.8125 + 1e-6))


def test_pose2pose_face_forward():
    model = seed_module_(create_network("pose2pose_face"), seed=6)
    with torch.inference_mode():
        out = model(_image("pose2pose_face"))
    _assert_rotvec(out.root_pose, (2, 3))
    _assert_rotvec(out.jaw_pose, (2, 3))
    assert tuple(out.expr.shape) == (2, 10) and tuple(out.shape.shape) == (2, 10)
    assert torch.all((out.cam_trans[:, 2] > 0) & (out.cam_trans[:, 2] < 9.0211))


def test_rootnet_forward_depth_is_gamma_times_k():
    model = seed_module_(create_network("rootnet"), seed=7)
    k = torch.tensor([1000.0, 2500.0])
    with torch.inference_mode():
        out = model(_image("rootnet") * 255, k)
    assert tuple(out.root_xy.shape) == (2, 2)
    assert torch.all((out.root_xy >= 0) & (out.root_xy <= 63))
    torch.testing.assert_close(out.depth, out.gamma * k)
