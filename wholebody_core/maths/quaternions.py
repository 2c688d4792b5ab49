"""Scalar-first unit quaternions (``quat_wxyz``, (..., 4)) in plain numpy.

numpy only (no scipy), so the Blender add-on can use it too, and fast on (T, 55)
arrays for the temporal filter. Small angles are handled with series expansions.
"""
from __future__ import annotations

import numpy as np

_SMALL_ANGLE = 1e-6


def rotvec_to_quat_wxyz(rotvec: np.ndarray) -> np.ndarray:
    """(..., 3) axis-angle -> (..., 4) unit quaternions; w >= 0 for angles up to pi."""
    rotvec = np.asarray(rotvec, dtype=np.float64)
    angle = np.linalg.norm(rotvec, axis=-1, keepdims=True)
    half = 0.5 * angle
    small = angle < _SMALL_ANGLE
    # sin(angle/2) / angle, with its series near zero
    scale = np.where(small, 0.5 - angle ** 2 / 48.0, np.sin(half) / np.where(small, 1.0, angle))
    return np.concatenate([np.cos(half), rotvec * scale], axis=-1)


def quat_wxyz_to_rotvec(quat_wxyz: np.ndarray) -> np.ndarray:
    """(..., 4) quaternions (normalised here) -> (..., 3) axis-angle, angle in [0, pi]."""
    quat = np.asarray(quat_wxyz, dtype=np.float64)
    quat = quat / np.linalg.norm(quat, axis=-1, keepdims=True)
    quat = np.where(quat[..., :1] < 0.0, -quat, quat)           # the short way round
    w = quat[..., :1]
    vec = quat[..., 1:]
    sin_half = np.linalg.norm(vec, axis=-1, keepdims=True)
    angle = 2.0 * np.arctan2(sin_half, w)
    small = sin_half < _SMALL_ANGLE
    scale = np.where(small, 2.0 / np.maximum(w, 1e-12), angle / np.where(small, 1.0, sin_half))
    return vec * scale


def quat_conjugate_wxyz(quat_wxyz: np.ndarray) -> np.ndarray:
    """(..., 4) -> (..., 4) the inverse rotation of unit quaternions."""
    return np.asarray(quat_wxyz, dtype=np.float64) * np.array([1.0, -1.0, -1.0, -1.0])


def quat_multiply_wxyz(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product a * b of (..., 4) scalar-first quaternions (a after b)."""
    aw, ax, ay, az = np.moveaxis(np.asarray(a, dtype=np.float64), -1, 0)
    bw, bx, by, bz = np.moveaxis(np.asarray(b, dtype=np.float64), -1, 0)
    return np.stack([
        aw * bw - ax * bx - ay * by - az * bz,
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
    ], axis=-1)


def make_quat_continuous(quat_wxyz: np.ndarray) -> np.ndarray:
    """Flips signs along axis 0 so consecutive quaternions lie in one hemisphere.

    Args:
        quat_wxyz: (N, ..., 4) a time series.
    Returns:
        (N, ..., 4) the same rotations, q_t . q_(t-1) >= 0.
    """
    quat_wxyz = np.array(quat_wxyz, dtype=np.float64, copy=True)
    if quat_wxyz.shape[0] < 2:
        return quat_wxyz
    dots = np.sum(quat_wxyz[1:] * quat_wxyz[:-1], axis=-1)
    flips = np.cumprod(np.where(dots < 0.0, -1.0, 1.0), axis=0)
    quat_wxyz[1:] *= flips[..., None]
    return quat_wxyz
