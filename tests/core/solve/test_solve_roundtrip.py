"""Solver ground truth: random SMPL-X poses -> FK -> landmarks -> solve -> compare."""
import numpy as np
import pytest

from wholebody_core.errors import InputError
from wholebody_core.maths.kinematics import forward_kinematics
from wholebody_core.maths.rotations import geodesic_angle, rotvec_to_rotmat
from wholebody_core.skeleton import JOINT_INDEX, default_rest_joints
from wholebody_core.solve.solver import SolveOptions, solve_poses
from wholebody_core.maths.rotations import axis_angle_rotmat
from wholebody_core.solve.limits import within_limits
from wholebody_core.solve.synthetic import random_local_rotmat, synthetic_observations

REST = default_rest_joints()
EYES = [JOINT_INDEX["left_eye_smplhf"], JOINT_INDEX["right_eye_smplhf"]]


def _truth(local):
    world, joints = forward_kinematics(local, REST)
    return world, joints - joints[:, :1]


def _solve(local, noise_m=0.0, seed=0, **kwargs):
    rng = np.random.default_rng(seed)
    obs = synthetic_observations(local, REST, rng, noise_m=noise_m, **kwargs)
    return solve_poses(obs, REST, SolveOptions())


@pytest.fixture(scope="module")
def poses():
    return random_local_rotmat(np.random.default_rng(1), 60, REST)


def test_generated_poses_are_inside_the_limits(poses):
    assert within_limits(poses, np.arange(55)).all()


def test_noiseless_joint_positions_come_back_within_a_few_mm(poses):
    solved = _solve(poses)
    _, joints = _truth(poses)
    err = np.linalg.norm(solved.joints_rel_cam - joints, axis=-1)
    assert err.max() < 0.003, err.max()
    assert solved.hand_valid.all() and solved.face_valid.all()


def test_noiseless_rotations_come_back_where_determined(poses):
    solved = _solve(poses)
    ang = np.degrees(geodesic_angle(poses, rotvec_to_rotmat(solved.full_pose_rotvec)))
    others = np.setdiff1d(np.arange(55), EYES)
    # Swing and twist of every limb, spine, neck, head, jaw, every finger joint.
    assert ang[:, others].max() < 0.5, (ang[:, others].max(), np.argmax(ang[:, others].max(0)))
    # Eyes come from pixels through a weak-perspective fit: a few degrees, and only
    # for faces turned less than 60 degrees from the camera (else left at zero).
    world, _ = _truth(poses)
    frontal = world[:, JOINT_INDEX["head"], 2, 2] < -0.55
    assert frontal.sum() > 20
    assert np.percentile(ang[frontal][:, EYES], 90) < 4.0
    assert ang[frontal][:, EYES].max() < 6.0


def test_noisy_landmarks_give_bounded_errors(poses):
    solved = _solve(poses, noise_m=0.01, seed=3)
    _, joints = _truth(poses)
    body = np.arange(22)
    err = np.linalg.norm(solved.joints_rel_cam[:, body] - joints[:, body], axis=-1)
    assert np.median(err) < 0.02, np.median(err)
    assert np.percentile(err, 95) < 0.06, np.percentile(err, 95)
    ang = np.degrees(geodesic_angle(poses, rotvec_to_rotmat(solved.full_pose_rotvec)))
    limbs = [JOINT_INDEX[f"{s}_{j}"] for s in ("left", "right") for j in ("hip", "knee", "shoulder", "elbow")]
    assert np.median(ang[:, limbs]) < 12.0, np.median(ang[:, limbs])
    # Whatever the noise, every solved rotation stays inside its range.
    assert within_limits(rotvec_to_rotmat(solved.full_pose_rotvec), np.arange(55), tol_rad=2e-3).all()


def test_batch_and_single_solves_agree(poses):
    batch = _solve(poses[:5])
    one = _solve(poses[2:3])
    np.testing.assert_allclose(batch.full_pose_rotvec[2], one.full_pose_rotvec[0], atol=1e-8)


