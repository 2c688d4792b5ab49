"""Stable person ids across video frames, without appearance features.

Each frame, the live tracks are predicted forward with a constant-velocity model
(box corners and, through the box centre, the keypoints), then matched to the
frame's detections by ``scipy.optimize.linear_sum_assignment`` on a cost that adds

* ``1 - IoU`` of the predicted box and the detected box, and
* a normalised distance ``d``: the mean pixel distance of the keypoints confident in
  both (at least ``min_shared_keypoints`` of them), or else the distance of the box
  centres, divided by the person's scale (the geometric mean of box width and height).

A pair may be matched only if ``IoU >= min_iou`` or ``d <= max_distance`` (the gate
widens by ``gate_growth_per_frame`` for each frame a track has been unseen, since its
prediction grows less certain). The velocity prediction is what keeps two people who
walk through each other from swapping ids: at the crossing their boxes overlap, but
each track's prediction stays on its own path. A track survives
``max_missing_frames`` frames without a detection (occlusion), then ends; ids are never
reused, and unmatched detections start new tracks.
"""
from __future__ import annotations

import dataclasses
import logging

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..maths.boxes import box_area, box_iou

logger = logging.getLogger(__name__)

_FORBIDDEN = 1e6


@dataclasses.dataclass
class TrackerOptions:
    """How tracks are kept and matched (see the module docstring)."""

    max_missing_frames: int = 15          # frames a track stays alive unseen (occlusions)
    min_iou: float = 0.1                  # IoU with the prediction that admits a match ...
    max_distance: float = 0.6             # ... or normalised keypoint/centre distance that does
    gate_growth_per_frame: float = 0.25   # the distance gate widens by this factor per unseen frame
    missing_penalty: float = 0.02         # cost added per unseen frame: prefer recently seen tracks
    min_keypoint_confidence: float = 0.3  # keypoints below this are ignored
    min_shared_keypoints: int = 3         # fewer shared confident keypoints: use box centres
    velocity_smoothing: float = 0.6       # weight of the newest velocity estimate (0..1]


@dataclasses.dataclass
class _Track:
    track_id: int
    box_xyxy: np.ndarray        # (4,) last observed box, pixels
    keypoints_px: np.ndarray    # (K, 3) last observed keypoints: x, y, confidence
    box_velocity: np.ndarray    # (4,) pixels per frame
    last_frame: int
    num_hits: int = 1


def _box_centre(boxes: np.ndarray) -> np.ndarray:
    return 0.5 * (boxes[..., :2] + boxes[..., 2:])


