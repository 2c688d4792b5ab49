"""Rules that tell people apart (duplicates, limbs read as people, heads)."""
from __future__ import annotations

import numpy as np

from wholebody_core.detection.types import PersonDetection
from wholebody_core.landmarks.body import BodyLandmarks
from wholebody_core.landmarks.people import (
    Accepted, body_bbox_xyxy, head_matches, is_duplicate, stitched_from_others,
)
from wholebody_core.maths.boxes import intersection_over_smaller
from wholebody_core.maths.rotated_rect import RotatedRect


def standing(x: float, top: float, height: float, presence: float = 1.0) -> BodyLandmarks:
    """A stick figure: 33 points of a standing person (pixels)."""
    rng = np.random.default_rng(int(x * 7 + top))
    pts = np.zeros((33, 2))
    ys = {0: 0.06, 11: 0.2, 12: 0.2, 13: 0.35, 14: 0.35, 15: 0.48, 16: 0.48, 23: 0.52, 24: 0.52,
          25: 0.74, 26: 0.74, 27: 0.95, 28: 0.95}
    for i in range(33):
        side = -1 if i % 2 else 1
        pts[i] = [x + side * 0.1 * height * (i > 10), top + ys.get(i, 0.5) * height]
    pts[[29, 30, 31, 32], 1] = top + height
    pts[0, 1] = top
    pts += rng.normal(0, 0.002 * height, pts.shape)
    roi = RotatedRect(x, top + 0.5 * height, 1.3 * height, 1.3 * height, 0.0)
    return BodyLandmarks(roi=roi, presence=presence, points_px=pts, visibility=np.ones(33),
                         world_cam=np.zeros((33, 3)), next_roi=roi)


def accepted_of(*bodies):
    return [Accepted(b, body_bbox_xyxy(b.points_px)) for b in bodies]


def test_the_same_person_twice_is_a_duplicate():
    a = standing(200, 100, 200)
    b = standing(201, 102, 199)
    assert is_duplicate(b, body_bbox_xyxy(b.points_px), accepted_of(a))


def test_people_side_by_side_are_not_duplicates():
    a = standing(200, 100, 200)
    b = standing(225, 110, 190)  # overlapping boxes, another head
    assert intersection_over_smaller(body_bbox_xyxy(a.points_px), body_bbox_xyxy(b.points_px)) > 0.2
    assert not is_duplicate(b, body_bbox_xyxy(b.points_px), accepted_of(a))


def test_a_small_figure_inside_someone_is_a_limb():
    a = standing(200, 100, 200)
    limb = standing(205, 230, 50, presence=0.8)  # "a person" around the knees
    assert is_duplicate(limb, body_bbox_xyxy(limb.points_px), accepted_of(a))


def test_a_person_behind_with_their_own_head_is_kept():
    front = standing(200, 100, 220)
    behind = standing(235, 120, 160)
    assert not is_duplicate(behind, body_bbox_xyxy(behind.points_px), accepted_of(front))


def test_head_matches_uses_the_detector_head_box():
    body = standing(200, 100, 200)
    nose = body.points_px[0]
    det = PersonDetection(score=0.9, bbox_xyxy=np.array([nose[0] - 10, nose[1] - 10, nose[0] + 10, nose[1] + 10]),
                          body_roi=body.roi, keypoints_px=np.zeros((4, 2)))
    assert head_matches(det, body)
    det.bbox_xyxy = det.bbox_xyxy + np.array([60, 0, 60, 0])
    assert not head_matches(det, body)


def test_head_matches_tolerance_in_head_box_sides():
    body = standing(200, 100, 200)
    nose = body.points_px[0]
    det = PersonDetection(score=0.4, bbox_xyxy=np.array([nose[0] - 10, nose[1] + 20, nose[0] + 10, nose[1] + 40]),
                          body_roi=body.roi, keypoints_px=np.zeros((4, 2)))   # 30 px = 1.5 sides below the nose
    assert not head_matches(det, body)
    assert head_matches(det, body, box_sides=2.5)


def with_mask(body: BodyLandmarks, size: int = 64) -> BodyLandmarks:
    """The body with a segmentation mask covering its own box (logits > 0 inside)."""
    from wholebody_core.maths.rotated_rect import image_to_crop

    box = body_bbox_xyxy(body.points_px)
    lo, hi = image_to_crop(body.roi, box[:2] - 2), image_to_crop(body.roi, box[2:] + 2)
    mask = np.full((size, size), -5.0, np.float32)
    (u0, v0), (u1, v1) = np.floor(lo * size).astype(int), np.ceil(hi * size).astype(int)
    mask[max(v0, 0):v1, max(u0, 0):u1] = 5.0
    body.mask_logits = mask
    return body


def test_a_skeleton_stitched_from_two_people_is_a_duplicate():
    # the head and chest of one (far, small) person on the legs of another (near, tall)
    far = with_mask(standing(200, 80, 90))
    near = with_mask(standing(205, 150, 180))
    stitched = standing(202, 80, 240)
    stitched.points_px[:13] = far.points_px[:13]
    stitched.points_px[23:] = near.points_px[23:]
    assert stitched_from_others(stitched, [far, near])
    assert not stitched_from_others(stitched, [far])        # one person alone holds too few points
    assert is_duplicate(stitched, body_bbox_xyxy(stitched.points_px), accepted_of(far, near))
    # a person standing beside them, on their own pixels, is not
    beside = standing(320, 100, 150)
    assert not stitched_from_others(beside, [far, near])
