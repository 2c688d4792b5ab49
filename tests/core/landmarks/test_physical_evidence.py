"""People kept on physical evidence, not on the landmark model's scores (issue 10):
the model reports limbs it invents as visible with scores above 0.9."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from wholebody_core.landmarks.people import (
    MAX_STATURE_IN_FACE_SPANS, implied_stature_in_face_spans, proportions_possible, unseen_outside_image,
)

MEDIA = Path(__file__).resolve().parents[2] / "media"


def _standing_person(stature: float, face_span: float, x: float = 300.0, top: float = 50.0):
    """(33, 2) landmarks of an upright person facing the camera (segment lengths from
    the same anthropometric table the rule uses), all visible."""
    p = np.zeros((33, 2))
    cx = x
    head_c = np.array([cx, top + 0.06 * stature])
    face = np.array([[0, 0], [-0.2, -0.15], [-0.3, -0.15], [-0.4, -0.15], [0.2, -0.15], [0.3, -0.15],
                     [0.4, -0.15], [-0.5, 0], [0.5, 0], [-0.15, 0.3], [0.15, 0.3]])
    p[:11] = head_c + face * face_span
    sh_y, hip_y = top + 0.18 * stature, top + 0.48 * stature
    p[11], p[12] = (cx + 0.125 * stature, sh_y), (cx - 0.125 * stature, sh_y)
    p[13], p[14] = (cx + 0.14 * stature, sh_y + 0.18 * stature), (cx - 0.14 * stature, sh_y + 0.18 * stature)
    p[15], p[16] = (cx + 0.15 * stature, sh_y + 0.32 * stature), (cx - 0.15 * stature, sh_y + 0.32 * stature)
    p[17:23] = np.repeat(p[15:17], 3, axis=0)
    p[23], p[24] = (cx + 0.09 * stature, hip_y), (cx - 0.09 * stature, hip_y)
    p[25], p[26] = (cx + 0.09 * stature, hip_y + 0.24 * stature), (cx - 0.09 * stature, hip_y + 0.24 * stature)
    p[27], p[28] = (cx + 0.09 * stature, hip_y + 0.48 * stature), (cx - 0.09 * stature, hip_y + 0.48 * stature)
    p[29:33] = np.repeat(p[27:29], 2, axis=0)
    return p, np.ones(33)


def test_a_body_of_human_proportions_is_possible():
    # ear to ear ~1/12 of stature
    points, vis = _standing_person(340.0, 340.0 / 12)
    assert 5 < implied_stature_in_face_spans(points, vis) < 15
    assert proportions_possible(points, vis)


def test_a_skeleton_far_too_large_for_its_face_is_not_a_person():
    # a 20 px spectator's face (features ~8 px apart) grown a 400 px body
    points, vis = _standing_person(400.0, 8.0)
    assert implied_stature_in_face_spans(points, vis) > MAX_STATURE_IN_FACE_SPANS
    assert not proportions_possible(points, vis)


def test_foreshortening_only_shortens_and_unseen_limbs_do_not_count():
    points, vis = _standing_person(400.0, 8.0)
    # the same face with limbs seen end-on (lengths to a quarter): possible
    short = points.copy()
    centre = points[23]
    short[11:] = centre + (points[11:] - centre) * 0.25
    assert proportions_possible(short, vis)
    # the long limbs unseen (visibility 0): nothing contradicts the face
    vis_face_only = np.zeros(33)
    vis_face_only[:11] = 1.0
    assert proportions_possible(points, vis_face_only)
    assert implied_stature_in_face_spans(points, vis_face_only) == 0.0


def test_a_tiny_face_is_measured_at_least_as_wide_as_the_landmark_noise():
    # a far person (70 px) whose face points nearly coincide is not rejected
    points, vis = _standing_person(70.0, 0.5)
    assert proportions_possible(points, vis)


def test_nothing_outside_the_image_is_seen():
    points = np.array([[10.0, 10.0], [-3.0, 5.0], [639.4, 479.4], [100.0, 480.0]] + [[50.0, 50.0]] * 29)
    vis = np.full(33, 0.95)
    out = unseen_outside_image(points, vis, 640, 480)
    np.testing.assert_allclose(out[:4], [0.95, 0.0, 0.95, 0.0])


def _backend():
    from wholebody_core.landmarks.backend import LandmarkOptions, MediapipeTfliteBackend
    return MediapipeTfliteBackend(LandmarkOptions(hands=False, face=False))


def test_a_man_cut_at_the_waist_by_the_frame_gets_no_legs_seen():
    image = cv2.cvtColor(cv2.imread(str(MEDIA / "single_person.png")), cv2.COLOR_BGR2RGB)
    gt = np.load(MEDIA / "single_person.gt.npz")
    hip_y = int(gt["coco_2d"][0, 0, 11:13, 1].mean())
    cut = np.ascontiguousarray(image[: hip_y + 15])          # the frame ends just below the hips
    people = _backend().process_frame(cut, None)
    assert len(people) == 1
    vis = people[0].body_2d[:, 2]
    below = people[0].body_2d[:, 1] > cut.shape[0] - 0.5
    assert below[[25, 26, 27, 28]].all()                     # the model still places knees and ankles
    assert (vis[below] == 0).all()                           # ... but nobody saw them
    assert (vis[[0, 11, 12]] > 0.5).all()                    # the head and shoulders stay seen


@pytest.mark.parametrize("name", ["pose_walking.jpg", "multi_person.jpg", "child_adult.jpg"])
def test_real_people_on_the_renders_have_possible_proportions(name):
    """Side views and small faces (the largest implied statures on the renders: 25-31
    spans): the proportion rule drops none of the rendered people."""
    image = cv2.cvtColor(cv2.imread(str(MEDIA / name)), cv2.COLOR_BGR2RGB)
    gt = np.load(MEDIA / name.replace(".jpg", ".gt.npz"))
    people = _backend().process_frame(image, None)
    assert len(people) == gt["coco_2d"].shape[0]


def stands_image():
    """(480, 640, 3) RGB: blurred spectators' heads and shoulders (24 and 34 px heads,
    cut from multi_person.jpg) in two rows above a barrier, one full-body person
    (single_person.png at 300 px) in front; and the real person's (4,) box."""
    mp = cv2.imread(str(MEDIA / "multi_person.jpg"))
    gt = np.load(MEDIA / "multi_person.gt.npz")
    canvas = cv2.resize(cv2.imread(str(MEDIA / "pose_far.jpg")), (640, 480))
    noses = gt["coco_2d"][:, 0, 0]
    heights = gt["bbox"][:, 0, 3] - gt["bbox"][:, 0, 1]
    gaps = np.random.default_rng(0)
    for row, (y, head_px) in enumerate(((70, 24), (130, 34))):
        x, k = 20, row
        while x < 600:
            p, k = k % 3, k + 1
            head = heights[p] / 7.5
            nx, ny = noses[p]
            patch = mp[int(ny - 0.9 * head):int(ny + 1.6 * head), int(nx - 1.3 * head):int(nx + 1.3 * head)]
            patch = cv2.resize(patch, None, fx=head_px / head, fy=head_px / head, interpolation=cv2.INTER_AREA)
            patch = cv2.GaussianBlur(patch, (0, 0), 1.2)
            h, w = patch.shape[:2]
            if x + w > 640:
                break
            canvas[y:y + h, x:x + w] = patch
            x += w + int(gaps.integers(0, 12))
    canvas[200:260] = (40, 60, 150)
    box = np.load(MEDIA / "single_person.gt.npz")["bbox"][0, 0].astype(int)
    person = cv2.imread(str(MEDIA / "single_person.png"))[box[1] - 5:box[3] + 5, box[0] - 5:box[2] + 5]
    s = 300 / person.shape[0]
    person = cv2.resize(person, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
    h, w = person.shape[:2]
    canvas[470 - h:470, 420:420 + w] = person
    return cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB), np.array([420, 470 - h, 420 + w, 470])