class Tracker:
    """Gives each detection of a video a stable person id; feed frames in order."""

    def __init__(self, options: TrackerOptions | None = None):
        self.options = options or TrackerOptions()
        self._tracks: list[_Track] = []
        self._next_id = 0
        self._last_frame: int | None = None

    @property
    def active_track_ids(self) -> list[int]:
        """Ids of the tracks still alive (seen or within ``max_missing_frames``)."""
        return [t.track_id for t in self._tracks]

    def update(
        self,
        frame_number: int,
        boxes_xyxy: np.ndarray,
        keypoints_2d: np.ndarray,
        scores: np.ndarray,
    ) -> np.ndarray:
        """Matches one frame's detections to the tracks.

        Args:
            frame_number: index of the frame in the source; strictly increasing
                between calls (a stride is fine: velocities are per source frame).
            boxes_xyxy: (M, 4) person boxes, pixels.
            keypoints_2d: (M, K, 3) keypoints, pixel x, y and confidence 0..1 (K may be 0).
            scores: (M,) detection scores 0..1 (a tie-breaker: higher first for new ids).
        Returns:
            (M,) int64 track ids, new ids for people not seen before.
        """
        boxes = np.asarray(boxes_xyxy, dtype=np.float64).reshape(-1, 4)
        num_det = boxes.shape[0]
        keypoints = np.asarray(keypoints_2d, dtype=np.float64)
        if keypoints.size == 0:
            keypoints = np.zeros((num_det, 0, 3))
        scores = np.asarray(scores, dtype=np.float64).reshape(-1)
        if keypoints.shape[0] != num_det or scores.shape[0] != num_det:
            raise ValueError(
                f"Tracker.update: {num_det} boxes but {keypoints.shape[0]} keypoint sets "
                f"and {scores.shape[0]} scores"
            )
        if self._last_frame is not None and frame_number <= self._last_frame:
            raise ValueError(
                f"Tracker.update: frame {frame_number} after frame {self._last_frame}; "
                "frames must come in increasing order"
            )
        self._last_frame = frame_number

        # Tracks unseen for too long end before matching.
        self._tracks = [
            t for t in self._tracks
            if frame_number - t.last_frame <= self.options.max_missing_frames + 1
        ]
        ids = np.full(num_det, -1, dtype=np.int64)
        if self._tracks and num_det:
            cost = self._cost_matrix(frame_number, boxes, keypoints)
            rows, cols = linear_sum_assignment(cost)
            for r, c in zip(rows, cols):
                if cost[r, c] >= _FORBIDDEN:
                    continue
                self._update_track(self._tracks[r], frame_number, boxes[c], keypoints[c])
                ids[c] = self._tracks[r].track_id
        # New tracks for unmatched detections, the most confident first.
        for c in np.argsort(-scores, kind="stable"):
            if ids[c] >= 0:
                continue
            track = _Track(
                track_id=self._next_id,
                box_xyxy=boxes[c].copy(),
                keypoints_px=keypoints[c].copy(),
                box_velocity=np.zeros(4),
                last_frame=frame_number,
            )
            self._next_id += 1
            self._tracks.append(track)
            ids[c] = track.track_id
            logger.debug("frame %d: new track %d", frame_number, track.track_id)
        return ids

    def _cost_matrix(self, frame_number: int, boxes: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
        """(num_tracks, M) matching costs; ``_FORBIDDEN`` where the gate refuses."""
        opts = self.options
        steps = np.array([frame_number - t.last_frame for t in self._tracks], dtype=np.float64)
        pred_boxes = np.stack([t.box_xyxy + t.box_velocity * s for t, s in zip(self._tracks, steps)])
        shift = _box_centre(pred_boxes) - _box_centre(np.stack([t.box_xyxy for t in self._tracks]))
        iou = box_iou(pred_boxes, boxes)

        scale_pred = np.sqrt(np.maximum(box_area(pred_boxes), 1.0))
        scale_det = np.sqrt(np.maximum(box_area(boxes), 1.0))
        scale = 0.5 * (scale_pred[:, None] + scale_det[None, :])
        centre_dist = np.linalg.norm(
            _box_centre(pred_boxes)[:, None, :] - _box_centre(boxes)[None, :, :], axis=-1
        )
        dist = centre_dist
        num_kp = keypoints.shape[1]
        if num_kp and all(t.keypoints_px.shape[0] == num_kp for t in self._tracks):
            track_kp = np.stack([t.keypoints_px for t in self._tracks])  # (N, K, 3)
            pred_xy = track_kp[..., :2] + shift[:, None, :]
            conf_ok = (track_kp[:, None, :, 2] >= opts.min_keypoint_confidence) & (
                keypoints[None, :, :, 2] >= opts.min_keypoint_confidence
            )  # (N, M, K)
            kp_dist = np.linalg.norm(pred_xy[:, None] - keypoints[None, :, :, :2], axis=-1)
            shared = conf_ok.sum(axis=-1)
            mean_kp = np.where(conf_ok, kp_dist, 0.0).sum(axis=-1) / np.maximum(shared, 1)
            dist = np.where(shared >= opts.min_shared_keypoints, mean_kp, centre_dist)
        dist = dist / scale

        gate = opts.max_distance * (1.0 + opts.gate_growth_per_frame * (steps[:, None] - 1.0))
        allowed = (iou >= opts.min_iou) | (dist <= gate)
        cost = (1.0 - iou) + dist + opts.missing_penalty * (steps[:, None] - 1.0)
        return np.where(allowed, cost, _FORBIDDEN)

    def _update_track(self, track: _Track, frame_number: int, box: np.ndarray, keypoints: np.ndarray) -> None:
        step = frame_number - track.last_frame
        observed_velocity = (box - track.box_xyxy) / step
        if track.num_hits == 1:
            track.box_velocity = observed_velocity
        else:
            a = self.options.velocity_smoothing
            track.box_velocity = a * observed_velocity + (1.0 - a) * track.box_velocity
        track.box_xyxy = box.copy()
        track.keypoints_px = keypoints.copy()
        track.last_frame = frame_number
        track.num_hits += 1
