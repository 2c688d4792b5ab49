"""Whether two sightings are one person: the identity thresholds that the landmark
backend (a tracked crop still shows its person, a lost person is found again) and
the tracker (a detection continues a track) share, and the backend's test built on
them.

Both compare people by box height (walking people change size by a few % a frame)
and by clothes (Bhattacharyya distances of the descriptors of
``tracking/appearance.py``, 0 = same colours, 1 = none in common). Measured on the
rendered crowd, crossing and walk_toward clips: the mean over torso and legs of a
person against their running descriptor was 0.20 (median) and under 0.49 in 99 %
of frames, another person's 0.85 (median) and over 0.58 in 99 %; one part alone (a
mixed skeleton: one person's torso on another's legs) differed between consecutive
frames of the same person by under 0.61 in 99 %, while 95 % of two people's pairs
differ by more than 0.79 in some part.
"""
from __future__ import annotations

import numpy as np

from .appearance import appearance_part_distances

# A box this much taller or shorter than last frame's shows someone else or a
# skeleton mixing two people (walking people change size by a few % a frame).
MAX_SIZE_RATIO = 1.5
# A tracked crop that comes back with clothes farther than this from its person's
# (mean over the parts both describe) shows someone else: between the same person's
# 99th percentile (0.49) and another person's 1st (0.58).
MAX_CROP_APPEARANCE_DISTANCE = 0.5
# ... and one part alone farther than this: a mixed skeleton (same person under 0.61
# in 99 % of frames, 95 % of two people's pairs over 0.79 in some part).
MAX_CROP_PART_DISTANCE = 0.75
# The tracker refuses to match a detection to a track whose clothes are farther than
# this (a new track is better than a swapped one): just under another person's 1st
# percentile (0.58).
MAX_MATCH_APPEARANCE_DISTANCE = 0.55
# Weight of a new frame's clothes in a person's running descriptor (an exponential
# average: steadier than one frame's, for small people above all).
# Two running descriptors use it, one inside the other: the landmark stage's, over the
# frames a person's crop has followed them (landmarks/candidates.py, reset when the
# detector finds them again), is what a PersonObservation carries, and the tracker
# averages those again per track. Giving the average one owner (the tracker taking
# the landmark stage's as is, the landmark stage handing over one frame's clothes,
# or the tracker's average handed back to the crops) each cost the rendered crowd
# clip an id switch (bench_accuracy, 2026-11-29), so both stay.
APPEARANCE_UPDATE = 0.3


def continues_track(previous_bbox: np.ndarray, previous_appearance: np.ndarray | None,
                    bbox: np.ndarray, appearance: np.ndarray | None) -> bool:
    """Whether a body found in a tracked person's crop is still that person: its box
    height within ``MAX_SIZE_RATIO`` of last frame's and, where both frames describe
    the clothes, its clothes within ``MAX_CROP_APPEARANCE_DISTANCE`` on average and
    ``MAX_CROP_PART_DISTANCE`` in every part. Boxes: (4,) xyxy pixels; descriptors:
    (DESCRIPTOR_SIZE,) or None."""
    height_before = max(float(previous_bbox[3] - previous_bbox[1]), 1.0)
    height_now = max(float(bbox[3] - bbox[1]), 1.0)
    if max(height_now / height_before, height_before / height_now) > MAX_SIZE_RATIO:
        return False
    if previous_appearance is None or appearance is None:
        return True
    parts = appearance_part_distances(previous_appearance[None], appearance[None])[0, 0]
    if not np.isfinite(parts).any():
        return True   # no part described in both frames: nothing to compare
    return bool(np.nanmean(parts) <= MAX_CROP_APPEARANCE_DISTANCE
                and np.nanmax(parts) <= MAX_CROP_PART_DISTANCE)
