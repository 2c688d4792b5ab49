"""Hands: the hand's global rotation (from the hand landmarks or from BlazePose's
hand points) and the 15 finger joints from the 21 hand landmarks.

Fingers (index, middle, ring, pinky): the knuckle (MCP, joint 1) swings to the
proximal bone and twists so that the PIP bends one way about its hinge (local z;
the finger splay and twist); PIP and DIP (joints 2, 3) are swings to the next
bone. The thumb's three joints are swings only (its twist is left at zero).
"""
from __future__ import annotations

import numpy as np

from ..landmarks.types import BODY_INDEX
from ..skeleton import JOINT_INDEX, PARENTS
from .geometry import kabsch, umeyama
from .landmark_map import FINGERTIP_RATIO, HAND_INDEX
from .limbs import end_swing, solve_chain

FINGERS = ("index", "middle", "pinky", "ring", "thumb")  # SMPL-X order
_PALM_POINTS = ("wrist", "thumb_cmc", "index_mcp", "middle_mcp", "ring_mcp", "pinky_mcp")
_PALM_JOINTS = ("wrist", "thumb1", "index1", "middle1", "ring1", "pinky1")
_POINT_NAMES = {"thumb": ("thumb_cmc", "thumb_mcp", "thumb_ip", "thumb_tip")}
for _f in ("index", "middle", "ring", "pinky"):
    _POINT_NAMES[_f] = (f"{_f}_mcp", f"{_f}_pip", f"{_f}_dip", f"{_f}_tip")
_BODY_HAND_POINTS = ("pinky", "index", "thumb")


def hand_rotation_from_hand_points(points_3d: np.ndarray, rest_joints: np.ndarray, side: str
                                   ) -> tuple[np.ndarray, np.ndarray]:
    """World rotation of the wrist (the hand's global rotation) from the palm points.

    Args:
        points_3d: (N, 21, 3) hand landmarks, camera axes; rest_joints (N, 55, 3).
        side: "left" or "right".
    Returns:
        (N, 3, 3) camera axes, and (N,) the palm's size relative to the skeleton's
        (about 0 for a degenerate hand).
    """
    idx = np.array([HAND_INDEX[n] for n in _PALM_POINTS])
    joints = np.array([JOINT_INDEX[f"{side}_{n}"] for n in _PALM_JOINTS])
    rest = rest_joints[:, joints] - rest_joints[:, joints[:1]]
    rot, scale, _ = umeyama(rest, points_3d[:, idx], np.ones(idx.shape))
    return rot, scale


def hand_rotation_from_body_points(body_3d: np.ndarray, visibility: np.ndarray, rig_offsets: np.ndarray,
                                   side: str) -> np.ndarray:
    """World rotation of the wrist from BlazePose's wrist, pinky, index and thumb points.

    Args:
        body_3d: (N, 33, 3); visibility (N, 33); rig_offsets (N, 33, 3) from
            :func:`landmark_map.body_landmark_rig`.
    Returns:
        (N, 3, 3).
    """
    offsets = rig_offsets
    idx = np.array([BODY_INDEX[f"{side}_{n}"] for n in _BODY_HAND_POINTS])
    obs = body_3d[:, idx] - body_3d[:, BODY_INDEX[f"{side}_wrist"], None]
    w = np.clip(visibility[:, idx], 0.05, 1.0)
    return kabsch(offsets[:, idx], obs, w)


def solve_fingers(points_3d: np.ndarray, hand_world: np.ndarray, rest_joints: np.ndarray, side: str,
                  enforce_limits: bool) -> np.ndarray:
    """The 15 finger joints of one hand.

    Args:
        points_3d: (N, 21, 3) hand landmarks; hand_world (N, 3, 3) the wrist's
            world rotation they are relative to; rest_joints (N, 55, 3).
    Returns:
        (N, 15, 3, 3) local rotations in SMPL-X hand order (index1..thumb3).
    """
    n = points_3d.shape[0]
    offsets = rest_joints - rest_joints[:, np.maximum(PARENTS, 0)]
    sign = -1.0 if side == "left" else 1.0
    hinge = np.array([0.0, 0.0, sign])       # flexion toward the palm
    out = np.empty((n, 15, 3, 3))
    # The four fingers share their ranges: solve them as one batch of 4 N chains.
    for group in (FINGERS[:4], FINGERS[4:]):
        m = len(group)
        joints = np.array([[JOINT_INDEX[f"{side}_{finger}{k}"] for k in (1, 2, 3)] for finger in group])
        pts = np.stack([points_3d[:, [HAND_INDEX[name] for name in _POINT_NAMES[finger]]] for finger in group], 1)
        pts = pts.reshape(n * m, 4, 3)
        off = offsets[:, joints].reshape(n * m, 3, 3)        # rest offsets of j1, j2, j3
        world = np.repeat(hand_world, m, axis=0)
        j1, j2, j3 = joints[0]
        chain = solve_chain(world, off[:, 1], off[:, 2], hinge, j1, pts[:, 1] - pts[:, 0], pts[:, 2] - pts[:, 1],
                            None, twist_from_bend=group[0] != "thumb",
                            enforce_limits=enforce_limits)
        local_b = end_swing(chain.world_a, off[:, 2], pts[:, 2] - pts[:, 1], j2, enforce_limits)
        local_c = end_swing(chain.world_a @ local_b, FINGERTIP_RATIO * off[:, 2], pts[:, 3] - pts[:, 2], j3,
                            enforce_limits)
        slots = np.array([FINGERS.index(f) for f in group])
        for k, local in enumerate((chain.local_a, local_b, local_c)):
            out[:, 3 * slots + k] = local.reshape(n, m, 3, 3)
    return out
