"""The Pose2Pose combination, Hand4Whole's mean hand, Algorithm 1 on network outputs, placement:
checked on hand-made values."""
import numpy as np
import pytest

from wholebody_core.maths.kinematics import forward_kinematics
from wholebody_core.maths.rotations import axis_angle_rotmat, rotmat_to_rotvec, rotvec_to_rotmat
from wholebody_core.network_backend.combine import (combine_hands, hand4whole_full_pose, pose2pose_full_pose,
                                                    unmirror_rotvec)
from wholebody_core.network_backend.placement import pelvis_pixels, place_pelvis
from wholebody_core.skeleton import JOINT_INDEX, LEFT_HAND_JOINTS, RIGHT_HAND_JOINTS, default_rest_joints
from wholebody_core.solve.geometry import swing_twist
from wholebody_core.solve.integrate import hand_onto_wrist, integrate_hands
from wholebody_core.solve.limbs import distal_from_end

REST = default_rest_joints()
J = JOINT_INDEX


def _values(*shape, start=0.0):
    return start + 0.001 * np.arange(np.prod(shape), dtype=np.float64).reshape(shape)


def test_pose2pose_smpl_body_is_smplx_first_22_joints():
    root, body = np.array([[0.1, 0.2, 0.3]]), _values(1, 21, 3, start=0.5)
    full = pose2pose_full_pose(root, body, np.zeros((1, 15, 3)), np.zeros((1, 15, 3)), np.zeros((1, 3)),
                               np.zeros(45))
    np.testing.assert_array_equal(full[0, 0], [0.1, 0.2, 0.3])
    np.testing.assert_array_equal(full[0, 1:22], body[0])
    # SMPL's joint 16 (L_Shoulder) is SMPL-X's left_shoulder, 21 R_Wrist the right wrist.
    np.testing.assert_array_equal(full[0, J["left_shoulder"]], body[0, 15])
    np.testing.assert_array_equal(full[0, J["right_wrist"]], body[0, 20])
    np.testing.assert_array_equal(full[0, 22:25], 0.0)     # jaw (zero here), eyes


def test_pose2pose_mano_hands_get_the_mean_and_the_left_is_unmirrored():
    right, left = _values(1, 15, 3, start=0.2), _values(1, 15, 3, start=-0.3)
    mean = _values(45, start=0.05)
    full = pose2pose_full_pose(np.zeros((1, 3)), np.zeros((1, 21, 3)), left, right, np.zeros((1, 3)), mean)
    np.testing.assert_allclose(full[0, RIGHT_HAND_JOINTS], right[0] + mean.reshape(15, 3))
    # Left: (offset + right mean) un-mirrored, (x, y, z) -> (x, -y, -z); e.g. joint 0 by hand:
    expected0 = left[0, 0] + mean[:3]
    np.testing.assert_allclose(full[0, LEFT_HAND_JOINTS[0]], expected0 * [1, -1, -1])
    np.testing.assert_allclose(full[0, LEFT_HAND_JOINTS], (left[0] + mean.reshape(15, 3)) * [1, -1, -1])
    # MANO order (index, middle, pinky, ring, thumb) is SMPL-X's: MANO finger 12 = thumb1.
    np.testing.assert_allclose(full[0, J["right_thumb1"]], right[0, 12] + mean[36:39])


def test_pose2pose_flame_jaw_is_smplx_jaw():
    jaw = np.array([[0.3, -0.02, 0.01]])
    full = pose2pose_full_pose(np.zeros((1, 3)), np.zeros((1, 21, 3)), np.zeros((1, 15, 3)),
                               np.zeros((1, 15, 3)), jaw, np.zeros(45))
    np.testing.assert_array_equal(full[0, J["jaw"]], jaw[0])


