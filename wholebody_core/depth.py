"""Root depth (RootNet's role): where each person stands, in metres, camera frame.

RootNet (Moon et al.) measures distance with k = sqrt(ax * ay * A_real / A_img),
A_real = 2000 mm x 2000 mm, A_img the area of the person's box made square, and
learns a correction gamma from the image (Z = gamma * k) for crouching people and
children. Here the correction comes from the metric 3D skeleton the landmark stage
and the solver give: the translation that best projects that skeleton onto its 2D
keypoints (a linear least-squares fit) says how far the person is, whatever their
pose or size; gamma = Z_fit / k. Where the fit is ill-posed (too few confident
keypoints, a degenerate skeleton), gamma falls back to 1 (plain k).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .maths.camera import backproject

A_REAL_M2 = 2.0 * 2.0
GAMMA_RANGE = (0.25, 4.0)
MIN_CONFIDENT_KEYPOINTS = 6


@dataclasses.dataclass
class RootDepth:
    """Per person: the camera-frame translation of the 3D skeleton's origin."""

    k_m: np.ndarray            # (N,) RootNet's k, metres
    gamma: np.ndarray          # (N,) correction actually applied
    origin_cam: np.ndarray     # (N, 3) metres: where the skeleton's origin sits


def rootnet_k(bbox_xyxy: np.ndarray, intrinsics: np.ndarray) -> np.ndarray:
    """RootNet's distance measure from the person box.

    Args:
        bbox_xyxy: (N, 4) pixels. The box is made square (side = max(w, h)).
        intrinsics: (3, 3).
    Returns:
        (N,) metres.
    """
    bbox_xyxy = np.asarray(bbox_xyxy, dtype=np.float64).reshape(-1, 4)
    side = np.maximum(bbox_xyxy[:, 2] - bbox_xyxy[:, 0], bbox_xyxy[:, 3] - bbox_xyxy[:, 1])
    area_img = np.clip(side, 1.0, None) ** 2
    return np.sqrt(intrinsics[0, 0] * intrinsics[1, 1] * A_REAL_M2 / area_img)


