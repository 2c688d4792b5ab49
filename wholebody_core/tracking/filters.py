"""Temporal smoothing of one track's rotations and root positions (offline, zero phase).

The whole track is known when it is filtered, so each frame is replaced by a
Gaussian-weighted *local linear* fit of its neighbours (a LOESS of degree 1):

* Rotations stay on the rotation manifold. For frame t, every neighbour s is
  expressed relative to frame t (``log(q_t^-1 q_s)``, a rotation vector in the
  tangent space at q_t, with the quaternion sign chosen so the relative rotation is
  the short way round). The weighted line through those tangent vectors is evaluated
  at t and mapped back: ``q_t exp(a)``. Only relative rotations are ever averaged,
  so axis-angle wrapping at 180 degrees (an upright person facing the camera has a
  ``global_orient`` of about 180 degrees about x), quaternion sign flips and
  non-canonical input rotation vectors make no difference. Never Euler angles.
* Root positions (metres) get the same fit in R^3 (:func:`smooth_vectors`, also
  used for the expression coefficients on the frames where the face was seen).

The fit is exact for constant-velocity motion (constant angular velocity about a
fixed axis; constant linear velocity), also at the ends of a track, so smoothing adds
no lag; a plain moving average would lag at the ends. Jitter shrinks roughly as
``1 / sqrt(2 sqrt(pi) sigma_frames)`` for white noise in the track's interior.

Strength: ``sigma = strength * max_sigma_s`` seconds (default 0.1 s: strength 0.5 at
30 frames/s is a sigma of 1.5 frames; the window reaches 3 sigma). Strength 0 returns
copies of the inputs unchanged.

Gaps: frames with ``valid`` False are left untouched and never used. Valid frames
separated by at most ``max_gap_frames`` invalid frames are smoothed together
(weights use the real frame distance); a longer gap splits the track into segments
smoothed independently.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..maths.quaternions import (
    quat_conjugate_wxyz as _quat_conjugate,
    quat_multiply_wxyz as _quat_multiply,
    quat_wxyz_to_rotvec as _quat_to_rotvec,
    rotvec_to_quat_wxyz as _rotvec_to_quat,
)



@dataclasses.dataclass
class FilterOptions:
    """How strongly to smooth (see the module docstring for what it maps to)."""

    strength: float = 0.5          # 0 = off, 1 = strong: Gaussian sigma = strength * max_sigma_s
    max_sigma_s: float = 0.1       # sigma at strength 1, seconds
    max_gap_frames: int = 3        # longer runs of invalid frames split the track
    default_fps: float = 30.0      # used when the source has no frame rate (fps <= 0)


def sigma_frames(fps: float, options: FilterOptions) -> float:
    """The Gaussian sigma, in frames, that ``options`` means at ``fps``."""
    rate = fps if fps > 0 else options.default_fps
    return float(np.clip(options.strength, 0.0, 1.0)) * options.max_sigma_s * rate


def smooth_track(
    full_pose_rotvec: np.ndarray,
    root_position: np.ndarray,
    valid: np.ndarray,
    fps: float,
    options: FilterOptions,
) -> tuple[np.ndarray, np.ndarray]:
    """Smooths one person's rotations and root positions over time.

    Args:
        full_pose_rotvec: (T, J, 3) axis-angle per frame and joint (J = 55 for a full
            SMPL-X pose; any J works).
        root_position: (T, 3) metres.
        valid: (T,) bool, frames where the person was captured.
        fps: frame rate of the frames (0 or less: ``options.default_fps``).
        options: the strength and gap settings.
    Returns:
        Smoothed copies: (T, J, 3) axis-angle (angles in [0, pi]) and (T, 3).
        Invalid frames are returned exactly as given.
    """
    rotvec = np.asarray(full_pose_rotvec, dtype=np.float64)
    root = np.asarray(root_position, dtype=np.float64)
    valid = np.asarray(valid, dtype=bool)
    num_frames = valid.shape[0]
    if rotvec.shape[0] != num_frames or root.shape != (num_frames, 3):
        raise ValueError(
            f"smooth_track: {num_frames} valid flags, rotations {rotvec.shape}, roots {root.shape}"
        )
    out_rotvec = rotvec.copy()
    out_root = smooth_vectors(root, valid, fps, options)
    sigma = sigma_frames(fps, options)
    if sigma <= 1e-3 or num_frames < 2 or valid.sum() < 2:
        return out_rotvec, out_root

    radius = max(1, int(np.ceil(3.0 * sigma)))
    segment = _segment_ids(valid, options.max_gap_frames)
    quat = _rotvec_to_quat(rotvec)
    rot_sums = _LocalLinearSums(rotvec.shape[:2] + (3,))
    for k in range(-radius, radius + 1):
        # Frame t looks at neighbour t + k, where both exist, are valid and share a segment.
        lo, hi = max(0, -k), min(num_frames, num_frames - k)
        t = np.arange(lo, hi)
        s = t + k
        use = valid[t] & valid[s] & (segment[t] == segment[s])
        if not use.any():
            continue
        t, s = t[use], s[use]
        weight = np.exp(-0.5 * (k / sigma) ** 2)
        rel = _quat_multiply(_quat_conjugate(quat[t]), quat[s])      # q_t^-1 q_s
        rot_sums.add(t, float(k), weight, _quat_to_rotvec(rel))

    frames = np.flatnonzero(valid)
    correction = rot_sums.intercept()[frames]                          # (n, J, 3)
    smoothed = _quat_multiply(quat[frames], _rotvec_to_quat(correction))
    out_rotvec[frames] = _quat_to_rotvec(smoothed)
    return out_rotvec, out_root


def smooth_vectors(values: np.ndarray, valid: np.ndarray, fps: float, options: FilterOptions) -> np.ndarray:
    """The same zero-phase local linear fit for Euclidean per-frame values (e.g. expression).

    Args:
        values: (T, ...) per frame.
        valid: (T,) bool, frames that hold a measurement (the others are left as given, unused).
    Returns:
        A smoothed copy.
    """
    values = np.asarray(values, dtype=np.float64)
    valid = np.asarray(valid, dtype=bool)
    num_frames = valid.shape[0]
    if values.shape[0] != num_frames:
        raise ValueError(f"smooth_vectors: {num_frames} valid flags, values {values.shape}")
    out = values.copy()
    sigma = sigma_frames(fps, options)
    if sigma <= 1e-3 or num_frames < 2 or valid.sum() < 2:
        return out
    radius = max(1, int(np.ceil(3.0 * sigma)))
    segment = _segment_ids(valid, options.max_gap_frames)
    sums = _LocalLinearSums(values.shape)
    for k in range(-radius, radius + 1):
        lo, hi = max(0, -k), min(num_frames, num_frames - k)
        t = np.arange(lo, hi)
        s = t + k
        use = valid[t] & valid[s] & (segment[t] == segment[s])
        if use.any():
            t, s = t[use], s[use]
            sums.add(t, float(k), float(np.exp(-0.5 * (k / sigma) ** 2)), values[s] - values[t])
    frames = np.flatnonzero(valid)
    out[frames] = values[frames] + sums.intercept()[frames]
    return out


def _segment_ids(valid: np.ndarray, max_gap_frames: int) -> np.ndarray:
    """(T,) int: valid frames closer than ``max_gap_frames + 1`` apart share an id."""
    segment = np.full(valid.shape[0], -1, dtype=np.int64)
    current, last = -1, None
    for i in np.flatnonzero(valid):
        if last is None or i - last - 1 > max_gap_frames:
            current += 1
        segment[i] = current
        last = i
    return segment


class _LocalLinearSums:
    """Running sums of a weighted least-squares line y(x) = a + b x per frame."""

    def __init__(self, value_shape: tuple[int, ...]):
        num_frames = value_shape[0]
        self.s0 = np.zeros(num_frames)
        self.s1 = np.zeros(num_frames)
        self.s2 = np.zeros(num_frames)
        self.sy = np.zeros(value_shape)
        self.sxy = np.zeros(value_shape)

    def add(self, frames: np.ndarray, x: float, weight: float, values: np.ndarray) -> None:
        self.s0[frames] += weight
        self.s1[frames] += weight * x
        self.s2[frames] += weight * x * x
        self.sy[frames] += weight * values
        self.sxy[frames] += weight * x * values

    def intercept(self) -> np.ndarray:
        """The fitted value at x = 0; the weighted mean where a line is not determined."""
        det = self.s0 * self.s2 - self.s1 * self.s1
        extra = (1,) * (self.sy.ndim - 1)
        s0 = np.maximum(self.s0, 1e-12).reshape((-1,) + extra)
        mean = self.sy / s0
        line_ok = det > 1e-9 * np.maximum(self.s0 * self.s2, 1e-12)
        det_safe = np.where(line_ok, det, 1.0).reshape((-1,) + extra)
        line = (self.s2.reshape((-1,) + extra) * self.sy - self.s1.reshape((-1,) + extra) * self.sxy) / det_safe
        return np.where(line_ok.reshape((-1,) + extra), line, mean)
