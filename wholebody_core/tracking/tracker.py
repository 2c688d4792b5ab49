"""Stable person ids across video frames.

Each frame, the live tracks are predicted forward with a constant-velocity model
(box corners and, through the box centre, the keypoints), then matched to the
frame's detections by ``scipy.optimize.linear_sum_assignment`` on a cost that adds

* ``1 - IoU`` of the predicted box and the detected box,
* a normalised distance ``d``: the mean pixel distance of the keypoints confident in
  both (at least ``min_shared_keypoints`` of them), or else the distance of the box
  centres, divided by the person's scale (the geometric mean of box width and height),
* a size change ``|log(h_det / h_pred)|`` of the box heights, weighted by
  ``size_weight``: a near person (tall box) and a far one (short box) who overlap on
  screen are not interchangeable, and nobody's size jumps between two frames,
* with appearance descriptors (``appearance.py``: clothing colours), the
  Bhattacharyya distance of the detection's descriptor to the track's running
  average, weighted by ``appearance_weight``.

A pair may be matched only if ``IoU >= min_iou`` or ``d <= max_distance`` (the gate
widens by ``gate_growth_per_frame`` for each frame a track has been unseen, since its
prediction grows less certain), and only if the box height changed by less than a
factor ``max_size_ratio`` (also widened per unseen frame). The velocity prediction
is what keeps two people who walk through each other from swapping ids: at the
crossing their boxes overlap, but each track's prediction stays on its own path;
where it cannot (one person stops behind the other, a detection lands on the wrong
person), size and clothes decide. A track survives
``max_missing_frames`` frames without a detection (occlusion), then ends; ids are never
reused, and unmatched detections start new tracks.
"""
from __future__ import annotations

import dataclasses
import logging

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..maths.boxes import box_area, box_centre, box_iou
from .appearance import appearance_distance, blend_descriptor
from .identity import APPEARANCE_UPDATE, MAX_MATCH_APPEARANCE_DISTANCE, MAX_SIZE_RATIO

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
    # Box height change |log(h_det / h_pred)| costs this much per unit, and a change by
    # more than a factor max_size_ratio is refused (the limit on the log widens like the
    # distance gate, per unseen frame): walking people change size by a few % a frame;
    # a box twice as tall is someone else (or a skeleton mixing two people). The
    # limit is the backend's too (tracking/identity.py).
    size_weight: float = 1.0
    max_size_ratio: float = MAX_SIZE_RATIO
    # Clothing colours (Bhattacharyya distance 0..1, tracking/appearance.py) of a
    # detection against the track's running descriptor (figures in tracking/identity.py).
    # A pair farther apart than max_appearance_distance is refused (a new track is
    # better than a swapped one); below it, the distance adds to the cost.
    appearance_weight: float = 1.0
    max_appearance_distance: float = MAX_MATCH_APPEARANCE_DISTANCE
    appearance_unknown: float = 0.3       # distance assumed where either side has no descriptor
    appearance_update: float = APPEARANCE_UPDATE  # weight of a new descriptor in a track's running one