def test_the_person_in_front_of_the_stands_is_found_whole():
    image, box = stands_image()
    people = _backend().process_frame(image, None)
    front = [p for p in people if p.bbox_xyxy[0] >= box[0] - 10 and p.bbox_xyxy[2] <= box[2] + 10]
    assert len(front) == 1
    assert (front[0].body_2d[:33, 2] > 0.5).sum() >= 30


# What the three bodies are (measured 2026-11-29): a first-row head and shoulders
# whose hips lie on a second-row face that no detector view finds, even at score
# 0.1; a first-row head in profile whose hips, knee and ankle lie on a second-row
# head; a 36 px upside-down body inside a second-row head. Also tried without
# separating them from the bench's real people: painting the head out and running
# the crop again (a second detection of the same spectator still passes;
# clip_tilted_35 recall 0.97 -> 0.95), re-cropping on MediaPipe's tracking ROI
# (drift 0.04 of the height, real crowd people up to 0.17), running the detector
# on a view of the body found (real crowd people are not found again either),
# colour edges along the mask's contour (stronger on the spectators: the patch
# edges), and the BlazeFace short-range detector on the limbs (blurred faces
# score 0.3-0.5). Not counting face points toward MIN_VISIBLE_LANDMARKS removes
# the first one at no cost on the bench; it does not end the test's failure alone.
@pytest.mark.xfail(strict=True, reason="issue 10, open: 3 spectators' heads are still grown bodies with "
                   "15 landmarks over 0.9 (their proportions are possible, their segmentation covers the "
                   "invented limbs; a re-crop fixed-point test separates them on stills but drops real "
                   "people half hidden in the crowd clip)")
def test_no_bodies_are_made_up_from_the_spectators_heads():
    image, box = stands_image()
    assert len(_backend().process_frame(image, None)) == 1
