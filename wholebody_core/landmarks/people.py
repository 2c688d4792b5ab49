"""Telling people apart: duplicates, body parts read as people, heads.

The same person is often found twice (the detector's full frame and tiles, last
frame's crop); a crop can also come back with a limb read as a small person, or
with the person in front instead of the one behind. These rules decide, from the
landmarks, the boxes and the body model's segmentation, which results to keep.
The people kept so far in a frame are :class:`Accepted` records.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from wholebody_core.detection.nms import iou_xyxy
from wholebody_core.detection.types import PersonDetection
from wholebody_core.landmarks.body import BodyLandmarks
from wholebody_core.landmarks.types import (
    BODY_FACE_POINTS, BODY_INDEX, LIMB_POINTS, NOSE, SHOULDERS, PersonObservation,
)
from wholebody_core.maths.boxes import box_centre, intersection_over_smaller
from wholebody_core.maths.rotated_rect import image_to_crop

# shoulders, elbows, wrists, hips, knees, ankles
MAIN_JOINTS = np.array(LIMB_POINTS)
DUPLICATE_JOINT_DISTANCE = 0.1  # median main-joint distance / body box height
# A body crop's side is ~1.3x the person's height (BlazePose's ROI); a result much
# smaller than its crop is a body part read as a person.
MIN_BODY_TO_CROP = 0.35
HEAD_AND_SHOULDERS = np.array((NOSE,) + SHOULDERS)
# A person must show this many landmarks (visibility > 0.5, inside the image);
# hallucinations on floors and walls score ~0, real people 15-33 (measured on renders).
MIN_VISIBLE_LANDMARKS = 6
# A body with this share of its visible landmarks on people already found is made of
# their parts (the single-person rules below use 0.6 of all landmarks on one person;
# several people together need a little more evidence).
STITCHED_FRACTION = 0.7


@dataclasses.dataclass(frozen=True)
class Accepted:
    """A person kept in this frame: the body found, its box, and where it came from."""

    body: BodyLandmarks
    bbox_xyxy: np.ndarray                     # (4,) float32 pixels: the tight box of the body landmarks
    tracked: PersonObservation | None = None  # last frame's person whose crop found them; None: the detector

    @property
    def score(self) -> float:
        """0..1 the body landmark model's presence."""
        return self.body.presence


def count_visible_in_image(body: BodyLandmarks, width: int, height: int) -> int:
    """How many of the 33 landmarks are visible (> 0.5) and inside the image."""
    x, y = body.points_px[:, 0], body.points_px[:, 1]
    inside = (x >= -0.5) & (x < width - 0.5) & (y >= -0.5) & (y < height - 0.5)
    return int(((body.visibility > 0.5) & inside).sum())


def on_silhouette(points_px: np.ndarray, other: BodyLandmarks) -> np.ndarray:
    """(N, 2) image points -> (N,) bool: inside ``other``'s segmentation mask."""
    if other.mask_logits is None:
        return np.zeros(len(points_px), bool)
    size = other.mask_logits.shape[0]
    uv = np.floor(image_to_crop(other.roi, points_px) * size).astype(np.int64)
    inside = ((uv >= 0) & (uv < size)).all(axis=1)
    uv = np.clip(uv, 0, size - 1)
    return inside & (other.mask_logits[uv[:, 1], uv[:, 0]] > 0.0)


def stitched_from_others(body: BodyLandmarks, others: list[BodyLandmarks]) -> bool:
    """A skeleton made of other people's parts: most of the points the model says it
    sees lie on the silhouettes of people already found, whoever they are (e.g. the
    head of someone far behind on the legs of someone passing in front). A real person
    behind others shows their visible points on their own pixels."""
    seen = body.visibility > 0.5
    if seen.sum() < MIN_VISIBLE_LANDMARKS or not others:
        return False
    on_others = np.zeros(len(body.points_px), bool)
    for other in others:
        on_others |= on_silhouette(body.points_px, other)
    return bool(on_others[seen].mean() >= STITCHED_FRACTION)


def body_bbox_xyxy(points_px: np.ndarray) -> np.ndarray:
    """(33, 2) -> (4,) tight box of the body landmarks (occluded ones included)."""
    return np.concatenate([points_px.min(axis=0), points_px.max(axis=0)]).astype(np.float32)


def is_duplicate(body: BodyLandmarks, bbox: np.ndarray, accepted: list[Accepted],
                 duplicate_iou: float = 0.8) -> bool:
    """Whether ``body`` (its (4,) box ``bbox``, pixels) repeats, or is a part of, a
    person in ``accepted`` rather than someone else."""
    if not accepted:
        return False
    boxes = np.stack([a.bbox_xyxy for a in accepted])
    if np.any(iou_xyxy(bbox, boxes) > duplicate_iou):
        return True
    if stitched_from_others(body, [a.body for a in accepted]):
        return True
    for person in accepted:
        other, other_box, other_score = person.body, person.bbox_xyxy, person.score
        scale = max(bbox[3] - bbox[1], other_box[3] - other_box[1], 1.0)
        d = np.linalg.norm(body.points_px[MAIN_JOINTS] - other.points_px[MAIN_JOINTS], axis=1)
        if np.median(d) < DUPLICATE_JOINT_DISTANCE * scale:
            return True
        # two people cannot share a head and shoulders (the other joints of a
        # partial duplicate can be far off)
        head = np.linalg.norm(body.points_px[HEAD_AND_SHOULDERS] - other.points_px[HEAD_AND_SHOULDERS], axis=1)
        if head.mean() < DUPLICATE_JOINT_DISTANCE * 0.5 * scale:
            return True
        # much smaller and mostly inside the other's box: a limb read as a person
        # (someone that small right behind a person would hardly be visible)
        if (intersection_over_smaller(bbox, other_box) > 0.6
                and bbox[3] - bbox[1] < 0.35 * (other_box[3] - other_box[1])):
            return True
        # parts of the other person read as a smaller person: mostly inside the
        # other's box and largely on the other's silhouette
        if intersection_over_smaller(bbox, other_box) > 0.6:
            on_other = on_silhouette(body.points_px, other).mean()
            smaller_person = bbox[3] - bbox[1] < 0.6 * (other_box[3] - other_box[1])
            if on_other >= 0.6 or (smaller_person and on_other >= 0.4):
                return True
        # a second skeleton inside the first one: with the head in the same place,
        # or wholly inside and less sure (a person hidden that much is lost anyway)
        smaller = min(bbox[3] - bbox[1], other_box[3] - other_box[1])
        nose_gap = np.linalg.norm(body.points_px[NOSE] - other.points_px[NOSE])
        inside = intersection_over_smaller(bbox, other_box)
        if inside > 0.7 and nose_gap < DUPLICATE_JOINT_DISTANCE * 1.5 * smaller:
            return True
        if inside > 0.9 and body.presence < other_score:
            return True
    return False


