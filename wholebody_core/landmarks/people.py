"""Telling people apart: duplicates, body parts read as people, heads.

The same person is often found twice (the detector's full frame and tiles, last
frame's crop); a crop can also come back with a limb read as a small person, or
with the person in front instead of the one behind. These rules decide, from the
landmarks, the boxes and the body model's segmentation, which results to keep.
"""
from __future__ import annotations

import numpy as np

from wholebody_core.detection.nms import iou_xyxy
from wholebody_core.detection.types import PersonDetection
from wholebody_core.landmarks.body import BodyLandmarks
from wholebody_core.landmarks.roi import image_to_crop

# shoulders, elbows, wrists, hips, knees, ankles
MAIN_JOINTS = np.array([11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28])
DUPLICATE_JOINT_DISTANCE = 0.1  # median main-joint distance / body box height
# A body crop's side is ~1.3x the person's height (BlazePose's ROI); a result much
# smaller than its crop is a body part read as a person.
MIN_BODY_TO_CROP = 0.35
HEAD_AND_SHOULDERS = np.array([0, 11, 12])
# A person must show this many landmarks (visibility > 0.5, inside the image);
# hallucinations on floors and walls score ~0, real people 15-33 (measured on renders).
MIN_VISIBLE_LANDMARKS = 6


def count_visible_in_image(body: BodyLandmarks, width: int, height: int) -> int:
    """How many of the 33 landmarks are visible (> 0.5) and inside the image."""
    x, y = body.points_px[:, 0], body.points_px[:, 1]
    inside = (x >= -0.5) & (x < width - 0.5) & (y >= -0.5) & (y < height - 0.5)
    return int(((body.visibility > 0.5) & inside).sum())


def on_silhouette(points_px: np.ndarray, other: BodyLandmarks) -> np.ndarray:
    """(N, 2) image points -> (N,) bool: inside ``other``'s segmentation mask."""
    if other.mask_logits is None:
        return np.zeros(len(points_px), bool)
    size = other.mask_logits.shape[0]
    uv = np.floor(image_to_crop(other.roi, points_px) * size).astype(np.int64)
    inside = ((uv >= 0) & (uv < size)).all(axis=1)
    uv = np.clip(uv, 0, size - 1)
    return inside & (other.mask_logits[uv[:, 1], uv[:, 0]] > 0.0)


def intersection_over_smaller(a: np.ndarray, b: np.ndarray) -> float:
    """Overlap of two (4,) boxes divided by the smaller box's area."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(w * h / max(smaller, 1e-9))


def body_bbox_xyxy(points_px: np.ndarray) -> np.ndarray:
    """(33, 2) -> (4,) tight box of the body landmarks (occluded ones included)."""
    return np.concatenate([points_px.min(axis=0), points_px.max(axis=0)]).astype(np.float32)


def is_duplicate(body: BodyLandmarks, bbox: np.ndarray, accepted: list[tuple[BodyLandmarks, np.ndarray, float]],
                 duplicate_iou: float = 0.8) -> bool:
    """Whether ``body`` (its box ``bbox``) repeats, or is a part of, a person in
    ``accepted`` (body, box, score) rather than someone else."""
    if not accepted:
        return False
    boxes = np.stack([a[1] for a in accepted])
    if np.any(iou_xyxy(bbox, boxes) > duplicate_iou):
        return True
    for other, other_box, other_score in accepted:
        scale = max(bbox[3] - bbox[1], other_box[3] - other_box[1], 1.0)
        d = np.linalg.norm(body.points_px[MAIN_JOINTS] - other.points_px[MAIN_JOINTS], axis=1)
        if np.median(d) < DUPLICATE_JOINT_DISTANCE * scale:
            return True
        # two people cannot share a head and shoulders (the other joints of a
        # partial duplicate can be far off)
        head = np.linalg.norm(body.points_px[HEAD_AND_SHOULDERS] - other.points_px[HEAD_AND_SHOULDERS], axis=1)
        if head.mean() < DUPLICATE_JOINT_DISTANCE * 0.5 * scale:
            return True
        # much smaller and mostly inside the other's box: a limb read as a person
        # (someone that small right behind a person would hardly be visible)
        if (intersection_over_smaller(bbox, other_box) > 0.6
                and bbox[3] - bbox[1] < 0.35 * (other_box[3] - other_box[1])):
            return True
        # parts of the other person read as a smaller person: mostly inside the
        # other's box and largely on the other's silhouette
        if intersection_over_smaller(bbox, other_box) > 0.6:
            on_other = on_silhouette(body.points_px, other).mean()
            smaller_person = bbox[3] - bbox[1] < 0.6 * (other_box[3] - other_box[1])
            if on_other >= 0.6 or (smaller_person and on_other >= 0.4):
                return True
        # a second skeleton inside the first one: with the head in the same place,
        # or wholly inside and less sure (a person hidden that much is lost anyway)
        smaller = min(bbox[3] - bbox[1], other_box[3] - other_box[1])
        nose_gap = np.linalg.norm(body.points_px[0] - other.points_px[0])
        inside = intersection_over_smaller(bbox, other_box)
        if inside > 0.7 and nose_gap < DUPLICATE_JOINT_DISTANCE * 1.5 * smaller:
            return True
        if inside > 0.9 and body.presence < other_score:
            return True
    return False


def head_matches(det: PersonDetection, body: BodyLandmarks) -> bool:
    """The body's nose lies on the detector's head box (within one box side)."""
    cx = (det.bbox_xyxy[0] + det.bbox_xyxy[2]) / 2
    cy = (det.bbox_xyxy[1] + det.bbox_xyxy[3]) / 2
    radius = max(det.bbox_xyxy[2] - det.bbox_xyxy[0], det.bbox_xyxy[3] - det.bbox_xyxy[1], 1.0)
    return bool(np.hypot(body.points_px[0, 0] - cx, body.points_px[0, 1] - cy) < radius)
