"""Anatomical joint limits of the SMPL-X joints, and projection into them.

Each local rotation R (relative to the parent, SMPL-X model axes) is split as
R = swing @ twist, the twist about one fixed local axis (the bone's axis: x for
the arms and fingers, y for the legs and spine, z for the jaw and eyes) and the
swing about an axis perpendicular to it. A joint's range is a box: the twist
angle in [lo, hi] and each of the two other components of the swing's
axis-angle vector in [lo, hi]. Projection clips each component (clamping, not
an optimal projection on the rotation manifold). The pelvis (global orientation)
is free.

Ranges, degrees, for the person's own LEFT side and the centre line (the right
side mirrors them: x components keep their sign, y and z swap and negate).
Signs in SMPL-X axes (y up, the body faces +z, own left +x):

| joint | twist axis | twist | x | y | z | notes |
|---|---|---|---|---|---|---|
| hip | y | -45..45 | -140..35 | . | -35..80 | x<0 thigh forward; z>0 abduction |
| knee | y | -30..30 | 0..155 | . | -10..10 | bends one way (x>0, shin backward) |
| ankle | y | -35..35 | -45..60 | . | -35..35 | x>0 toes down |
| foot (toes) | y | -10..10 | -45..45 | . | -10..10 | |
| spine1/2/3 | y | -30..30 | -25..50 | . | -25..25 | each; x>0 bends forward |
| neck | y | -45..45 | -40..50 | . | -35..35 | |
| head | y | -60..60 | -40..40 | . | -30..30 | |
| collar | x | -20..20 | . | -25..25 | -15..30 | |
| shoulder | x | -100..100 | . | -140..60 | -105..105 | y<0 arm forward; z>0 arm up |
| elbow | x | -90..90 | . | -150..5 | -15..15 | bends one way (y<0, forearm forward) |
| wrist | x | -45..45 | . | -35..40 | -85..85 | z<0 flexion toward the palm |
| jaw | z | -10..10 | -5..35 | -10..10 | . | x>0 opens the mouth |
| eyes | z | -5..5 | -35..35 | -45..45 | . | |
| index/middle/ring/pinky 1 | x | -25..25 | . | -30..30 | -100..30 | z<0 flexion |
| index/middle/ring/pinky 2, 3 | x | -20..20 | . | -10..10 | -110..10 | one way |
| thumb 1 | x | -40..40 | . | -60..60 | -60..60 | |
| thumb 2, 3 | x | -40..40 | . | -70..70 | -70..70 | |
"""
from __future__ import annotations

import numpy as np

from ..skeleton import JOINT_NAMES, NUM_JOINTS
from ..maths.rotations import axis_angle_rotmat, rotvec_to_rotmat
from .geometry import swing_twist

_FREE = (-np.inf, np.inf)
# name (left/centre) -> (twist axis, {axis: (lo, hi) degrees}), the twist axis's
# entry being the twist range.
_TABLE: dict[str, tuple[int, dict[int, tuple[float, float]]]] = {
    "hip": (1, {1: (-45, 45), 0: (-140, 35), 2: (-35, 80)}),
    "knee": (1, {1: (-30, 30), 0: (0, 155), 2: (-10, 10)}),
    "ankle": (1, {1: (-35, 35), 0: (-45, 60), 2: (-35, 35)}),
    "foot": (1, {1: (-10, 10), 0: (-45, 45), 2: (-10, 10)}),
    "spine1": (1, {1: (-30, 30), 0: (-25, 50), 2: (-25, 25)}),
    "spine2": (1, {1: (-30, 30), 0: (-25, 50), 2: (-25, 25)}),
    "spine3": (1, {1: (-30, 30), 0: (-25, 50), 2: (-25, 25)}),
    "neck": (1, {1: (-45, 45), 0: (-40, 50), 2: (-35, 35)}),
    "head": (1, {1: (-60, 60), 0: (-40, 40), 2: (-30, 30)}),
    "collar": (0, {0: (-20, 20), 1: (-25, 25), 2: (-15, 30)}),
    "shoulder": (0, {0: (-100, 100), 1: (-140, 60), 2: (-105, 105)}),
    "elbow": (0, {0: (-90, 90), 1: (-150, 5), 2: (-15, 15)}),
    "wrist": (0, {0: (-45, 45), 1: (-35, 40), 2: (-85, 85)}),
    "jaw": (2, {2: (-10, 10), 0: (-5, 35), 1: (-10, 10)}),
    "eye_smplhf": (2, {2: (-5, 5), 0: (-35, 35), 1: (-45, 45)}),
    "finger1": (0, {0: (-25, 25), 1: (-30, 30), 2: (-100, 30)}),
    "finger23": (0, {0: (-20, 20), 1: (-10, 10), 2: (-110, 10)}),
    "thumb1": (0, {0: (-40, 40), 1: (-60, 60), 2: (-60, 60)}),
    "thumb23": (0, {0: (-40, 40), 1: (-70, 70), 2: (-70, 70)}),
}


