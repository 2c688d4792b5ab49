"""Algorithm 1: the hands' rotation replaces the wrists' only where it belongs to
the wrist and stays inside the elbow's and wrist's limits."""
import numpy as np

from wholebody_core.landmarks.types import BODY_INDEX
from wholebody_core.maths.kinematics import forward_kinematics
from wholebody_core.maths.rotations import geodesic_angle, rotvec_to_rotmat
from wholebody_core.skeleton import JOINT_INDEX, LEFT_HAND_JOINTS, default_rest_joints
from wholebody_core.solve.solver import SolveOptions, solve_poses
from wholebody_core.maths.rotations import axis_angle_rotmat
from wholebody_core.solve.integrate import hand_near_wrist
from wholebody_core.solve.synthetic import random_local_rotmat, synthetic_observations

REST = default_rest_joints()
ELBOW, WRIST = JOINT_INDEX["left_elbow"], JOINT_INDEX["left_wrist"]


def _setup(n=10, seed=0):
    local = random_local_rotmat(np.random.default_rng(seed), n, REST, margin=0.5)
    world, joints = forward_kinematics(local, REST)
    return local, world, synthetic_observations(local, REST)


def _angles(local, solved, joint):
    return np.degrees(geodesic_angle(local[:, joint], rotvec_to_rotmat(solved.full_pose_rotvec[:, joint])))


def test_box_to_wrist_rule():
    boxes = np.array([[0, 0, 100, 100], [0, 0, 100, 100], [0, 0, 100, 4]], dtype=float)
    wrists = np.array([[50, 149], [50, 151], [50, 40]], dtype=float)
    # scale = sqrt(w * h): 100, 100, 20
    np.testing.assert_array_equal(hand_near_wrist(boxes, wrists), [True, False, False])


def test_a_hand_far_from_the_wrist_is_ignored():
    local, _, obs = _setup()
    body_only = solve_poses(obs, REST, SolveOptions(use_hands=False))
    for o in obs:
        o.left_hand.bbox_xyxy = o.left_hand.bbox_xyxy + 400.0
    solved = solve_poses(obs, REST, SolveOptions())
    assert not solved.hand_valid[:, 0].any() and solved.hand_valid[:, 1].all()
    np.testing.assert_array_equal(solved.full_pose_rotvec[:, LEFT_HAND_JOINTS], 0.0)
    np.testing.assert_allclose(solved.full_pose_rotvec[:, [ELBOW, WRIST]],
                               body_only.full_pose_rotvec[:, [ELBOW, WRIST]], atol=1e-9)


def test_a_hand_rotation_that_breaks_the_wrist_limit_is_rejected():
    local, world, obs = _setup(seed=1)
    for i, o in enumerate(obs):
        # Turn the hand landmarks 150 degrees about the hand's own flexion axis:
        # no wrist can do that.
        flex_axis = world[i, WRIST] @ np.array([0.0, 0.0, 1.0])
        turn = axis_angle_rotmat(flex_axis, np.radians(150.0))
        o.left_hand.points_3d = o.left_hand.points_3d @ turn.T
    solved = solve_poses(obs, REST, SolveOptions())
    assert solved.hand_valid[:, 0].all()          # the fingers are still used
    # The wrist and the forearm roll keep the body's estimate (here: the truth).
    assert _angles(local, solved, WRIST).max() < 0.5
    assert _angles(local, solved, ELBOW).max() < 0.5
    free = solve_poses(obs, REST, SolveOptions(enforce_limits=False))
    assert _angles(local, free, WRIST).min() > 20.0


def test_a_good_hand_replaces_the_wrist_and_corrects_the_elbow_roll():
    local, world, obs = _setup(seed=2)
    for i, o in enumerate(obs):
        # Spoil BlazePose's own hand points: turn them 40 degrees about the forearm.
        wrist = o.body_3d[BODY_INDEX["left_wrist"]]
        axis = o.body_3d[BODY_INDEX["left_wrist"]] - o.body_3d[BODY_INDEX["left_elbow"]]
        turn = axis_angle_rotmat(axis / np.linalg.norm(axis), np.radians(40.0))
        for name in ("left_pinky", "left_index", "left_thumb"):
            k = BODY_INDEX[name]
            o.body_3d[k] = wrist + turn @ (o.body_3d[k] - wrist)
    with_hand = solve_poses(obs, REST, SolveOptions())
    body_only = solve_poses(obs, REST, SolveOptions(use_hands=False))
    assert with_hand.hand_valid[:, 0].all()
    assert _angles(local, with_hand, WRIST).max() < 0.5
    assert _angles(local, with_hand, ELBOW).max() < 0.5
    # The spoiled body estimate puts the roll elsewhere (or is clamped).
    assert np.maximum(_angles(local, body_only, WRIST), _angles(local, body_only, ELBOW)).min() > 5.0
