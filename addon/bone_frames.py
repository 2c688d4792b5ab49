"""The armature's rest layout: each bone's tail, roll and connection (numpy only, no bpy).

Every bone's head is its SMPL-X rest joint. The layout, in the SMPL-X model frame
(y up, the body faces +z, the person's own left is +x):

- **Tails.** A bone runs from its joint to one child joint: the only child, or
  along the chain where a joint has several (pelvis -> spine1, spine3 -> neck,
  wrist -> middle1, see ``CHAIN_CHILD``). The head bone runs straight up from the
  head joint (``HEAD_LENGTH`` x the torso length, pelvis to neck: about the top of
  the skull). Leaf bones: a finger's 3rd phalanx continues its 2nd phalanx's
  direction (``FINGERTIP_RATIO`` x its length); a foot (the SMPL-X foot joint is
  the ball of the foot) points along the foot's horizontal direction (ankle ->
  foot, made level) as a toe bone; the eyes look forward (+z); the jaw points
  forward and down towards the chin. Leaf lengths are fixed fractions of the torso
  length, so they scale with the person.
- **Connections.** ``use_connect`` exactly where the parent's tail is this bone's
  head (the parent's chain child): the spine, neck and head, collar -> shoulder ->
  elbow -> wrist, hip -> knee -> ankle -> foot, the middle finger on the wrist and
  every finger's 2nd and 3rd phalanx. Hips, collars, jaw, eyes and the other
  fingers' 1st phalanx keep an offset (``use_connect`` off).
- **Roll (one rule for every bone).** The bone's local Z axis is the model's
  forward direction (+z) made perpendicular to the bone; for bones within 30
  degrees of forward or backward (toes, eyes, jaw, sometimes the foot) the
  model's up direction (+y) made perpendicular instead. (For a bone pointing
  forward and down the two agree, so the switch does not flip the foot.) The
  local X axis is Y x Z. So Z faces forward on the spine, arms, legs and fingers
  (the front of the knee, the thumb side of a flat hand) and up on the toes,
  eyes and jaw; left and right bones are mirror images with X mirrored and
  negated (Blender's own mirror convention: a mirrored pose has the same X
  rotation and negated Y and Z rotations).

The rest frame of bone j, ``N_j`` (3, 3), has the bone's X, Y (head -> tail) and
Z axes as columns, in model coordinates; ``axis_conversion`` turns it into the
armature-space rest matrix and converts the SMPL-X rotations onto it.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..wholebody_core.skeleton import JOINT_INDEX, JOINT_NAMES, NUM_JOINTS, PARENTS

# Joints with several children: the child the bone points at.
CHAIN_CHILD = {
    "pelvis": "spine1",
    "spine3": "neck",
    "left_wrist": "left_middle1",
    "right_wrist": "right_middle1",
}
HEAD_LENGTH = 0.3          # x torso length: head joint -> top of the skull
TOE_LENGTH = 0.1           # x torso length: the SMPL-X foot joint (ball) -> toe tips
EYE_LENGTH = 0.05          # x torso length
JAW_LENGTH = 0.2           # x torso length: jaw joint -> chin
FINGERTIP_RATIO = 0.8      # distal phalanx / middle phalanx
JAW_DIRECTION = np.array([0.0, -0.6, 0.8])
MIN_BONE_LENGTH_M = 0.005  # Blender deletes zero-length bones
FORWARD_CONE_DEG = 30.0
_DEFAULT_TORSO_M = 0.5

MODEL_UP = np.array([0.0, 1.0, 0.0])
MODEL_FORWARD = np.array([0.0, 0.0, 1.0])


@dataclasses.dataclass
class RestLayout:
    """One person's bones in the model frame (pelvis at the origin when the rest joints have it so)."""

    heads: np.ndarray        # (55, 3) metres: the rest joints
    tails: np.ndarray        # (55, 3) metres
    frames: np.ndarray       # (55, 3, 3) columns: the bone's X, Y (head -> tail), Z axes
    connected: np.ndarray    # (55,) bool: head == parent's tail

    @property
    def lengths(self) -> np.ndarray:
        """(55,) metres."""
        return np.linalg.norm(self.tails - self.heads, axis=-1)


