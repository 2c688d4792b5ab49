"""Head rotation, jaw opening and eye rotations from the face mesh and iris points.

- Head: similarity fit (rotation, scale, translation) of the rigid face points
  (:data:`landmark_map.FACE_RIGID_IDX`) to their rest positions in the head frame;
  the face mesh's arbitrary scale drops out.
- Jaw: the lower lip, chin and jaw-line points, brought into the head frame,
  give the jaw's rotation about its local x axis (mouth opening); nothing else.
- Eyes: the iris centre in pixels against a weak-perspective camera fitted to
  the face points (pixels vs 3D), on an eyeball of known radius: the gaze
  direction, as a swing of the eye joint away from looking straight ahead;
  only for faces turned less than 60 degrees from the camera (else zero).
"""
from __future__ import annotations

import numpy as np

from ..skeleton import JOINT_INDEX
from ..maths.rotations import axis_angle_rotmat, normalize, rotation_between
from .geometry import twist_angle_fit, umeyama
from .landmark_map import (EYEBALL_RADIUS, FACE_JAW_IDX, FACE_RIGID_IDX, eyeball_centres_rest,
                           face_rest_points, skeleton_scale)
from .limits import clamp_to_limits

_MIN_FRONTAL_COS = 0.5
HEAD, JAW, LEFT_EYE, RIGHT_EYE = (JOINT_INDEX[n] for n in ("head", "jaw", "left_eye_smplhf", "right_eye_smplhf"))


def head_from_face(points_3d: np.ndarray, rest_joints: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Head world rotation from the face mesh.

    Args:
        points_3d: (N, 468, 3) camera axes, any isotropic scale; rest_joints (N, 55, 3).
    Returns:
        rotation (N, 3, 3), scale (N,) mesh units per metre, translation (N, 3):
        mesh point ~ scale * rotation @ head_frame_point + translation.
    """
    rest = face_rest_points(rest_joints)[:, FACE_RIGID_IDX]
    return umeyama(rest, points_3d[:, FACE_RIGID_IDX], np.ones(FACE_RIGID_IDX.shape))


def jaw_from_face(points_3d: np.ndarray, rest_joints: np.ndarray, rotation: np.ndarray, scale: np.ndarray,
                  translation: np.ndarray, enforce_limits: bool) -> np.ndarray:
    """Jaw local rotation (about its x axis only): (N, 3, 3)."""
    rest_face = face_rest_points(rest_joints)
    pivot = (rest_joints[:, JAW] - rest_joints[:, HEAD])[:, None]
    obs = points_3d[:, FACE_JAW_IDX] - translation[:, None]
    obs = np.einsum("nji,nkj->nki", rotation, obs) / scale[:, None, None]
    axis = np.broadcast_to([1.0, 0.0, 0.0], pivot[:, 0].shape)
    angle = twist_angle_fit(axis, rest_face[:, FACE_JAW_IDX] - pivot, obs - pivot, np.ones(FACE_JAW_IDX.shape))
    jaw = axis_angle_rotmat(axis, angle)
    return clamp_to_limits(jaw, JAW) if enforce_limits else jaw


def eyes_from_iris(points_3d: np.ndarray, points_2d: np.ndarray, iris_2d: np.ndarray, rest_joints: np.ndarray,
                   rotation: np.ndarray, scale: np.ndarray, translation: np.ndarray, enforce_limits: bool
                   ) -> np.ndarray:
    """Eye local rotations (own left, own right) from the iris centres.

    Args:
        points_3d (N, 468, 3), points_2d (N, 468, 2) pixels, iris_2d (N, 2, 5, 2)
        pixels (centre first); the head fit from :func:`head_from_face`.
    Returns:
        (N, 2, 3, 3).
    """
    n = points_3d.shape[0]
    idx = FACE_RIGID_IDX
    x3 = np.concatenate([points_3d[:, idx], np.ones((n, idx.size, 1))], -1)     # (N, K, 4)
    affine = np.linalg.solve(np.swapaxes(x3, 1, 2) @ x3 + 1e-9 * np.eye(4),
                             np.swapaxes(x3, 1, 2) @ points_2d[:, idx])         # (N, 4, 2)
    proj = np.swapaxes(affine[:, :3], 1, 2)                                    # (N, 2, 3)
    offset_px = affine[:, 3]                                                   # (N, 2)
    centres = eyeball_centres_rest(rest_joints)                                # (N, 2, 3) head frame
    centres_obs = scale[:, None, None] * np.einsum("nij,nej->nei", rotation, centres) + translation[:, None]
    radius = scale * EYEBALL_RADIUS * skeleton_scale(rest_joints)              # mesh units
    gaze_px = iris_2d[:, :, 0] - offset_px[:, None] - np.einsum("nij,nej->nei", proj, centres_obs)
    b = proj @ rotation                                                        # (N, 2, 3): head dir -> px
    y = gaze_px / radius[:, None, None]                                        # (N, 2 eyes, 2)
    bxy = b[:, None, :, :2]
    bz = b[:, None, :, 2]
    uz = np.ones((n, 2))
    for _ in range(5):
        uxy = np.linalg.solve(bxy + 1e-9 * np.eye(2), (y - bz * uz[..., None])[..., None])[..., 0]
        norm = np.linalg.norm(uxy, axis=-1, keepdims=True)
        uxy = uxy * np.minimum(1.0, 0.95 / np.maximum(norm, 1e-12))
        uz = np.sqrt(np.maximum(1.0 - np.sum(uxy ** 2, -1), 0.0))
    gaze = normalize(np.concatenate([uxy, uz[..., None]], -1))
    eyes = rotation_between(np.broadcast_to([0.0, 0.0, 1.0], gaze.shape), gaze)
    # Past about 60 degrees from frontal the iris offset says little: eyes stay still.
    frontal = rotation[:, 2, 2] < -_MIN_FRONTAL_COS
    eyes = np.where(frontal[:, None, None, None], eyes, np.eye(3))
    if enforce_limits:
        eyes = clamp_to_limits(eyes, np.array([LEFT_EYE, RIGHT_EYE]))
    return eyes
