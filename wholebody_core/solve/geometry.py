"""Batched closed-form rotation fits used by the solver (twist, Kabsch, Umeyama;
the conversions live in wholebody_core/maths/rotations.py) (numpy, leading batch dims).

Everything here works on arrays with any leading batch shape ``...`` and never
loops in Python over the batch.
"""
from __future__ import annotations

import numpy as np

from ..maths.rotations import cross, normalize, quat_wxyz_to_rotvec, rotmat_to_quat_wxyz

_EPS = 1e-12


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
    q = rotmat_to_quat_wxyz(rotmat)
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
    return quat_wxyz_to_rotvec(swing), twist


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
