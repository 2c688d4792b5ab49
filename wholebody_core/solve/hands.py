"""Hands: the hand's global rotation (from the hand landmarks or from BlazePose's
hand points) and the 15 finger joints from the 21 hand landmarks.

Fingers (index, middle, ring, pinky): the knuckle (MCP, joint 1) swings to the
proximal bone and twists so that the PIP bends one way about its hinge (local z;
the finger splay and twist); PIP and DIP (joints 2, 3) are swings to the next
bone. The thumb's three joints are swings only (its twist is left at zero).
"""
from __future__ import annotations

import numpy as np

from ..skeleton import JOINT_INDEX, PARENTS
from .geometry import kabsch, normalize, umeyama
from .landmark_map import BODY_INDEX, FINGERTIP_RATIO, HAND_INDEX, body_landmark_rig
from .limbs import end_swing, solve_chain

FINGERS = ("index", "middle", "pinky", "ring", "thumb")  # SMPL-X order
_PALM_POINTS = ("wrist", "thumb_cmc", "index_mcp", "middle_mcp", "ring_mcp", "pinky_mcp")
_PALM_JOINTS = ("wrist", "thumb1", "index1", "middle1", "ring1", "pinky1")
_POINT_NAMES = {"thumb": ("thumb_cmc", "thumb_mcp", "thumb_ip", "thumb_tip")}
for _f in ("index", "middle", "ring", "pinky"):
    _POINT_NAMES[_f] = (f"{_f}_mcp", f"{_f}_pip", f"{_f}_dip", f"{_f}_tip")
_BODY_HAND_POINTS = ("pinky", "index", "thumb")


def hand_rotation_from_hand_points(points_3d: np.ndarray, rest_joints: np.ndarray, side: str) -> np.ndarray:
    """World rotation of the wrist (the hand's global rotation) from the palm points.

    Args:
        points_3d: (N, 21, 3) hand landmarks, camera axes; rest_joints (N, 55, 3).
        side: "left" or "right".
    Returns:
        (N, 3, 3) camera axes.
    """
    idx = np.array([HAND_INDEX[n] for n in _PALM_POINTS])
    joints = np.array([JOINT_INDEX[f"{side}_{n}"] for n in _PALM_JOINTS])
    rest = rest_joints[:, joints] - rest_joints[:, joints[:1]]
    rot, _, _ = umeyama(rest, points_3d[:, idx], np.ones(idx.shape))
    return rot


def hand_rotation_from_body_points(body_3d: np.ndarray, visibility: np.ndarray, rest_joints: np.ndarray,
                                   side: str) -> np.ndarray:
    """World rotation of the wrist from BlazePose's wrist, pinky, index and thumb points.

    Args:
        body_3d: (N, 33, 3); visibility (N, 33); rest_joints (N, 55, 3).
    Returns:
        (N, 3, 3).
    """
    _, offsets = body_landmark_rig(rest_joints)
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
    for f, finger in enumerate(FINGERS):
        j1, j2, j3 = (JOINT_INDEX[f"{side}_{finger}{k}"] for k in (1, 2, 3))
        p = [points_3d[:, HAND_INDEX[name]] for name in _POINT_NAMES[finger]]
        u = normalize(offsets[:, j2])
        helper = np.where(np.abs(u[:, 1:2]) < 0.9, np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0]))
        no_twist = normalize(np.cross(u, helper))[:, None]
        chain = solve_chain(hand_world, offsets[:, j2], offsets[:, j3], hinge, j1, p[1] - p[0], p[2] - p[1],
                            no_twist, None, np.full((n, 1), 0.2), twist_from_bend=finger != "thumb",
                            enforce_limits=enforce_limits)
        local_b = end_swing(chain.world_a, offsets[:, j3], p[2] - p[1], j2, enforce_limits)
        local_c = end_swing(chain.world_a @ local_b, FINGERTIP_RATIO * offsets[:, j3], p[3] - p[2], j3,
                            enforce_limits)
        out[:, 3 * f] = chain.local_a
        out[:, 3 * f + 1] = local_b
        out[:, 3 * f + 2] = local_c
    return out
