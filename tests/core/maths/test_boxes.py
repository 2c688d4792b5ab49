"""Axis-aligned boxes: centres and the overlap over the smaller box."""
from __future__ import annotations

import numpy as np
import pytest

from wholebody_core.maths.boxes import box_centre, box_iou, intersection_over_smaller


def test_box_centre_keeps_leading_dimensions():
    boxes = np.array([[[0.0, 0.0, 10.0, 20.0], [5.0, 5.0, 7.0, 9.0]]])
    np.testing.assert_array_equal(box_centre(boxes), [[[5.0, 10.0], [6.0, 7.0]]])


def test_intersection_over_smaller_against_hand_computed_values():
    big = np.array([0.0, 0.0, 100.0, 100.0])
    assert intersection_over_smaller(big, np.array([10.0, 10.0, 30.0, 50.0])) == 1.0       # inside
    assert intersection_over_smaller(np.array([10.0, 10.0, 30.0, 50.0]), big) == 1.0       # symmetric
    # a 20 x 40 box half outside: 20 x 20 of its 800 px^2 overlap
    assert intersection_over_smaller(big, np.array([-10.0, 80.0, 10.0, 120.0])) == pytest.approx(200 / 800)
    assert intersection_over_smaller(big, np.array([100.0, 0.0, 120.0, 10.0])) == 0.0      # touching
    assert intersection_over_smaller(big, np.array([200.0, 0.0, 220.0, 10.0])) == 0.0      # apart


def test_intersection_over_smaller_is_at_least_the_iou():
    rng = np.random.default_rng(0)
    for _ in range(50):
        a = np.sort(rng.uniform(0, 100, (2, 2)), axis=0).T.reshape(-1)[[0, 2, 1, 3]]
        b = np.sort(rng.uniform(0, 100, (2, 2)), axis=0).T.reshape(-1)[[0, 2, 1, 3]]
        assert intersection_over_smaller(a, b) >= box_iou(a, b)[0, 0] - 1e-12
