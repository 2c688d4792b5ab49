"""Finding a frame's people: crops tried and kept, clothing descriptors that belong to their
bodies (issue 11: same input, same output), detections covered, the lost found again."""
from __future__ import annotations

import dataclasses
import gc

import numpy as np

from wholebody_core.detection.types import PersonDetection
from wholebody_core.landmarks.body import BodyLandmarks
from wholebody_core.landmarks.candidates import (
    CropTrier, body_appearance, detection_covered, follow, followed_people, found_again, hide_disc, look_behind_heads,
    running_appearance,
)
from wholebody_core.landmarks.options import LandmarkOptions
from wholebody_core.landmarks.people import Accepted, body_bbox_xyxy, face_centre_px
from wholebody_core.landmarks.schedule import LostPerson
from wholebody_core.landmarks.types import NOSE, PersonObservation
from wholebody_core.maths.rotated_rect import RotatedRect
from wholebody_core.tracking.appearance import appearance_descriptor, blend_descriptor
from wholebody_core.tracking.identity import APPEARANCE_UPDATE


def _striped_image() -> np.ndarray:
    """(240, 640, 3) uint8: vertical bands of saturated, all different colours."""
    rng = np.random.default_rng(3)
    colours = rng.integers(0, 256, size=(32, 3)).astype(np.uint8)
    colours[:, 0] = np.arange(32) * 8   # no two bands alike
    return np.repeat(colours[None], 240, axis=0).repeat(20, axis=1)


def _standing_body(x: float) -> BodyLandmarks:
    """A 200 px tall person at column ``x`` (only the torso and legs matter here)."""
    points = np.zeros((33, 2))
    points[:, 0], points[:, 1] = x, 20.0
    points[[11, 12], :] = [[x + 12, 60], [x - 12, 60]]     # shoulders
    points[[23, 24], :] = [[x + 10, 130], [x - 10, 130]]   # hips
    points[[25, 26], :] = [[x + 10, 190], [x - 10, 190]]   # knees
    roi = RotatedRect(x, 120.0, 260.0, 260.0, 0.0)
    return BodyLandmarks(roi=roi, presence=1.0, points_px=points, visibility=np.ones(33),
                         world_cam=np.zeros((33, 3)), next_roi=roi)


def test_a_new_body_never_takes_a_freed_body_s_descriptor():
    """Within one frame, bodies are made and dropped (rejected crops); CPython reuses the
    ids of freed objects, so a descriptor cache keyed by ``id(body)`` gave a new body the
    clothes of a dead one, depending on memory layout."""
    image = _striped_image()
    earlier_ids: set[int] = set()
    reused = 0
    for round_ in range(10):
        # a batch of bodies made, described and dropped, as crops are tried in a frame
        bodies = [_standing_body(float(40 + (37 * (i + round_)) % 560)) for i in range(30)]
        reused += sum(id(body) in earlier_ids for body in bodies)
        for body in bodies:
            got = body_appearance(image, body)
            np.testing.assert_array_equal(got, appearance_descriptor(image, body.points_px),
                                          err_msg=f"round {round_}, body at x={body.points_px[0, 0]}")
            np.testing.assert_array_equal(body_appearance(image, body), got)  # computed once, kept
        earlier_ids |= {id(body) for body in bodies}
        del bodies, body
        gc.collect()
    # the hazard was exercised: CPython handed freed bodies' ids to new ones
    assert reused > 0, "no id was reused: the test did not exercise the hazard"


# -- following people, detections covered, the lost found again -----------------

def _person_points(x: float, top: float, height: float = 200.0) -> np.ndarray:
    """(33, 2) an upright person facing the camera, ``height`` px tall from ``top``."""
    s = height / 200.0
    pts = np.zeros((33, 2))
    for i, (dx, y) in enumerate([(0, 10), (4, 5), (8, 5), (11, 5), (-4, 5), (-8, 5), (-11, 5), (14, 8), (-14, 8),
                                 (6, 22), (-6, 22), (25, 40), (-25, 40), (30, 80), (-30, 80), (32, 115), (-32, 115),
                                 (34, 122), (-34, 122), (33, 123), (-33, 123), (31, 120), (-31, 120), (15, 100),
                                 (-15, 100), (15, 150), (-15, 150), (15, 195), (-15, 195), (15, 200), (-15, 200),
                                 (20, 200), (-20, 200)]):
        pts[i] = [x + s * dx, top + s * y]
    return pts