@dataclasses.dataclass
class _Track:
    track_id: int
    box_xyxy: np.ndarray        # (4,) last observed box, pixels
    keypoints_px: np.ndarray    # (K, 3) last observed keypoints: x, y, confidence
    box_velocity: np.ndarray    # (4,) pixels per frame
    last_frame: int
    num_hits: int = 1
    appearance: np.ndarray | None = None  # (D,) running clothing descriptor, None: none seen


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
        appearance: np.ndarray | None = None,
    ) -> np.ndarray:
        """Matches one frame's detections to the tracks.

        Args:
            frame_number: index of the frame in the source; strictly increasing
                between calls (a stride is fine: velocities are per source frame).
            boxes_xyxy: (M, 4) person boxes, pixels.
            keypoints_2d: (M, K, 3) keypoints, pixel x, y and confidence 0..1 (K may be 0).
            scores: (M,) detection scores 0..1 (a tie-breaker: higher first for new ids).
            appearance: (M, D) clothing descriptors (``appearance.appearance_descriptor``),
                or None (matched on geometry alone).
        Returns:
            (M,) int64 track ids, new ids for people not seen before.
        """
        boxes = np.asarray(boxes_xyxy, dtype=np.float64).reshape(-1, 4)
        num_det = boxes.shape[0]
        keypoints = np.asarray(keypoints_2d, dtype=np.float64)
        if keypoints.size == 0:
            keypoints = np.zeros((num_det, 0, 3))
        scores = np.asarray(scores, dtype=np.float64).reshape(-1)
        if appearance is not None:
            appearance = np.asarray(appearance, dtype=np.float32).reshape(num_det, -1)
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
            cost = self._cost_matrix(frame_number, boxes, keypoints, appearance)
            rows, cols = linear_sum_assignment(cost)
            for r, c in zip(rows, cols):
                if cost[r, c] >= _FORBIDDEN:
                    continue
                self._update_track(self._tracks[r], frame_number, boxes[c], keypoints[c],
                                   None if appearance is None else appearance[c])
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
                appearance=None if appearance is None else _described_or_none(appearance[c]),
            )
            self._next_id += 1
            self._tracks.append(track)
            ids[c] = track.track_id
            logger.debug("frame %d: new track %d", frame_number, track.track_id)
        return ids

    def _cost_matrix(self, frame_number: int, boxes: np.ndarray, keypoints: np.ndarray,
                     appearance: np.ndarray | None) -> np.ndarray:
        """(num_tracks, M) matching costs; ``_FORBIDDEN`` where the gate refuses."""
        opts = self.options
        steps = np.array([frame_number - t.last_frame for t in self._tracks], dtype=np.float64)
        pred_boxes = np.stack([t.box_xyxy + t.box_velocity * s for t, s in zip(self._tracks, steps)])
        shift = box_centre(pred_boxes) - box_centre(np.stack([t.box_xyxy for t in self._tracks]))
        iou = box_iou(pred_boxes, boxes)

        scale_pred = np.sqrt(np.maximum(box_area(pred_boxes), 1.0))
        scale_det = np.sqrt(np.maximum(box_area(boxes), 1.0))
        scale = 0.5 * (scale_pred[:, None] + scale_det[None, :])
        centre_dist = np.linalg.norm(
            box_centre(pred_boxes)[:, None, :] - box_centre(boxes)[None, :, :], axis=-1
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

        growth = 1.0 + opts.gate_growth_per_frame * (steps[:, None] - 1.0)
        size_change = np.abs(np.log(np.maximum(boxes[None, :, 3] - boxes[None, :, 1], 1.0)
                                    / np.maximum(pred_boxes[:, None, 3] - pred_boxes[:, None, 1], 1.0)))
        allowed = (((iou >= opts.min_iou) | (dist <= opts.max_distance * growth))
                   & (size_change <= np.log(opts.max_size_ratio) * growth))
        cost = (1.0 - iou) + dist + opts.size_weight * size_change + opts.missing_penalty * (steps[:, None] - 1.0)
        if appearance is not None:
            appearance_cost = self._appearance_cost(appearance)
            allowed &= appearance_cost <= opts.max_appearance_distance
            cost = cost + opts.appearance_weight * appearance_cost
        return np.where(allowed, cost, _FORBIDDEN)

    def _appearance_cost(self, appearance: np.ndarray) -> np.ndarray:
        """(num_tracks, M) clothing distances; ``appearance_unknown`` where a track or a
        detection has no descriptor (or no body part in common)."""
        out = np.full((len(self._tracks), appearance.shape[0]), self.options.appearance_unknown)
        known = [i for i, t in enumerate(self._tracks) if t.appearance is not None]
        if known:
            dist = appearance_distance(np.stack([self._tracks[i].appearance for i in known]), appearance)
            out[known] = np.where(np.isnan(dist), self.options.appearance_unknown, dist)
        return out

    def _update_track(self, track: _Track, frame_number: int, box: np.ndarray, keypoints: np.ndarray,
                      appearance: np.ndarray | None) -> None:
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
        if appearance is not None and _described_or_none(appearance) is not None:
            # the detection's descriptor is already the landmark stage's running one:
            # averaged a second time here, on purpose (tracking/identity.py)
            track.appearance = (appearance.copy() if track.appearance is None
                                else blend_descriptor(track.appearance, appearance, self.options.appearance_update))


def _described_or_none(descriptor: np.ndarray) -> np.ndarray | None:
    """A copy of the descriptor, or None when it describes nothing (all zeros)."""
    return descriptor.copy() if float(np.sum(descriptor)) > 0.0 else None
