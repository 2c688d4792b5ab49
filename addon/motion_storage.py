"""Keyframes or samples: how an import stores the captured motion (the rule; no bpy).

A keyframe is Blender's 72-byte ``BezTriple`` (value, two handles, flags); a baked
sample (``FPoint``) is 16 bytes. Blender holds each action twice, the original and
the depsgraph's evaluated copy, so a key costs 144 bytes of memory and a sample 32
(measured with ``bench/bench_import.py``). Samples play, render, export and
retarget exactly like our LINEAR keys on whole frames, but cannot be edited until
turned back into keys (Graph Editor: Channel > Samples to Keys), so they are the
default only where keyframes would not fit comfortably in memory.
"""
from __future__ import annotations

import numpy as np

from ..wholebody_core.capture_format import Capture
from ..wholebody_core.skeleton import NUM_JOINTS

STORAGE_ITEMS = [
    ("AUTO", "Auto", "Keyframes, or samples when the keyframes would take more than 1 GB of memory "
                     "(long clips, many people)"),
    ("KEYFRAMES", "Keyframes", "Editable keys on every captured frame (144 bytes of memory per key)"),
    ("SAMPLES", "Samples", "Baked samples: 4.5 times less memory, play and export the same; to edit curves, "
                           "Graph Editor > Channel > Samples to Keys"),
]

BYTES_PER_KEYFRAME = 2 * 72      # BezTriple, in the action and in its evaluated copy
AUTO_KEYFRAME_BUDGET_BYTES = 1 << 30


def keys_per_person_frame(capture: Capture, expression_channels: int = 0) -> int:
    """Animated channels keyed on each valid frame of one person: every bone's quaternion,
    the pelvis location, the capture confidence, the bones' joint confidences (when the
    capture has them) and the body's expression shape keys."""
    joint_confidence = NUM_JOINTS if capture.joint_confidence is not None else 0
    return NUM_JOINTS * 4 + 3 + 1 + joint_confidence + expression_channels


def keyframe_count(capture: Capture, expression_channels: int = 0) -> int:
    return int(np.count_nonzero(capture.valid)) * keys_per_person_frame(capture, expression_channels)


def use_samples(storage: str, capture: Capture, expression_channels: int = 0) -> bool:
    """Whether the import bakes the motion into samples (``storage``: an item of STORAGE_ITEMS)."""
    if storage not in ("AUTO", "KEYFRAMES", "SAMPLES"):
        raise ValueError(f"unknown motion storage {storage!r}")
    if storage != "AUTO":
        return storage == "SAMPLES"
    return keyframe_count(capture, expression_channels) * BYTES_PER_KEYFRAME > AUTO_KEYFRAME_BUDGET_BYTES
