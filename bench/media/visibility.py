"""Which joints and vertices of a person are hidden by *another* person (numpy + OpenCV).

Each body's triangles are rasterised into a depth map (nearest surface per pixel,
painter's order); a point of person p is occluded where another person's depth map
is nearer than the point by more than a margin. Self-occlusion is ignored (a joint
is inside its own body).
"""
from __future__ import annotations

import cv2
import numpy as np

MARGIN_M = 0.05


def depth_map(points_cam: np.ndarray, points_2d: np.ndarray, triangles: np.ndarray,
              width: int, height: int) -> np.ndarray:
    """(H, W) float32 depth of the nearest triangle, +inf where none.

    Args:
        points_cam: (V, 3) OpenCV camera frame; points_2d: (V, 2) their pixels;
        triangles: (F, 3) vertex indices.
    """
    depth = np.full((height, width), np.inf, np.float32)
    z = points_cam[triangles, 2].mean(axis=1)
    tri2d = points_2d[triangles]
    lo, hi = tri2d.min(axis=1), tri2d.max(axis=1)
    keep = ((z > 0.05) & (hi[:, 0] >= 0) & (lo[:, 0] < width) & (hi[:, 1] >= 0) & (lo[:, 1] < height))
    order = np.flatnonzero(keep)[np.argsort(-z[keep])]          # far to near: nearest wins
    # Draw in fixed-point pixel coordinates (OpenCV pixel centres at integers).
    shift = 4
    pts = np.round(tri2d * (1 << shift)).astype(np.int32)
    for i in order:
        cv2.fillConvexPoly(depth, pts[i], float(z[i]), lineType=cv2.LINE_8, shift=shift)
    return depth


def occluded(points_cam: np.ndarray, points_2d: np.ndarray, others: list[np.ndarray]) -> np.ndarray:
    """(N,) bool: some other person's surface is in front of the point."""
    if not others:
        return np.zeros(len(points_cam), dtype=bool)
    h, w = others[0].shape
    px = np.round(points_2d).astype(np.int64)
    inside = (px[:, 0] >= 0) & (px[:, 0] < w) & (px[:, 1] >= 0) & (px[:, 1] < h)
    out = np.zeros(len(points_cam), dtype=bool)
    idx = np.flatnonzero(inside)
    for dm in others:
        nearest = dm[px[idx, 1], px[idx, 0]]
        out[idx] |= nearest < points_cam[idx, 2] - MARGIN_M
    return out
