"""Rotated crops (MediaPipe's "NormalizedRect" ROIs): their geometry, in image pixels.

This module owns every conversion between image pixels and a crop's normalised
coordinates or pixel indices; warping the image itself is ``landmarks/roi.py``.

Facts taken from MediaPipe (google-ai-edge/mediapipe, files named below), checked
with the search tool rather than guessed:

- AlignmentPointsRectsCalculator (``calculators/util/alignment_points_to_rects_
  calculator.cc``, used by ``modules/pose_landmark/pose_detection_to_roi.pbtxt``):
  the rect is centred on the start keypoint, its side is twice the distance from
  the start to the end keypoint (in pixels), and its rotation is
  ``normalize(target_angle - atan2(-(y1 - y0), x1 - x0))``.
- RectTransformationCalculator: the shift is applied along the rotated rect's own
  axes (``shift_x * width``, ``shift_y * height``), then ``square_long`` makes the
  side the longer one, then the sides are multiplied by ``scale_x``/``scale_y``.
- LandmarkProjectionCalculator / WorldLandmarkProjectionCalculator: a point at
  normalised crop coordinates (x, y) lands at ``centre + R(rotation) @ ((x - 0.5) *
  width, (y - 0.5) * height)``; world landmarks are rotated by the same R in the
  x-y plane (z unchanged).
- ImageToTensorCalculator maps the rect onto the model's input with a perspective
  warp; ``keep_aspect_ratio`` letterboxes (BORDER_ZERO for the detector,
  BORDER_REPLICATE, the default, for the landmark models).

Coordinates: image pixels with integer centres (OpenCV's convention, as in the
test media's ground truth): pixel (i, j) covers [i - 0.5, i + 0.5] x [j - 0.5, j + 0.5];
image axes x right, y down. Normalised crop coordinates span the crop's edges
([0, 1], MediaPipe's convention). A rotation of +a turns the crop's axes clockwise
on screen (y is down).
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np


@dataclasses.dataclass(frozen=True)
class RotatedRect:
    """A rotated rectangle in image pixels."""

    cx: float
    cy: float
    width: float
    height: float
    rotation: float  # radians

    def as_array(self) -> np.ndarray:
        """(5,) cx, cy, width, height, rotation."""
        return np.array([self.cx, self.cy, self.width, self.height, self.rotation], dtype=np.float64)

    @staticmethod
    def from_array(values: np.ndarray) -> "RotatedRect":
        v = [float(x) for x in np.asarray(values).reshape(-1)]
        if len(v) == 4:  # cx, cy, side, rotation
            return RotatedRect(v[0], v[1], v[2], v[2], v[3])
        return RotatedRect(*v[:5])


def normalize_radians(angle: float) -> float:
    """Angle wrapped into [-pi, pi)."""
    return angle - 2.0 * math.pi * math.floor((angle + math.pi) / (2.0 * math.pi))


def rotation_matrix_2d(rotation: float) -> np.ndarray:
    """(2, 2) R such that image = centre + R @ crop_offset."""
    c, s = math.cos(rotation), math.sin(rotation)
    return np.array([[c, -s], [s, c]], dtype=np.float64)


def rotation_from_points(start_px: np.ndarray, end_px: np.ndarray, target_angle: float) -> float:
    """MediaPipe's rect rotation that turns the start->end vector to ``target_angle``
    (radians, counter-clockwise on screen from +x, e.g. pi/2 = pointing up)."""
    dx = float(end_px[0] - start_px[0])
    dy = float(end_px[1] - start_px[1])
    return normalize_radians(target_angle - math.atan2(-dy, dx))


def rect_from_alignment_points(start_px: np.ndarray, end_px: np.ndarray, target_angle: float) -> RotatedRect:
    """AlignmentPointsRectsCalculator: centre at start, side 2 * |end - start|."""
    side = 2.0 * float(np.hypot(end_px[0] - start_px[0], end_px[1] - start_px[1]))
    rotation = rotation_from_points(start_px, end_px, target_angle)
    return RotatedRect(float(start_px[0]), float(start_px[1]), side, side, rotation)


def rect_from_points_bbox(points_px: np.ndarray, start: int, end: int, target_angle: float) -> RotatedRect:
    """DetectionsToRectsCalculator on a landmark-derived detection: the axis-aligned
    bounding box of ``points_px`` (N, 2) gives centre and size, ``points_px[start]``
    -> ``points_px[end]`` gives the rotation."""
    lo = points_px.min(axis=0)
    hi = points_px.max(axis=0)
    rotation = rotation_from_points(points_px[start], points_px[end], target_angle)
    return RotatedRect(float((lo[0] + hi[0]) / 2), float((lo[1] + hi[1]) / 2),
                       float(hi[0] - lo[0]), float(hi[1] - lo[1]), rotation)


def transform_rect(rect: RotatedRect, scale_x: float = 1.0, scale_y: float = 1.0,
                   shift_x: float = 0.0, shift_y: float = 0.0, square_long: bool = True) -> RotatedRect:
    """RectTransformationCalculator (shift along the rect's axes, square, scale)."""
    offset = rotation_matrix_2d(rect.rotation) @ np.array([rect.width * shift_x, rect.height * shift_y])
    width, height = rect.width, rect.height
    if square_long:
        width = height = max(width, height)
    return RotatedRect(rect.cx + float(offset[0]), rect.cy + float(offset[1]),
                       width * scale_x, height * scale_y, rect.rotation)


def crop_to_image(rect: RotatedRect, points_norm: np.ndarray) -> np.ndarray:
    """Normalised crop coordinates (..., 2) in [0, 1] -> image pixels (..., 2)."""
    pts = np.asarray(points_norm, dtype=np.float64)
    local = (pts - 0.5) * np.array([rect.width, rect.height])
    return local @ rotation_matrix_2d(rect.rotation).T + np.array([rect.cx, rect.cy])


def image_to_crop(rect: RotatedRect, points_px: np.ndarray) -> np.ndarray:
    """Image pixels (..., 2) -> normalised crop coordinates (..., 2); inverse of
    :func:`crop_to_image`."""
    pts = np.asarray(points_px, dtype=np.float64) - np.array([rect.cx, rect.cy])
    local = pts @ rotation_matrix_2d(rect.rotation)  # R^T applied to row vectors
    return local / np.array([rect.width, rect.height]) + 0.5


def rotate_xy(points: np.ndarray, rotation: float) -> np.ndarray:
    """Rotate (..., 3) points from the crop's axes into the image's axes (x, y by
    R(rotation), z unchanged), as WorldLandmarkProjectionCalculator does."""
    out = np.array(points, dtype=np.float64, copy=True)
    out[..., :2] = out[..., :2] @ rotation_matrix_2d(rotation).T
    return out


def rect_corners(rect: RotatedRect) -> np.ndarray:
    """(4, 2) corners: top-left, top-right, bottom-right, bottom-left of the crop."""
    return crop_to_image(rect, np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=np.float64))


