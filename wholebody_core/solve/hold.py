"""Unsure joints hold what was seen: no confident motion invented where a joint was not seen.

For one track, a joint's frames split into *sure* (valid, confidence >= 0.5) and
*unsure* (valid, below). Each unsure frame's local rotation is replaced by

* the slerp between the nearest sure frames before and after it (at its real
  frame distance), when there are both;
* the nearest sure frame's rotation (held), when there is one on one side only;
* a neutral rotation when the joint was never sure in that track: zero (the
  SMPL-X rest: a straight standing leg, a straight spine, flat fingers), except
  the arms, which hang at the sides (:data:`NEUTRAL_ROTVEC`), and the pelvis
  (global orientation), which keeps its solved value (zero would turn the person
  upside down; nothing better is known).

The rotations are local, so a held leg turns with the pelvis. Run it before the
temporal filter: the filter then smooths the filled track, so unsure values are
never smoothed into sure ones (a slerp or a hold is what the local linear fit
keeps).
"""
from __future__ import annotations

import numpy as np

from ..maths.quaternions import (quat_conjugate_wxyz, quat_multiply_wxyz, quat_wxyz_to_rotvec,
                                 rotvec_to_quat_wxyz)
from ..skeleton import JOINT_INDEX, NUM_JOINTS
from .confidence import SURE

_ARM_DOWN_RAD = np.radians(70.0)


def _neutral() -> np.ndarray:
    rotvec = np.zeros((NUM_JOINTS, 3))
    # SMPL-X's arms rest along +-x; z > 0 raises the left arm (limits.py), so -70 degrees lowers it.
    rotvec[JOINT_INDEX["left_shoulder"]] = (0.0, 0.0, -_ARM_DOWN_RAD)
    rotvec[JOINT_INDEX["right_shoulder"]] = (0.0, 0.0, _ARM_DOWN_RAD)
    return rotvec


NEUTRAL_ROTVEC = _neutral()
"""(55, 3) the pose an unsure joint takes when it was never seen in its track."""
KEEP_SOLVED_WHEN_NEVER_SURE = frozenset({JOINT_INDEX["pelvis"]})


def hold_unsure(full_pose_rotvec: np.ndarray, confidence: np.ndarray, valid: np.ndarray,
                frames: np.ndarray | None = None) -> np.ndarray:
    """One track's rotations with every unsure joint filled from its sure frames.

    Args:
        full_pose_rotvec: (T, 55, 3) local axis-angle (row 0 the global orientation).
        confidence: (T, 55) per-joint confidence.
        valid: (T,) bool; invalid frames are returned as given and never used.
        frames: (T,) frame numbers for the slerp's fractions (default 0..T-1).
    Returns:
        (T, 55, 3) a filled copy; sure frames unchanged.
    """
    rotvec = np.array(full_pose_rotvec, dtype=np.float64, copy=True)
    confidence = np.asarray(confidence, dtype=np.float64)
    valid = np.asarray(valid, dtype=bool)
    times = np.arange(len(valid), dtype=np.float64) if frames is None else np.asarray(frames, dtype=np.float64)
    sure = valid[:, None] & (confidence >= SURE)
    unsure = valid[:, None] & ~sure
    quat = rotvec_to_quat_wxyz(rotvec)
    for j in np.flatnonzero(unsure.any(0)):
        todo = np.flatnonzero(unsure[:, j])
        seen = np.flatnonzero(sure[:, j])
        if seen.size == 0:
            if j not in KEEP_SOLVED_WHEN_NEVER_SURE:
                rotvec[todo, j] = NEUTRAL_ROTVEC[j]
            continue
        k = np.searchsorted(seen, todo)
        before = seen[np.clip(k - 1, 0, seen.size - 1)]
        after = seen[np.clip(k, 0, seen.size - 1)]
        before = np.where(k == 0, after, before)         # nothing sure before: hold the next
        after = np.where(k == seen.size, before, after)  # nothing sure after: hold the last
        span = times[after] - times[before]
        fraction = np.where(span > 0, (times[todo] - times[before]) / np.where(span > 0, span, 1.0), 0.0)
        qa, qb = quat[before, j], quat[after, j]
        relative = quat_multiply_wxyz(quat_conjugate_wxyz(qa), qb)   # the short way: rotvec angle <= pi
        step = quat_wxyz_to_rotvec(relative) * fraction[:, None]
        rotvec[todo, j] = quat_wxyz_to_rotvec(quat_multiply_wxyz(qa, rotvec_to_quat_wxyz(step)))
    return rotvec
