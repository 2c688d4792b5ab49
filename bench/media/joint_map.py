"""Which anny bone stands for which SMPL-X joint (pure data, no torch, no Blender).

Each mapped SMPL-X joint is the *head* (the pivot) of one anny bone, posed. The two
skeletons are drawn by different people, so the points differ by small, nearly
constant offsets in the body's own frame; ``bench/media/README.md`` lists them. The
SMPL-X jaw has no anny bone in the default rig and is not mapped.
"""
from __future__ import annotations

import numpy as np

from wholebody_core.skeleton import JOINT_NAMES

# SMPL-X joint name -> anny bone whose head is used (anny rig "anny", topology "anny").
_BODY = {
    "pelvis": "root",
    "left_hip": "upperleg01.L", "right_hip": "upperleg01.R",
    "spine1": "spine03",
    "left_knee": "lowerleg01.L", "right_knee": "lowerleg01.R",
    "spine2": "spine02",
    "left_ankle": "foot.L", "right_ankle": "foot.R",
    "spine3": "spine01",
    "left_foot": "toe3-1.L", "right_foot": "toe3-1.R",
    "neck": "neck01",
    "left_collar": "clavicle.L", "right_collar": "clavicle.R",
    "head": "head",
    "left_shoulder": "upperarm01.L", "right_shoulder": "upperarm01.R",
    "left_elbow": "lowerarm01.L", "right_elbow": "lowerarm01.R",
    "left_wrist": "wrist.L", "right_wrist": "wrist.R",
    "left_eye_smplhf": "eye.L", "right_eye_smplhf": "eye.R",
}
# SMPL-X finger -> anny finger number (finger1 is the thumb, finger5 the little finger).
_FINGERS = {"index": 2, "middle": 3, "pinky": 5, "ring": 4, "thumb": 1}


def _build() -> dict[str, str]:
    table = dict(_BODY)
    for side, s in (("left", "L"), ("right", "R")):
        for finger, number in _FINGERS.items():
            for k in (1, 2, 3):
                table[f"{side}_{finger}{k}"] = f"finger{number}-{k}.{s}"
    return table


ANNY_TO_SMPLX: dict[str, str] = _build()
"""SMPL-X joint name -> anny bone label, for every mapped joint."""

SMPLX_NAMES: tuple[str, ...] = tuple(n for n in JOINT_NAMES if n in ANNY_TO_SMPLX)
"""The mapped SMPL-X joints, in SMPL-X order (all 55 but the jaw)."""

SMPLX_INDICES = np.array([JOINT_NAMES.index(n) for n in SMPLX_NAMES], dtype=np.int64)
"""Index of each mapped joint in the 55 SMPL-X joints."""

BODY_JOINTS: tuple[str, ...] = tuple(n for n in SMPLX_NAMES if n in _BODY and "eye" not in n)
"""The 22 body joints the scorer's MPJPE uses (pelvis .. wrists)."""

COCO_NAMES: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)
"""anny's COCO keypoint regressor (surface/anatomical points), COCO order."""


def smplx_from_bones(bone_heads: np.ndarray, bone_labels: list[str]) -> np.ndarray:
    """(..., B, 3) anny bone heads -> (..., J, 3) mapped SMPL-X joints (``SMPLX_NAMES``)."""
    index = [bone_labels.index(ANNY_TO_SMPLX[n]) for n in SMPLX_NAMES]
    return bone_heads[..., index, :]


def is_left(name: str) -> bool:
    return name.startswith("left_")


def is_right(name: str) -> bool:
    return name.startswith("right_")
