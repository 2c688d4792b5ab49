"""The SMPL-X joint table: the one place the 55 joint names and parents are written.

Joint order and parents follow ``CAPTURE_FORMAT.md`` (and the ``smplx`` package).
Also holds the built-in rest skeleton used when the user gives no SMPL-X model file:
same joints, parents and identity rest orientations as SMPL-X, standard adult
proportions, in the SMPL-X model frame (y up, the body faces +z, the person's own
left is +x), metres, pelvis at the origin.
"""
from __future__ import annotations

import numpy as np

NUM_JOINTS = 55
NUM_BODY_JOINTS = 21  # joints 1..21, the ``body_pose`` of SMPL-X
NUM_HAND_JOINTS = 15

_BODY_NAMES = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2",
    "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot", "neck",
    "left_collar", "right_collar", "head", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "jaw",
    "left_eye_smplhf", "right_eye_smplhf",
)
_FINGERS = ("index", "middle", "pinky", "ring", "thumb")
_HAND_NAMES = tuple(f"{finger}{k}" for finger in _FINGERS for k in (1, 2, 3))

JOINT_NAMES: tuple[str, ...] = (
    _BODY_NAMES
    + tuple(f"left_{n}" for n in _HAND_NAMES)
    + tuple(f"right_{n}" for n in _HAND_NAMES)
)

PARENTS = np.array(
    [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17,
     18, 19, 15, 15, 15, 20, 25, 26, 20, 28, 29, 20, 31, 32, 20, 34, 35, 20, 37,
     38, 21, 40, 41, 21, 43, 44, 21, 46, 47, 21, 49, 50, 21, 52, 53],
    dtype=np.int32,
)

JOINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(JOINT_NAMES)}

# Index ranges into the 55 joints.
BODY_POSE_JOINTS = np.arange(1, 22)          # body_pose[0..20] -> joints 1..21
JAW, LEFT_EYE, RIGHT_EYE = 22, 23, 24
LEFT_HAND_JOINTS = np.arange(25, 40)         # left_hand_pose[0..14]
RIGHT_HAND_JOINTS = np.arange(40, 55)        # right_hand_pose[0..14]
LEFT_WRIST, RIGHT_WRIST = 20, 21

# Built-in adult rest skeleton: joint offsets from the parent, metres, SMPL-X model
# frame. Values are rounded from the neutral SMPL-X template (an adult of about
# 1.70 m); the left side is given and mirrored (x -> -x) for the right side.
_LEFT_BODY_OFFSETS = {
    "left_hip": (0.056, -0.090, -0.012),
    "left_knee": (0.040, -0.373, 0.006),
    "left_ankle": (-0.010, -0.400, -0.040),
    "left_foot": (0.025, -0.058, 0.122),
    "left_collar": (0.075, 0.113, -0.015),
    "left_shoulder": (0.115, 0.045, -0.010),
    "left_elbow": (0.260, -0.013, -0.025),
    "left_wrist": (0.250, 0.008, -0.003),
    "left_eye_smplhf": (0.031, 0.076, 0.090),
}
_CENTRE_OFFSETS = {
    "spine1": (0.000, 0.110, -0.020),
    "spine2": (0.000, 0.135, 0.010),
    "spine3": (0.000, 0.055, 0.005),
    "neck": (0.000, 0.215, -0.030),
    "head": (0.000, 0.085, 0.050),
    "jaw": (0.000, 0.020, 0.010),
}
# Left hand finger offsets (from the wrist for the first joint of each finger, then
# from the previous joint), metres; the open flat hand of the SMPL-X rest pose points
# along +x for the left hand.
_LEFT_HAND_OFFSETS = {
    "index": ((0.088, -0.005, 0.026), (0.035, 0.000, 0.000), (0.024, -0.002, 0.000)),
    "middle": ((0.095, -0.004, 0.005), (0.036, 0.000, 0.000), (0.026, -0.002, 0.000)),
    "pinky": ((0.075, -0.010, -0.035), (0.022, 0.000, -0.005), (0.018, -0.002, -0.002)),
    "ring": ((0.088, -0.007, -0.016), (0.031, 0.000, -0.002), (0.025, -0.002, -0.001)),
    "thumb": ((0.030, -0.015, 0.030), (0.025, -0.005, 0.020), (0.022, -0.002, 0.018)),
}


def _mirror(offset: tuple[float, float, float]) -> tuple[float, float, float]:
    return (-offset[0], offset[1], offset[2])


def default_rest_offsets() -> np.ndarray:
    """Offsets of each joint from its parent in the built-in adult skeleton.

    Returns:
        (55, 3) float64, metres, SMPL-X model frame; row 0 (pelvis) is zero.
    """
    offsets = np.zeros((NUM_JOINTS, 3))
    for name, off in _CENTRE_OFFSETS.items():
        offsets[JOINT_INDEX[name]] = off
    for name, off in _LEFT_BODY_OFFSETS.items():
        offsets[JOINT_INDEX[name]] = off
        offsets[JOINT_INDEX["right_" + name[len("left_"):]]] = _mirror(off)
    for finger, chain in _LEFT_HAND_OFFSETS.items():
        for k, off in enumerate(chain, start=1):
            offsets[JOINT_INDEX[f"left_{finger}{k}"]] = off
            offsets[JOINT_INDEX[f"right_{finger}{k}"]] = _mirror(off)
    return offsets


def offsets_to_rest_joints(offsets: np.ndarray) -> np.ndarray:
    """Accumulates parent offsets into joint positions.

    Args:
        offsets: (..., 55, 3) offsets from each joint's parent.
    Returns:
        (..., 55, 3) joint positions, pelvis at the origin.
    """
    joints = np.zeros_like(offsets)
    for j in range(1, NUM_JOINTS):
        joints[..., j, :] = joints[..., PARENTS[j], :] + offsets[..., j, :]
    return joints


def rest_joints_to_offsets(rest_joints: np.ndarray) -> np.ndarray:
    """Inverse of :func:`offsets_to_rest_joints`: (..., 55, 3) -> (..., 55, 3)."""
    offsets = rest_joints - rest_joints[..., np.maximum(PARENTS, 0), :]
    offsets[..., 0, :] = 0.0
    return offsets


def default_rest_joints() -> np.ndarray:
    """The built-in adult skeleton in the zero pose: (55, 3) float64, metres."""
    return offsets_to_rest_joints(default_rest_offsets())