def test_unmirror_is_the_reflection_of_the_rotation():
    rng = np.random.default_rng(0)
    rotvec = rng.normal(size=(20, 3))
    mirror = np.diag([-1.0, 1.0, 1.0])
    np.testing.assert_allclose(rotvec_to_rotmat(unmirror_rotvec(rotvec)), mirror @ rotvec_to_rotmat(rotvec) @ mirror,
                               atol=1e-12)
    np.testing.assert_array_equal(unmirror_rotvec(np.array([0.1, 0.2, 0.3])), [0.1, -0.2, -0.3])


def test_hand4whole_adds_the_smplx_mean_hand():
    lh, rh = _values(2, 15, 3, start=0.1), _values(2, 15, 3, start=-0.1)
    mean_l, mean_r = _values(45, start=1.0), _values(45, start=2.0)
    full = hand4whole_full_pose(np.ones((2, 3)), _values(2, 21, 3), lh, rh, np.full((2, 3), 0.2), mean_l, mean_r)
    np.testing.assert_allclose(full[:, LEFT_HAND_JOINTS], lh + mean_l.reshape(15, 3))
    np.testing.assert_allclose(full[:, RIGHT_HAND_JOINTS], rh + mean_r.reshape(15, 3))
    np.testing.assert_array_equal(full[:, J["jaw"]], 0.2)
    np.testing.assert_array_equal(full[:, 1:22], _values(2, 21, 3))


def _forearm(side):
    v = REST[J[f"{side}_wrist"]] - REST[J[f"{side}_elbow"]]
    return v / np.linalg.norm(v)


def _base_pose(n=1):
    """A body turned to face the camera (180 degrees about x) with a bent left elbow."""
    local = np.broadcast_to(np.eye(3), (n, 55, 3, 3)).copy()
    local[:, 0] = axis_angle_rotmat(np.array([1.0, 0, 0]), np.pi)
    local[:, J["left_elbow"]] = axis_angle_rotmat(np.array([0, 1.0, 0]), -0.8)
    return local


@pytest.mark.parametrize("side", ["left", "right"])
def test_elbow_roll_moves_to_the_average_of_elbow_and_hand(side):
    local = _base_pose()
    world, _ = forward_kinematics(local, REST)
    elbow, wrist, s = J[f"{side}_elbow"], J[f"{side}_wrist"], 0 if side == "left" else 1
    v = _forearm(side)
    roll = 0.6
    hand_world = np.zeros((1, 2, 3, 3)) + np.eye(3)
    hand_world[0, s] = world[0, elbow] @ axis_angle_rotmat(v, roll)   # the hand rolled about the forearm
    out = integrate_hands(local, REST, hand_world, np.array([[True, True]]))
    assert out.used[0, s]
    new_world, _ = forward_kinematics(out.local_rotmat, REST)
    np.testing.assert_allclose(new_world[0, wrist], hand_world[0, s], atol=1e-9)   # the hand's rotation
    _, elbow_roll = swing_twist(local[0, elbow].T @ out.local_rotmat[0, elbow], v)
    np.testing.assert_allclose(elbow_roll, roll / 2, atol=1e-9)                     # half the roll
    _, wrist_roll = swing_twist(out.local_rotmat[0, wrist], v)
    np.testing.assert_allclose(wrist_roll, roll / 2, atol=1e-9)                     # the other half


@pytest.mark.parametrize("axis,angle,kept", [
    ("y", 0.7, True), ("y", 0.85, False), ("y", -0.85, False),
    ("z", 1.5, True), ("z", 1.65, False), ("z", -1.65, False),
])
def test_wrist_limits_of_the_dissertation(axis, angle, kept):
    """|y| < pi/4 (0.785) and |z| < pi/2 (1.571) for the new wrist; else the body's elbow and wrist stay."""
    local = _base_pose()
    world, _ = forward_kinematics(local, REST)
    turn = axis_angle_rotmat(np.eye(3)[{"y": 1, "z": 2}[axis]], angle)
    hand_world = np.broadcast_to(world[:, [J["left_wrist"], J["right_wrist"]]], (1, 2, 3, 3)).copy()
    hand_world[0, 0] = world[0, J["left_elbow"]] @ turn
    out = integrate_hands(local, REST, hand_world, np.array([[True, False]]))
    assert out.used[0, 0] == kept and not out.used[0, 1]
    changed = not np.allclose(out.local_rotmat[0, J["left_wrist"]], local[0, J["left_wrist"]])
    assert changed == kept
    if not kept:
        np.testing.assert_array_equal(out.local_rotmat[0, J["left_elbow"]], local[0, J["left_elbow"]])
    np.testing.assert_array_equal(out.local_rotmat[0, J["right_wrist"]], local[0, J["right_wrist"]])


