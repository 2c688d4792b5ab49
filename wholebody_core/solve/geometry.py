"""Batched closed-form rotation fits used by the solver (numpy, leading batch dims).

Everything here works on arrays with any leading batch shape ``...`` and never
loops in Python over the batch.
"""
from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

_EPS = 1e-12


def normalize(v: np.ndarray) -> np.ndarray:
    """(..., 3) -> (..., 3) unit vectors (zero vectors stay zero)."""
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, _EPS)


def axis_angle_rotmat(axis_unit: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rodrigues' formula.

    Args:
        axis_unit: (..., 3) unit axes.
        angle: (...) radians.
    Returns:
        (..., 3, 3) rotation matrices.
    """
    axis_unit = np.asarray(axis_unit, dtype=np.float64)
    angle = np.asarray(angle, dtype=np.float64)
    shape = np.broadcast_shapes(axis_unit.shape[:-1], angle.shape)
    k = np.broadcast_to(axis_unit, shape + (3,))
    c = np.cos(angle)[..., None, None]
    s = np.sin(angle)[..., None, None]
    kx, ky, kz = k[..., 0], k[..., 1], k[..., 2]
    zero = np.zeros(shape)
    skew = np.stack(
        [np.stack([zero, -kz, ky], -1), np.stack([kz, zero, -kx], -1), np.stack([-ky, kx, zero], -1)],
        -2,
    )
    outer = k[..., :, None] * k[..., None, :]
    return c * np.eye(3) + s * skew + (1.0 - c) * outer


def rotvec_to_rotmat_fast(rotvec: np.ndarray) -> np.ndarray:
    """(..., 3) axis-angle -> (..., 3, 3) (small angles handled)."""
    angle = np.linalg.norm(rotvec, axis=-1)
    axis = np.where(angle[..., None] > 1e-12, rotvec / np.maximum(angle, 1e-12)[..., None],
                    np.array([1.0, 0.0, 0.0]))
    return axis_angle_rotmat(axis, angle)


def rotmat_to_rotvec_fast(rotmat: np.ndarray) -> np.ndarray:
    """(..., 3, 3) -> (..., 3) axis-angle, angle in [0, pi] (scipy, vectorised)."""
    flat = np.asarray(rotmat, dtype=np.float64).reshape(-1, 3, 3)
    return Rotation.from_matrix(flat).as_rotvec().reshape(rotmat.shape[:-2] + (3,))


def rotation_between_batch(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest rotation taking direction a onto direction b: (..., 3) x2 -> (..., 3, 3).

    Opposite directions give a half turn about an axis perpendicular to ``a``;
    zero-length ``b`` gives the identity.
    """
    a = normalize(np.asarray(a, dtype=np.float64))
    b = normalize(np.asarray(b, dtype=np.float64))
    a, b = np.broadcast_arrays(a, b)
    axis = np.cross(a, b)
    sin = np.linalg.norm(axis, axis=-1)
    cos = np.sum(a * b, axis=-1)
    helper = np.where(np.abs(a[..., :1]) < 0.9, np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))
    perp = normalize(np.cross(a, helper))
    axis = np.where(sin[..., None] > 1e-9, axis / np.maximum(sin, _EPS)[..., None], perp)
    angle = np.arctan2(sin, cos)
    angle = np.where(np.linalg.norm(b, axis=-1) > 0.5, angle, 0.0)
    return axis_angle_rotmat(axis, angle)


def twist_angle_fit(axis_unit: np.ndarray, rest_vecs: np.ndarray, obs_vecs: np.ndarray,
                    weights: np.ndarray) -> np.ndarray:
    """Angle about ``axis_unit`` that best turns ``rest_vecs`` onto ``obs_vecs``.

    Both sets of vectors are in the same frame; only their parts perpendicular to
    the axis count, so a vector along the axis (a straight limb) has no say.

    Args:
        axis_unit: (..., 3).
        rest_vecs, obs_vecs: (..., K, 3).
        weights: (..., K) non-negative.
    Returns:
        (...) radians; 0 where nothing constrains the twist.
    """
    k = axis_unit[..., None, :]
    r = rest_vecs - np.sum(rest_vecs * k, -1, keepdims=True) * k
    o = obs_vecs - np.sum(obs_vecs * k, -1, keepdims=True) * k
    r = normalize(r) * np.linalg.norm(r, axis=-1, keepdims=True) ** 0.5
    o = normalize(o) * np.linalg.norm(o, axis=-1, keepdims=True) ** 0.5
    sin = np.sum(weights * np.sum(np.cross(r, o) * k, -1), -1)
    cos = np.sum(weights * np.sum(r * o, -1), -1)
    return np.where(np.abs(sin) + np.abs(cos) > 1e-12, np.arctan2(sin, cos), 0.0)


def swing_twist(rotmat: np.ndarray, axis_unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Splits R = swing @ twist, twist about ``axis_unit`` (fixed, local), swing about
    an axis perpendicular to it.

    Args:
        rotmat: (..., 3, 3).
        axis_unit: (3,) or (..., 3).
    Returns:
        swing_rotvec (..., 3) perpendicular to the axis, twist_angle (...) in (-pi, pi].
    """
    flat = np.asarray(rotmat).reshape(-1, 3, 3)
    xyzw = Rotation.from_matrix(flat).as_quat().reshape(rotmat.shape[:-2] + (4,))
    w = xyzw[..., 3]
    v = xyzw[..., :3]
    axis = np.broadcast_to(axis_unit, v.shape)
    proj = np.sum(v * axis, -1)
    twist = 2.0 * np.arctan2(proj, w)
    twist = (twist + np.pi) % (2 * np.pi) - np.pi
    swing = rotmat @ axis_angle_rotmat(axis, -twist)
    return rotmat_to_rotvec_fast(swing), twist


def kabsch(src: np.ndarray, dst: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Rotation R minimising sum_k w_k |R src_k - dst_k|^2 (vectors, no translation).

    Args:
        src, dst: (..., K, 3); weights (..., K).
    Returns:
        (..., 3, 3) proper rotations.
    """
    h = np.einsum("...k,...ki,...kj->...ij", weights, src, dst)
    u, _, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(np.swapaxes(vt, -1, -2) @ np.swapaxes(u, -1, -2)))
    d = np.where(d == 0, 1.0, d)
    fix = np.broadcast_to(np.eye(3), h.shape).copy()
    fix[..., 2, 2] = d
    return np.swapaxes(vt, -1, -2) @ fix @ np.swapaxes(u, -1, -2)


def umeyama(src: np.ndarray, dst: np.ndarray, weights: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Similarity fit dst ~ s R src + t (weighted).

    Args:
        src, dst: (..., K, 3); weights (..., K), at least three non-collinear
            points with weight > 0 for a meaningful answer.
    Returns:
        R (..., 3, 3), s (...), t (..., 3).
    """
    wsum = np.maximum(np.sum(weights, -1), _EPS)
    mu_s = np.einsum("...k,...ki->...i", weights, src) / wsum[..., None]
    mu_d = np.einsum("...k,...ki->...i", weights, dst) / wsum[..., None]
    sc = src - mu_s[..., None, :]
    dc = dst - mu_d[..., None, :]
    rot = kabsch(sc, dc, weights)
    num = np.einsum("...k,...ki,...ki->...", weights, dc, np.einsum("...ij,...kj->...ki", rot, sc))
    den = np.maximum(np.einsum("...k,...ki,...ki->...", weights, sc, sc), _EPS)
    scale = num / den
    t = mu_d - scale[..., None] * np.einsum("...ij,...j->...i", rot, mu_s)
    return rot, scale, t
