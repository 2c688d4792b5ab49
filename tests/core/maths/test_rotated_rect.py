"""Rotated crops' geometry: round trips, MediaPipe's rotation convention, pixel matrices."""
from __future__ import annotations

import math

import numpy as np
import pytest

from wholebody_core.maths.rotated_rect import (
    RotatedRect, crop_to_image, image_to_crop, normalize_radians, rect_bbox_xyxy, rect_from_alignment_points,
    rect_from_points_bbox, rotate_xy, transform_rect,
)


def test_crop_image_round_trip():
    rng = np.random.default_rng(0)
    for _ in range(20):
        rect = RotatedRect(*rng.uniform([50, 40, 20, 20, -3], [500, 400, 300, 300, 3]))
        pts = rng.uniform(0, 1, (10, 2))
        np.testing.assert_allclose(image_to_crop(rect, crop_to_image(rect, pts)), pts, atol=1e-9)


def test_alignment_rotation_makes_the_vector_point_up_in_the_crop():
    rng = np.random.default_rng(1)
    for _ in range(20):
        start = rng.uniform(100, 300, 2)
        end = start + rng.uniform(-80, 80, 2)
        rect = rect_from_alignment_points(start, end, math.pi / 2)
        assert rect.width == pytest.approx(2 * np.linalg.norm(end - start))
        s, e = image_to_crop(rect, np.stack([start, end]))
        np.testing.assert_allclose(s, [0.5, 0.5], atol=1e-9)
        d = e - s
        assert d[1] < 0 and abs(d[0]) < 1e-9  # straight up in the crop
        np.testing.assert_allclose(np.linalg.norm(d), 0.5, atol=1e-9)


def test_upright_vector_gives_zero_rotation_and_right_gives_quarter_turn():
    up = rect_from_alignment_points(np.array([10.0, 10]), np.array([10.0, 0]), math.pi / 2)
    assert up.rotation == pytest.approx(0.0)
    right = rect_from_alignment_points(np.array([10.0, 10]), np.array([20.0, 10]), math.pi / 2)
    assert right.rotation == pytest.approx(math.pi / 2)
    assert normalize_radians(3 * math.pi) == pytest.approx(-math.pi)


def test_transform_rect_shifts_along_rotated_axes_then_squares_and_scales():
    rect = RotatedRect(100, 100, 40, 20, math.pi / 2)
    out = transform_rect(rect, 2.0, 2.0, shift_y=-0.1)
    # shift of -0.1 * height along the crop's y axis, which R(90deg) maps to -x... i.e. +x on screen
    np.testing.assert_allclose([out.cx, out.cy], [100 + 2.0, 100], atol=1e-9)
    assert out.width == pytest.approx(80) and out.height == pytest.approx(80)


def test_points_bbox_rect():
    pts = np.array([[10, 10], [30, 10], [20, 40.0]])
    rect = rect_from_points_bbox(pts, 0, 1, 0.0)
    assert (rect.cx, rect.cy, rect.width, rect.height) == (20, 25, 20, 30)
    assert rect.rotation == pytest.approx(0.0)


def test_rotate_xy_matches_projection_of_directions():
    rect = RotatedRect(0, 0, 1, 1, 0.7)
    v = np.array([[0.3, -0.2, 5.0]])
    rotated = rotate_xy(v, rect.rotation)
    direction = crop_to_image(rect, v[:, :2] + 0.5) - crop_to_image(rect, np.array([[0.5, 0.5]]))
    np.testing.assert_allclose(rotated[:, :2], direction, atol=1e-12)
    assert rotated[0, 2] == 5.0


def test_bbox_of_rotated_square():
    box = rect_bbox_xyxy(RotatedRect(0, 0, 2, 2, math.pi / 4))
    np.testing.assert_allclose(box, [-math.sqrt(2), -math.sqrt(2), math.sqrt(2), math.sqrt(2)], atol=1e-9)


def test_crop_to_crop_matrix_maps_the_same_image_point():
    from wholebody_core.maths.rotated_rect import crop_pixel_to_image_matrix, crop_to_crop_matrix

    dst = RotatedRect(200, 150, 120, 120, 0.4)
    src = RotatedRect(230, 170, 200, 200, -0.3)
    m = crop_to_crop_matrix(dst, 256, src, 64)
    for u, v in [(0, 0), (100, 30), (255, 255)]:
        p_dst = crop_pixel_to_image_matrix(dst, 256, 256) @ [u, v, 1]
        s = m @ [u, v, 1]
        p_src = crop_pixel_to_image_matrix(src, 64, 64) @ [s[0], s[1], 1]
        np.testing.assert_allclose(p_dst, p_src, atol=1e-9)
    np.testing.assert_allclose(crop_to_crop_matrix(dst, 256, dst, 256), np.eye(3)[:2], atol=1e-12)
