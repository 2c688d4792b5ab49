"""BlazePose GHUM full body landmarks (``pose_landmark_full.tflite``) on one crop.

Facts from ``modules/pose_landmark/pose_landmark_by_roi_cpu.pbtxt``,
``tensors_to_pose_landmarks_and_segmentation.pbtxt`` and
``pose_landmarks_to_roi.pbtxt`` (google-ai-edge/mediapipe):
- input: the ROI warped to 256 x 256, values in [0, 1];
- output ``Identity`` (1, 195) = 39 x (x, y, z, visibility, presence), x, y in input
  pixels, visibility/presence logits (sigmoid); 0..32 are the body landmarks,
  33 and 34 the auxiliary points that give the next frame's ROI;
- ``Identity_1``: pose presence score (a probability, threshold 0.5);
- ``Identity_2`` (1, 256, 256, 1): person segmentation logits in the crop
  (TensorsToSegmentationCalculator, SIGMOID); we use it to paint over people already
  found when a crop of a person behind them comes back with the front person;
- ``Identity_4`` (1, 117) = 39 x 3 world landmarks in metres, origin between the
  hips, in the crop's axes (WorldLandmarkProjectionCalculator rotates them by the
  ROI rotation);
- tracking ROI: centre aux 33, side 2 |aux34 - aux33|, rotation target 90 degrees,
  scale 1.25, square_long.
- RefineLandmarksFromHeatmapCalculator (``calculators/util/refine_landmarks_from_
  heatmap_calculator.cc``, kernel_size 7): each landmark's x, y become the
  sigmoid-weighted mean position over a 7 x 7 window of its channel of the 64 x 64
  heatmap ``Identity_3`` around it, when the window's peak is confident enough.
  MediaPipe divides the cell index by 64 (not the cell centre); so do we.
"""
from __future__ import annotations

import dataclasses
import math

import cv2
import numpy as np

from wholebody_core.landmarks.roi import crop_image
from wholebody_core.landmarks.types import HIPS
from wholebody_core.maths.rotated_rect import (
    RotatedRect, crop_to_crop_matrix, crop_to_image, rect_from_alignment_points, rotate_xy, transform_rect,
)
from wholebody_core.models.assets import model_path
from wholebody_core.models.tflite_runner import TfliteModel

INPUT_SIZE = 256
NUM_BODY = 33
NUM_ALL = 39
# Where a heatmap cell's weight sits, in cells: MediaPipe divides the cell index by
# the heatmap size (0), the position the network was trained to. Cell centres (+0.5,
# used here before issue 10) moved every refined landmark half a cell (2-4 px on a
# 350 px crop) down and right of both MediaPipe's graph and the ground truth: on the
# rendered stills the median 2D error to the ground truth was 3.3-5.5 px against
# MediaPipe's 1.8-3.4; with 0 it is 1.7-2.7 px (bench/diff_mediapipe.py).
CELL_OFFSET = 0.0


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60.0, 60.0)))


@dataclasses.dataclass
class BodyLandmarks:
    """One person's body landmarks from one crop (pixels in the full frame)."""

    roi: RotatedRect           # the crop the model saw
    presence: float            # 0..1
    points_px: np.ndarray      # (33, 2)
    visibility: np.ndarray     # (33,) 0..1
    world_cam: np.ndarray      # (33, 3) metres, camera-aligned axes, origin mid-hip
    next_roi: RotatedRect      # MediaPipe's tracking ROI for the next frame
    mask_logits: np.ndarray | None = None  # (256, 256) person segmentation in the crop (logits)
    appearance: np.ndarray | None = None   # (D,) clothing descriptor (tracking/appearance.py), once computed


def roi_from_aux_points(aux_px: np.ndarray) -> RotatedRect:
    """(2, 2) auxiliary landmarks 33, 34 in pixels -> body ROI."""
    raw = rect_from_alignment_points(aux_px[0], aux_px[1], math.pi / 2)
    return transform_rect(raw, 1.25, 1.25, square_long=True)


