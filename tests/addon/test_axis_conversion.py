"""The add-on's frame conversions (numpy) against scipy and against each other."""
from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from wholebody_mocap.addon import axis_conversion as ac
from wholebody_mocap.addon import floor


def test_rotvec_to_quat_matches_scipy_including_tiny_angles():
    rng = np.random.default_rng(0)
    rotvec = np.concatenate([rng.normal(0, 1.5, (200, 3)), rng.normal(0, 1e-8, (20, 3)), np.zeros((1, 3))])
    ours = ac.rotvec_to_quat_wxyz(rotvec)
    xyzw = Rotation.from_rotvec(rotvec).as_quat()
    ref = np.concatenate([xyzw[:, 3:], xyzw[:, :3]], axis=1)
    assert np.all(np.minimum(np.abs(ours - ref).max(1), np.abs(ours + ref).max(1)) < 1e-12)


def test_quat_product_and_pelvis_fix_match_the_matrices():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, (2, 50, 3))
    product = ac.quat_multiply_wxyz(ac.rotvec_to_quat_wxyz(a), ac.rotvec_to_quat_wxyz(b))
    xyzw = np.concatenate([product[:, 1:], product[:, :1]], axis=1)
    np.testing.assert_allclose(Rotation.from_quat(xyzw).as_matrix(),
                               Rotation.from_rotvec(a).as_matrix() @ Rotation.from_rotvec(b).as_matrix(), atol=1e-12)
    fix = ac.PELVIS_FIX_QUAT_WXYZ
    np.testing.assert_allclose(Rotation.from_quat(np.r_[fix[1:], fix[:1]]).as_matrix(), ac.PELVIS_FIX_ROTMAT)
    # an upright person facing the camera gets an identity pelvis key
    facing = ac.bone_quats_wxyz(np.tile([[np.pi, 0.0, 0.0]], (1, 55, 1)), np.tile(np.eye(3), (55, 1, 1)))[0, 0]
    assert abs(abs(facing[0]) - 1.0) < 1e-12


def test_quaternions_are_made_continuous():
    rng = np.random.default_rng(2)
    quats = ac.rotvec_to_quat_wxyz(np.cumsum(rng.normal(0, 0.3, (100, 4, 3)), axis=0))
    signs = rng.choice([-1.0, 1.0], (100, 4, 1))
    fixed = ac.make_quat_continuous(quats * signs)
    assert np.all(np.sum(fixed[1:] * fixed[:-1], axis=-1) >= 0)
    np.testing.assert_allclose(np.abs(np.sum(fixed * quats, axis=-1)), 1.0, atol=1e-12)


def test_frames_are_rotations_and_agree():
    for matrix in (ac.WORLD_FROM_CV, ac.ARM_FROM_MODEL, ac.WORLD_FROM_CAMERA_OBJECT):
        np.testing.assert_allclose(matrix @ matrix.T, np.eye(3))
        assert np.isclose(np.linalg.det(matrix), 1.0)
    # OpenCV forward (+z) is the Blender camera's -Z axis; OpenCV down (+y) is its -Y
    np.testing.assert_allclose(ac.WORLD_FROM_CV @ [0, 0, 1], -ac.WORLD_FROM_CAMERA_OBJECT[:, 2])
    np.testing.assert_allclose(ac.WORLD_FROM_CV @ [0, 1, 0], -ac.WORLD_FROM_CAMERA_OBJECT[:, 1])
    np.testing.assert_allclose(ac.model_to_arm([0, 1, 0]), [0, 0, 1])   # model up -> Blender up
    np.testing.assert_allclose(ac.model_to_arm([0, 0, 1]), [0, -1, 0])  # model front -> -Y


def test_camera_params_follow_blenders_conventions():
    K = np.array([[1200.0, 0, 1000.0], [0, 1200.0, 500.0], [0, 0, 1]])
    params = ac.camera_from_intrinsics(K, np.array([1920, 1080]), 36.0)
    assert np.isclose(params.lens_mm, 1200.0 * 36.0 / 1920)
    assert np.isclose(params.shift_x, (960 - 1000) / 1920) and np.isclose(params.shift_y, (500 - 540) / 1920)
    assert params.pixel_aspect_x == params.pixel_aspect_y == 1.0


def test_floor_transform_levels_a_tilted_floor():
    rng = np.random.default_rng(3)
    tilt = np.radians(20.0)
    rot = Rotation.from_rotvec([tilt, 0, 0]).as_matrix()
    joints = np.zeros((2, 30, 55, 3))
    joints[..., :, 2] = 1.0                                   # everything 1 m up ...
    joints[..., list(floor.FOOT_JOINTS[:2]), 2] = 0.0         # ... but the feet on the floor
    joints[..., 0, 2], joints[..., 12, 2] = 1.0, 1.5          # pelvis below the neck
    joints[..., :2] += rng.uniform(-2, 2, (2, 30, 1, 2)) + [0.0, 5.0]
    tilted = joints @ rot.T + [0.0, 0.0, -1.6]
    transform = floor.floor_transform(tilted, np.ones((2, 30), bool))
    levelled = tilted @ transform[:3, :3].T + transform[:3, 3]
    feet = levelled[..., list(floor.FOOT_JOINTS[:2]), :]
    np.testing.assert_allclose(feet[..., 2], floor.FOOT_JOINT_HEIGHT_M, atol=1e-9)
    assert abs(transform[0, 3]) < 1e-12 and abs(transform[1, 3]) < 1e-12
    forward = transform[:3, :3] @ [0.0, 1.0, 0.0]
    assert abs(forward[0]) < 1e-9 and forward[1] > 0.9
    assert floor.floor_transform(tilted, np.zeros((2, 30), bool)) is None
