"""A real person is a fixed point of re-cropping; a made-up body drifts (issue 10)."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from wholebody_core.landmarks.body import BodyLandmarks
from wholebody_core.landmarks.coherence import (
    LIMB_JOINTS, MAX_RECROP_DRIFT, body_size_px, coherent_person, is_fixed_point, partly_behind, recrop_drift,
    survives_recrop,
)
from wholebody_core.maths.rotated_rect import RotatedRect

MEDIA = Path(__file__).resolve().parents[2] / "media"


def _person(height: float = 300.0, x: float = 320.0, top: float = 40.0) -> np.ndarray:
    """(33, 2) landmarks of an upright person ``height`` px tall: a slim column, wider
    at the shoulders, every joint at its own place."""
    rng = np.random.default_rng(0)
    points = np.stack([x + rng.uniform(-0.15, 0.15, 33) * height,
                       top + np.linspace(0.0, 1.0, 33) * height], axis=1)
    return points


def _body(points: np.ndarray, next_roi: RotatedRect | None = None) -> BodyLandmarks:
    centre = points.mean(axis=0)
    side = 1.3 * body_size_px(points)
    roi = RotatedRect(float(centre[0]), float(centre[1]), side, side, 0.0)
    return BodyLandmarks(roi=roi, presence=1.0, points_px=points, visibility=np.ones(33),
                         world_cam=np.zeros((33, 3)), next_roi=next_roi or roi)


def test_the_same_body_again_has_not_moved():
    points = _person()
    assert recrop_drift(points, points) == 0.0
    assert is_fixed_point(points, points)


def test_drift_is_a_share_of_the_body_s_size():
    """The same relative move on a person 4 times smaller is the same drift: far
    people are judged as near ones."""
    near, far = _person(400.0), _person(100.0)
    shift = np.array([0.05, -0.02])
    assert recrop_drift(near, near + shift * 400.0) == pytest.approx(recrop_drift(far, far + shift * 100.0))
    assert recrop_drift(near, near + shift * 400.0) == pytest.approx(np.hypot(*shift))


def test_landmark_noise_is_a_fixed_point_and_a_body_that_flies_apart_is_not():
    points = _person(200.0)
    rng = np.random.default_rng(1)
    noisy = points + rng.normal(0.0, 2.0, points.shape)      # 2 px noise on a 200 px person
    assert is_fixed_point(points, noisy)
    scattered = points + rng.normal(0.0, 0.15 * 200.0, points.shape)
    assert recrop_drift(points, scattered) > 2 * MAX_RECROP_DRIFT
    assert not is_fixed_point(points, scattered)


def test_a_forearm_seen_differently_does_not_count_but_most_of_the_body_does():
    """2 of the 12 limb joints (an elbow and its wrist: a hand by someone else's) may
    land elsewhere; when an arm and a leg fly off, most of the body moved."""
    points = _person(200.0)
    moved = points.copy()
    moved[LIMB_JOINTS[[2, 4]]] += 60.0                   # one forearm: elbow, wrist
    assert is_fixed_point(points, moved)
    moved[LIMB_JOINTS[[0, 7, 9, 11]]] += 60.0            # its shoulder, and a leg
    assert not is_fixed_point(points, moved)


def test_face_points_do_not_count():
    """A made-up body's face points crowd on one bright spot and barely move: only
    the limbs are judged."""
    points = _person(200.0)
    moved = points.copy()
    moved[:11] += 80.0
    assert recrop_drift(points, moved) == 0.0


def test_survives_recrop_crops_where_the_landmarks_say():
    points = _person(200.0)
    target = RotatedRect(300.0, 150.0, 280.0, 280.0, 0.1)
    body = _body(points, next_roi=target)
    seen = []

    def same_body(roi):
        seen.append(roi)
        return _body(points + 1.0)

    assert survives_recrop(body, same_body)
    assert seen == [target]   # a fixed point: one re-crop is enough


def _wandering(points: np.ndarray):
    """A re-crop function whose body lands 30 px further at every crop."""
    moves = iter(range(1, 100))
    return lambda roi: _body(points + np.array([30.0 * next(moves), 0.0]))


def test_a_body_that_moves_at_every_crop_is_made_up():
    points = _person(200.0)
    assert not survives_recrop(_body(points), _wandering(points))


def test_a_person_framed_badly_converges_on_the_first_re_crop():
    """The detector's crop gave a collapsed body (a person partly hidden, clip_crowd);
    the crop that body calls for shows the person properly, and the crop after it
    finds them in the same place: re-cropping converged on a real person."""
    points = _person(200.0)
    body = _body(points * 0.6 + 40.0)                   # the badly framed first reading
    found = [_body(points), _body(points + 1.5)]        # then the person, then the same again
    calls = iter(found)
    assert survives_recrop(body, lambda roi: next(calls))
    # had the second re-crop moved as well, the body never settled
    calls = iter([_body(points), _body(points + np.array([40.0, 0.0]))])
    assert not survives_recrop(body, lambda roi: next(calls))


def test_a_body_partly_behind_someone_kept_is_not_judged():
    """A third or more of the landmarks it sees on the silhouette of someone kept: the
    re-crop would take in the person in front, so the test steps aside."""
    behind = _body(_person(200.0))
    front = _body(_person(200.0, x=340.0))
    front.mask_logits = np.full((256, 256), 5.0, np.float32)     # their silhouette covers their crop
    assert partly_behind(behind, [front])
    assert coherent_person(behind, [front], _wandering(behind.points_px))
    # nobody in front: judged, and the body that moved is not a person
    far = _body(_person(200.0, x=2000.0))
    far.mask_logits = np.full((256, 256), 5.0, np.float32)
    assert not partly_behind(behind, [far])
    assert not coherent_person(behind, [far], _wandering(behind.points_px))
    assert not coherent_person(behind, [], _wandering(behind.points_px))


def test_a_degenerate_crop_is_no_evidence_of_a_person():
    points = _person(200.0)
    body = _body(points, next_roi=RotatedRect(float("nan"), 10.0, 50.0, 50.0, 0.0))

    def must_not_run(roi):
        raise AssertionError("the body model ran on a degenerate crop")

    assert not survives_recrop(body, must_not_run)


@pytest.fixture(scope="module")
def body_model():
    from wholebody_core.landmarks.body import BodyLandmarker
    return BodyLandmarker(num_threads=2)


def _rgb(name: str) -> np.ndarray:
    path = next(p for p in MEDIA.glob(f"{name}.*") if not p.name.endswith(".npz"))
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def test_a_rendered_person_is_a_fixed_point_of_the_body_model(body_model):
    """single_person: cropped about the person, then where the landmarks say."""
    image = _rgb("single_person")
    body = body_model(image, RotatedRect(320.0, 300.0, 420.0, 420.0, 0.0))
    assert body.presence > 0.5
    assert survives_recrop(body, lambda roi: body_model(image, roi))


def test_a_body_made_up_in_floodlights_drifts(body_model):
    """photo_rocket: on a detector's crop of the star-shaped lens flares at the bottom
    of the photo the body model reads a 94x43 px person, sure of it (presence 0.99);
    cropped again where those landmarks say, it reads another one."""
    image = _rgb("photo_rocket")
    body = body_model(image, RotatedRect(381.0, 460.6, 129.7, 129.7, -0.995))
    assert body.presence > 0.9
    assert not survives_recrop(body, lambda roi: body_model(image, roi))


def test_the_pipeline_runs_the_test_on_stills_only():
    """On video whether someone is there is judged over frames (coherence.py)."""
    from wholebody_core.pipeline import CaptureOptions, _landmark_backend

    options = CaptureOptions(hands=False, face=False)
    assert _landmark_backend(options, False, video=False).options.recrop_test
    assert not _landmark_backend(options, False, video=True).options.recrop_test
