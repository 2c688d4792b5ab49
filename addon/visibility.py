"""A person disappears while not captured: visibility keys and gap-safe interpolation.

Pure helpers (numpy) plus one bpy writer. The rule, for one person over the
captured frames (scene frames ``frames``, ``valid`` per frame):

- a *run* is a maximal stretch of consecutive captured frames where the person
  is valid; it covers scene frames ``frames[first] .. frames[last]``;
- the armature and its body are shown on every scene frame inside a run and
  hidden on every other frame: a "shown" key on each run's first frame, a
  "hidden" key on the frame after each run's last frame (when a captured frame
  follows), and a "hidden" key on the first captured frame when the person is
  not valid there. All keys are CONSTANT, so a key holds until the next one
  (and before the first key the curve holds the first key's value);
- the pose keys on the last valid frame before a gap are CONSTANT, so the pose
  never interpolates across frames where the person was not captured (nothing
  is shown there anyway; the next run starts on its own key);
- a person valid on every captured frame gets no visibility keys at all.
"""
from __future__ import annotations

import numpy as np

HIDE_PATHS = ("hide_viewport", "hide_render")
VISIBILITY_GROUP = "Visibility"


def visibility_keys(valid: np.ndarray, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keys that hide a person outside their valid runs.

    Args:
        valid: (T,) bool, the person was captured on each captured frame.
        frames: (T,) scene frame numbers of the captured frames, increasing.
    Returns:
        key frames (N,) float64 and hidden values (N,) float64 (1.0 hidden, 0.0 shown),
        both empty when ``valid`` is all true (or T = 0).
    """
    valid = np.asarray(valid, dtype=bool)
    frames = np.asarray(frames, dtype=np.float64)
    if valid.all():
        return np.zeros(0), np.zeros(0)
    previous = np.concatenate([[False], valid[:-1]])
    following = np.concatenate([valid[1:], [True]])        # the last frame needs no "hidden" after it
    starts = np.flatnonzero(valid & ~previous)
    ends = np.flatnonzero(valid & ~following)
    key_frames = [frames[starts], frames[ends] + 1.0]
    hidden = [np.zeros(len(starts)), np.ones(len(ends))]
    if not valid[0]:
        key_frames.append(frames[:1])
        hidden.append(np.ones(1))
    key_frames = np.concatenate(key_frames)
    hidden = np.concatenate(hidden)
    order = np.argsort(key_frames, kind="stable")
    return key_frames[order], hidden[order]


def holds_before_gap(valid: np.ndarray) -> np.ndarray:
    """Which valid frames' keys must hold (CONSTANT) because a gap follows.

    Args:
        valid: (T,) bool.
    Returns:
        (N,) bool over the valid frames only (N = valid.sum()): true on the last
        valid frame of every run that is followed by a not-captured frame.
    """
    valid = np.asarray(valid, dtype=bool)
    gap_next = np.concatenate([~valid[1:], [False]])
    return (valid & gap_next)[valid]


def write_visibility(writer, valid: np.ndarray, frames: np.ndarray) -> bool:
    """Keys ``hide_viewport`` and ``hide_render`` on the writer's object. Returns whether any were written."""
    key_frames, hidden = visibility_keys(valid, frames)
    if len(key_frames) == 0:
        return False
    for path in HIDE_PATHS:
        # a few keys at the gaps' ends: always keyframes (samples would store every frame between)
        writer.write(path, key_frames, hidden[:, None], VISIBILITY_GROUP, interpolation="CONSTANT",
                     may_sample=False)
    return True
