"""Pinhole camera geometry in the OpenCV camera frame (x right, y down, z forward).

Pixel (u, v) = K (x/z, y/z, 1). The one place intrinsics are built from the user's
focal-length options.
"""
from __future__ import annotations

import math

import numpy as np

DEFAULT_HORIZONTAL_FOV_DEG = 60.0
"""Used when the user gives no focal length: a typical phone or action camera
(a 30 mm full-frame-equivalent lens has about 62 degrees)."""


def intrinsics_from_focal_px(focal_px: float, width: int, height: int) -> np.ndarray:
    """(3, 3) K with square pixels and the principal point at the image centre."""
    return np.array(
        [[focal_px, 0.0, width / 2.0], [0.0, focal_px, height / 2.0], [0.0, 0.0, 1.0]]
    )


def focal_px_from_mm(focal_mm: float, sensor_width_mm: float, width: int) -> float:
    """Focal length in pixels from a lens focal length and the sensor width."""
    return focal_mm / sensor_width_mm * width


FULL_FRAME_DIAGONAL_MM = math.hypot(36.0, 24.0)   # 43.27 mm


def focal_px_from_35mm_equivalent(focal_35mm: float, width: int, height: int) -> float:
    """Focal length in pixels from a 35 mm-equivalent focal length (equivalence on the diagonal)."""
    return focal_35mm * math.hypot(width, height) / FULL_FRAME_DIAGONAL_MM


def focal_px_from_fov(horizontal_fov_deg: float, width: int) -> float:
    return (width / 2.0) / math.tan(math.radians(horizontal_fov_deg) / 2.0)


def project(points_cam: np.ndarray, intrinsics: np.ndarray) -> np.ndarray:
    """(..., 3) camera-frame points -> (..., 2) pixels."""
    z = np.clip(points_cam[..., 2:3], 1e-6, None)
    uv1 = (points_cam / z) @ intrinsics.T
    return uv1[..., :2]


def backproject(pixels: np.ndarray, depth: np.ndarray, intrinsics: np.ndarray) -> np.ndarray:
    """(..., 2) pixels and (...) depths z -> (..., 3) camera-frame points."""
    fx, fy, cx, cy = intrinsics[0, 0], intrinsics[1, 1], intrinsics[0, 2], intrinsics[1, 2]
    x = (pixels[..., 0] - cx) / fx * depth
    y = (pixels[..., 1] - cy) / fy * depth
    return np.stack([x, y, depth], axis=-1)
