"""Hands cropped from the body's landmarks, as MediaPipe Holistic does.

Facts from google-ai-edge/mediapipe ``modules/holistic_landmark/``:
- ``calculators/hand_detections_from_pose_to_rects_calculator.cc``: from the body's
  wrist, pinky and index points: middle = (2 index + pinky) / 3, centre = middle,
  side = 2 |middle - wrist| (the original heuristic; a newer revision fits the side
  from two distances instead), rotation so that wrist -> middle points up;
  ``hand_landmarks_from_pose_to_recrop_roi``: shift_y -0.1, scale 2.7, square_long
  (cross-checked against a Python port of the Holistic graph);
- ``hand_recrop_by_roi_cpu.pbtxt``: ``hand_recrop.tflite`` sees that ROI at
  256 x 256 in [0, 1] and returns 2 points (crop pixels): the new ROI is centred
  on the first, side 2 |p1 - p0|, rotation target -90 degrees, then shift_y -0.1,
  scale 1, square_long;
- ``modules/hand_landmark/hand_landmark_cpu.pbtxt``: 224 x 224 in [0, 1]; outputs
  ``Identity`` 21 x 3 (input pixels), ``Identity_1`` hand presence (probability,
  threshold 0.5), ``Identity_2`` handedness, ``Identity_3`` 21 x 3 world landmarks
  (metres, crop axes: rotate by the ROI rotation);
- ``hand_visibility_from_hand_landmarks_from_pose``: no hand when the body's wrist
  visibility is below 0.1.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from wholebody_core.errors import InputError
from wholebody_core.landmarks.roi import crop_image
from wholebody_core.maths.rotated_rect import (
    RotatedRect, crop_to_image, rect_from_alignment_points, rotate_xy, rotation_from_points, transform_rect,
)
from wholebody_core.models.assets import model_path
from wholebody_core.models.tflite_runner import TfliteModel

RECROP_SIZE = 256
HAND_SIZE = 224


@dataclasses.dataclass
class HandLandmarks:
    roi: RotatedRect          # the crop the hand model saw
    presence: float           # 0..1
    points_px: np.ndarray     # (21, 2) full frame
    world_cam: np.ndarray     # (21, 3) metres, camera-aligned axes, origin at the wrist
    handedness: float         # the model's own score (not used for left/right)


def hand_roi_from_body(wrist_px: np.ndarray, pinky_px: np.ndarray, index_px: np.ndarray) -> RotatedRect:
    """The re-crop search ROI from the body's wrist, pinky and index points (pixels)."""
    middle = (2.0 * np.asarray(index_px, float) + np.asarray(pinky_px, float)) / 3.0
    side = 2.0 * float(np.hypot(*(middle - np.asarray(wrist_px, float))))
    rotation = rotation_from_points(wrist_px, middle, math.pi / 2)
    raw = RotatedRect(float(middle[0]), float(middle[1]), side, side, rotation)
    return transform_rect(raw, 2.7, 2.7, shift_y=-0.1, square_long=True)


def hand_roi_from_recrop_points(points_px: np.ndarray) -> RotatedRect:
    """The hand landmark ROI from the re-crop model's 2 points (pixels)."""
    raw = rect_from_alignment_points(points_px[0], points_px[1], -math.pi / 2)
    return transform_rect(raw, 1.0, 1.0, shift_y=-0.1, square_long=True)


class HandLandmarker:
    """Re-crop model + hand landmark model for one hand at a time."""

    def __init__(self, num_threads: int = 2, models_dir=None, variant: str = "full"):
        if variant not in ("full", "lite"):
            raise InputError(f"hand model variant must be 'full' or 'lite', not {variant!r}.")
        self._recrop = TfliteModel(model_path("hand_recrop", models_dir), num_threads)
        self._recrop.require_outputs("output_crop")
        self._model = TfliteModel(model_path(f"hand_landmark_{variant}", models_dir), num_threads)
        self._model.require_outputs("Identity", "Identity_1", "Identity_2", "Identity_3")

    def roi_from_body(self, image_rgb: np.ndarray, wrist_px, pinky_px, index_px) -> RotatedRect:
        """Hand ROI for the landmark model, refined by the re-crop model."""
        search = hand_roi_from_body(wrist_px, pinky_px, index_px)
        crop = crop_image(image_rgb, search, RECROP_SIZE, RECROP_SIZE)
        out = self._recrop.run(crop.astype(np.float32)[None] / 255.0)
        pts = out["output_crop"].reshape(2, 2).astype(np.float64) / RECROP_SIZE
        return hand_roi_from_recrop_points(crop_to_image(search, pts))

    def __call__(self, image_rgb: np.ndarray, roi: RotatedRect) -> HandLandmarks:
        crop = crop_image(image_rgb, roi, HAND_SIZE, HAND_SIZE)
        out = self._model.run(crop.astype(np.float32)[None] / 255.0)
        lm = out["Identity"].reshape(21, 3).astype(np.float64)
        points_px = crop_to_image(roi, lm[:, :2] / HAND_SIZE)
        world = rotate_xy(out["Identity_3"].reshape(21, 3).astype(np.float64), roi.rotation)
        world -= world[0]
        return HandLandmarks(roi=roi, presence=float(out["Identity_1"].reshape(-1)[0]),
                             points_px=points_px, world_cam=world,
                             handedness=float(out["Identity_2"].reshape(-1)[0]))
