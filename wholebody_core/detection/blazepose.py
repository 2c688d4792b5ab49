"""MediaPipe's BlazePose person detector (``pose_detection.tflite``), multi-person,
with extra passes on image tiles for small people.

Facts from ``modules/pose_detection/pose_detection_cpu.pbtxt`` and
``modules/pose_landmark/pose_detection_to_roi.pbtxt`` (google-ai-edge/mediapipe,
full-body version):
- input 224 x 224, aspect kept (letterbox, BORDER_ZERO), values in [-1, 1];
- outputs (1, 2254, 12) = box (x_centre, y_centre, w, h; reverse_output_order) and
  4 keypoints (x, y) in input pixels relative to the anchor centre (x_scale = y_scale
  = w_scale = h_scale = 224, no exponential), and (1, 2254, 1) score logits
  (sigmoid, clipped to +-100);
- weighted NMS with IoU 0.3; the keypoints are 0 mid-hip, 1 full-body
  size/rotation point, 2 mid-shoulder, 3 upper-body point; the box is centred on
  the face;
- body ROI: centre keypoint 0, side 2 |kp1 - kp0|, rotation so that kp0 -> kp1 points
  up (target 90 degrees), then scale 1.25 and square_long.
Ours, measured on renders: the model's box has a near-constant size, so the NMS
runs on head-sized boxes made from the keypoints (:func:`head_boxes`); the full
frame misses people under ~150 px in 640 x 480, hence the tiles (the same model on
square crops of 1/2 and 1/3 of the shorter side), merged by the same NMS.

Which candidate's geometry wins (issue 10, the footballer's hips at his chest):
a tile shows only part of a large person, yet the detector still fires on their
head and extrapolates the mid-hip and size keypoints beyond the tile, short and
high. The NMS used to average those into the full frame's detection (scores alike,
or the tile's higher), so the body crop came out 56-88 px smaller and 13-25 px
higher than MediaPipe's own graph on every single-person render; on a kick the
crop lost the legs. Principle: a detector measures only what its input shows.
Each candidate's *coverage* is the share of its body crop (inside the image) that
its own view contained; in each NMS group only the members that saw the most are
averaged (:func:`~wholebody_core.detection.nms.weighted_nms`). A person the full
frame finds thus gets MediaPipe's crop; a small person gets the tile that holds
them whole. Only candidates at least as sure as MediaPipe's own threshold count
there: a full frame's weak guess (pose_walking: 0.3, a crop twice too large)
does not replace sure tile detections. And resolution counts too: where a tile
holds most (70 %) of a person, the tiles' estimates win over the full frame's,
which sees a 200 px person at a third of the resolution and overestimates their
crop (tilted_45_plaza: 440 px for 275, the legs lost, as in MediaPipe's graph).
"""
from __future__ import annotations

import logging
import math
from typing import Sequence

import numpy as np

from wholebody_core.detection.anchors import generate_anchors
from wholebody_core.detection.nms import weighted_nms
from wholebody_core.detection.types import DetectorOptions, PersonDetection
from wholebody_core.landmarks.roi import crop_image
from wholebody_core.maths.rotated_rect import (
    RotatedRect, crop_to_image, rect_bbox_xyxy, rect_from_alignment_points, transform_rect,
)
from wholebody_core.models.assets import model_path
from wholebody_core.models.registry import register_detector
from wholebody_core.models.tflite_runner import TfliteModel

logger = logging.getLogger(__name__)

INPUT_SIZE = 224
NUM_KEYPOINTS = 4
BODY_ROI_SCALE = 1.25
# MediaPipe's detection threshold (pose_detection_cpu.pbtxt, min_score_thresh): we
# keep weaker candidates (each is verified by the body model), but only candidates
# at least this sure give a merged detection its geometry
MEDIAPIPE_MIN_SCORE = 0.5


