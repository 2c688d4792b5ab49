"""Axis-aligned boxes in pixels, ``xyxy`` = (x0, y0, x1, y1)."""
from __future__ import annotations

import numpy as np


def box_centre(boxes_xyxy: np.ndarray) -> np.ndarray:
    """(..., 4) -> (..., 2) centres."""
    return 0.5 * (boxes_xyxy[..., :2] + boxes_xyxy[..., 2:])


def box_area(boxes_xyxy: np.ndarray) -> np.ndarray:
    """(..., 4) -> (...) areas (0 for inverted boxes)."""
    boxes_xyxy = np.asarray(boxes_xyxy, dtype=np.float64)
    return (np.clip(boxes_xyxy[..., 2] - boxes_xyxy[..., 0], 0.0, None)
            * np.clip(boxes_xyxy[..., 3] - boxes_xyxy[..., 1], 0.0, None))


def box_iou(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """Intersection over union of every pair: (N, 4), (M, 4) xyxy -> (N, M)."""
    boxes_a = np.asarray(boxes_a, dtype=np.float64).reshape(-1, 4)
    boxes_b = np.asarray(boxes_b, dtype=np.float64).reshape(-1, 4)
    x0 = np.maximum(boxes_a[:, None, 0], boxes_b[None, :, 0])
    y0 = np.maximum(boxes_a[:, None, 1], boxes_b[None, :, 1])
    x1 = np.minimum(boxes_a[:, None, 2], boxes_b[None, :, 2])
    y1 = np.minimum(boxes_a[:, None, 3], boxes_b[None, :, 3])
    inter = np.clip(x1 - x0, 0.0, None) * np.clip(y1 - y0, 0.0, None)
    union = box_area(boxes_a)[:, None] + box_area(boxes_b)[None, :] - inter
    return np.where(union > 0.0, inter / np.maximum(union, 1e-12), 0.0)


def intersection_over_smaller(a: np.ndarray, b: np.ndarray) -> float:
    """Overlap of two (4,) boxes divided by the smaller box's area (1: one inside the other)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(w * h / max(smaller, 1e-9))