def fit_translation(
    points_rel: np.ndarray, keypoints_px: np.ndarray, weights: np.ndarray, intrinsics: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Translation t so that K (points_rel + t) projects onto the keypoints.

    Linear in t: for each point, fx tx - (u - cx) tz = (u - cx) Z - fx X and
    fy ty - (v - cy) tz = (v - cy) Z - fy Y, solved by weighted least squares.

    Args:
        points_rel: (N, J, 3) metric points, camera-aligned axes, any origin.
        keypoints_px: (N, J, 2) pixels.
        weights: (N, J) >= 0 (0 drops a point).
        intrinsics: (3, 3).
    Returns:
        t (N, 3) metres and ok (N,) bool: enough confident points and z > 0.
    """
    fx, fy, cx, cy = intrinsics[0, 0], intrinsics[1, 1], intrinsics[0, 2], intrinsics[1, 2]
    X, Y, Z = points_rel[..., 0], points_rel[..., 1], points_rel[..., 2]
    du = keypoints_px[..., 0] - cx
    dv = keypoints_px[..., 1] - cy
    n, j = X.shape
    A = np.zeros((n, 2 * j, 3))
    b = np.zeros((n, 2 * j))
    A[:, :j, 0] = fx
    A[:, :j, 2] = -du
    b[:, :j] = du * Z - fx * X
    A[:, j:, 1] = fy
    A[:, j:, 2] = -dv
    b[:, j:] = dv * Z - fy * Y
    w = np.sqrt(np.clip(np.concatenate([weights, weights], axis=1), 0.0, None))
    Aw = A * w[..., None]
    bw = b * w
    normal = np.einsum("nki,nkj->nij", Aw, Aw) + 1e-9 * np.eye(3)
    rhs = np.einsum("nki,nk->ni", Aw, bw)
    t = np.linalg.solve(normal, rhs[..., None])[..., 0]
    enough = (weights > 0.3).sum(axis=1) >= MIN_CONFIDENT_KEYPOINTS
    return t, enough & (t[:, 2] > 0.1)


def estimate_root_depth(
    bbox_xyxy: np.ndarray,
    points_rel: np.ndarray,
    keypoints_px: np.ndarray,
    weights: np.ndarray,
    intrinsics: np.ndarray,
) -> RootDepth:
    """Places each person: k from the box, corrected by the skeleton fit.

    Args:
        bbox_xyxy: (N, 4) person boxes, pixels.
        points_rel: (N, J, 3) the person's metric 3D keypoints (camera-aligned axes,
            origin at the point to place, e.g. the mid-hip).
        keypoints_px: (N, J, 2) the same keypoints in the image.
        weights: (N, J) keypoint confidences.
        intrinsics: (3, 3).
    Returns:
        RootDepth with the origin's camera-frame position.
    """
    k = rootnet_k(bbox_xyxy, intrinsics)
    t, ok = fit_translation(points_rel, keypoints_px, weights, intrinsics)
    gamma = np.where(ok, t[:, 2] / k, 1.0)
    gamma = np.clip(gamma, *GAMMA_RANGE)
    depth = gamma * k
    # Re-solve x, y at the chosen depth: the origin projects where the fit says,
    # or (fallback) where the weighted keypoints' centre is.
    origin_px = np.where(
        ok[:, None],
        t[:, :2] / np.clip(t[:, 2:3], 1e-6, None) * np.diag(intrinsics)[:2] + intrinsics[:2, 2],
        _weighted_centre(keypoints_px, weights, bbox_xyxy),
    )
    origin_cam = backproject(origin_px, depth, intrinsics)
    return RootDepth(k_m=k, gamma=gamma, origin_cam=origin_cam)


def _weighted_centre(keypoints_px: np.ndarray, weights: np.ndarray, bbox_xyxy: np.ndarray) -> np.ndarray:
    w = np.clip(weights, 0.0, None)
    total = w.sum(axis=1, keepdims=True)
    centre = (keypoints_px * w[..., None]).sum(axis=1) / np.clip(total, 1e-9, None)
    box_centre = (bbox_xyxy[:, :2] + bbox_xyxy[:, 2:]) / 2.0
    return np.where(total > 1e-6, centre, box_centre)


# --- Body size from a shared floor ------------------------------------------------
# The skeleton fit above places everyone as if they had the landmark model's
# (adult, normalised) size, so a child near the camera and an adult far away with
# equal image heights land at about the same depth. People stand on one floor: under
# the adult assumption, a child's feet come out too far below the camera (lower in
# the image than an adult's feet at that depth would be). Scaling a person about the
# camera centre keeps their image, so each person's size factor s is the one that puts
# their feet on the floor the others share: s_i = h / (down . foot_i), h the camera's
# height above the floor, down = (0, cos pitch, sin pitch) (no roll).
# The floor is chosen among hypotheses (a level floor through one person's feet, or
# the line through two people's feet with a plausible camera pitch) by how many
# people it fits as adults; nobody may come out much larger than an adult.
# Frames with one person say nothing; a track's factor is its median over frames.

FOOT_LANDMARKS = (27, 28, 29, 30, 31, 32)   # BlazePose ankles, heels, foot indices
LEVEL_DOWN_CAM = np.array([0.0, 1.0, 0.0])
MIN_CAMERA_HEIGHT_M = 0.2
MAX_PITCH_DEG = 20.0
ADULT_TOLERANCE = 0.1       # |s - 1| within this: fits the floor as an adult
SCALE_DEAD_ZONE = 0.85      # scales above this are adults within noise: left at 1
SCALE_RANGE = (0.4, 1.0)


def lowest_foot_points(origin_cam: np.ndarray, body_3d: np.ndarray) -> np.ndarray:
    """(N, 3) camera-frame foot contact points: the lowest foot landmark of each person."""
    feet = origin_cam[:, None, :] + body_3d[:, list(FOOT_LANDMARKS)]
    lowest = np.argmax(feet @ LEVEL_DOWN_CAM, axis=1)
    return feet[np.arange(len(feet)), lowest]


def _floor_hypotheses(foot_cam: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """(down, height) candidates: level through each person, pitched through each pair."""
    hypotheses = [(LEVEL_DOWN_CAM, float(p @ LEVEL_DOWN_CAM)) for p in foot_cam]
    for i in range(len(foot_cam)):
        for j in range(i + 1, len(foot_cam)):
            dy = foot_cam[j, 1] - foot_cam[i, 1]
            dz = foot_cam[j, 2] - foot_cam[i, 2]
            pitch = np.arctan2(-dy, dz)          # y cos + z sin equal at both feet
            pitch = (pitch + np.pi / 2) % np.pi - np.pi / 2
            if abs(np.degrees(pitch)) <= MAX_PITCH_DEG:
                down = np.array([0.0, np.cos(pitch), np.sin(pitch)])
                hypotheses.append((down, float(foot_cam[i] @ down)))
    return [(d, h) for d, h in hypotheses if h > MIN_CAMERA_HEIGHT_M]


def floor_scales(foot_cam: np.ndarray) -> np.ndarray:
    """Size factor of each person that puts everyone's feet on one floor.

    Args:
        foot_cam: (N, 3) foot contact points placed with the adult-size assumption.
    Returns:
        (N,) scales in SCALE_RANGE; NaN where the floor says nothing (fewer than two
        people, no plausible floor, feet not below the camera).
    """
    n = len(foot_cam)
    scales = np.full(n, np.nan)
    if n < 2:
        return scales
    best, best_key = None, None
    for down, height in _floor_hypotheses(foot_cam):
        below = foot_cam @ down
        if np.any(below <= MIN_CAMERA_HEIGHT_M):
            continue
        s = height / below
        if np.any(s > 1.0 + ADULT_TOLERANCE):   # nobody much larger than an adult
            continue
        key = (int(np.sum(np.abs(s - 1.0) <= ADULT_TOLERANCE)), -abs(down[2]))
        if best_key is None or key > best_key:
            best, best_key = s, key
    if best is None:
        return scales
    return np.where(best > SCALE_DEAD_ZONE, 1.0, np.clip(best, *SCALE_RANGE))