def test_without_hands_and_face_the_body_still_solves(poses):
    rng = np.random.default_rng(5)
    obs = synthetic_observations(poses[:20], REST, rng, hands=False, face=False)
    solved = solve_poses(obs, REST, SolveOptions())
    _, joints = _truth(poses[:20])
    body = np.arange(25)
    assert np.abs(solved.joints_rel_cam[:, body] - joints[:, body]).max() < 0.003
    assert not solved.hand_valid.any() and not solved.face_valid.any()
    # The head's rotation comes from the body's face points; fingers stay flat.
    ang = np.degrees(geodesic_angle(poses[:20], rotvec_to_rotmat(solved.full_pose_rotvec)))
    assert ang[:, JOINT_INDEX["head"]].max() < 0.5
    assert np.abs(solved.full_pose_rotvec[:, 25:]).max() == 0.0
    assert np.abs(solved.expression).max() == 0.0


def test_straight_limb_twist_comes_from_the_hand_and_foot():
    local = random_local_rotmat(np.random.default_rng(7), 12, REST, margin=0.5, min_bend_deg=0.0)
    for side in ("left", "right"):
        # Straighten the elbow and knee (keep their roll), so positions alone
        # leave the upper arm's and thigh's twist free.
        for joint in ("elbow", "knee"):
            local[:, JOINT_INDEX[f"{side}_{joint}"]] = np.eye(3)
    twist = np.radians(np.linspace(-35.0, 35.0, 12))
    for side in ("left", "right"):
        sh, hip = JOINT_INDEX[f"{side}_shoulder"], JOINT_INDEX[f"{side}_hip"]
        local[:, sh] = local[:, sh] @ axis_angle_rotmat(np.array([1.0, 0.0, 0.0]), twist)
        local[:, hip] = local[:, hip] @ axis_angle_rotmat(np.array([0.0, 1.0, 0.0]), twist * 0.8)
    assert within_limits(local, np.arange(55)).all()
    solved = _solve(local)
    ang = np.degrees(geodesic_angle(local, rotvec_to_rotmat(solved.full_pose_rotvec)))
    for side in ("left", "right"):
        for joint in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle"):
            j = JOINT_INDEX[f"{side}_{joint}"]
            assert ang[:, j].max() < 1.0, (side, joint, ang[:, j].max())


def test_empty_and_malformed_inputs():
    empty = solve_poses([], REST, SolveOptions())
    assert empty.full_pose_rotvec.shape == (0, 55, 3) and empty.hand_valid.shape == (0, 2)
    obs = synthetic_observations(random_local_rotmat(np.random.default_rng(0), 1, REST), REST)
    with pytest.raises(InputError):
        solve_poses(obs, np.zeros((54, 3)), SolveOptions())
    obs[0].body_3d = obs[0].body_3d[:20]
    with pytest.raises(InputError):
        solve_poses(obs, REST, SolveOptions())
    obs = synthetic_observations(random_local_rotmat(np.random.default_rng(0), 1, REST), REST)
    obs[0].body_3d[3, 1] = np.nan
    with pytest.raises(InputError):
        solve_poses(obs, REST, SolveOptions())


def test_degenerate_landmarks_give_finite_poses_and_are_not_used(recwarn):
    obs = synthetic_observations(random_local_rotmat(np.random.default_rng(0), 3, REST), REST)
    obs[0].body_3d[:] = 0.0
    obs[0].left_hand.points_3d[:] = 0.0
    obs[0].face.points_3d[:] = 0.0
    rng = np.random.default_rng(1)
    obs[1].body_3d = rng.normal(size=(33, 3))
    obs[1].face.points_3d = rng.normal(size=(468, 3))
    obs[2].body_3d[:] = obs[2].body_3d[:1]
    solved = solve_poses(obs, REST, SolveOptions())
    assert np.isfinite(solved.full_pose_rotvec).all() and np.isfinite(solved.joints_rel_cam).all()
    assert not solved.hand_valid[0, 0] and solved.hand_valid[0, 1]
    assert not solved.face_valid[0] and solved.face_valid[1]
    assert within_limits(rotvec_to_rotmat(solved.full_pose_rotvec), np.arange(55), tol_rad=2e-3).all()
    assert not [w for w in recwarn.list if issubclass(w.category, RuntimeWarning)]