def test_far_hand_is_ignored_and_its_pose_set_to_zero():
    full = np.zeros((2, 55, 3))
    full[:, LEFT_HAND_JOINTS] = 0.3
    full[:, RIGHT_HAND_JOINTS] = -0.2
    full[:, 0] = [np.pi, 0, 0]
    wrists = np.array([[[100.0, 100.0], [300.0, 100.0]]] * 2)
    boxes = np.array([[[80, 80, 120, 120], [280, 80, 320, 120]],        # both near (centre on the wrist)
                      [[180, 80, 220, 120], [280, 80, 320, 120]]], float)  # left box 100 px away, scale 40
    hand_root = rotmat_to_rotvec(forward_kinematics(rotvec_to_rotmat(full), REST)[0][:, [20, 21]])
    out, valid = combine_hands(full, REST, hand_root, boxes, wrists, np.ones((2, 2), bool))
    np.testing.assert_array_equal(valid, [[True, True], [False, True]])
    np.testing.assert_array_equal(out[1, LEFT_HAND_JOINTS], 0.0)
    np.testing.assert_allclose(out[0, LEFT_HAND_JOINTS], 0.3)
    np.testing.assert_allclose(out[:, RIGHT_HAND_JOINTS], -0.2)
    # A hand that agrees with the body changes nothing.
    np.testing.assert_allclose(rotvec_to_rotmat(out[:, 18:22]), rotvec_to_rotmat(full[:, 18:22]), atol=1e-9)


def test_the_builtin_share_is_distal_from_end():
    rng = np.random.default_rng(3)
    upper = rotvec_to_rotmat(rng.normal(size=(6, 3)))
    swing = rotvec_to_rotmat(rng.normal(size=(6, 3)) * 0.5)
    hand = rotvec_to_rotmat(rng.normal(size=(6, 3)))
    off = np.broadcast_to(REST[J["left_wrist"]] - REST[J["left_elbow"]], (6, 3))
    a = hand_onto_wrist(upper, swing, off, hand, roll_share=1.0)
    b = distal_from_end(upper, swing, off, hand, J["left_elbow"], J["left_wrist"], False)
    np.testing.assert_allclose(a[0], b[0], atol=1e-12)
    np.testing.assert_allclose(a[1], b[1], atol=1e-12)


def test_placement_keeps_the_pelvis_on_its_pixel_at_the_chosen_depth():
    K = np.array([[800.0, 0, 320], [0, 800, 240], [0, 0, 1]])
    cam_trans, pelvis_model = np.array([[0.1, -0.2, 40.0]]), np.array([[0.0, -0.35, 0.01]])
    focal, princpt = np.array([[5000.0 / 192 * 150, 5000.0 / 256 * 200]]), np.array([[300.0, 260.0]])
    px = pelvis_pixels(cam_trans, pelvis_model, focal, princpt)
    p = cam_trans + pelvis_model
    np.testing.assert_allclose(px, p[:, :2] / p[:, 2:] * focal + princpt)
    placed = place_pelvis(px, np.array([3.5]), K)
    assert placed[0, 2] == 3.5
    np.testing.assert_allclose(placed[0, :2] / placed[0, 2] * 800 + [320, 240], px[0])
