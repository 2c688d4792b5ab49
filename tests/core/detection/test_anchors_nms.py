"""SSD anchors, detector decoding, weighted NMS and tiling."""
from __future__ import annotations

import math

import numpy as np
import pytest

from wholebody_core.detection.anchors import POSE_DETECTION_ANCHORS, generate_anchors
from wholebody_core.detection.blazepose import decode_raw_detections, tile_rects
from wholebody_core.detection.nms import iou_xyxy, weighted_nms
from wholebody_core.maths.rotated_rect import rect_bbox_xyxy


def reference_anchors_pose() -> np.ndarray:
    """Slow reference written straight from the pbtxt's numbers: feature maps of
    28, 14 and 7 cells; 2 anchors per cell for the stride-8 and stride-16 layers,
    3 x 2 for the three stride-32 layers that share the 7 x 7 map."""
    out = []
    for fm, per_cell in ((28, 2), (14, 2), (7, 6)):
        for y in range(fm):
            for x in range(fm):
                for _ in range(per_cell):
                    out.append(((x + 0.5) / fm, (y + 0.5) / fm, 1.0, 1.0))
    return np.asarray(out, dtype=np.float32)


def test_pose_anchor_count_and_centres_match_reference():
    anchors = generate_anchors(POSE_DETECTION_ANCHORS)
    assert anchors.shape == (2254, 4)
    np.testing.assert_allclose(anchors, reference_anchors_pose(), atol=1e-7)


def test_anchor_sizes_when_not_fixed():
    opts = POSE_DETECTION_ANCHORS.__class__(fixed_anchor_size=False)
    anchors = generate_anchors(opts)
    # first layer: min_scale, then the interpolated sqrt(s0 * s1)
    s0 = 0.1484375
    s1 = s0 + (0.75 - s0) / 4
    np.testing.assert_allclose(anchors[0, 2:], [s0, s0], rtol=1e-6)
    np.testing.assert_allclose(anchors[1, 2:], [math.sqrt(s0 * s1)] * 2, rtol=1e-6)


def test_decode_places_box_and_keypoints_relative_to_anchor():
    anchors = generate_anchors()
    raw = np.zeros((2254, 12), np.float32)
    scores = np.full(2254, -10.0, np.float32)
    k = 1000
    raw[k, :4] = [22.4, -11.2, 44.8, 67.2]  # dx = +0.1, dy = -0.05, w = 0.2, h = 0.3 (normalised)
    raw[k, 4:6] = [0.0, 0.0]
    raw[k, 6:8] = [0.0, -44.8]
    scores[k] = 3.0
    boxes, kps, s = decode_raw_detections(raw, scores, anchors, 0.5)
    assert len(s) == 1 and s[0] == pytest.approx(1 / (1 + math.exp(-3)))
    xc, yc = anchors[k, 0] + 0.1, anchors[k, 1] - 0.05
    np.testing.assert_allclose(boxes[0], [xc - 0.1, yc - 0.15, xc + 0.1, yc + 0.15], atol=1e-6)
    np.testing.assert_allclose(kps[0, 0], anchors[k, :2], atol=1e-6)
    np.testing.assert_allclose(kps[0, 1], anchors[k, :2] + [0, -0.2], atol=1e-6)


def test_iou():
    a = np.array([0, 0, 10, 10.0])
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]], float)
    np.testing.assert_allclose(iou_xyxy(a, b), [1.0, 50 / 150, 0.0])


def test_weighted_nms_merges_overlaps_and_keeps_separate_boxes():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], float)
    scores = np.array([0.9, 0.6, 0.8])
    extras = np.array([[0.0], [10.0], [5.0]])
    out = weighted_nms(boxes, scores, extras, 0.3)
    assert [o[0] for o in out] == [0, 2]
    np.testing.assert_allclose(out[0][1], [0.4, 0, 10.4, 10])
    np.testing.assert_allclose(out[0][2], [4.0])
    np.testing.assert_allclose(out[1][1], boxes[2])


def test_tiles_cover_the_image_with_overlap():
    rects = tile_rects(640, 480, (0.67,), 0.25)
    assert len(rects) >= 4
    boxes = np.stack([rect_bbox_xyxy(r) for r in rects])
    # pixel centres: the image spans [-0.5, W - 0.5]
    assert boxes[:, 0].min() == pytest.approx(-0.5) and boxes[:, 2].max() == pytest.approx(639.5)
    assert boxes[:, 1].min() == pytest.approx(-0.5) and boxes[:, 3].max() == pytest.approx(479.5)
    side = 0.67 * 480
    assert np.allclose(boxes[:, 2] - boxes[:, 0], side)
    assert tile_rects(640, 480, (), 0.25) == []


def test_tiles_containing_points():
    from wholebody_core.detection.blazepose import BlazePoseDetector
    from wholebody_core.detection.types import DetectorOptions

    detector = BlazePoseDetector(DetectorOptions(tile_fractions=(0.5,)))
    rects = tile_rects(640, 480, (0.5,), 0.25)
    assert detector.num_tiles(640, 480) == len(rects)
    hits = detector.tiles_containing(640, 480, np.array([[10.0, 10.0]]))
    assert hits == [0]
    centre = detector.tiles_containing(640, 480, np.array([[320.0, 240.0]]))
    for i in centre:
        r = rects[i]
        assert abs(320 - r.cx) <= r.width / 2 and abs(240 - r.cy) <= r.height / 2
    assert len(centre) >= 2
