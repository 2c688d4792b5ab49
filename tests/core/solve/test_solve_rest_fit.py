"""fit_rest_joints: the built-in skeleton scaled to the observed limb lengths."""
import numpy as np
import pytest

from wholebody_core.errors import InputError
from wholebody_core.skeleton import JOINT_INDEX, default_rest_joints, default_rest_offsets, offsets_to_rest_joints
from wholebody_core.solve.rest_fit import fit_rest_joints
from wholebody_core.solve.solver import SolveOptions, solve_poses
from wholebody_core.solve.synthetic import random_local_rotmat, synthetic_observations

J = JOINT_INDEX


def _person(arm=1.1, forearm=0.95, thigh=0.9, shin=1.05, hips=1.2, shoulders=0.9, torso=1.05, rest=1.0):
    off = default_rest_offsets() * rest
    for side in ("left", "right"):
        off[J[f"{side}_elbow"]] *= arm
        off[J[f"{side}_wrist"]] *= forearm
        off[J[f"{side}_knee"]] *= thigh
        off[J[f"{side}_ankle"]] *= shin
        off[J[f"{side}_hip"]] *= [hips, torso, 1.0]
        off[J[f"{side}_collar"]] *= [shoulders, torso, 1.0]
        off[J[f"{side}_shoulder"]] *= [shoulders, torso, 1.0]
    for name in ("spine1", "spine2", "spine3"):
        off[J[name]] *= [1.0, torso, 1.0]
    return offsets_to_rest_joints(off)


def _lengths(rest):
    def d(a, b):
        return np.linalg.norm(rest[J[a]] - rest[J[b]])
    mid_sh = 0.5 * (rest[J["left_shoulder"]] + rest[J["right_shoulder"]])
    mid_hip = 0.5 * (rest[J["left_hip"]] + rest[J["right_hip"]])
    return {
        "upper_arm": d("left_shoulder", "left_elbow"), "forearm": d("left_elbow", "left_wrist"),
        "thigh": d("left_hip", "left_knee"), "shin": d("left_knee", "left_ankle"),
        "hips": d("left_hip", "right_hip"), "shoulders": d("left_shoulder", "right_shoulder"),
        "torso": np.linalg.norm(mid_sh - mid_hip),
    }


@pytest.mark.parametrize("noise_m, tol_limbs, tol_other", [(0.0, 0.002, 0.03), (0.01, 0.03, 0.06)])
def test_recovers_a_scaled_skeleton(noise_m, tol_limbs, tol_other):
    truth = _person()
    local = random_local_rotmat(np.random.default_rng(4), 60, truth)
    obs = synthetic_observations(local, truth, np.random.default_rng(5), noise_m=noise_m)
    fitted = fit_rest_joints(obs)
    want, got = _lengths(truth), _lengths(fitted)
    for key in want:
        # Short segments (hip width) suffer most from noise; the torso bends.
        tol = tol_other if key in ("torso", "hips", "shoulders") else tol_limbs
        assert abs(got[key] / want[key] - 1.0) < tol, (key, got[key], want[key])
    # The default skeleton is measurably wrong for this person.
    default = _lengths(default_rest_joints())
    assert abs(default["upper_arm"] / want["upper_arm"] - 1.0) > 0.05
    # And the fitted one makes the solver's joints agree with the landmarks better.
    if noise_m == 0.0:
        solved = solve_poses(obs, fitted, SolveOptions())
        plain = solve_poses(obs, default_rest_joints(), SolveOptions())
        wrist = J["left_wrist"]
        from wholebody_core.maths.kinematics import forward_kinematics
        _, joints = forward_kinematics(local, truth)
        joints -= joints[:, :1]
        err_fit = np.linalg.norm(solved.joints_rel_cam[:, wrist] - joints[:, wrist], axis=-1).mean()
        err_plain = np.linalg.norm(plain.joints_rel_cam[:, wrist] - joints[:, wrist], axis=-1).mean()
        assert err_fit < 0.5 * err_plain


def test_a_child_is_smaller():
    child = _person(1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, rest=0.6)
    obs = synthetic_observations(random_local_rotmat(np.random.default_rng(6), 20, child), child)
    fitted = fit_rest_joints(obs)
    assert fitted[J["head"], 1] < 0.75 * default_rest_joints()[J["head"], 1]


def test_a_template_is_scaled_and_checked():
    base = default_rest_joints() * 1.07
    obs = synthetic_observations(random_local_rotmat(np.random.default_rng(0), 3, base), base)
    np.testing.assert_allclose(fit_rest_joints(obs, base), base, atol=0.01)     # the person is the template
    np.testing.assert_allclose(fit_rest_joints([], base), base, atol=1e-12)
    with pytest.raises(InputError):
        fit_rest_joints(obs, np.zeros((24, 3)))
    with pytest.raises(InputError):
        fit_rest_joints(obs, np.full((55, 3), np.nan))
    np.testing.assert_array_equal(fit_rest_joints([]), default_rest_joints())