def refine_from_heatmap(points_norm: np.ndarray, heatmap: np.ndarray, kernel_size: int = 7,
                        min_confidence: float = 0.5) -> np.ndarray:
    """(N, 2) normalised crop points, (h, w, N) heatmap logits -> refined (N, 2).

    Cells outside the heatmap count as zero confidence (MediaPipe shrinks the window)."""
    h, w, n = heatmap.shape
    out = np.array(points_norm, dtype=np.float64, copy=True)
    count = min(n, len(out))
    col = np.floor(out[:count, 0] * w).astype(np.int64)
    row = np.floor(out[:count, 1] * h).astype(np.int64)
    inside = (col >= 0) & (col < w) & (row >= 0) & (row < h)
    offset = (kernel_size - 1) // 2
    steps = np.arange(-offset, offset + 1)
    rows = row[:, None] + steps            # (count, k)
    cols = col[:, None] + steps
    valid = ((rows >= 0) & (rows < h))[:, :, None] & ((cols >= 0) & (cols < w))[:, None, :]
    logits = heatmap[np.clip(rows, 0, h - 1)[:, :, None], np.clip(cols, 0, w - 1)[:, None, :],
                     np.arange(count)[:, None, None]].astype(np.float64)
    conf = np.where(valid, 1.0 / (1.0 + np.exp(-logits)), 0.0)   # (count, k, k)
    total = conf.sum(axis=(1, 2))
    ok = inside & (conf.max(axis=(1, 2)) >= min_confidence) & (total > 0)
    safe = np.where(total > 0, total, 1.0)
    mean_row = (conf * rows[:, :, None]).sum(axis=(1, 2)) / safe
    mean_col = (conf * cols[:, None, :]).sum(axis=(1, 2)) / safe
    out[:count, 0] = np.where(ok, (mean_col + CELL_OFFSET) / w, out[:count, 0])
    out[:count, 1] = np.where(ok, (mean_row + CELL_OFFSET) / h, out[:count, 1])
    return out


def decode_body_outputs(landmarks_raw: np.ndarray, world_raw: np.ndarray, presence: float,
                        roi: RotatedRect, heatmap: np.ndarray | None = None) -> BodyLandmarks:
    """Raw model outputs (195,), (117,), optional (64, 64, 39) heatmap ->
    :class:`BodyLandmarks` in the full frame."""
    lm = landmarks_raw.reshape(NUM_ALL, 5).astype(np.float64)
    points_norm = lm[:, :2] / INPUT_SIZE
    if heatmap is not None:
        points_norm = refine_from_heatmap(points_norm, heatmap)
    points_px = crop_to_image(roi, points_norm)
    world = rotate_xy(world_raw.reshape(NUM_ALL, 3)[:NUM_BODY].astype(np.float64), roi.rotation)
    world -= (world[HIPS[0]] + world[HIPS[1]]) / 2.0
    return BodyLandmarks(
        roi=roi, presence=float(presence), points_px=points_px[:NUM_BODY],
        visibility=_sigmoid(lm[:NUM_BODY, 3]), world_cam=world,
        next_roi=roi_from_aux_points(points_px[NUM_BODY:NUM_BODY + 2]),
    )


class BodyLandmarker:
    """Runs the body landmark model on a rotated crop."""

    def __init__(self, num_threads: int = 2, models_dir=None, refine: bool = True):
        self._model = TfliteModel(model_path("pose_landmark_full", models_dir), num_threads)
        self._model.require_outputs("Identity", "Identity_1", "Identity_2", "Identity_3", "Identity_4")
        self.refine = refine

    def __call__(self, image_rgb: np.ndarray, roi: RotatedRect,
                 occluders: list[BodyLandmarks] | None = None) -> BodyLandmarks:
        """Landmarks of the person in ``roi``; ``occluders``: people already found
        whose segmentation is painted over (with the crop's median colour) first, so
        that the model sees the person partly hidden behind them."""
        crop = crop_image(image_rgb, roi, INPUT_SIZE, INPUT_SIZE)
        if occluders:
            crop = paint_over(crop, roi, occluders)
        out = self._model.run(crop.astype(np.float32)[None] / 255.0)
        body = decode_body_outputs(out["Identity"][0], out["Identity_4"][0],
                                   float(out["Identity_1"].reshape(-1)[0]), roi,
                                   out["Identity_3"][0] if self.refine else None)
        body.mask_logits = out["Identity_2"][0, :, :, 0]
        return body


def paint_over(crop: np.ndarray, roi: RotatedRect, occluders: list[BodyLandmarks]) -> np.ndarray:
    """(S, S, 3) crop of ``roi`` with every occluder's segmented pixels (mask > 0.5)
    replaced by the median colour of the rest."""
    size = crop.shape[0]
    covered = np.zeros(crop.shape[:2], bool)
    for other in occluders:
        if other.mask_logits is None:
            continue
        matrix = crop_to_crop_matrix(roi, size, other.roi, other.mask_logits.shape[0])
        logits = cv2.warpAffine(other.mask_logits.astype(np.float32), matrix, (size, size),
                                flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=-20.0)
        covered |= logits > 0.0
    if not covered.any() or covered.all():
        return crop
    out = crop.copy()
    out[covered] = np.median(crop[~covered], axis=0).astype(crop.dtype)
    return out