def decode_raw_detections(raw_boxes: np.ndarray, raw_scores: np.ndarray, anchors: np.ndarray,
                          min_score: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TensorsToDetectionsCalculator for the pose detector.

    raw_boxes (N, 12), raw_scores (N,) logits, anchors (N, 4) ->
    (boxes (M, 4) x0, y0, x1, y1, keypoints (M, 4, 2), scores (M,)), all normalised
    to the model input ([0, 1]), only those scoring at least ``min_score``.
    """
    scores = 1.0 / (1.0 + np.exp(-np.clip(raw_scores.astype(np.float64), -100.0, 100.0)))
    keep = scores >= min_score
    raw = raw_boxes[keep].astype(np.float64)
    anc = anchors[keep].astype(np.float64)
    xc = raw[:, 0] / INPUT_SIZE * anc[:, 2] + anc[:, 0]
    yc = raw[:, 1] / INPUT_SIZE * anc[:, 3] + anc[:, 1]
    w = raw[:, 2] / INPUT_SIZE * anc[:, 2]
    h = raw[:, 3] / INPUT_SIZE * anc[:, 3]
    boxes = np.stack([xc - w / 2, yc - h / 2, xc + w / 2, yc + h / 2], axis=1)
    kp = raw[:, 4:4 + 2 * NUM_KEYPOINTS].reshape(-1, NUM_KEYPOINTS, 2)
    kp = kp / INPUT_SIZE * anc[:, None, 2:4] + anc[:, None, 0:2]
    return boxes, kp, scores[keep]


def head_boxes(boxes: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
    """(M, 4) model boxes, (M, 4, 2) keypoints -> (M, 4) head-sized boxes.

    The model's box is centred on the face, but its size is a near constant (about
    0.2 of the input side, measured on renders): useless for suppression between
    people of different sizes or next to each other. Keypoint 1 lies above the head
    about half a stature from the hips (measured), so a head is ~0.3 |kp1 - kp0|.
    """
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2.0
    half = 0.15 * np.linalg.norm(keypoints[:, 1] - keypoints[:, 0], axis=1)
    return np.concatenate([centre - half[:, None], centre + half[:, None]], axis=1)


def body_roi_from_keypoints(keypoints_px: np.ndarray) -> RotatedRect:
    """(4, 2) detector keypoints in pixels -> the full-body landmark crop."""
    raw = rect_from_alignment_points(keypoints_px[0], keypoints_px[1], math.pi / 2)
    return transform_rect(raw, BODY_ROI_SCALE, BODY_ROI_SCALE, square_long=True)


def view_coverage(keypoints_px: np.ndarray, view_xyxy: np.ndarray, width: int, height: int) -> np.ndarray:
    """(M, 4, 2) detector keypoints in pixels, (4,) the view they came from (x0, y0,
    x1, y1) -> (M,) the share of each body crop's box, within the image, that the
    view contained (1: the detector saw the whole person it describes)."""
    image = np.array([-0.5, -0.5, width - 0.5, height - 0.5])
    view = np.concatenate([np.maximum(view_xyxy[:2], image[:2]), np.minimum(view_xyxy[2:], image[2:])])
    out = np.zeros(len(keypoints_px))
    for i, kp in enumerate(keypoints_px):
        box = rect_bbox_xyxy(body_roi_from_keypoints(kp))
        lo, hi = np.maximum(box[:2], image[:2]), np.minimum(box[2:], image[2:])
        area = np.prod(np.clip(hi - lo, 0.0, None))
        seen_lo, seen_hi = np.maximum(lo, view[:2]), np.minimum(hi, view[2:])
        seen = np.prod(np.clip(seen_hi - seen_lo, 0.0, None))
        out[i] = seen / area if area > 0 else 0.0
    return out


def tile_rects(width: int, height: int, fractions: tuple[float, ...], overlap: float) -> list[RotatedRect]:
    """Square tiles covering the image: for each fraction f, side f * min(W, H),
    neighbours overlapping by ``overlap`` of the side. (The full frame is separate.)"""
    rects: list[RotatedRect] = []
    for f in fractions:
        side = f * min(width, height)
        if side <= 0 or f >= 1.0:
            continue
        step = side * (1.0 - overlap)
        nx = max(1, int(math.ceil((width - side) / step)) + 1)
        ny = max(1, int(math.ceil((height - side) / step)) + 1)
        xs = np.linspace(0, max(width - side, 0), nx)
        ys = np.linspace(0, max(height - side, 0), ny)
        for y0 in ys:
            for x0 in xs:
                rects.append(RotatedRect(float(x0 + side / 2 - 0.5), float(y0 + side / 2 - 0.5), side, side, 0.0))
    return rects


@register_detector("blazepose")
class BlazePoseDetector:
    """Registered as detector ``"blazepose"``."""

    name = "blazepose"

    def __init__(self, options: DetectorOptions | None = None, models_dir=None):
        self.options = options or DetectorOptions()
        self._model = TfliteModel(model_path("pose_detection", models_dir), self.options.num_threads)
        self._anchors = generate_anchors()
        # outputs: Identity (1, 2254, 12) boxes/keypoints, Identity_1 (1, 2254, 1) scores
        self._box_output, self._score_output = "Identity", "Identity_1"
        self._model.require_outputs(self._box_output, self._score_output)

    def _run_on_rect(self, image_rgb: np.ndarray, rect: RotatedRect):
        crop = crop_image(image_rgb, rect, INPUT_SIZE, INPUT_SIZE, border_zero=True)
        tensor = crop.astype(np.float32)[None] / 127.5 - 1.0
        out = self._model.run(tensor)
        boxes, kps, scores = decode_raw_detections(
            out[self._box_output][0], out[self._score_output][0, :, 0], self._anchors, self.options.min_score)
        # normalised crop coordinates -> image pixels (rect rotation is 0 here)
        corners = crop_to_image(rect, boxes.reshape(-1, 2, 2)).reshape(-1, 4)
        kps_px = crop_to_image(rect, kps)
        height, width = image_rgb.shape[:2]
        coverage = view_coverage(kps_px, rect_bbox_xyxy(rect), width, height)
        return corners, kps_px, scores, coverage

    def full_frame_rect(self, width: int, height: int) -> RotatedRect:
        """The letterboxed full frame (ImageToTensor with keep_aspect_ratio)."""
        side = float(max(width, height))
        return RotatedRect((width - 1) / 2.0, (height - 1) / 2.0, side, side, 0.0)

    def tiles_containing(self, width: int, height: int, points_px: np.ndarray) -> list[int]:
        """Indices of the tiles whose square contains any of the (N, 2) points."""
        rects = tile_rects(width, height, self.options.tile_fractions, self.options.tile_overlap)
        pts = np.asarray(points_px, dtype=np.float64).reshape(-1, 2)
        out = []
        for i, r in enumerate(rects):
            inside = (np.abs(pts[:, 0] - r.cx) <= r.width / 2) & (np.abs(pts[:, 1] - r.cy) <= r.height / 2)
            if inside.any():
                out.append(i)
        return out

    def num_tiles(self, width: int, height: int) -> int:
        """How many tiles an image of this size gets (besides the full frame)."""
        return len(tile_rects(width, height, self.options.tile_fractions, self.options.tile_overlap))

    def detect(self, image_rgb: np.ndarray, tiles: bool | Sequence[int] = True) -> list[PersonDetection]:
        """(H, W, 3) uint8 RGB -> people, best first (pixels, full frame).

        ``tiles``: True for every tile, False for the full frame only, or the indices
        of the tiles to run this time (a caller may spread them over video frames).
        """
        height, width = image_rgb.shape[:2]
        rects = [self.full_frame_rect(width, height)]
        all_tiles = tile_rects(width, height, self.options.tile_fractions, self.options.tile_overlap)
        if tiles is True:
            rects += all_tiles
        elif tiles is not False:
            rects += [all_tiles[i % len(all_tiles)] for i in tiles] if all_tiles else []
        all_boxes, all_kps, all_scores, all_coverage, all_side = [], [], [], [], []
        for rect in rects:
            b, k, s, c = self._run_on_rect(image_rgb, rect)
            if len(s):
                all_boxes.append(b)
                all_kps.append(k)
                all_scores.append(s)
                all_coverage.append(c)
                all_side.append(np.full(len(s), rect.width))
        if not all_scores:
            return []
        kps = np.concatenate(all_kps)
        boxes = head_boxes(np.concatenate(all_boxes), kps)
        scores = np.concatenate(all_scores)
        merged = weighted_nms(boxes, scores, kps.reshape(len(kps), -1), self.options.nms_iou,
                              coverage=np.concatenate(all_coverage), sure_score=MEDIAPIPE_MIN_SCORE,
                              view_side=np.concatenate(all_side))
        people = []
        for top, box, kp_flat in merged:
            kp = kp_flat.reshape(NUM_KEYPOINTS, 2)
            people.append(PersonDetection(score=float(scores[top]), bbox_xyxy=box.astype(np.float32),
                                          body_roi=body_roi_from_keypoints(kp), keypoints_px=kp.astype(np.float32),
                                          source=self.name))
        return people