class _FakeBodyModel:
    """Finds an upright person centred in any crop, except in the crops listed as empty."""

    def __init__(self, empty_at: tuple[float, ...] = ()):
        self.empty_at = empty_at
        self.occluders = []

    def __call__(self, image_rgb, roi, occluders=None):
        self.occluders.append(occluders)
        height = roi.width / 1.3
        presence = 0.0 if any(abs(roi.cx - x) < 1 for x in self.empty_at) else 0.95
        return BodyLandmarks(roi=roi, presence=presence, points_px=_person_points(roi.cx, roi.cy - height / 2, height),
                             visibility=np.ones(33), world_cam=np.zeros((33, 3)), next_roi=roi)


def _followed(x: float, height: float = 200.0) -> PersonObservation:
    points = _person_points(x, 40.0, height)
    return PersonObservation(bbox_xyxy=body_bbox_xyxy(points), score=0.9, body_2d=np.zeros((33, 3)),
                             body_3d=np.zeros((33, 3)), roi_px=np.array([x, 40.0 + height / 2, 1.3 * height,
                                                                         1.3 * height, 0.0]))


def test_followed_people_are_kept_with_the_person_they_continue_and_the_rest_are_lost():
    image = np.full((480, 640, 3), 120, np.uint8)
    near, far = _followed(150.0, 220.0), _followed(450.0, 180.0)
    followed = followed_people([far, near, dataclasses.replace(near, roi_px=None)])
    assert followed == [near, far]                       # the taller first; no crop, not followed
    trier = CropTrier(_FakeBodyModel(empty_at=(450.0,)), image, LandmarkOptions())
    accepted: list[Accepted] = []
    lost = follow(trier, followed, accepted, lost_memory_frames=7)
    assert [a.tracked for a in accepted] == [near]
    assert accepted[0].score == 0.95
    np.testing.assert_array_equal(accepted[0].bbox_xyxy, body_bbox_xyxy(accepted[0].body.points_px))
    assert len(lost) == 1 and lost[0].frames_left == 7
    np.testing.assert_allclose(lost[0].where_px, [450.0, 130.0])
    assert trier.runs == 2


def test_a_crop_that_shows_someone_kept_is_tried_again_behind_them():
    image = np.full((480, 640, 3), 120, np.uint8)
    model = _FakeBodyModel()
    trier = CropTrier(model, image, LandmarkOptions())
    accepted: list[Accepted] = []
    twin = _followed(150.0)
    lost = follow(trier, [twin, twin], accepted, lost_memory_frames=7)
    assert len(accepted) == 1 and len(lost) == 1           # the second crop found the first person again
    # ... and was retried with everyone kept painted over (the first try painted the people in front)
    assert trier.runs == 3 and model.occluders == [None, [accepted[0].body], [accepted[0].body]]


def test_a_running_appearance_blends_only_for_a_followed_person():
    image = _striped_image()
    body = _standing_body(200.0)
    now = appearance_descriptor(image, body.points_px)
    assert np.array_equal(running_appearance(image, Accepted(body, body_bbox_xyxy(body.points_px))), now)
    before = appearance_descriptor(image, _standing_body(400.0).points_px)
    tracked = dataclasses.replace(_followed(200.0), appearance=before)
    blended = running_appearance(image, Accepted(body, body_bbox_xyxy(body.points_px), tracked))
    np.testing.assert_allclose(blended, blend_descriptor(before, now, APPEARANCE_UPDATE))
    assert not np.allclose(blended, now)


def test_a_detection_is_covered_by_a_kept_nose_or_a_body_box():
    body = _FakeBodyModel()(None, RotatedRect(300.0, 200.0, 260.0, 260.0, 0.0))
    kept = [Accepted(body, body_bbox_xyxy(body.points_px))]
    nose = body.points_px[0]
    head = PersonDetection(score=0.9, bbox_xyxy=np.array([nose[0] - 10, nose[1] - 10, nose[0] + 10, nose[1] + 10]),
                           body_roi=body.roi, keypoints_px=np.zeros((4, 2)))
    assert detection_covered(head, kept)
    assert not detection_covered(dataclasses.replace(head, bbox_xyxy=head.bbox_xyxy + [60, 0, 60, 0]), kept)
    assert not detection_covered(head, [])
    hog = PersonDetection(score=0.9, bbox_xyxy=kept[0].bbox_xyxy + 5, body_roi=body.roi, keypoints_px=None)
    assert detection_covered(hog, kept)
    assert not detection_covered(dataclasses.replace(hog, bbox_xyxy=kept[0].bbox_xyxy + 150), kept)