def _table_key(name: str) -> str:
    base = name.removeprefix("left_").removeprefix("right_")
    if base.startswith("thumb"):
        return "thumb1" if base.endswith("1") else "thumb23"
    if base[:-1] in ("index", "middle", "ring", "pinky"):
        return "finger1" if base.endswith("1") else "finger23"
    return base


def _build() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    axis = np.zeros(NUM_JOINTS, dtype=np.int64)
    lower = np.full((NUM_JOINTS, 3), -np.inf)
    upper = np.full((NUM_JOINTS, 3), np.inf)
    for j, name in enumerate(JOINT_NAMES):
        if name == "pelvis":
            axis[j] = 1
            continue
        twist_axis, ranges = _TABLE[_table_key(name)]
        axis[j] = twist_axis
        for a, (lo, hi) in ranges.items():
            lo, hi = np.radians(lo), np.radians(hi)
            if name.startswith("right_") and a != 0:
                lo, hi = -hi, -lo
            lower[j, a], upper[j, a] = lo, hi
    return axis, lower, upper


TWIST_AXIS, LOWER_RAD, UPPER_RAD = _build()
_UNIT = np.eye(3)


def limit_coordinates(local_rotmat: np.ndarray, joint_idx: np.ndarray) -> np.ndarray:
    """The coordinates the limits are boxes in: (..., J, 3, 3) -> (..., J, 3).

    Component ``TWIST_AXIS[j]`` is the twist angle, the two others the swing's
    axis-angle components.
    """
    joint_idx = np.asarray(joint_idx)
    axis = _UNIT[TWIST_AXIS[joint_idx]]
    swing, twist = swing_twist(local_rotmat, axis)
    onehot = axis.astype(bool)
    return np.where(onehot, twist[..., None], swing)


def within_limits(local_rotmat: np.ndarray, joint_idx: np.ndarray, tol_rad: float = 1e-3) -> np.ndarray:
    """(..., J, 3, 3) -> (..., J) bool: every coordinate inside its range (+ tol)."""
    joint_idx = np.asarray(joint_idx)
    c = limit_coordinates(local_rotmat, joint_idx)
    ok = (c >= LOWER_RAD[joint_idx] - tol_rad) & (c <= UPPER_RAD[joint_idx] + tol_rad)
    return ok.all(-1)


def clamp_to_limits(local_rotmat: np.ndarray, joint_idx: np.ndarray | int) -> np.ndarray:
    """Projects local rotations into their ranges (clips each coordinate).

    Args:
        local_rotmat: (..., J, 3, 3), or (..., 3, 3) with a scalar ``joint_idx``.
        joint_idx: (J,) joint indices (or an int).
    Returns:
        Same shape as ``local_rotmat``.
    """
    scalar = np.ndim(joint_idx) == 0
    if scalar:
        local_rotmat = local_rotmat[..., None, :, :]
    joint_idx = np.atleast_1d(joint_idx)
    axis = _UNIT[TWIST_AXIS[joint_idx]]
    onehot = axis.astype(bool)
    raw = limit_coordinates(local_rotmat, joint_idx)
    c = np.clip(raw, LOWER_RAD[joint_idx], UPPER_RAD[joint_idx])
    if np.array_equal(c, raw):
        return local_rotmat[..., 0, :, :] if scalar else local_rotmat
    twist = np.sum(np.where(onehot, c, 0.0), -1)
    swing = np.where(onehot, 0.0, c)
    out = rotvec_to_rotmat(swing) @ axis_angle_rotmat(axis, twist)
    return out[..., 0, :, :] if scalar else out

