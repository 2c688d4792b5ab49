"""Rotation conversions and constructions, any number of leading batch dimensions.

Quaternions are always scalar-first: ``quat_wxyz`` (..., 4). Rotation vectors
(axis-angle) are ``rotvec`` (..., 3), rotation matrices ``rotmat`` (..., 3, 3).
Plain numpy, closed forms, no Python loops over the batch (tested against scipy's
``Rotation`` in tests/core/maths and tests/core/solve/test_solve_geometry.py).
"""
from __future__ import annotations

import numpy as np

from .quaternions import quat_wxyz_to_rotvec, rotvec_to_quat_wxyz  # noqa: F401 - re-exported

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


def rotvec_to_rotmat(rotvec: np.ndarray) -> np.ndarray:
    """(..., 3) axis-angle -> (..., 3, 3) (small angles handled)."""
    rotvec = np.asarray(rotvec, dtype=np.float64)
    angle = np.linalg.norm(rotvec, axis=-1)
    axis = np.where(angle[..., None] > 1e-12, rotvec / np.maximum(angle, 1e-12)[..., None],
                    np.array([1.0, 0.0, 0.0]))
    return axis_angle_rotmat(axis, angle)


def rotmat_to_quat_wxyz(rotmat: np.ndarray) -> np.ndarray:
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


def rotmat_to_rotvec(rotmat: np.ndarray) -> np.ndarray:
    """(..., 3, 3) -> (..., 3) axis-angle, angle in [0, pi]."""
    return quat_wxyz_to_rotvec(rotmat_to_quat_wxyz(rotmat))


def quat_wxyz_to_rotmat(quat_wxyz: np.ndarray) -> np.ndarray:
    """(..., 4) scalar-first quaternions (normalised here) -> (..., 3, 3)."""
    return rotvec_to_rotmat(quat_wxyz_to_rotvec(quat_wxyz))


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
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


def geodesic_angle(rotmat_a: np.ndarray, rotmat_b: np.ndarray) -> np.ndarray:
    """Angle in radians of rotmat_a^T rotmat_b: (..., 3, 3) x2 -> (...)."""
    rel = np.swapaxes(rotmat_a, -1, -2) @ rotmat_b
    cos = (np.trace(rel, axis1=-2, axis2=-1) - 1.0) / 2.0
    return np.arccos(np.clip(cos, -1.0, 1.0))
