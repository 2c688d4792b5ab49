"""Temporal smoothing of rotations (on the manifold) and root positions."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from wholebody_core.maths.rotations import geodesic_angle, rotvec_to_rotmat
from wholebody_core.tracking.filters import FilterOptions, sigma_frames, smooth_track


def angle_error(rotvec_a: np.ndarray, rotvec_b: np.ndarray) -> np.ndarray:
    """Geodesic angle between two rotation arrays (..., 3) -> (...), radians."""
    return geodesic_angle(rotvec_to_rotmat(rotvec_a), rotvec_to_rotmat(rotvec_b))


def smooth_motion(num_frames: int, num_joints: int, seed: int) -> np.ndarray:
    """(T, J, 3) a smooth random rotation sequence (slow sinusoids in the tangent space
    of a random base pose per joint)."""
    rng = np.random.default_rng(seed)
    t = np.arange(num_frames) / 30.0
    base = Rotation.from_rotvec(rng.normal(0, 0.8, (num_joints, 3)))
    freq = rng.uniform(0.2, 0.8, (num_joints, 3))
    phase = rng.uniform(0, 2 * np.pi, (num_joints, 3))
    amp = rng.uniform(0.1, 0.5, (num_joints, 3))
    wiggle = amp * np.sin(2 * np.pi * freq * t[:, None, None] + phase)   # (T, J, 3)
    out = np.empty((num_frames, num_joints, 3))
    for j in range(num_joints):
        out[:, j] = (base[j] * Rotation.from_rotvec(wiggle[:, j])).as_rotvec()
    return out


def add_rotation_noise(rotvec: np.ndarray, sigma_rad: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = rotvec.shape
    noise = Rotation.from_rotvec(rng.normal(0, sigma_rad, (int(np.prod(shape[:-1])), 3)))
    return (Rotation.from_rotvec(rotvec.reshape(-1, 3)) * noise).as_rotvec().reshape(shape)


def test_smoothing_reduces_jitter_of_noisy_rotations_and_roots():
    clean = smooth_motion(150, 55, seed=0)
    noisy = add_rotation_noise(clean, np.deg2rad(3.0), seed=1)
    rng = np.random.default_rng(2)
    root_clean = np.stack([0.5 * np.sin(np.arange(150) / 20.0), np.zeros(150), 4.0 + np.arange(150) / 100.0], axis=1)
    root_noisy = root_clean + rng.normal(0, 0.02, root_clean.shape)
    valid = np.ones(150, bool)
    before = np.degrees(angle_error(noisy, clean)).mean()
    for strength, max_ratio in ((0.5, 0.65), (1.0, 0.5)):
        rot_s, root_s = smooth_track(noisy, root_noisy, valid, 30.0, FilterOptions(strength=strength))
        after = np.degrees(angle_error(rot_s, clean)).mean()
        assert after < max_ratio * before, (strength, before, after)
        root_before = np.linalg.norm(root_noisy - root_clean, axis=1).mean()
        root_after = np.linalg.norm(root_s - root_clean, axis=1).mean()
        assert root_after < max_ratio * root_before, (strength, root_before, root_after)
        # also at the very ends of the track (local linear fit, one-sided window)
        ends = np.r_[0:2, 148:150]
        assert np.degrees(angle_error(rot_s[ends], clean[ends])).mean() < 0.95 * before


def test_no_lag_on_constant_velocity_rotation_and_translation():
    # 90 deg/s about a tilted axis, on top of a base near 180 deg about x.
    num = 60
    axis = np.array([0.3, 0.9, 0.3]) / np.linalg.norm([0.3, 0.9, 0.3])
    base = Rotation.from_rotvec([np.pi - 0.05, 0.0, 0.0])
    steps = Rotation.from_rotvec(np.outer(np.arange(num) * np.deg2rad(3.0), axis))
    rot = (base * steps).as_rotvec()[:, None, :]
    root = np.outer(np.arange(num), [0.01, -0.005, 0.02]) + [0.0, 0.0, 3.0]
    rot_s, root_s = smooth_track(rot, root, np.ones(num, bool), 30.0, FilterOptions(strength=1.0))
    assert np.degrees(angle_error(rot_s, rot)).max() < 1e-4   # arccos precision
    assert np.abs(root_s - root).max() < 1e-9


def test_rotations_near_180_degrees_and_sign_flips():
    # An upright person facing the camera: about 180 deg about x, jittering across the
    # axis-angle wrap (rotvec angle pi - e and pi + e written as -(pi - e)).
    num = 90
    rng = np.random.default_rng(3)
    clean_rot = Rotation.from_rotvec([np.pi, 0.0, 0.0]) * Rotation.from_rotvec(
        np.outer(np.sin(np.arange(num) / 15.0), [0.0, 0.2, 0.0])
    )
    clean = clean_rot.as_rotvec()
    noisy = (clean_rot * Rotation.from_rotvec(rng.normal(0, np.deg2rad(4.0), (num, 3)))).as_rotvec()
    # write every other frame with the equivalent rotation vector of angle 2 pi - angle
    angles = np.linalg.norm(noisy, axis=1, keepdims=True)
    flipped = noisy.copy()
    flipped[::2] = -noisy[::2] / angles[::2] * (2 * np.pi - angles[::2])
    np.testing.assert_allclose(angle_error(flipped, noisy), 0.0, atol=1e-6)
    assert np.abs(np.diff(flipped, axis=0)).max() > 3.0   # the input really jumps
    root = np.zeros((num, 3))
    out, _ = smooth_track(flipped[:, None], root, np.ones(num, bool), 30.0, FilterOptions(strength=0.8))
    before = np.degrees(angle_error(noisy, clean)).mean()
    after = np.degrees(angle_error(out[:, 0], clean)).mean()
    assert after < 0.6 * before, (before, after)
    assert np.all(np.linalg.norm(out, axis=-1) <= np.pi + 1e-9)
    # same answer whether the input was written wrapped or not
    out_plain, _ = smooth_track(noisy[:, None], root, np.ones(num, bool), 30.0, FilterOptions(strength=0.8))
    np.testing.assert_allclose(angle_error(out, out_plain), 0.0, atol=1e-7)


def test_strength_zero_is_identity_and_still_image_passes_through():
    rot = smooth_motion(20, 55, seed=4)
    root = np.random.default_rng(5).normal(size=(20, 3))
    valid = np.ones(20, bool)
    rot_s, root_s = smooth_track(rot, root, valid, 30.0, FilterOptions(strength=0.0))
    np.testing.assert_array_equal(rot_s, rot)
    np.testing.assert_array_equal(root_s, root)
    assert rot_s is not rot
    one_rot, one_root = smooth_track(rot[:1], root[:1], valid[:1], 0.0, FilterOptions(strength=1.0))
    np.testing.assert_array_equal(one_rot, rot[:1])
    np.testing.assert_array_equal(one_root, root[:1])


def test_gaps_are_respected():
    num = 60
    clean = smooth_motion(num, 3, seed=6)
    noisy = add_rotation_noise(clean, np.deg2rad(3.0), seed=7)
    root = np.random.default_rng(8).normal(size=(num, 3))
    valid = np.ones(num, bool)
    valid[20:30] = False   # a long gap: two separate segments
    valid[44:46] = False   # a short gap: smoothed across
    rot_in = noisy.copy()
    rot_in[~valid] = 0.0
    root_in = root.copy()
    root_in[~valid] = 0.0
    options = FilterOptions(strength=1.0, max_gap_frames=3)
    rot_s, root_s = smooth_track(rot_in, root_in, valid, 30.0, options)
    # invalid frames untouched (zeros stay zeros)
    np.testing.assert_array_equal(rot_s[~valid], 0.0)
    np.testing.assert_array_equal(root_s[~valid], 0.0)
    # the first segment does not see the second: same result as smoothing it alone
    alone_rot, alone_root = smooth_track(rot_in[:20], root_in[:20], valid[:20], 30.0, options)
    np.testing.assert_allclose(rot_s[:20], alone_rot, atol=1e-12)
    np.testing.assert_allclose(root_s[:20], alone_root, atol=1e-12)
    # across the short gap the frames are smoothed together: not the same as alone
    second_alone, _ = smooth_track(rot_in[30:44], root_in[30:44], valid[30:44], 30.0, options)
    assert np.abs(rot_s[30:44] - second_alone).max() > 1e-6


def test_sigma_mapping_is_documented_one():
    assert sigma_frames(30.0, FilterOptions(strength=0.5)) == pytest.approx(1.5)
    assert sigma_frames(60.0, FilterOptions(strength=1.0)) == pytest.approx(6.0)
    assert sigma_frames(0.0, FilterOptions(strength=1.0)) == pytest.approx(3.0)   # default 30 fps


def test_five_minutes_of_ten_people_is_quick():
    import time
    num = 30 * 60   # one minute of one person; x5 x10 extrapolates linearly
    rot = smooth_motion(num, 55, seed=9)
    start = time.perf_counter()
    smooth_track(rot, np.zeros((num, 3)), np.ones(num, bool), 30.0, FilterOptions(strength=1.0))
    assert time.perf_counter() - start < 2.0


def test_expression_like_vectors_are_smoothed_on_their_own_frames():
    """smooth_vectors: jitter shrinks, a linear ramp passes unchanged, unseen frames stay and are unused."""
    from wholebody_core.tracking.filters import smooth_vectors

    rng = np.random.default_rng(4)
    frames = 90
    ramp = np.linspace(0.0, 2.0, frames)[:, None] * np.ones((1, 10))
    seen = np.ones(frames, dtype=bool)
    seen[40:44] = False                                     # a profile view: no face
    noisy = ramp + rng.normal(0.0, 0.1, ramp.shape)
    noisy[~seen] = 0.0                                      # what the capture holds there
    options = FilterOptions(strength=1.0)
    smoothed = smooth_vectors(noisy, seen, 30.0, options)
    assert np.abs(smoothed[seen] - ramp[seen]).std() < 0.5 * np.abs(noisy[seen] - ramp[seen]).std()
    np.testing.assert_array_equal(smoothed[~seen], 0.0)
    np.testing.assert_allclose(smooth_vectors(ramp, seen, 30.0, options)[seen], ramp[seen], atol=1e-9)
    np.testing.assert_array_equal(smooth_vectors(noisy, seen, 30.0, FilterOptions(strength=0.0)), noisy)
