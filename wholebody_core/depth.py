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

from .landmarks.types import FOOT_POINTS, HIPS, SHOULDERS
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
# equal image heights land at about the same depth. Scaling a person about the camera
# centre keeps their image, and people stand on one floor plane, m . x = 1 in the
# camera frame (m = n / h: n the unit downward normal, h the camera's height). A
# person placed as an adult with feet at p has true feet s p on the floor, so their
# size factor is s = 1 / (m . p): a child placed as an adult lands beyond the floor.
#
# Why the former rule (a level floor, or one pitched at most 20 degrees) halved
# distances on tilted cameras: it could not represent the true floor of a camera
# looking 30-45 degrees down, so the only floors that made nobody "larger than an
# adult" ran through the farthest people's feet, and everyone nearer (whose feet are
# lower in the image) came out "below the floor", i.e. children at 0.4-0.5.
#
# The rules now:
# - The floor's tilt is measured, not assumed: a standing person's body axis (mid-
#   shoulder to mid-hip of the landmark model's metric 3D, which carries the view
#   angle) is the world vertical; the median over people gives the camera pitch.
#   That median is biased (a level camera read 16 degrees down on child_adult, its
#   torsos 10 and 22, and a floor pitched that much could not tell the near child
#   from a far giant), so the image's own evidence joins it: the torsos' image lines
#   meet at the vertical vanishing point (parallel on a level camera), which pins
#   the pitch where people stand off the image's centre line (body_axis_pitch_deg).
# - Floor hypotheses: the plane with that normal through each person's feet, and the
#   plane through each pair's feet (its pitch must agree with the body axes within
#   AXIS_TOLERANCE_DEG), refined by least squares on the people it fits as adults.
#   The best explains most people as adults (a robust cost on log s); a floor that
#   makes anyone a giant (s > GIANT_LIMIT) or puts anyone's feet above its horizon
#   is rejected.
# - A person is made smaller only when that survives the floor's uncertainty: the
#   pitch moved by +-PITCH_NOISE_DEG, or one adult's depth by +-DEPTH_NOISE (the
#   skeleton fit's error), must still give s < SCALE_DEAD_ZONE, and every
#   near-best floor must agree, and the children may not outnumber the adults the
#   floor rests on. Otherwise (ambiguous or ill-conditioned floors, too few people)
#   the factor is 1: the skeleton fit's adult depth stands.
# No roll: the floor normal lies in the camera's y-z plane.
# Frames with one person say nothing; a track's factor is its median over frames.

LEVEL_DOWN_CAM = np.array([0.0, 1.0, 0.0])
MIN_CAMERA_HEIGHT_M = 0.2
MAX_CAMERA_HEIGHT_M = 60.0
PITCH_RANGE_DEG = (-30.0, 80.0)      # plausible camera pitch (positive: looking down)
AXIS_TOLERANCE_DEG = 20.0           # feet floor vs body-axis pitch (their median reads within about 10 degrees)
ADULT_TOLERANCE = 0.15      # |log s| within log(1 + this): fits the floor as an adult
GIANT_LIMIT = 1.25          # a floor that makes someone this much larger than an adult is wrong
SCALE_DEAD_ZONE = 0.85      # scales above this (in the worst case) are adults within noise: left at 1
SCALE_RANGE = (0.4, 1.0)
PITCH_NOISE_DEG = 8.0       # the body axes' median (and a floor fit) within this
LEAN_SIGMA_DEG = 2.0        # a person's image torso line vs the vertical's image (lean, keypoint noise)
VANISHING_GATE = 2.0        # a 2D reading this many combined sigmas from the 3D median is a lean, not the pitch
MIN_AXIS_PX = 20.0          # shorter image torsos give no line
DEPTH_NOISE = 0.08          # the skeleton fit's depth error, about 1.5x its mean on renders
AMBIGUITY_MARGIN = 0.5      # floors within this many outlier costs of the best are equally good