def rect_bbox_xyxy(rect: RotatedRect) -> np.ndarray:
    """(4,) axis-aligned x0, y0, x1, y1 around the rotated rect."""
    corners = rect_corners(rect)
    return np.concatenate([corners.min(axis=0), corners.max(axis=0)])


def crop_pixel_to_image_matrix(rect: RotatedRect, out_width: int, out_height: int) -> np.ndarray:
    """(3, 3) affine: a crop pixel index (u, v, 1) -> its centre in image pixels."""
    # crop edge coordinates (u, v) in [0, out] -> image pixel coordinates: p = A @ u + b
    r = rotation_matrix_2d(rect.rotation)
    a = r @ np.diag([rect.width / out_width, rect.height / out_height])
    b = np.array([rect.cx, rect.cy]) - r @ np.array([rect.width / 2, rect.height / 2])
    # the crop's pixel index k has its centre at edge coordinate k + 0.5
    offset = a @ np.array([0.5, 0.5]) + b
    return np.array([[a[0, 0], a[0, 1], offset[0]], [a[1, 0], a[1, 1], offset[1]], [0, 0, 1.0]])


def crop_to_crop_matrix(dst: RotatedRect, dst_size: int, src: RotatedRect, src_size: int) -> np.ndarray:
    """(2, 3) affine: a pixel index of the ``dst`` crop -> the ``src`` crop's pixel
    index that shows the same image point (for ``cv2.WARP_INVERSE_MAP``)."""
    m = np.linalg.inv(crop_pixel_to_image_matrix(src, src_size, src_size)) @ \
        crop_pixel_to_image_matrix(dst, dst_size, dst_size)
    return m[:2]
