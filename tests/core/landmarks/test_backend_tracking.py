"""Video behaviour: crops seeded from the previous frame, the detector policy."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from wholebody_core.landmarks.backend import LandmarkOptions
from wholebody_core.landmarks.types import PersonObservation
from wholebody_core.models import create_landmark_backend

MEDIA = Path(__file__).resolve().parents[2] / "media"


def single_person_rgb() -> np.ndarray:
    path = MEDIA / "single_person.png"
    if not path.is_file():
        pytest.fail(f"single_person.png is missing from tests/media: regenerate it with python -m bench.media.render_scenes --checked-in")
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def shifted(image: np.ndarray, dx: float, dy: float) -> np.ndarray:
    m = np.array([[1, 0, dx], [0, 1, dy]], np.float64)
    return cv2.warpAffine(image, m, (image.shape[1], image.shape[0]), borderMode=cv2.BORDER_REPLICATE)


def test_tracking_follows_the_person_and_the_detector_runs_every_n_frames():
    image = single_person_rgb()
    backend = create_landmark_backend("mediapipe-tflite", LandmarkOptions(detect_every=3, hands=False))
    previous = None
    ran = []
    first_wrist = None
    for f in range(6):
        people = backend.process_frame(shifted(image, 4.0 * f, 1.0 * f), previous)
        assert len(people) == 1, f"frame {f}: {len(people)} people"
        assert people[0].roi_px is not None and people[0].roi_px.shape == (5,)
        ran.append(backend.last_detector_ran)
        wrist = people[0].body_2d[15, :2]
        if first_wrist is None:
            first_wrist = wrist
        else:
            np.testing.assert_allclose(wrist - first_wrist, [4.0 * f, 1.0 * f], atol=6.0)
        previous = people
    assert ran == [True, False, False, True, False, False]


def test_a_lost_track_makes_the_detector_run():
    image = single_person_rgb()
    backend = create_landmark_backend("mediapipe-tflite", LandmarkOptions(detect_every=100, hands=False, face=False))
    ghost = PersonObservation(
        bbox_xyxy=np.array([0, 0, 40, 80], np.float32), score=0.9,
        body_2d=np.zeros((33, 3), np.float32), body_3d=np.zeros((33, 3), np.float32),
        roi_px=np.array([30.0, 40.0, 60.0, 60.0, 0.0]))  # a crop on empty wall
    people = backend.process_frame(image, [ghost])
    assert backend.last_detector_ran
    assert len(people) == 1
    assert people[0].bbox_xyxy[2] - people[0].bbox_xyxy[0] > 60


def test_previous_without_rois_falls_back_to_the_detector():
    image = single_person_rgb()
    backend = create_landmark_backend("mediapipe-tflite", LandmarkOptions(detect_every=100, hands=False, face=False))
    first = backend.process_frame(image)
    for p in first:
        p.roi_px = None
    again = backend.process_frame(image, first)
    assert backend.last_detector_ran and len(again) == 1
    np.testing.assert_allclose(again[0].body_2d[:, :2], first[0].body_2d[:, :2], atol=10.0)
