"""Face mesh (468 points) and irises, cropped from the body's face landmarks.

Facts from google-ai-edge/mediapipe:
- ``modules/holistic_landmark/face_landmarks_from_pose_to_recrop_roi.pbtxt``: the
  face ROI from the body's 11 face points (0..10): their bounding box, rotation from
  the right eye (5) to the left eye (2) with target angle 0. (Holistic then runs a
  face detector in 3x that box; we instead run the mesh model twice, the second time
  on the ROI from the first mesh, as MediaPipe's tracking does.)
- ``modules/face_landmark/face_landmark_landmarks_to_roi.pbtxt``: the ROI from a mesh:
  bounding box of the 468 points, rotation 33 -> 133 with target 0, scale 1.5,
  square_long.
- ``face_landmark_cpu.pbtxt`` (the ImageToTensor revision, e.g. in the
  Presage-Security/mediapipe mirror): 192 x 192 crop in [0, 1]; outputs 468 x 3 in
  input pixels (``conv2d_21``) and a face flag (``conv2d_31``) with SIGMOID
  activation, threshold 0.5 (a blank crop gives a logit of about -12).
- ``modules/iris_landmark/``: eye ROIs from the corner points (33, 133) and
  (362, 263): bounding box, rotation start -> end with target 0, scale 2.3,
  square_long; 64 x 64 crop in [0, 1]; the model knows one eye only, the
  (362, 263) eye is flipped horizontally before and after; ``output_iris`` is
  5 x 3 (centre first) in input pixels.
Which eye is the person's own left was checked on a rendered person (tests).
"""
from __future__ import annotations

import dataclasses
import math
import time

import numpy as np

from wholebody_core.landmarks.roi import crop_image
from wholebody_core.landmarks.types import BODY_FACE_POINTS, BODY_INDEX, body_indices
from wholebody_core.maths.rotated_rect import (
    RotatedRect, crop_to_image, rect_from_points_bbox, rotate_xy, rotation_from_points, transform_rect,
)
from wholebody_core.models.assets import model_path
from wholebody_core.models.tflite_runner import TfliteModel

FACE_SIZE = 192
IRIS_SIZE = 64
# the face points' own indices are BlazePose's (they start at the nose, 0)
BODY_RIGHT_EYE, BODY_LEFT_EYE = BODY_INDEX["right_eye"], BODY_INDEX["left_eye"]
BODY_MOUTH = body_indices("mouth_left", "mouth_right")
# Face mesh eye corners: (start, end) for the ROI rotation; the first eye is fed to
# the iris model as is, the second flipped. Own side established on renders.
EYE_CORNERS_UNFLIPPED = (33, 133)
EYE_CORNERS_FLIPPED = (362, 263)
FACE_FLAG_THRESHOLD = 0.5
BODY_FACE_SCALES = (1.3, 1.05)  # first try, second try


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, x))))


@dataclasses.dataclass
class FaceLandmarks:
    roi: RotatedRect
    presence: float            # 0..1
    points_px: np.ndarray      # (468, 2)
    points_3d: np.ndarray      # (468, 3) camera-aligned, pixel-scaled, origin at the centroid
    iris_unflipped_px: np.ndarray | None = None  # (5, 2) iris of the (33, 133) eye
    iris_flipped_px: np.ndarray | None = None    # (5, 2) iris of the (362, 263) eye


def face_roi_from_body(body_px: np.ndarray, scale: float = 1.3) -> RotatedRect:
    """Face ROI for the mesh model from the body's (33, 2) landmarks.

    ``scale``: side over the face's size estimate; 1.3 (and 1.05 as a second try)
    gave the surest meshes on the rendered test people (1.6 and more failed often)."""
    pts = np.asarray(body_px, dtype=np.float64)[list(BODY_FACE_POINTS)]
    raw = rect_from_points_bbox(pts, BODY_RIGHT_EYE, BODY_LEFT_EYE, 0.0)
    eyes_mid = (pts[BODY_RIGHT_EYE] + pts[BODY_LEFT_EYE]) / 2
    mouth_mid = (pts[BODY_MOUTH[0]] + pts[BODY_MOUTH[1]]) / 2
    eye_gap = float(np.hypot(*(pts[BODY_LEFT_EYE] - pts[BODY_RIGHT_EYE])))
    eye_mouth = float(np.hypot(*(mouth_mid - eyes_mid)))
    rotation = raw.rotation
    if eye_gap < eye_mouth:
        # turned away (profile): the eye line is too short to give the roll; the
        # face's up direction, mouth -> eyes, still does
        rotation = rotation_from_points(mouth_mid, eyes_mid, math.pi / 2)
    # the 11 points span ear to ear but only eyes to mouth vertically; a face is
    # about 3 eye-to-mouth distances tall
    side = max(raw.width, raw.height, 3.0 * eye_mouth)
    squared = RotatedRect(raw.cx, raw.cy, side, side, rotation)
    return transform_rect(squared, scale, scale, square_long=True)


