"""Anatomical limits: projection, one-way knees and elbows, left/right."""
import numpy as np

from wholebody_core.maths.kinematics import forward_kinematics
from wholebody_core.maths.rotations import rotvec_to_rotmat
from wholebody_core.skeleton import JOINT_INDEX, JOINT_NAMES, default_rest_joints
from wholebody_core.solve.solver import SolveOptions, solve_poses
from wholebody_core.maths.rotations import axis_angle_rotmat
from wholebody_core.solve.limits import LOWER_RAD, UPPER_RAD, clamp_to_limits, limit_coordinates, within_limits
from wholebody_core.solve.synthetic import random_local_rotmat, synthetic_observations

REST = default_rest_joints()
ALL = np.arange(55)
FACING_CAMERA = axis_angle_rotmat(np.array([1.0, 0.0, 0.0]), np.pi)


def test_every_joint_but_the_pelvis_has_finite_ranges():
    assert np.isinf(LOWER_RAD[0]).all()
    assert np.isfinite(LOWER_RAD[1:]).all() and np.isfinite(UPPER_RAD[1:]).all()
    assert (LOWER_RAD[1:] < UPPER_RAD[1:]).all()


def test_clamp_projects_into_the_ranges_and_is_idempotent():
    rng = np.random.default_rng(0)
    rot = rotvec_to_rotmat(rng.normal(scale=1.2, size=(200, 55, 3)))
    assert not within_limits(rot, ALL).all()
    clamped = clamp_to_limits(rot, ALL)
    assert within_limits(clamped, ALL, tol_rad=1e-9).all()
    np.testing.assert_allclose(clamp_to_limits(clamped, ALL), clamped, atol=1e-9)
    inside = within_limits(rot, ALL, tol_rad=0.0)
    np.testing.assert_allclose(clamped[inside], rot[inside], atol=1e-9)


def test_right_side_ranges_mirror_the_left():
    rng = np.random.default_rng(1)
    rot = rotvec_to_rotmat(rng.normal(scale=1.0, size=(300, 3)))
    mirror = np.diag([-1.0, 1.0, 1.0])
    for name in ("hip", "knee", "shoulder", "elbow", "wrist", "index1", "thumb2"):
        left, right = JOINT_INDEX[f"left_{name}"], JOINT_INDEX[f"right_{name}"]
        clamped_left = clamp_to_limits(rot, left)
        clamped_right = clamp_to_limits(mirror @ rot @ mirror, right)
        np.testing.assert_allclose(mirror @ clamped_left @ mirror, clamped_right, atol=1e-9, err_msg=name)


def test_knees_and_elbows_bend_one_way():
    for side, sign in (("left", -1.0), ("right", 1.0)):
        knee, elbow = JOINT_INDEX[f"{side}_knee"], JOINT_INDEX[f"{side}_elbow"]
        bent = axis_angle_rotmat(np.array([1.0, 0, 0]), np.radians(90.0))[None]
        assert within_limits(bent, [knee]).all()
        assert not within_limits(np.swapaxes(bent, -1, -2), [knee]).any()
        forward = axis_angle_rotmat(np.array([0, sign, 0.0]), np.radians(90.0))[None]
        assert within_limits(forward, [elbow]).all()
        assert not within_limits(np.swapaxes(forward, -1, -2), [elbow]).any()


def test_an_impossible_backwards_knee_is_clamped():
    local = random_local_rotmat(np.random.default_rng(3), 8, REST, margin=0.4)
    knee = JOINT_INDEX["left_knee"]
    local[:, knee] = axis_angle_rotmat(np.array([1.0, 0.0, 0.0]), np.radians(-35.0))
    _, joints = forward_kinematics(local, REST)
    joints -= joints[:, :1]
    obs = synthetic_observations(local, REST)
    free = solve_poses(obs, REST, SolveOptions(enforce_limits=False))
    limited = solve_poses(obs, REST, SolveOptions(enforce_limits=True))
    ankle = JOINT_INDEX["left_ankle"]
    # Without limits the backwards knee is reproduced; with them it is not.
    assert np.abs(free.joints_rel_cam[:, ankle] - joints[:, ankle]).max() < 0.003
    coords = limit_coordinates(rotvec_to_rotmat(limited.full_pose_rotvec[:, [knee]]), [knee])
    assert (coords[..., 0] >= -1e-6).all()
    assert within_limits(rotvec_to_rotmat(limited.full_pose_rotvec), ALL, tol_rad=2e-3).all()
    # The thigh still points at the knee.
    assert np.abs(limited.joints_rel_cam[:, knee] - joints[:, knee]).max() < 0.003


def _one_arm_raised(side: str) -> np.ndarray:
    local = np.broadcast_to(np.eye(3), (1, 55, 3, 3)).copy()
    local[0, 0] = FACING_CAMERA
    up = 1.0 if side == "left" else -1.0        # the arm's rest direction is +x (left) / -x (right)
    local[0, JOINT_INDEX[f"{side}_shoulder"]] = axis_angle_rotmat(np.array([0, 0, 1.0]), up * np.radians(60.0))
    for other in ("left", "right"):
        if other != side:   # the other arm hangs down
            local[0, JOINT_INDEX[f"{other}_shoulder"]] = axis_angle_rotmat(np.array([0, 0, 1.0]), up * np.radians(70.0))
    return local


def test_left_and_right_are_never_swapped():
    for side, other in (("left", "right"), ("right", "left")):
        local = _one_arm_raised(side)
        solved = solve_poses(synthetic_observations(local, REST), REST, SolveOptions())
        rotvec = solved.full_pose_rotvec[0]
        raised, hanging = JOINT_INDEX[f"{side}_shoulder"], JOINT_INDEX[f"{other}_shoulder"]
        sign = 1.0 if side == "left" else -1.0
        assert np.degrees(sign * rotvec[raised, 2]) > 55.0, (side, np.degrees(rotvec[raised]))
        assert np.degrees(sign * rotvec[hanging, 2]) > 65.0, (side, np.degrees(rotvec[hanging]))
        joints = solved.joints_rel_cam[0]
        elbow = JOINT_INDEX[f"{side}_elbow"]
        # Facing the camera: the person's left is the image's right; up is -y.
        assert np.sign(joints[elbow, 0]) == sign
        assert joints[elbow, 1] < joints[JOINT_INDEX[f"{side}_shoulder"], 1]
        assert joints[JOINT_INDEX[f"{other}_elbow"], 1] > joints[JOINT_INDEX[f"{other}_shoulder"], 1]
        np.testing.assert_allclose(solved.full_pose_rotvec[0, 0], [np.pi, 0, 0], atol=1e-6)


def test_joint_names_in_the_docs_table():
    from wholebody_core.solve import limits
    for key in ("hip", "knee", "ankle", "spine1/2/3", "neck", "head", "collar", "shoulder", "elbow", "wrist",
                "jaw", "eyes", "thumb 1"):
        assert f"| {key} |" in limits.__doc__, key
    assert len(JOINT_NAMES) == 55
