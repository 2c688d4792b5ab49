"""Per-joint confidence on import: which rotation keys to write, a keyed property per bone, bone colours.

The capture's ``joint_confidence`` (P, T, 55) says how sure the capture is of each
joint's position; below 0.5 the joint was not really seen. A bone's rotation is
sure where its joint and its children are seen
(``wholebody_core.solve.confidence.rotation_confidence``; the hip's rotation needs
the knee), and where it is not, the core wrote a held
rotation (the slerp of its sure frames, or a neutral one). On import:

* every pose bone gets the custom property ``wholebody_confidence``
  (:data:`BONE_CONFIDENCE_PROPERTY`): its joint's position confidence, keyed on
  every valid frame, so it can be read per bone over time (Graph Editor,
  drivers, scripts); 1 and unkeyed for a capture without ``joint_confidence``;
* with "Key unsure joints" off, a bone gets no rotation key on the frames where
  its rotation is unsure: its F-curves interpolate between the sure keys (a bone
  never sure gets no rotation keys at all and stays in its rest pose). A key is
  CONSTANT when a frame without the person follows before the bone's next key;
* each bone's colour tells how often its rotation was sure: the default colour
  when sure on at least :data:`MOSTLY_SURE` of the person's valid frames, orange
  when sure on at least half, red below.

A capture without ``joint_confidence`` (written before it existed) is fully sure.
"""
from __future__ import annotations

import numpy as np

from ..wholebody_core.capture_format import Capture
from ..wholebody_core.skeleton import JOINT_NAMES, NUM_JOINTS

BONE_CONFIDENCE_PROPERTY = "wholebody_confidence"
SURE = 0.5
MOSTLY_SURE = 0.9
UNSURE_COLORS = {  # (normal, select, active) for bones sure on at least half / on less than half their frames
    "partly": ((0.95, 0.55, 0.10), (1.0, 0.75, 0.35), (1.0, 0.85, 0.55)),
    "unsure": ((0.85, 0.12, 0.10), (1.0, 0.40, 0.35), (1.0, 0.60, 0.55)),
}


def person_joint_confidence(capture: Capture, person: int) -> np.ndarray:
    """(T, 55) float32: the capture's joint confidence, or 1 on every valid frame when it has none."""
    if capture.joint_confidence is not None:
        return np.asarray(capture.joint_confidence[person], dtype=np.float32)
    return np.repeat(capture.valid[person][:, None], NUM_JOINTS, axis=1).astype(np.float32)


def holds_before_missing(keyed: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Which keys hold (CONSTANT): a frame without the person comes before the next key (or the end).

    Args:
        keyed: (T,) bool, frames keyed (a subset of ``valid``).
        valid: (T,) bool, frames the person was captured on.
    Returns:
        (keyed.sum(),) bool.
    """
    keyed = np.asarray(keyed, dtype=bool)
    missing_before = np.concatenate([[0], np.cumsum(~np.asarray(valid, dtype=bool))])   # missing in [0, t)
    index = np.flatnonzero(keyed)
    following = np.append(index[1:], len(keyed))
    return missing_before[following] - missing_before[index + 1] > 0


def sure_share(confidence: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """(T, 55), (T,) -> (55,) share of the valid frames on which each joint was sure (1 without valid frames)."""
    if not np.any(valid):
        return np.ones(confidence.shape[-1])
    return (confidence[np.asarray(valid, dtype=bool)] >= SURE).mean(axis=0)


def color_class(share: float) -> str | None:
    """None (default colour), 'partly' or 'unsure' for a bone sure on ``share`` of its frames."""
    if share >= MOSTLY_SURE:
        return None
    return "partly" if share >= SURE else "unsure"


def color_bones(armature_obj, shares: np.ndarray) -> None:
    """Sets each bone's colour from its sure share (Blender 4.0+ bone colours)."""
    for j, name in enumerate(JOINT_NAMES):
        kind = color_class(float(shares[j]))
        if kind is None:
            continue
        color = armature_obj.data.bones[name].color
        color.palette = "CUSTOM"
        color.custom.normal, color.custom.select, color.custom.active = UNSURE_COLORS[kind]


def write_bone_confidence(writer, armature_obj, frames: np.ndarray, confidence_valid: np.ndarray | None,
                          constant_keys: np.ndarray) -> None:
    """Keys ``pose.bones[name]["wholebody_confidence"]`` of every bone on the valid frames.

    Args:
        frames: (N,) scene frames of the valid frames; confidence_valid: (N, 55), or None
            for a capture without ``joint_confidence``: the property is then 1, unkeyed
            (no 55 more F-curves for nothing to show).
    """
    for j, name in enumerate(JOINT_NAMES):
        armature_obj.pose.bones[name][BONE_CONFIDENCE_PROPERTY] = 1.0
        if confidence_valid is None:
            continue
        writer.write(f'pose.bones["{name}"]["{BONE_CONFIDENCE_PROPERTY}"]', frames,
                     confidence_valid[:, j:j + 1], name, constant_keys=constant_keys)