def lowest_foot_points(origin_cam: np.ndarray, body_3d: np.ndarray, down_cam: np.ndarray | None = None) -> np.ndarray:
    """(N, 3) camera-frame foot contact points: the lowest foot landmark of each person
    along ``down_cam`` (3,) (default: the camera's y axis)."""
    down = LEVEL_DOWN_CAM if down_cam is None else np.asarray(down_cam, dtype=np.float64)
    feet = origin_cam[:, None, :] + body_3d[:, list(FOOT_POINTS)]
    lowest = np.argmax(feet @ down, axis=1)
    return feet[np.arange(len(feet)), lowest]


def body_axis_pitch_deg(body_3d: np.ndarray, keypoints_px: np.ndarray, intrinsics: np.ndarray) -> float:
    """Camera pitch (degrees, positive: looking down) from people's body axes.

    Two measurements of the world's vertical, combined by their uncertainties:
    - 3D: a standing person's mid-shoulder -> mid-hip direction is the world's down.
      The landmark model gives it in the frame of a camera looking straight at the
      person, which is pitched down from the real one by the torso's ray angle
      atan((v - cy) / fy); so pitch = axis pitch - ray angle (no roll). The median
      over people, within about PITCH_NOISE_DEG: each person reads within about
      +-10 degrees on renders, but not without bias (a level camera reads 10-16
      degrees down; the model's torso leans with the view).
    - 2D (``vanishing_pitch_deg``): in the image, people's torso lines (mid-shoulder
      to mid-hip: upright while walking, unlike the legs) converge on the vertical
      vanishing point, (cx, cy + fy / tan(pitch)); parallel lines mean a level
      camera. Exact geometry from the image alone, but a torso's lean of a degree
      or two moves it by fy / (distance of the person from the image's vertical
      centre line) times as much: people near the centre line say little.
    The 2D reading of each person whose line agrees with the 3D median within
    VANISHING_GATE (combined) sigmas is averaged with the median, each weighted by
    1 / sigma^2. Without 2D evidence (one person at the centre line) the 3D median
    stands.

    Args:
        body_3d: (N, 33, 3) BlazePose metric landmarks, camera-aligned axes.
        keypoints_px: (N, 33, 2) the same landmarks in the image.
        intrinsics: (3, 3).
    Returns:
        degrees; NaN without people.
    """
    body_3d = np.asarray(body_3d, dtype=np.float64)
    if len(body_3d) == 0:
        return float("nan")
    keypoints_px = np.asarray(keypoints_px, dtype=np.float64)[..., :2]
    torso = list(SHOULDERS) + list(HIPS)
    axis = body_3d[:, list(HIPS)].mean(axis=1) - body_3d[:, list(SHOULDERS)].mean(axis=1)
    ray = np.arctan((keypoints_px[:, torso, 1].mean(axis=1) - intrinsics[1, 2]) / intrinsics[1, 1])
    axis_pitch = float(np.degrees(np.median(np.arctan2(axis[:, 2], axis[:, 1]) - ray)))
    pitch_2d, sigma_2d = vanishing_pitch_deg(keypoints_px, intrinsics)
    agree = np.abs(pitch_2d - axis_pitch) <= VANISHING_GATE * np.hypot(sigma_2d, PITCH_NOISE_DEG)
    if not agree.any():
        return axis_pitch
    w = np.concatenate([[1.0 / PITCH_NOISE_DEG ** 2], 1.0 / sigma_2d[agree] ** 2])
    return float(np.sum(w * np.concatenate([[axis_pitch], pitch_2d[agree]])) / np.sum(w))