def test_the_lost_are_found_again_near_where_they_were_lost_and_in_their_clothes():
    image = _striped_image()
    body = _standing_body(200.0)
    kept = [Accepted(body, body_bbox_xyxy(body.points_px))]
    clothes = appearance_descriptor(image, body.points_px)
    centre = 0.5 * (kept[0].bbox_xyxy[:2] + kept[0].bbox_xyxy[2:])
    assert found_again(image, LostPerson(centre + [30.0, 0.0], 5, clothes), kept)
    assert found_again(image, LostPerson(centre, 5, None), kept)                       # no clothes to compare
    assert not found_again(image, LostPerson(centre + [400.0, 0.0], 5, clothes), kept)   # too far
    other = appearance_descriptor(image, _standing_body(500.0).points_px)
    assert not found_again(image, LostPerson(centre, 5, other), kept)                  # someone else's clothes


# -- looking behind a kept person's head (two people hugging) --------------------

def test_hide_disc_fills_the_disc_with_the_colour_around_it():
    image = np.full((60, 80, 3), 50, np.uint8)
    image[20:40, 30:50] = 200                     # a bright head on a dark background
    hidden = hide_disc(image, np.array([40.0, 30.0]), 8.0)
    assert (hidden[30, 40] == 50).all() and (hidden[23, 40] == 50).all()   # inside the disc: the background
    np.testing.assert_array_equal(hidden[20, 30], image[20, 30])           # outside it: untouched
    np.testing.assert_array_equal(image[30, 40], [200, 200, 200])          # the input is not changed


class _HuggingModel:
    """One crop: the person whose face is in view (a bright mark at ``face_px``) while
    it is there; once it is hidden, a second person whose head is ``shift_px`` to the
    right (their own head, or one guessed into the hidden head when the shift is small)."""

    def __init__(self, face_px: np.ndarray, shift_px: float):
        self.face_px, self.shift_px = face_px, shift_px

    def __call__(self, image_rgb, roi, occluders=None):
        height = 200.0
        points = _person_points(roi.cx, roi.cy - height / 2, height)
        x, y = np.round(self.face_px).astype(int)
        if image_rgb[y, x, 0] != 255:
            points[:11] += [self.shift_px, 0.0]       # the face moved: another head
        return BodyLandmarks(roi=roi, presence=0.95, points_px=points, visibility=np.ones(33),
                             world_cam=np.zeros((33, 3)), next_roi=roi)


def _hugging_scene(shift_px: float, recrop_test: bool = True):
    image = np.full((480, 640, 3), 120, np.uint8)
    roi = RotatedRect(300.0, 240.0, 260.0, 260.0, 0.0)
    face = face_centre_px(_person_points(300.0, 140.0))
    image[int(face[1]) - 3:int(face[1]) + 4, int(face[0]) - 3:int(face[0]) + 4] = 255
    trier = CropTrier(_HuggingModel(face, shift_px), image, LandmarkOptions(recrop_test=recrop_test))
    accepted: list[Accepted] = []
    assert trier.try_crop(roi, accepted)[0]
    look_behind_heads(trier, accepted, max_people=10)
    return accepted, trier


def test_a_person_with_their_own_head_behind_a_kept_head_is_found():
    accepted, _ = _hugging_scene(shift_px=40.0)   # two face spans to the side: another head
    assert len(accepted) == 2
    assert accepted[1].body.points_px[NOSE, 0] == accepted[0].body.points_px[NOSE, 0] + 40.0


def test_a_head_guessed_into_the_hidden_one_is_the_same_person():
    accepted, _ = _hugging_scene(shift_px=8.0)    # inside the hidden disc
    assert len(accepted) == 1


def test_no_search_behind_heads_without_the_recrop_test():
    accepted, trier = _hugging_scene(shift_px=40.0, recrop_test=False)
    assert len(accepted) == 1 and trier.runs == 1


def test_a_kept_person_s_head_on_another_body_is_not_a_new_person():
    """People crossing: the near walker's crop with his head hidden came back with the
    far walker's face (kept already) on his body."""
    image = np.full((480, 640, 3), 120, np.uint8)
    roi = RotatedRect(300.0, 240.0, 260.0, 260.0, 0.0)
    face = face_centre_px(_person_points(300.0, 140.0))
    image[int(face[1]) - 3:int(face[1]) + 4, int(face[0]) - 3:int(face[0]) + 4] = 255
    trier = CropTrier(_HuggingModel(face, 40.0), image, LandmarkOptions())
    far = _person_points(340.0, 140.0)                   # the far walker: her head where the new one is
    far_body = dataclasses.replace(_standing_body(340.0), points_px=far, roi=dataclasses.replace(roi, cx=340.0))
    accepted = [Accepted(far_body, body_bbox_xyxy(far))]
    assert trier.try_crop(roi, accepted)[0]
    look_behind_heads(trier, accepted, max_people=10)
    assert len(accepted) == 2
