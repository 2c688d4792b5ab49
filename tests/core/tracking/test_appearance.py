"""Clothing descriptors: histograms of the torso and upper legs, Bhattacharyya distance."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from wholebody_core.tracking.appearance import (
    DESCRIPTOR_SIZE, NUM_PARTS, PART_BINS, appearance_descriptor, appearance_distance,
    appearance_part_distances, blend_descriptor,
)

# RGB clothing colours
RED, YELLOW, BLUE, PURPLE, GREY = (200, 30, 30), (220, 200, 40), (40, 60, 160), (120, 50, 140), (128, 128, 128)


def figure_points(x: float, top: float, height: float) -> np.ndarray:
    """(33, 2) BlazePose points of a standing person (shoulders, hips, knees where they are)."""
    pts = np.tile([x, top + 0.5 * height], (33, 1)).astype(np.float64)
    half = 0.12 * height
    pts[[11, 12]] = [[x + half, top + 0.2 * height], [x - half, top + 0.2 * height]]
    pts[[23, 24]] = [[x + 0.8 * half, top + 0.52 * height], [x - 0.8 * half, top + 0.52 * height]]
    pts[[25, 26]] = [[x + 0.8 * half, top + 0.75 * height], [x - 0.8 * half, top + 0.75 * height]]
    return pts


def draw_person(image: np.ndarray, points: np.ndarray, shirt, trousers, rng=None) -> None:
    """Paints the torso and upper-leg quads (with a little pixel noise when ``rng``)."""
    for quad, colour in ((points[[11, 12, 24, 23]], shirt), (points[[23, 24, 26, 25]], trousers)):
        mask = np.zeros(image.shape[:2], np.uint8)
        cv2.fillPoly(mask, [np.round(quad).astype(np.int32)], 255)
        pixels = np.tile(np.array(colour, np.float64), (int((mask > 0).sum()), 1))
        if rng is not None:
            pixels += rng.normal(0.0, 8.0, pixels.shape)
        image[mask > 0] = np.clip(pixels, 0, 255).astype(np.uint8)


def scene(people, size=(240, 320), seed=0) -> tuple[np.ndarray, list[np.ndarray]]:
    """An image of floor-coloured noise with the people painted in; their points."""
    rng = np.random.default_rng(seed)
    image = np.clip(rng.normal(140, 10, (*size, 3)), 0, 255).astype(np.uint8)
    points = []
    for x, top, height, shirt, trousers in people:
        pts = figure_points(x, top, height)
        draw_person(image, pts, shirt, trousers, rng)
        points.append(pts)
    return image, points


def test_descriptor_layout_and_normalisation():
    image, (pts,) = scene([(160, 40, 150, RED, BLUE)])
    desc = appearance_descriptor(image, pts)
    assert desc.shape == (DESCRIPTOR_SIZE,) and desc.dtype == np.float32
    np.testing.assert_allclose(desc.reshape(NUM_PARTS, PART_BINS).sum(axis=1), 1.0, rtol=1e-5)


def test_same_clothes_are_near_other_clothes_far():
    image_a, (pa,) = scene([(100, 40, 150, RED, BLUE)], seed=1)
    image_b, (pb,) = scene([(180, 50, 140, RED, BLUE)], seed=2)     # same clothes, elsewhere, smaller
    image_c, (pc,) = scene([(180, 50, 140, YELLOW, BLUE)], seed=3)   # another shirt
    a, b, c = (appearance_descriptor(i, p) for i, p in ((image_a, pa), (image_b, pb), (image_c, pc)))
    same, other = appearance_distance(a[None], np.stack([b, c]))[0]
    assert same < 0.3 and other > 0.45   # the mean over torso and legs: one of two parts differs
    parts = appearance_part_distances(a[None], c[None])[0, 0]
    assert parts[0] > 0.9 and parts[1] < 0.3   # the shirt differs, the trousers do not


def test_greys_are_told_apart_by_brightness_not_by_noisy_hue():
    image, (dark, light) = scene([(80, 40, 150, (40, 40, 40), (40, 40, 40)),
                                  (240, 40, 150, (220, 220, 220), (220, 220, 220))])
    d = appearance_distance(appearance_descriptor(image, dark)[None], appearance_descriptor(image, light)[None])
    assert d[0, 0] > 0.9


def test_parts_too_small_or_outside_are_not_described_and_compare_as_nan():
    image, (pts,) = scene([(160, 40, 150, RED, BLUE)])
    tiny = figure_points(160, 40, 6)          # a 6 px person: no part has enough pixels
    outside = figure_points(-500, -500, 150)
    for points in (tiny, outside):
        assert not appearance_descriptor(image, points).any()
    described = appearance_descriptor(image, pts)
    assert np.isnan(appearance_distance(described[None], np.zeros((1, DESCRIPTOR_SIZE)))[0, 0])


def test_distance_matches_opencv_compare_hist():
    image_a, (pa,) = scene([(100, 40, 150, RED, PURPLE)], seed=4)
    image_b, (pb,) = scene([(150, 40, 150, YELLOW, PURPLE)], seed=5)
    a, b = appearance_descriptor(image_a, pa), appearance_descriptor(image_b, pb)
    ours = appearance_part_distances(a[None], b[None])[0, 0]
    for part in range(NUM_PARTS):
        ha = a.reshape(NUM_PARTS, PART_BINS)[part]
        hb = b.reshape(NUM_PARTS, PART_BINS)[part]
        assert ours[part] == pytest.approx(cv2.compareHist(ha, hb, cv2.HISTCMP_BHATTACHARYYA), abs=1e-3)


def test_blend_keeps_parts_that_one_side_does_not_describe():
    image, (pts,) = scene([(160, 40, 150, RED, BLUE)])
    full = appearance_descriptor(image, pts)
    torso_only = full.copy().reshape(NUM_PARTS, PART_BINS)
    torso_only[1] = 0.0
    other, (po,) = scene([(160, 40, 150, YELLOW, GREY)], seed=7)
    yellow = appearance_descriptor(other, po)
    blended = blend_descriptor(torso_only.reshape(-1), yellow, 0.3).reshape(NUM_PARTS, PART_BINS)
    np.testing.assert_allclose(blended[0], 0.7 * torso_only[0] + 0.3 * yellow.reshape(NUM_PARTS, PART_BINS)[0],
                               rtol=1e-5)
    np.testing.assert_allclose(blended[1], yellow.reshape(NUM_PARTS, PART_BINS)[1])   # only the new one had legs
