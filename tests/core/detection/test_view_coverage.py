"""Which detector candidate's geometry wins: the one whose view held the person
(issue 10: tile detections of a large person, with the hips and size extrapolated
beyond the tile, shrank the full frame's body crop; the legs of a kick were lost)."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from wholebody_core.detection.blazepose import view_coverage
from wholebody_core.detection.nms import weighted_nms

MEDIA = Path(__file__).resolve().parents[2] / "media"


def _keypoints(hip_x, hip_y, size):
    """Detector keypoints of an upright person: mid-hip, the point above the head
    (``size`` from the hip), mid-shoulder, upper body."""
    return np.array([[hip_x, hip_y], [hip_x, hip_y - size], [hip_x, hip_y - 0.6 * size],
                     [hip_x, hip_y - 0.8 * size]], float)


def test_coverage_is_one_for_a_person_inside_the_view_and_small_for_one_cut_by_it():
    kp = _keypoints(320, 300, 60)[None]                         # body crop: 150 px square
    assert view_coverage(kp, np.array([0, 0, 640, 480.0]), 640, 480)[0] == pytest.approx(1.0)
    assert view_coverage(kp, np.array([200, 200, 440, 440.0]), 640, 480)[0] == pytest.approx(1.0)
    cut = view_coverage(kp, np.array([200, 0, 440, 280.0]), 640, 480)[0]   # tile ends at the chest
    assert 0.2 < cut < 0.6


def test_coverage_counts_only_the_image_a_person_cut_by_the_frame_is_seen_whole():
    kp = _keypoints(320, 470, 120)[None]                        # the legs are below the frame
    assert view_coverage(kp, np.array([0, 0, 640, 480.0]), 640, 480)[0] == pytest.approx(1.0)


def test_nms_takes_the_geometry_from_the_view_that_saw_the_person():
    boxes = np.array([[300, 100, 340, 140], [302, 100, 342, 140]], float)
    scores = np.array([0.95, 0.7])        # the tile is surer: the person is larger there
    extras = np.array([[0.0], [10.0]])    # its keypoints are extrapolated, the full frame's are not
    out = weighted_nms(boxes, scores, extras, 0.3, coverage=np.array([0.4, 1.0]))
    assert len(out) == 1 and out[0][0] == 0               # one person, with the best score
    np.testing.assert_allclose(out[0][2], [10.0])        # ... and the full frame's geometry
    np.testing.assert_allclose(out[0][1], boxes[1])
    # views that saw alike are averaged as MediaPipe does
    out = weighted_nms(boxes, scores, extras, 0.3, coverage=np.array([0.97, 1.0]))
    np.testing.assert_allclose(out[0][2], [10.0 * 0.7 / 1.65])


@pytest.mark.parametrize("name", ["single_person.png", "pose_crossed_arms.jpg", "pose_arms_raised.jpg"])
def test_tiles_leave_a_large_persons_body_crop_as_the_full_frame_gives_it(name):
    from wholebody_core.detection.blazepose import BlazePoseDetector
    from wholebody_core.detection.types import DetectorOptions

    image = cv2.cvtColor(cv2.imread(str(MEDIA / name)), cv2.COLOR_BGR2RGB)
    detector = BlazePoseDetector(DetectorOptions())
    full = detector.detect(image, tiles=False)[0].body_roi
    tiled = detector.detect(image, tiles=True)[0].body_roi
    # before the fix: 60-90 px smaller and 13-25 px higher with the tiles
    np.testing.assert_allclose(tiled.as_array(), full.as_array(), atol=1.0)


def test_an_unsure_whole_view_does_not_override_sure_partial_ones():
    # pose_walking: the full frame's guess scores 0.3 (a crop twice too large), the
    # tiles are sure (0.96) and saw most of the person
    boxes = np.array([[300, 100, 340, 140], [302, 100, 342, 140], [301, 100, 341, 140]], float)
    scores = np.array([0.96, 0.9, 0.3])
    extras = np.array([[0.0], [2.0], [50.0]])
    out = weighted_nms(boxes, scores, extras, 0.3, coverage=np.array([0.85, 0.8, 1.0]), sure_score=0.5)
    np.testing.assert_allclose(out[0][2], [(0.96 * 0.0 + 0.9 * 2.0) / 1.86])
    # with only unsure candidates, the best view among them still decides
    out = weighted_nms(boxes[2:], scores[2:], extras[2:], 0.3, coverage=np.array([1.0]), sure_score=0.5)
    np.testing.assert_allclose(out[0][2], [50.0])


def test_a_tile_holding_most_of_a_person_beats_the_coarser_full_frame():
    # tilted_45_plaza: a 200 px man, the full frame (640 px view) sees him whole but
    # at a third of a tile's resolution and says 440 px; a 240 px tile holds 74 % of
    # him and says 275
    boxes = np.array([[300, 100, 340, 140], [302, 100, 342, 140]], float)
    scores = np.array([0.8, 0.97])
    extras = np.array([[440.0], [275.0]])
    out = weighted_nms(boxes, scores, extras, 0.3, coverage=np.array([1.0, 0.74]), sure_score=0.5,
                       view_side=np.array([640.0, 240.0]))
    np.testing.assert_allclose(out[0][2], [275.0])
    # a tile that cuts most of the person off (a large person) does not
    out = weighted_nms(boxes, scores, extras, 0.3, coverage=np.array([1.0, 0.45]), sure_score=0.5,
                       view_side=np.array([640.0, 240.0]))
    np.testing.assert_allclose(out[0][2], [440.0])
    # tiles of both sizes that hold the person are averaged
    out = weighted_nms(np.vstack([boxes, boxes[:1]]), np.array([0.8, 0.9, 0.9]), np.array([[440.0], [270.0], [280.0]]),
                       0.3, coverage=np.array([1.0, 0.9, 1.0]), sure_score=0.5,
                       view_side=np.array([640.0, 240.0, 158.0]))
    np.testing.assert_allclose(out[0][2], [275.0])
