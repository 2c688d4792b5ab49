"""Warping the image into a rotated crop: where pixels land, border modes."""
from __future__ import annotations

import numpy as np

from wholebody_core.landmarks.roi import crop_image
from wholebody_core.maths.rotated_rect import RotatedRect, crop_to_image


def test_crop_image_puts_a_dot_where_the_projection_says():
    image = np.zeros((240, 320, 3), np.uint8)
    dot = np.array([200.0, 90.0])  # integer pixel centres
    image[90, 200] = 255
    rect = RotatedRect(180, 110, 96, 96, 0.6)
    crop = crop_image(image, rect, 192, 192)
    v, u = np.unravel_index(np.argmax(crop[..., 0].astype(float)), crop.shape[:2])
    found = crop_to_image(rect, np.array([(u + 0.5) / 192, (v + 0.5) / 192]))
    assert np.linalg.norm(found - dot) < 1.0


def test_full_image_square_rect_is_a_resize():
    image = (np.arange(64 * 64 * 3) % 251).astype(np.uint8).reshape(64, 64, 3)
    rect = RotatedRect(31.5, 31.5, 64, 64, 0.0)
    np.testing.assert_array_equal(crop_image(image, rect, 64, 64), image)


def test_border_modes():
    image = np.full((50, 50, 3), 200, np.uint8)
    rect = RotatedRect(0, 0, 40, 40, 0.0)  # three quarters outside
    assert crop_image(image, rect, 20, 20, border_zero=True)[0, 0].max() == 0
    assert crop_image(image, rect, 20, 20, border_zero=False)[0, 0].min() == 200
