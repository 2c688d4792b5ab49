"""What a person's clothes look like: colour histograms of the torso and the legs.

Boxes and keypoints cannot tell two people apart where one passes in front of the
other (their boxes overlap, their keypoints may land on either), but clothes usually
can. The descriptor is two hue-saturation histograms (OpenCV's ``calcHist`` in HSV),
one of the torso (the shoulder-hip quadrilateral) and one of the upper legs (hips
to knees), each normalised to sum 1; two descriptors are compared with the
Bhattacharyya distance (``compareHist``, 0 = same colours, 1 = no colour in common),
the usual choice for colour histograms, averaged over the parts both show.

Hue and saturation only (no value bin): the same shirt in and out of shade keeps
its hue. Pixels with little saturation (greys, whites, blacks) would have an
unstable hue, so they share one extra "grey" bin per value band instead. The parts
are masked with the landmarks, so the floor around a thin person counts little.
"""
from __future__ import annotations

import cv2
import numpy as np

from ..landmarks.types import HIPS, KNEES, SHOULDERS

HUE_BINS = 16
SATURATION_BINS = 4
GREY_BANDS = 4                    # value bands of the low-saturation pixels
MIN_SATURATION = 40               # 0..255: below this a pixel's hue is not trusted
MIN_PART_PIXELS = 12              # a part smaller than this on screen is not described
PART_BINS = HUE_BINS * SATURATION_BINS + GREY_BANDS
NUM_PARTS = 2                     # torso, upper legs
DESCRIPTOR_SIZE = NUM_PARTS * PART_BINS


def _part_polygons(points_px: np.ndarray) -> list[np.ndarray]:
    """(33, 2) BlazePose points -> the torso quad and the upper-legs quad, (4, 2) each."""
    ls, rs = points_px[SHOULDERS[0]], points_px[SHOULDERS[1]]
    lh, rh = points_px[HIPS[0]], points_px[HIPS[1]]
    lk, rk = points_px[KNEES[0]], points_px[KNEES[1]]
    return [np.stack([ls, rs, rh, lh]), np.stack([lh, rh, rk, lk])]


def _histogram(hsv: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(h, w, 3) uint8 HSV, (h, w) uint8 mask -> (PART_BINS,) float32 counts."""
    saturated = cv2.inRange(hsv, (0, MIN_SATURATION, 0), (180, 256, 256))
    colour = cv2.calcHist([hsv], [0, 1], cv2.bitwise_and(mask, saturated), [HUE_BINS, SATURATION_BINS],
                          [0, 180, MIN_SATURATION, 256]).reshape(-1)
    grey = cv2.calcHist([hsv], [2], cv2.bitwise_and(mask, cv2.bitwise_not(saturated)), [GREY_BANDS],
                        [0, 256]).reshape(-1)
    return np.concatenate([colour, grey]).astype(np.float32)


def appearance_descriptor(image_rgb: np.ndarray, points_px: np.ndarray) -> np.ndarray:
    """One person's clothing colours.

    Args:
        image_rgb: (H, W, 3) uint8 RGB frame.
        points_px: (33, 2) BlazePose body landmarks, pixels of that frame.
    Returns:
        (DESCRIPTOR_SIZE,) float32: the torso's then the upper legs' histogram, each
        summing to 1, or all zeros for a part too small or outside the image (not
        described).
    """
    height, width = image_rgb.shape[:2]
    polygons = _part_polygons(np.asarray(points_px, dtype=np.float64))
    corners = np.concatenate(polygons)
    x0, y0 = np.floor(np.clip(corners.min(axis=0), 0, [width - 1, height - 1])).astype(int)
    x1, y1 = np.ceil(np.clip(corners.max(axis=0), 0, [width - 1, height - 1])).astype(int) + 1
    out = np.zeros(DESCRIPTOR_SIZE, dtype=np.float32)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return out
    hsv = cv2.cvtColor(np.ascontiguousarray(image_rgb[y0:y1, x0:x1]), cv2.COLOR_RGB2HSV)
    for part, polygon in enumerate(polygons):
        mask = np.zeros(hsv.shape[:2], dtype=np.uint8)
        local = np.round(polygon - [x0, y0]).astype(np.int32)
        cv2.fillPoly(mask, [cv2.convexHull(local)], 255)
        hist = _histogram(hsv, mask)
        total = float(hist.sum())
        if total >= MIN_PART_PIXELS:
            out[part * PART_BINS:(part + 1) * PART_BINS] = hist / total
    return out


def appearance_part_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Bhattacharyya distance of every pair of descriptors, part by part.

    Args:
        a: (N, DESCRIPTOR_SIZE), b: (M, DESCRIPTOR_SIZE) descriptors.
    Returns:
        (N, M, NUM_PARTS) distances in [0, 1]; NaN where a part is not described in both.
    """
    a = np.asarray(a, dtype=np.float64).reshape(-1, NUM_PARTS, PART_BINS)
    b = np.asarray(b, dtype=np.float64).reshape(-1, NUM_PARTS, PART_BINS)
    # the Bhattacharyya coefficient of normalised histograms (what compareHist's
    # HISTCMP_BHATTACHARYYA computes), for every pair and part at once
    coefficient = np.einsum("npk,mpk->nmp", np.sqrt(a), np.sqrt(b))
    described = (a.sum(axis=-1) > 0.5)[:, None, :] & (b.sum(axis=-1) > 0.5)[None, :, :]
    return np.where(described, np.sqrt(np.clip(1.0 - coefficient, 0.0, 1.0)), np.nan)


def appearance_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Bhattacharyya distance of descriptors, averaged over the parts both describe.

    Args:
        a: (N, DESCRIPTOR_SIZE), b: (M, DESCRIPTOR_SIZE) descriptors.
    Returns:
        (N, M) distances in [0, 1]; NaN where no part is described in both.
    """
    parts = appearance_part_distances(a, b)
    count = np.isfinite(parts).sum(axis=-1)
    return np.where(count > 0, np.nansum(parts, axis=-1) / np.maximum(count, 1), np.nan)


def blend_descriptor(running: np.ndarray, new: np.ndarray, weight_new: float) -> np.ndarray:
    """A track's running descriptor updated with one new observation, part by part
    (a part the new one does not describe keeps its old histogram, and vice versa)."""
    running = np.asarray(running, dtype=np.float32).reshape(NUM_PARTS, PART_BINS)
    new = np.asarray(new, dtype=np.float32).reshape(NUM_PARTS, PART_BINS)
    old_ok = running.sum(axis=-1, keepdims=True) > 0.5
    new_ok = new.sum(axis=-1, keepdims=True) > 0.5
    blended = np.where(old_ok & new_ok, (1.0 - weight_new) * running + weight_new * new,
                       np.where(new_ok, new, running))
    return blended.reshape(-1).astype(np.float32)
