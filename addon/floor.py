"""Fitting a floor under the people of a capture (numpy only, no bpy).

The floor is a plane through the foot joints over the whole clip. Its up
direction is the mean body direction (pelvis -> neck); a least-squares plane fit
of the foot joints replaces it when the feet span a plane (people walking
around) and the fit agrees with the body's up within 30 degrees. The floor sits
``FOOT_JOINT_HEIGHT_M`` below the low foot joints (the SMPL-X ``*_foot`` joints
are at the ball of the foot, a little above the sole).
"""
from __future__ import annotations

import numpy as np

from ..wholebody_core.skeleton import JOINT_INDEX

FOOT_JOINTS = (JOINT_INDEX["left_foot"], JOINT_INDEX["right_foot"],
               JOINT_INDEX["left_ankle"], JOINT_INDEX["right_ankle"])
FOOT_JOINT_HEIGHT_M = 0.02
_MIN_FRAMES = 1


def _rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest rotation (3, 3) taking unit vector a onto unit vector b."""
    v = np.cross(a, b)
    c = float(np.dot(a, b))
    if c < -1.0 + 1e-9:  # opposite: half turn about any axis orthogonal to a
        axis = np.cross(a, [1.0, 0.0, 0.0])
        if np.linalg.norm(axis) < 1e-6:
            axis = np.cross(a, [0.0, 1.0, 0.0])
        axis /= np.linalg.norm(axis)
        return 2.0 * np.outer(axis, axis) - np.eye(3)
    vx = np.array([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])
    return np.eye(3) + vx + vx @ vx / (1.0 + c)


def floor_transform(joints_world: np.ndarray, valid: np.ndarray,
                    camera_forward_world: np.ndarray = np.array([0.0, 1.0, 0.0])) -> np.ndarray | None:
    """A rigid transform that puts the people's floor at Z = 0 with +Z up.

    Args:
        joints_world: (P, T, 55, 3) joints in the scene frame (z up, metres).
        valid: (P, T) bool.
        camera_forward_world: (3,) the camera's viewing direction in the scene
            frame; after the transform it still points along +Y when seen from
            above (only tilt and height change, and the camera stays at x = y = 0).
    Returns:
        (4, 4) matrix S (new scene = S @ old scene), or None when no valid frame.
    """
    valid = np.asarray(valid, dtype=bool)
    if valid.sum() < _MIN_FRAMES:
        return None
    joints = np.asarray(joints_world, dtype=np.float64)[valid]          # (N, 55, 3)
    body_up = joints[:, JOINT_INDEX["neck"]] - joints[:, JOINT_INDEX["pelvis"]]
    up = body_up.mean(axis=0)
    if np.linalg.norm(up) < 1e-6:
        return None
    up /= np.linalg.norm(up)
    feet = joints[:, FOOT_JOINTS[:2]].reshape(-1, 3)
    if feet.shape[0] >= 6:
        centred = feet - feet.mean(axis=0)
        _, sing, vt = np.linalg.svd(centred, full_matrices=False)
        normal = vt[2] * (1.0 if np.dot(vt[2], up) >= 0.0 else -1.0)
        spans_plane = sing[1] > 0.05 * np.sqrt(feet.shape[0]) and sing[2] < 0.3 * sing[1]
        if spans_plane and np.dot(normal, up) > np.cos(np.radians(30.0)):
            up = normal
    rot = _rotation_between(up, np.array([0.0, 0.0, 1.0]))
    forward = rot @ np.asarray(camera_forward_world, dtype=np.float64)
    yaw = np.arctan2(forward[0], forward[1])  # angle from +Y towards +X
    cos_y, sin_y = np.cos(yaw), np.sin(yaw)
    # rotate by +yaw about Z to bring the forward direction back onto +Y
    yaw_rot = np.array([[cos_y, -sin_y, 0.0], [sin_y, cos_y, 0.0], [0.0, 0.0, 1.0]])
    rot = yaw_rot @ rot
    heights = (joints[:, FOOT_JOINTS] @ rot.T)[..., 2]                 # (N, 4)
    floor_height = np.percentile(heights.min(axis=1), 5.0) - FOOT_JOINT_HEIGHT_M
    transform = np.eye(4)
    transform[:3, :3] = rot
    transform[2, 3] = -floor_height
    return transform
