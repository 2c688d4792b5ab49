"""Hand, face, eye and body crops derived from landmarks; heatmap refinement."""
from __future__ import annotations

import math

import numpy as np
import pytest

from wholebody_core.landmarks.body import refine_from_heatmap, roi_from_aux_points
from wholebody_core.landmarks.face import eye_roi, face_roi_from_body, face_roi_from_mesh
from wholebody_core.landmarks.hands import hand_roi_from_body, hand_roi_from_recrop_points
from wholebody_core.maths.rotated_rect import image_to_crop


def test_hand_roi_from_a_hanging_hand():
    wrist = np.array([100.0, 200.0])
    index = np.array([104.0, 230.0])
    pinky = np.array([92.0, 227.0])
    roi = hand_roi_from_body(wrist, pinky, index)
    middle = (2 * index + pinky) / 3
    # fingers hang down: the crop is turned half a turn so they point up in it
    assert abs(abs(roi.rotation) - math.pi) < 0.2
    side = 2 * np.linalg.norm(middle - wrist) * 2.7
    assert roi.width == pytest.approx(side) and roi.height == pytest.approx(side)
    # shifted by -0.1 of the pre-scale side along the crop's y (towards the fingertips)
    shift = np.linalg.norm(np.array([roi.cx, roi.cy]) - middle)
    assert shift == pytest.approx(0.1 * side / 2.7, rel=1e-6)
    assert roi.cy > middle[1]
    w, m = image_to_crop(roi, np.stack([wrist, middle]))
    assert m[1] < w[1]  # fingers up in the crop


def test_hand_roi_from_recrop_points():
    roi = hand_roi_from_recrop_points(np.array([[50.0, 50.0], [50.0, 70.0]]))
    # target -90 degrees: p0 -> p1 pointing down in the image gives no rotation
    assert roi.rotation == pytest.approx(0.0, abs=1e-9)
    assert roi.width == pytest.approx(40.0)
    assert roi.cy == pytest.approx(50.0 - 4.0)


def test_body_roi_from_aux_points():
    roi = roi_from_aux_points(np.array([[320.0, 300.0], [320.0, 100.0]]))
    assert roi.rotation == pytest.approx(0.0)
    assert (roi.cx, roi.cy) == (320.0, 300.0)
    assert roi.width == pytest.approx(2 * 200 * 1.25)


def test_face_rois_are_square_level_and_cover_the_face():
    body = np.zeros((33, 2))
    body[0] = (100, 105)                    # nose
    body[1:4] = [(104, 100), (107, 100), (110, 100)]   # left eye (image right)
    body[4:7] = [(96, 100), (93, 100), (90, 100)]      # right eye
    body[7], body[8] = (116, 102), (84, 102)           # ears
    body[9], body[10] = (104, 112), (96, 112)          # mouth
    roi = face_roi_from_body(body)
    assert roi.rotation == pytest.approx(0.0)
    assert roi.width == roi.height and roi.width > 32
    mesh = np.random.default_rng(0).uniform([80, 85], [120, 125], (468, 2))
    mesh[33], mesh[133] = (85, 100), (95, 100)
    mroi = face_roi_from_mesh(mesh)
    assert mroi.rotation == pytest.approx(0.0)
    assert mroi.width >= 1.5 * 39
    eroi = eye_roi(mesh, (33, 133))
    assert (eroi.cx, eroi.cy) == (90.0, 100.0) and eroi.width == pytest.approx(23.0)


def test_heatmap_refinement_moves_points_to_the_confident_peak():
    heatmap = np.full((64, 64, 2), -10.0, np.float32)
    heatmap[20, 30, 0] = 10.0     # a sharp peak in channel 0 at row 20, column 30
    points = np.array([[31.5 / 64, 22.5 / 64], [0.5, 0.5]])
    out = refine_from_heatmap(points, heatmap)
    # MediaPipe's convention: the cell index over the heatmap size (what the network
    # was trained to), not the cell centre
    np.testing.assert_allclose(out[0], [30.0 / 64, 20.0 / 64], atol=1e-3)
    np.testing.assert_allclose(out[1], points[1])  # nothing confident: unchanged


def slow_refine(points, heatmap, k=7, min_conf=0.5):
    """MediaPipe's loop (refine_landmarks_from_heatmap_calculator.cc), written plainly:
    the weighted cell index divided by the heatmap size."""
    h, w, n = heatmap.shape
    out = points.copy()
    for i in range(n):
        c, r = int(np.floor(points[i, 0] * w)), int(np.floor(points[i, 1] * h))
        if not (0 <= c < w and 0 <= r < h):
            continue
        s = wc = wr = mx = 0.0
        for rr in range(max(0, r - k // 2), min(h, r + k // 2 + 1)):
            for cc in range(max(0, c - k // 2), min(w, c + k // 2 + 1)):
                conf = 1 / (1 + math.exp(-heatmap[rr, cc, i]))
                s += conf
                wc += cc * conf
                wr += rr * conf
                mx = max(mx, conf)
        if mx >= min_conf and s > 0:
            out[i] = [(wc / s) / w, (wr / s) / h]
    return out


def test_heatmap_refinement_matches_the_slow_reference():
    rng = np.random.default_rng(3)
    heatmap = rng.normal(-2, 3, (64, 64, 39)).astype(np.float32)
    points = rng.uniform(-0.05, 1.05, (39, 2))
    np.testing.assert_allclose(refine_from_heatmap(points, heatmap), slow_refine(points, heatmap), atol=1e-9)


def test_paint_over_fills_the_occluders_silhouette_in_another_crop():
    from wholebody_core.landmarks.body import BodyLandmarks, paint_over
    from wholebody_core.maths.rotated_rect import RotatedRect

    # an occluder whose 64 x 64 mask covers the left half of its crop (image x < 100)
    occ_roi = RotatedRect(99.5, 99.5, 200, 200, 0.0)
    mask = np.full((64, 64), -10.0, np.float32)
    mask[:, :32] = 10.0
    occluder = BodyLandmarks(roi=occ_roi, presence=1.0, points_px=np.zeros((33, 2)), visibility=np.ones(33),
                             world_cam=np.zeros((33, 3)), next_roi=occ_roi, mask_logits=mask)
    # a crop of the same area, coloured by image x
    roi = RotatedRect(99.5, 99.5, 200, 200, 0.0)
    crop = np.zeros((100, 100, 3), np.uint8)
    crop[:, :50] = 200
    crop[:, 50:] = 20
    out = paint_over(crop, roi, [occluder])
    assert (out[:, 2:48] == 20).all()  # the occluder's half now has the rest's median colour
    assert (out[:, 52:] == 20).all()
    np.testing.assert_array_equal(paint_over(crop, roi, []), crop)