def face_roi_from_mesh(points_px: np.ndarray) -> RotatedRect:
    """MediaPipe's tracking ROI from a (468, 2) mesh."""
    raw = rect_from_points_bbox(points_px, 33, 133, 0.0)
    return transform_rect(raw, 1.5, 1.5, square_long=True)


def eye_roi(points_px: np.ndarray, corners: tuple[int, int]) -> RotatedRect:
    raw = rect_from_points_bbox(np.asarray(points_px)[list(corners)], 0, 1, 0.0)
    return transform_rect(raw, 2.3, 2.3, square_long=True)


class FaceLandmarker:
    """Face mesh model (+ iris model) on rotated crops."""

    def __init__(self, num_threads: int = 2, models_dir=None, iris: bool = True):
        self._mesh = TfliteModel(model_path("face_landmark", models_dir), num_threads)
        self._mesh.require_outputs("conv2d_21", "conv2d_31")
        self._iris = TfliteModel(model_path("iris_landmark", models_dir), num_threads) if iris else None
        if self._iris is not None:
            self._iris.require_outputs("output_iris")
        self.last_iris_ms = 0.0

    def mesh(self, image_rgb: np.ndarray, roi: RotatedRect) -> FaceLandmarks:
        crop = crop_image(image_rgb, roi, FACE_SIZE, FACE_SIZE)
        out = self._mesh.run(crop.astype(np.float32)[None] / 255.0)
        lm = out["conv2d_21"].reshape(468, 3).astype(np.float64)
        points_px = crop_to_image(roi, lm[:, :2] / FACE_SIZE)
        pts3 = rotate_xy(lm, roi.rotation) * (roi.width / FACE_SIZE)
        pts3 -= pts3.mean(axis=0)
        presence = _sigmoid(float(out["conv2d_31"].reshape(-1)[0]))
        return FaceLandmarks(roi=roi, presence=presence, points_px=points_px, points_3d=pts3)

    def iris(self, image_rgb: np.ndarray, face: FaceLandmarks) -> None:
        """Fill ``face.iris_*_px`` from the iris model (no-op without it)."""
        if self._iris is None:
            return
        t0 = time.perf_counter()
        for corners, flip in ((EYE_CORNERS_UNFLIPPED, False), (EYE_CORNERS_FLIPPED, True)):
            roi = eye_roi(face.points_px, corners)
            crop = crop_image(image_rgb, roi, IRIS_SIZE, IRIS_SIZE)
            if flip:
                crop = crop[:, ::-1]
            out = self._iris.run(crop.astype(np.float32)[None] / 255.0)
            iris = out["output_iris"].reshape(5, 3)[:, :2].astype(np.float64) / IRIS_SIZE
            if flip:
                iris[:, 0] = 1.0 - iris[:, 0]
            pts = crop_to_image(roi, iris)
            if flip:
                face.iris_flipped_px = pts
            else:
                face.iris_unflipped_px = pts
        self.last_iris_ms += (time.perf_counter() - t0) * 1e3

    def __call__(self, image_rgb: np.ndarray, body_px: np.ndarray,
                 previous_points_px: np.ndarray | None = None, tries: int = len(BODY_FACE_SCALES)) -> FaceLandmarks:
        """Mesh on the ROI of last frame's mesh (MediaPipe's tracking), or else from
        the body's face points (``tries`` crop sizes at most) and then once more on
        the ROI of that first mesh; then the irises."""
        self.last_iris_ms = 0.0
        if previous_points_px is not None:
            face = self.mesh(image_rgb, face_roi_from_mesh(previous_points_px))
        else:
            face = None
            for scale in BODY_FACE_SCALES[:max(1, tries)]:
                first = self.mesh(image_rgb, face_roi_from_body(body_px, scale))
                second = self.mesh(image_rgb, face_roi_from_mesh(first.points_px))
                best = second if second.presence >= first.presence else first
                if face is None or best.presence > face.presence:
                    face = best
                if face.presence >= FACE_FLAG_THRESHOLD:
                    break
        if face.presence >= FACE_FLAG_THRESHOLD:
            self.iris(image_rgb, face)
        return face
