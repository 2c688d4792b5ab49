"""OpenCV's built-in HOG + linear SVM people detector (Dalal & Triggs), as a second
person source: it needs no model file, sees whole upright bodies rather than faces,
and is slower and less precise than BlazePose (see bench/bench_landmarks.py).

Its window is 64 x 128 with the person about 96 px tall inside, so people smaller
than that are found only after upscaling (``HogOptions.upscale``).
"""
from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from wholebody_core.detection.nms import weighted_nms
from wholebody_core.detection.types import DetectorOptions, PersonDetection
from wholebody_core.maths.rotated_rect import RotatedRect
from wholebody_core.models.registry import register_detector


@dataclasses.dataclass
class HogOptions(DetectorOptions):
    upscale: float = 1.5          # image scale before detection (small people)
    hit_threshold: float = 0.0    # SVM margin
    win_stride: int = 8
    pyramid_scale: float = 1.05


@register_detector("hog")
class HogPeopleDetector:
    """Registered as detector ``"hog"``; ``score`` is the SVM margin squashed to 0..1."""

    name = "hog"

    def __init__(self, options: DetectorOptions | None = None, models_dir=None):
        if options is None or not isinstance(options, HogOptions):
            base = dataclasses.asdict(options) if options is not None else {}
            options = HogOptions(**base)
        self.options = options
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())

    def num_tiles(self, width: int, height: int) -> int:
        return 0

    def tiles_containing(self, width: int, height: int, points_px: np.ndarray) -> list[int]:
        return []

    def detect(self, image_rgb: np.ndarray, tiles=True) -> list[PersonDetection]:
        """(H, W, 3) uint8 RGB -> people, best first (pixels, full frame); the image
        pyramid replaces tiles (``tiles`` is ignored)."""
        s = float(self.options.upscale)
        gray = cv2.cvtColor(image_rgb, cv2.COLOR_RGB2GRAY)
        if s != 1.0:
            gray = cv2.resize(gray, None, fx=s, fy=s, interpolation=cv2.INTER_LINEAR)
        stride = int(self.options.win_stride)
        rects, weights = self._hog.detectMultiScale(
            gray, hitThreshold=self.options.hit_threshold, winStride=(stride, stride),
            padding=(8, 8), scale=self.options.pyramid_scale)
        if len(rects) == 0:
            return []
        rects = np.asarray(rects, dtype=np.float64)
        # window edges in the scaled image -> pixel-centre coordinates of the original
        boxes = np.stack([rects[:, 0], rects[:, 1], rects[:, 0] + rects[:, 2], rects[:, 1] + rects[:, 3]],
                         axis=1) / s - 0.5
        scores = 1.0 / (1.0 + np.exp(-np.asarray(weights, dtype=np.float64).reshape(-1)))
        keep = scores >= self.options.min_score
        boxes, scores = boxes[keep], scores[keep]
        people = []
        for top, box, _ in weighted_nms(boxes, scores, None, self.options.nms_iou):
            # the window holds the person at ~3/4 of its height, centred: a square
            # crop as tall as the window frames them like BlazePose's body ROI
            side = float(box[3] - box[1])
            roi = RotatedRect(float((box[0] + box[2]) / 2), float((box[1] + box[3]) / 2), side, side, 0.0)
            people.append(PersonDetection(score=float(scores[top]), bbox_xyxy=box.astype(np.float32),
                                          body_roi=roi, keypoints_px=None, source=self.name))
        return people
