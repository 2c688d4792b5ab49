"""From a network's virtual camera to the footage's real camera.

Every crop is an unrotated scale-and-shift of the image, so the networks' rotations
are already in the real camera's orientation (CHECKPOINTS.md §5.5); only the
position changes. A network's ``cam_trans`` places the body model's origin in its
virtual camera, which :func:`networks.preprocess.virtual_camera_in_image` expresses
in image pixels: the pelvis projects onto the image there. The depth comes from
RootNet when its checkpoint is given, else from the core's own root depth
(``depth.py``); the pelvis is back-projected at that depth with the real camera.
"""
from __future__ import annotations

import numpy as np

from ..maths.camera import backproject


def pelvis_pixels(cam_trans: np.ndarray, pelvis_model: np.ndarray, focal_px: np.ndarray,
                  princpt_px: np.ndarray) -> np.ndarray:
    """Where the network's pelvis projects in the image.

    Args:
        cam_trans: (N, 3) metres, the model origin in the virtual camera.
        pelvis_model: (N, 3) the pelvis joint in the model frame at rest (the global
            rotation turns about it, so it is not rotated).
        focal_px, princpt_px: (N, 2) the virtual camera in original-image pixels.
    Returns:
        (N, 2) pixels.
    """
    p = np.asarray(cam_trans, np.float64) + np.asarray(pelvis_model, np.float64)
    z = np.clip(p[:, 2:3], 1e-4, None)
    return p[:, :2] / z * focal_px + princpt_px


def place_pelvis(pelvis_px: np.ndarray, depth_m: np.ndarray, intrinsics: np.ndarray) -> np.ndarray:
    """(N, 2) pixels + (N,) metres -> (N, 3) the pelvis in the real camera (OpenCV, metres)."""
    return backproject(np.asarray(pelvis_px, np.float64), np.asarray(depth_m, np.float64), intrinsics)
