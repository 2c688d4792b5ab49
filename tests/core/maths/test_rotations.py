import numpy as np
import pytest

from wholebody_core.maths import rotations as R


def _random_rotvec(rng, shape):
    axis = rng.normal(size=shape + (3,))
    axis /= np.linalg.norm(axis, axis=-1, keepdims=True)
    return axis * rng.uniform(0, np.pi * 0.999, size=shape + (1,))


@pytest.mark.parametrize("shape", [(), (7,), (2, 5)])
def test_round_trips_keep_batch_shape(shape):
    rng = np.random.default_rng(0)
    rotvec = _random_rotvec(rng, shape)
    rotmat = R.rotvec_to_rotmat(rotvec)
    assert rotmat.shape == shape + (3, 3)
    np.testing.assert_allclose(R.rotmat_to_rotvec(rotmat), rotvec, atol=1e-9)
    quat = R.rotvec_to_quat_wxyz(rotvec)
    assert quat.shape == shape + (4,)
    assert np.all(quat[..., 0] >= 0)
    np.testing.assert_allclose(R.quat_wxyz_to_rotvec(quat), rotvec, atol=1e-9)
    np.testing.assert_allclose(R.quat_wxyz_to_rotmat(R.rotmat_to_quat_wxyz(rotmat)), rotmat, atol=1e-9)


def test_quaternion_is_scalar_first():
    quat = R.rotvec_to_quat_wxyz(np.array([0.0, 0.0, np.pi / 2]))
    np.testing.assert_allclose(quat, [np.cos(np.pi / 4), 0, 0, np.sin(np.pi / 4)], atol=1e-12)


def test_rotation_between_maps_a_onto_b_including_degenerate_cases():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(50, 3))
    b = rng.normal(size=(50, 3))
    b[0] = a[0] * 3.0       # parallel
    b[1] = -a[1]            # opposite
    rot = R.rotation_between(a, b)
    mapped = np.einsum("nij,nj->ni", rot, a / np.linalg.norm(a, axis=1, keepdims=True))
    np.testing.assert_allclose(mapped, b / np.linalg.norm(b, axis=1, keepdims=True), atol=1e-9)
    np.testing.assert_allclose(rot @ np.swapaxes(rot, -1, -2), np.broadcast_to(np.eye(3), rot.shape), atol=1e-9)


def test_geodesic_angle_matches_rotvec_norm():
    rng = np.random.default_rng(2)
    rotvec = _random_rotvec(rng, (20,))
    angle = R.geodesic_angle(np.broadcast_to(np.eye(3), (20, 3, 3)), R.rotvec_to_rotmat(rotvec))
    np.testing.assert_allclose(angle, np.linalg.norm(rotvec, axis=-1), atol=1e-6)
