"""Batched closed-form rotation fits used by the solver (numpy, leading batch dims).

Everything here works on arrays with any leading batch shape ``...`` and never
loops in Python over the batch.
"""
from __future__ import annotations

import numpy as np

_EPS = 1e-12


def cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(..., 3) x (..., 3) -> (..., 3) cross product (cheaper than np.cross on small batches)."""
    a, b = np.broadcast_arrays(a, b)
    out = np.empty(a.shape)
    out[..., 0] = a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1]
    out[..., 1] = a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2]
    out[..., 2] = a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    return out


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
    x, y, z = axis_unit[..., 0], axis_unit[..., 1], axis_unit[..., 2]
    c, s = np.cos(angle), np.sin(angle)
    t = 1.0 - c
    out = np.empty(shape + (3, 3))
    out[..., 0, 0] = c + t * x * x
    out[..., 0, 1] = t * x * y - s * z
    out[..., 0, 2] = t * x * z + s * y
    out[..., 1, 0] = t * x * y + s * z
    out[..., 1, 1] = c + t * y * y
    out[..., 1, 2] = t * y * z - s * x
    out[..., 2, 0] = t * x * z - s * y
    out[..., 2, 1] = t * y * z + s * x
    out[..., 2, 2] = c + t * z * z
    return out


def rotvec_to_rotmat_fast(rotvec: np.ndarray) -> np.ndarray:
    """(..., 3) axis-angle -> (..., 3, 3) (small angles handled)."""
    angle = np.linalg.norm(rotvec, axis=-1)
    axis = np.where(angle[..., None] > 1e-12, rotvec / np.maximum(angle, 1e-12)[..., None],
                    np.array([1.0, 0.0, 0.0]))
    return axis_angle_rotmat(axis, angle)


def rotmat_to_quat_wxyz_fast(rotmat: np.ndarray) -> np.ndarray:
    """(..., 3, 3) -> (..., 4) unit quaternions, scalar first, w >= 0 (Shepperd's method)."""
    m = np.asarray(rotmat, dtype=np.float64)
    m00, m11, m22 = m[..., 0, 0], m[..., 1, 1], m[..., 2, 2]
    tr = m00 + m11 + m22
    m01, m02, m10, m12, m20, m21 = (m[..., i, j] for i, j in ((0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1)))
    cand = np.stack([
        np.stack([1.0 + tr, m21 - m12, m02 - m20, m10 - m01], -1),
        np.stack([m21 - m12, 1.0 + m00 - m11 - m22, m01 + m10, m02 + m20], -1),
        np.stack([m02 - m20, m01 + m10, 1.0 - m00 + m11 - m22, m12 + m21], -1),
        np.stack([m10 - m01, m02 + m20, m12 + m21, 1.0 - m00 - m11 + m22], -1),
    ], -2)                                                     # (..., 4 candidates, 4)
    best = np.argmax(np.stack([tr, m00, m11, m22], -1), -1)
    q = np.take_along_axis(cand, best[..., None, None], -2)[..., 0, :]
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    return q * np.where(q[..., :1] < 0, -1.0, 1.0)


def quat_wxyz_to_rotvec_fast(quat_wxyz: np.ndarray) -> np.ndarray:
    """(..., 4) unit quaternions -> (..., 3) axis-angle, angle in [0, pi]."""
    q = quat_wxyz * np.where(quat_wxyz[..., :1] < 0, -1.0, 1.0)
    v = q[..., 1:]
    sin_half = np.linalg.norm(v, axis=-1)
    angle = 2.0 * np.arctan2(sin_half, q[..., 0])
    # angle / sin(angle/2) -> 2 as the angle -> 0
    factor = np.where(sin_half > 1e-9, angle / np.maximum(sin_half, 1e-12), 2.0)
    return v * factor[..., None]


def rotmat_to_rotvec_fast(rotmat: np.ndarray) -> np.ndarray:
    """(..., 3, 3) -> (..., 3) axis-angle, angle in [0, pi]."""
    return quat_wxyz_to_rotvec_fast(rotmat_to_quat_wxyz_fast(rotmat))


def rotation_between_batch(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest rotation taking direction a onto direction b: (..., 3) x2 -> (..., 3, 3).

    Opposite directions give a half turn about an axis perpendicular to ``a``;
    zero-length ``b`` gives the identity.
    """
    a = normalize(np.asarray(a, dtype=np.float64))
    b = normalize(np.asarray(b, dtype=np.float64))
    a, b = np.broadcast_arrays(a, b)
    axis = cross(a, b)
    sin = np.linalg.norm(axis, axis=-1)
    cos = np.sum(a * b, axis=-1)
    helper = np.where(np.abs(a[..., :1]) < 0.9, np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))
    perp = normalize(cross(a, helper))
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
    sin = np.sum(weights * np.sum(cross(r, o) * k, -1), -1)
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
    q = rotmat_to_quat_wxyz_fast(rotmat)
    w, v = q[..., 0], q[..., 1:]
    axis = np.broadcast_to(axis_unit, v.shape)
    proj = np.sum(v * axis, -1)
    half = np.arctan2(proj, w)                 # w >= 0: half in [-pi/2, pi/2]
    twist = 2.0 * half
    # swing = q * conj(t), t = (cos h, sin h axis)
    c, s = np.cos(half)[..., None], np.sin(half)[..., None]
    sw_w = w[..., None] * c + proj[..., None] * s
    sw_v = v * c - w[..., None] * s * axis - s * cross(v, axis)
    swing = np.concatenate([sw_w, sw_v], -1)
    return quat_wxyz_to_rotvec_fast(swing), twist


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