def vanishing_pitch_deg(keypoints_px: np.ndarray, intrinsics: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per person: the camera pitch (degrees) that puts the vertical vanishing point on
    the line through their image mid-shoulder and mid-hip, and its sigma (degrees)
    for a line within LEAN_SIGMA_DEG of the true vertical's image (lean, 2D noise).
    No roll: the vanishing point lies on x = cx. People whose line is too short or
    upside down are left out.

    Args:
        keypoints_px: (N, 33, 2) BlazePose landmarks in the image.
        intrinsics: (3, 3).
    Returns:
        pitch (M,) and sigma (M,) degrees, M <= N.
    """
    fy, cx, cy = intrinsics[1, 1], intrinsics[0, 2], intrinsics[1, 2]
    top = np.asarray(keypoints_px, dtype=np.float64)[:, list(SHOULDERS), :2].mean(axis=1)
    bottom = np.asarray(keypoints_px, dtype=np.float64)[:, list(HIPS), :2].mean(axis=1)
    d = bottom - top
    length = np.linalg.norm(d, axis=1)
    ok = (length >= MIN_AXIS_PX) & (d[:, 1] > 0.0)
    d = d[ok] / length[ok, None]
    top = top[ok]
    # d x (vp - top) = 0 with vp = (cx, cy + fy / tan(pitch)): tan(pitch) = fy dx / lever
    lever = d[:, 1] * (cx - top[:, 0]) - d[:, 0] * (cy - top[:, 1])
    lever = np.where(np.abs(lever) < 1e-6, 1e-6, lever)
    tan_pitch = fy * d[:, 0] / lever
    pitch = np.arctan(tan_pitch)
    sigma = fy * np.radians(LEAN_SIGMA_DEG) / np.abs(lever) * np.cos(pitch) ** 2
    return np.degrees(pitch), np.degrees(np.minimum(sigma, np.pi))


def pitch_down_cam(pitch_deg: float | None) -> np.ndarray:
    """(3,) the world's down in the camera frame for a camera pitched ``pitch_deg``
    (positive: looking down; no roll); None or NaN: level."""
    if pitch_deg is None or not np.isfinite(pitch_deg):
        return LEVEL_DOWN_CAM.copy()
    return _down(np.radians(pitch_deg))


def _down(pitch_rad: float) -> np.ndarray:
    return np.array([0.0, np.cos(pitch_rad), np.sin(pitch_rad)])


def _plane_pitch_height(m: np.ndarray) -> tuple[float, float]:
    norm = float(np.hypot(m[1], m[2]))
    return float(np.degrees(np.arctan2(m[2], m[1]))), 1.0 / max(norm, 1e-12)


def _fit_plane(foot_cam: np.ndarray) -> np.ndarray | None:
    """m (3,), no roll, with m . p = 1 in the least-squares sense; None if ill-posed."""
    yz = foot_cam[:, 1:]
    if len(yz) < 2 or np.linalg.cond(yz) > 1e6:
        return None
    sol = np.linalg.lstsq(yz, np.ones(len(yz)), rcond=None)[0]
    return np.array([0.0, sol[0], sol[1]])


def _plane_scales(m: np.ndarray, foot_cam: np.ndarray) -> np.ndarray | None:
    """Scales 1 / (m . p), or None when the plane is implausible for these feet."""
    pitch, height = _plane_pitch_height(m)
    if not (PITCH_RANGE_DEG[0] <= pitch <= PITCH_RANGE_DEG[1]) or not (MIN_CAMERA_HEIGHT_M < height < MAX_CAMERA_HEIGHT_M):
        return None
    below = foot_cam @ m
    if np.any(below * height <= MIN_CAMERA_HEIGHT_M):   # feet above the floor's horizon or at the camera
        return None
    s = 1.0 / below
    return None if np.any(s > GIANT_LIMIT) else s


def _worst_case_scales(m: np.ndarray, foot_cam: np.ndarray, adults: np.ndarray) -> np.ndarray:
    """Largest scale of each person over the floor's uncertainty, with the height re-fitted
    through the adults' feet: the pitch moved by +-PITCH_NOISE_DEG, or one adult's depth
    by +-DEPTH_NOISE (the skeleton fit's error)."""
    pitch0 = np.radians(_plane_pitch_height(m)[0])
    adult_index = np.flatnonzero(adults)
    trials = [(dp, None, 1.0) for dp in (-PITCH_NOISE_DEG, PITCH_NOISE_DEG)]
    trials += [(0.0, k, f) for k in adult_index for f in (1.0 - DEPTH_NOISE, 1.0 + DEPTH_NOISE)]
    worst = 1.0 / np.clip(foot_cam @ m, 1e-9, None)
    for dp, k, factor in trials:
        down = _down(pitch0 + np.radians(dp))
        below = foot_cam @ down
        below_adults = below[adult_index] * np.where(adult_index == k, factor, 1.0)
        s = float(np.mean(below_adults)) / np.clip(below, 1e-9, None)
        worst = np.maximum(worst, s)
    return worst


def floor_scales(foot_cam: np.ndarray, pitch_deg: float | None = None) -> np.ndarray:
    """Size factor of each person that puts everyone's feet on one floor.

    Args:
        foot_cam: (N, 3) foot contact points placed with the adult-size assumption.
        pitch_deg: the camera's pitch from the body axes (``body_axis_pitch_deg``);
            None or NaN: a level camera is assumed (0).
    Returns:
        (N,) scales in SCALE_RANGE (1 for adults and wherever the floor is ambiguous);
        NaN where the floor says nothing (fewer than two people, no plausible floor).
    """
    foot_cam = np.asarray(foot_cam, dtype=np.float64).reshape(-1, 3)
    n = len(foot_cam)
    scales = np.full(n, np.nan)
    if n < 2:
        return scales
    axis_pitch = 0.0 if pitch_deg is None or not np.isfinite(pitch_deg) else float(pitch_deg)
    axis_down = _down(np.radians(axis_pitch))
    hypotheses = []
    for i in range(n):                                   # body-axis normal through one person
        below = float(foot_cam[i] @ axis_down)
        if below > MIN_CAMERA_HEIGHT_M:
            hypotheses.append(axis_down / below)
    for i in range(n):                                   # through two people's feet
        for j in range(i + 1, n):
            m = _fit_plane(foot_cam[[i, j]])
            if m is not None and abs(_plane_pitch_height(m)[0] - axis_pitch) <= AXIS_TOLERANCE_DEG:
                hypotheses.append(m)
    tolerance = np.log1p(ADULT_TOLERANCE)
    found = []                                           # (cost, index, m, scales, adults)
    for index, m in enumerate(hypotheses):
        s = _plane_scales(m, foot_cam)
        if s is None:
            continue
        adults = np.abs(np.log(s)) <= tolerance
        if adults.sum() >= 2:                            # refine on the people it fits as adults
            refined = _fit_plane(foot_cam[adults])
            if refined is not None and abs(_plane_pitch_height(refined)[0] - axis_pitch) <= AXIS_TOLERANCE_DEG:
                s_refined = _plane_scales(refined, foot_cam)
                if s_refined is not None:
                    m, s = refined, s_refined
                    adults = np.abs(np.log(s)) <= tolerance
        cost = float(np.sum(np.minimum(np.log(s) ** 2, tolerance ** 2)))
        found.append((cost, index, m, s, adults))
    if not found:
        return scales
    found.sort(key=lambda f: (f[0], f[1]))
    best_cost = found[0][0]
    scales = np.zeros(n)
    for cost, _, m, s, adults in found:
        if cost > best_cost + AMBIGUITY_MARGIN * tolerance ** 2:
            break
        if not adults.any():
            return np.ones(n)
        worst = _worst_case_scales(m, foot_cam, adults)
        small = worst < SCALE_DEAD_ZONE
        if small.sum() > adults.sum():
            # A floor that makes most people children is more likely a wrong floor
            # (footage shows adults first); the skeleton fit's adult depths stand.
            return np.ones(n)
        # Every near-best floor must call a person small, within the floor's noise.
        scales = np.maximum(scales, np.where(small, s, 1.0))
    return np.clip(scales, *SCALE_RANGE)
