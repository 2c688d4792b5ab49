import numpy as np

from wholebody_core.maths.kinematics import (
    capture_joints_cam, forward_kinematics, full_pose_rotvec, joints_in_camera, split_full_pose)
from wholebody_core.maths.rotations import rotvec_to_rotmat
from wholebody_core.skeleton import NUM_JOINTS, PARENTS, default_rest_joints


def _slow_fk(local_rotmat, rest_joints):
    """Reference: homogeneous 4x4 transforms composed joint by joint."""
    world = [None] * NUM_JOINTS
    for j in range(NUM_JOINTS):
        T = np.eye(4)
        T[:3, :3] = local_rotmat[j]
        T[:3, 3] = rest_joints[j] - (rest_joints[PARENTS[j]] if j > 0 else 0)
        world[j] = T if j == 0 else world[PARENTS[j]] @ T
    return np.stack([w[:3, 3] for w in world])


def test_zero_pose_gives_rest_joints():
    rest = default_rest_joints()
    _, joints = forward_kinematics(np.broadcast_to(np.eye(3), (NUM_JOINTS, 3, 3)), rest)
    np.testing.assert_allclose(joints, rest, atol=1e-12)


def test_matches_slow_reference_batched():
    rng = np.random.default_rng(0)
    rest = default_rest_joints()
    pose = rng.normal(scale=0.4, size=(4, NUM_JOINTS, 3))
    _, joints = forward_kinematics(rotvec_to_rotmat(pose), rest)
    for i in range(4):
        np.testing.assert_allclose(joints[i], _slow_fk(rotvec_to_rotmat(pose[i]), rest), atol=1e-12)


def test_joints_in_camera_puts_pelvis_on_root_and_split_round_trips():
    rng = np.random.default_rng(1)
    pose = rng.normal(scale=0.3, size=(3, NUM_JOINTS, 3))
    parts = split_full_pose(pose)
    np.testing.assert_array_equal(full_pose_rotvec(**parts), pose)
    root = rng.normal(size=(3, 3))
    joints = joints_in_camera(pose, default_rest_joints(), root)
    np.testing.assert_allclose(joints[:, 0], root, atol=1e-12)
    # Bone lengths are preserved by any pose.
    rest = default_rest_joints()
    lengths = np.linalg.norm(rest[1:] - rest[PARENTS[1:]], axis=-1)
    posed = np.linalg.norm(joints[:, 1:] - joints[:, PARENTS[1:]], axis=-1)
    np.testing.assert_allclose(posed, np.broadcast_to(lengths, posed.shape), atol=1e-12)


def test_capture_joints_cam_matches_joints_in_camera():
    from wholebody_core.capture_format import empty_capture

    rng = np.random.default_rng(3)
    cap = empty_capture(2, 3, source="x.mp4", fps=25.0, image_size=(64, 48), intrinsics=np.eye(3), backend="t")
    cap.body_pose[:] = rng.normal(scale=0.3, size=cap.body_pose.shape)
    cap.rest_joints[:] = default_rest_joints()
    cap.root_position[:] = rng.normal(size=cap.root_position.shape)
    expected = joints_in_camera(
        full_pose_rotvec(cap.global_orient, cap.body_pose, cap.jaw_pose, cap.leye_pose, cap.reye_pose,
                         cap.left_hand_pose, cap.right_hand_pose).astype(float),
        default_rest_joints(), cap.root_position.astype(float))
    np.testing.assert_allclose(capture_joints_cam(cap), expected, atol=1e-6)