def chain_children() -> np.ndarray:
    """(55,) the child joint each bone points at, -1 for leaves (and the head)."""
    child = np.full(NUM_JOINTS, -1, dtype=np.int64)
    for j, name in enumerate(JOINT_NAMES):
        children = np.flatnonzero(PARENTS == j)
        if name in CHAIN_CHILD:
            child[j] = JOINT_INDEX[CHAIN_CHILD[name]]
        elif name != "head" and children.size == 1:
            child[j] = int(children[0])
    return child


def _unit(v: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(v)
    return v / norm if norm > 1e-9 else fallback


def _leaf_direction_and_length(j: int, rest: np.ndarray, torso: float) -> tuple[np.ndarray, float]:
    name = JOINT_NAMES[j]
    parent = int(PARENTS[j])
    if name == "head":
        return MODEL_UP, HEAD_LENGTH * torso
    if name.endswith("_foot"):
        along = rest[j] - rest[parent]
        along = along - along[1] * MODEL_UP                   # level
        return _unit(along, MODEL_FORWARD), TOE_LENGTH * torso
    if "_eye" in name:
        return MODEL_FORWARD, EYE_LENGTH * torso
    if name == "jaw":
        return JAW_DIRECTION / np.linalg.norm(JAW_DIRECTION), JAW_LENGTH * torso
    # a finger's 3rd phalanx: its 2nd phalanx's direction
    along = rest[j] - rest[parent]
    return _unit(along, MODEL_UP), FINGERTIP_RATIO * float(np.linalg.norm(along))


def bone_frame(direction: np.ndarray) -> np.ndarray:
    """(3, 3) the roll rule for a bone along ``direction`` (3,) (model frame): columns X, Y, Z."""
    y = direction / np.linalg.norm(direction)
    near_forward = abs(float(y @ MODEL_FORWARD)) > np.cos(np.radians(FORWARD_CONE_DEG))
    reference = MODEL_UP if near_forward else MODEL_FORWARD
    z = reference - (reference @ y) * y
    z /= np.linalg.norm(z)
    x = np.cross(y, z)
    return np.stack([x, y, z], axis=-1)


def rest_layout(rest_joints_model: np.ndarray) -> RestLayout:
    """The bones of one person.

    Args:
        rest_joints_model: (55, 3) the zero-pose joints, metres, model frame.
    Returns:
        :class:`RestLayout` (every bone at least ``MIN_BONE_LENGTH_M`` long).
    """
    rest = np.asarray(rest_joints_model, dtype=np.float64)
    torso = float(np.linalg.norm(rest[JOINT_INDEX["neck"]] - rest[JOINT_INDEX["pelvis"]]))
    if torso < 0.05:
        torso = _DEFAULT_TORSO_M
    child = chain_children()
    tails = np.empty_like(rest)
    connected = np.zeros(NUM_JOINTS, dtype=bool)
    for j in range(NUM_JOINTS):
        if child[j] >= 0 and np.linalg.norm(rest[child[j]] - rest[j]) >= MIN_BONE_LENGTH_M:
            tails[j] = rest[child[j]]
        else:
            direction, length = _leaf_direction_and_length(j, rest, torso)
            if child[j] >= 0:     # a degenerate chain bone (child on the joint): point it up
                direction, length = MODEL_UP, MIN_BONE_LENGTH_M
            tails[j] = rest[j] + direction * max(length, MIN_BONE_LENGTH_M)
    for j in range(1, NUM_JOINTS):
        parent = int(PARENTS[j])
        connected[j] = child[parent] == j and np.allclose(tails[parent], rest[j], atol=1e-9)
    frames = np.stack([bone_frame(tails[j] - rest[j]) for j in range(NUM_JOINTS)])
    return RestLayout(heads=rest.copy(), tails=tails, frames=frames, connected=connected)
