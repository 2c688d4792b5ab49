"""The batched rotation maths (maths/rotations.py and the solver's fits) against scipy
and slow reference versions."""
import numpy as np
from scipy.spatial.transform import Rotation

from wholebody_core.maths.rotations import (axis_angle_rotmat, cross, normalize, rotation_between,
                                            rotmat_to_quat_wxyz, rotmat_to_rotvec, rotvec_to_rotmat)
from wholebody_core.solve.geometry import kabsch, swing_twist, twist_angle_fit, umeyama

RNG = np.random.default_rng(0)
ROT = Rotation.random(500, random_state=1)


def test_conversions_match_scipy():
    mats = ROT.as_matrix()
    np.testing.assert_allclose(rotmat_to_rotvec(mats), ROT.as_rotvec(), atol=1e-10)
    np.testing.assert_allclose(rotvec_to_rotmat(ROT.as_rotvec()), mats, atol=1e-12)
    xyzw = ROT.as_quat()
    wxyz = np.concatenate([xyzw[:, 3:], xyzw[:, :3]], 1) * np.sign(xyzw[:, 3:])
    np.testing.assert_allclose(rotmat_to_quat_wxyz(mats), wxyz, atol=1e-10)
    # Small and half-turn angles.
    tiny = np.array([[1e-13, 0, 0], [0, 0, 0], [0, np.pi, 0], [np.pi / np.sqrt(2), np.pi / np.sqrt(2), 0]])
    back = rotmat_to_rotvec(rotvec_to_rotmat(tiny))
    np.testing.assert_allclose(rotvec_to_rotmat(back), rotvec_to_rotmat(tiny), atol=1e-9)
    a, b = RNG.normal(size=(50, 3)), RNG.normal(size=(50, 3))
    np.testing.assert_allclose(cross(a, b), np.cross(a, b), atol=1e-12)


def test_swing_twist_round_trip_and_parts():
    mats = ROT.as_matrix()
    axis = normalize(RNG.normal(size=(500, 3)))
    swing, twist = swing_twist(mats, axis)
    np.testing.assert_allclose(rotvec_to_rotmat(swing) @ axis_angle_rotmat(axis, twist), mats, atol=1e-10)
    np.testing.assert_allclose(np.sum(swing * axis, -1), 0.0, atol=1e-10)
    # A pure twist is all twist; a pure swing is no twist.
    angle = RNG.uniform(-3.0, 3.0, 500)
    _, t = swing_twist(axis_angle_rotmat(axis, angle), axis)
    np.testing.assert_allclose(t, angle, atol=1e-10)
    perp = normalize(cross(axis, RNG.normal(size=(500, 3))))
    _, t = swing_twist(axis_angle_rotmat(perp, angle), axis)
    np.testing.assert_allclose(t, 0.0, atol=1e-10)


def test_rotation_between_including_opposite_vectors():
    a, b = RNG.normal(size=(200, 3)), RNG.normal(size=(200, 3))
    b[0] = -a[0] * 2.0
    b[1] = a[1] * 3.0
    rot = rotation_between(a, b)
    np.testing.assert_allclose(np.einsum("nij,nj->ni", rot, normalize(a)), normalize(b), atol=1e-9)
    # Minimal: the axis is perpendicular to both.
    rv = rotmat_to_rotvec(rot[2:])
    np.testing.assert_allclose(np.sum(rv * a[2:], -1), 0.0, atol=1e-9)


def test_twist_angle_fit_recovers_a_twist():
    axis = normalize(RNG.normal(size=(100, 3)))
    angle = RNG.uniform(-3.0, 3.0, 100)
    rest = RNG.normal(size=(100, 3, 3))
    obs = np.einsum("nij,nkj->nki", axis_angle_rotmat(axis, angle), rest)
    fitted = twist_angle_fit(axis, rest, obs, np.ones((100, 3)))
    np.testing.assert_allclose(np.angle(np.exp(1j * (fitted - angle))), 0.0, atol=1e-9)


def test_kabsch_and_umeyama_recover_a_similarity():
    rot = ROT.as_matrix()[:100]
    src = RNG.normal(size=(100, 8, 3))
    scale = RNG.uniform(0.1, 5.0, 100)
    t = RNG.normal(size=(100, 3))
    dst = scale[:, None, None] * np.einsum("nij,nkj->nki", rot, src) + t[:, None]
    r, s, tt = umeyama(src, dst, np.ones((100, 8)))
    np.testing.assert_allclose(r, rot, atol=1e-9)
    np.testing.assert_allclose(s, scale, rtol=1e-9)
    np.testing.assert_allclose(tt, t, atol=1e-9)
    # Reflections are never returned.
    mirrored = dst * np.array([-1.0, 1.0, 1.0])
    r = kabsch(src - src.mean(1, keepdims=True), mirrored - mirrored.mean(1, keepdims=True), np.ones((100, 8)))
    np.testing.assert_allclose(np.linalg.det(r), 1.0, atol=1e-9)
