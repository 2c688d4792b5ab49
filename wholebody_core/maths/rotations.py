"""Rotation conversions with any number of leading batch dimensions.

Quaternions are always scalar-first: ``quat_wxyz`` (..., 4). Rotation vectors
(axis-angle) are ``rotvec`` (..., 3), rotation matrices ``rotmat`` (..., 3, 3).
Thin wrappers around ``scipy.spatial.transform.Rotation`` that keep the batch shape.
"""
from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from .quaternions import quat_wxyz_to_rotvec, rotvec_to_quat_wxyz  # noqa: F401 - re-exported


def rotvec_to_rotmat(rotvec: np.ndarray) -> np.ndarray:
    """(..., 3) axis-angle -> (..., 3, 3) rotation matrices."""
    rotvec = np.asarray(rotvec, dtype=np.float64)
    flat = rotvec.reshape(-1, 3)
    return Rotation.from_rotvec(flat).as_matrix().reshape(rotvec.shape[:-1] + (3, 3))


def rotmat_to_rotvec(rotmat: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotation matrices -> (..., 3) axis-angle with angle in [0, pi]."""
    rotmat = np.asarray(rotmat, dtype=np.float64)
    flat = rotmat.reshape(-1, 3, 3)
    return Rotation.from_matrix(flat).as_rotvec().reshape(rotmat.shape[:-2] + (3,))


def rotmat_to_quat_wxyz(rotmat: np.ndarray) -> np.ndarray:
    """(..., 3, 3) -> (..., 4) unit quaternions, scalar first, w >= 0."""
    return rotvec_to_quat_wxyz(rotmat_to_rotvec(rotmat))


def quat_wxyz_to_rotmat(quat_wxyz: np.ndarray) -> np.ndarray:
    """(..., 4) scalar-first quaternions -> (..., 3, 3)."""
    return rotvec_to_rotmat(quat_wxyz_to_rotvec(quat_wxyz))


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest rotation taking direction ``a`` onto direction ``b``.

    Args:
        a, b: (..., 3) non-zero vectors (normalised here).
    Returns:
        (..., 3, 3) rotation matrices R with R @ a_hat = b_hat. For opposite
        vectors, a half turn about an axis perpendicular to ``a``.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    a = a / np.linalg.norm(a, axis=-1, keepdims=True).clip(1e-12)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True).clip(1e-12)
    axis = np.cross(a, b)
    sin = np.linalg.norm(axis, axis=-1, keepdims=True)
    cos = np.sum(a * b, axis=-1, keepdims=True)
    angle = np.arctan2(sin, cos)
    # Axis for the degenerate (parallel or opposite) case: perpendicular to a.
    helper = np.where(np.abs(a[..., :1]) < 0.9, np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))
    perp = np.cross(a, helper)
    perp /= np.linalg.norm(perp, axis=-1, keepdims=True)
    axis = np.where(sin > 1e-9, axis / sin.clip(1e-12), perp)
    return rotvec_to_rotmat(axis * angle)


def geodesic_angle(rotmat_a: np.ndarray, rotmat_b: np.ndarray) -> np.ndarray:
    """Angle in radians of rotmat_a^T rotmat_b: (..., 3, 3) x2 -> (...)."""
    rel = np.swapaxes(rotmat_a, -1, -2) @ rotmat_b
    cos = (np.trace(rel, axis1=-2, axis2=-1) - 1.0) / 2.0
    return np.arccos(np.clip(cos, -1.0, 1.0))
