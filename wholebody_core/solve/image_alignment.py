"""The landmark model's 3D body, moved onto the image's 2D keypoints before the solve.

BlazePose's world landmarks are a metric pose seen from its crop, without the
perspective of the real camera: a person off the optical axis is seen along a
slanted ray (a yaw or pitch of up to half the field of view that the world
landmarks do not have), and in a long stride the 3D legs can disagree with the 2D
keypoints by 10-20 px. The 2D keypoints are the better estimate of where a joint
is in the image; the 3D landmarks are the only estimate of its depth. So each
confident landmark keeps its depth (the person's root depth plus the landmark's
depth offset) and takes its x, y from the back-projected 2D keypoint; the others
keep their 3D position. The solve then fits rotations to these points.
"""
from __future__ import annotations

import numpy as np

from ..landmarks.types import HIPS
from ..maths.camera import backproject

MIN_VISIBILITY = 0.5
"""Landmarks less visible than this (BlazePose's visibility) keep their 3D position."""


def align_to_image(body_3d: np.ndarray, body_2d: np.ndarray, origin_cam: np.ndarray,
                   intrinsics: np.ndarray) -> np.ndarray:
    """(33, 3) mid-hip-relative landmarks whose projections from ``origin_cam`` are the 2D keypoints.

    Args:
        body_3d: (33, 3) world landmarks, metres, camera axes, origin at the mid-hip.
        body_2d: (33, 3) image keypoints: u, v in pixels and visibility in 0..1.
        origin_cam: (3,) the mid-hip in the camera frame (depth.estimate_root_depth).
        intrinsics: (3, 3) K.
    """
    points_cam = origin_cam + body_3d
    depth = np.clip(points_cam[:, 2], 0.05 * origin_cam[2], None)
    confident = body_2d[:, 2] >= MIN_VISIBILITY
    aligned_cam = np.where(confident[:, None], backproject(body_2d[:, :2], depth, intrinsics), points_cam)
    if confident[HIPS[0]] and confident[HIPS[1]]:
        origin_cam = 0.5 * (aligned_cam[HIPS[0]] + aligned_cam[HIPS[1]])
    return aligned_cam - origin_cam