def head_matches(det: PersonDetection, body: BodyLandmarks, box_sides: float = 1.0) -> bool:
    """The body's nose lies on the detector's head box: within ``box_sides`` box
    sides of its centre."""
    cx, cy = box_centre(det.bbox_xyxy)
    side = max(det.bbox_xyxy[2] - det.bbox_xyxy[0], det.bbox_xyxy[3] - det.bbox_xyxy[1], 1.0)
    return bool(np.hypot(body.points_px[NOSE, 0] - cx, body.points_px[NOSE, 1] - cy) < box_sides * side)


# -- physical evidence (issue 10: people made up from spectators' heads) ---------
# The landmark model reports limbs it invents as visible with scores above 0.9, so
# its scores cannot reject a made-up person; these rules rest on what a person is.

# Segment lengths as a share of stature (Drillis & Contini's segment proportions):
# (landmark a, landmark b, length / stature). A segment seen at any angle looks at
# most this long (foreshortening only shortens).
BODY_SEGMENTS = tuple((BODY_INDEX[a], BODY_INDEX[b], share) for a, b, share in (
    ("left_shoulder", "left_elbow", 0.186), ("right_shoulder", "right_elbow", 0.186),  # upper arms
    ("left_elbow", "left_wrist", 0.146), ("right_elbow", "right_wrist", 0.146),        # forearms
    ("left_hip", "left_knee", 0.245), ("right_hip", "right_knee", 0.245),              # thighs
    ("left_knee", "left_ankle", 0.246), ("right_knee", "right_ankle", 0.246),          # shanks
    ("left_shoulder", "right_shoulder", 0.259), ("left_hip", "right_hip", 0.191),      # shoulder and hip breadth
    ("left_shoulder", "left_hip", 0.30), ("right_shoulder", "right_hip", 0.30),        # trunk sides
))
FACE_POINTS = np.array(BODY_FACE_POINTS)  # nose, eyes, ears, mouth corners
# Stature in face spans (the largest distance between two face points): an adult's
# ear to ear is ~1/12 of stature, ear to nose tip (a profile) ~1/16; BlazePose's
# face points sit a little inside those (renders in profile: up to 25-31 spans,
# small faces included), and a face turned or tilted looks smaller. 40 spans leave
# room for all that: a skeleton that needs more is not one person's body.
MAX_STATURE_IN_FACE_SPANS = 40.0
FACE_SPAN_NOISE_PX = 3.0     # landmark noise: tiny faces are measured at least this wide


def face_span_px(points_px: np.ndarray) -> float:
    """(33, 2) landmarks -> the largest distance between two face points, pixels (at
    least :data:`FACE_SPAN_NOISE_PX`): about the head's breadth."""
    face = points_px[FACE_POINTS]
    return max(float(np.linalg.norm(face[:, None] - face[None], axis=2).max()), FACE_SPAN_NOISE_PX)


def face_centre_px(points_px: np.ndarray) -> np.ndarray:
    """(33, 2) landmarks -> (2,) the mean of the 11 face points, pixels."""
    return points_px[FACE_POINTS].mean(axis=0)


def implied_stature_in_face_spans(points_px: np.ndarray, visibility: np.ndarray) -> float:
    """(33, 2) landmarks, (33,) visibility -> the least stature, in face spans, that
    the visible segments need (each segment divided by its share of stature); 0 when
    no segment is visible."""
    span = face_span_px(points_px)
    need = 0.0
    for a, b, share in BODY_SEGMENTS:
        if visibility[a] > 0.5 and visibility[b] > 0.5:
            need = max(need, float(np.linalg.norm(points_px[a] - points_px[b])) / share / span)
    return need


def proportions_possible(points_px: np.ndarray, visibility: np.ndarray) -> bool:
    """Whether the visible limbs fit one human body of this face's size."""
    return implied_stature_in_face_spans(points_px, visibility) <= MAX_STATURE_IN_FACE_SPANS


def unseen_outside_image(points_px: np.ndarray, visibility: np.ndarray, width: int, height: int) -> np.ndarray:
    """(33,) visibility with every landmark outside the image set to 0: nothing out
    of the frame was seen (the model invents the legs of a man cut at the waist as
    surely as his torso)."""
    x, y = points_px[:, 0], points_px[:, 1]
    inside = (x >= -0.5) & (x < width - 0.5) & (y >= -0.5) & (y < height - 0.5)
    return np.where(inside, visibility, 0.0)
