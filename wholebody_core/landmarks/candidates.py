"""Finding this frame's people: body crops tried one by one, each result kept or
dropped by the rules of ``people.py`` and ``tracking/identity.py``.

Two sources of crops, in this order: last frame's people (their tracking crops,
as MediaPipe's tracking does; the largest, usually the nearest, first), then the
detector's candidates not yet covered by someone kept. Every kept person is an
:class:`~wholebody_core.landmarks.people.Accepted` record.
"""
from __future__ import annotations

import numpy as np

from wholebody_core.detection.nms import iou_xyxy
from wholebody_core.detection.types import PersonDetection
from wholebody_core.landmarks.body import BodyLandmarker, BodyLandmarks
from wholebody_core.landmarks.coherence import coherent_person, survives_recrop
from wholebody_core.landmarks.options import LandmarkOptions
from wholebody_core.landmarks.people import (
    MIN_BODY_TO_CROP, MIN_VISIBLE_LANDMARKS, Accepted, body_bbox_xyxy, count_visible_in_image, face_centre_px,
    face_span_px, head_matches, is_duplicate, proportions_possible,
)
from wholebody_core.landmarks.schedule import LostPerson
from wholebody_core.landmarks.types import NOSE, PersonObservation
from wholebody_core.maths.boxes import box_centre, intersection_over_smaller
from wholebody_core.maths.rotated_rect import RotatedRect
from wholebody_core.tracking.appearance import appearance_descriptor, blend_descriptor
from wholebody_core.tracking.identity import APPEARANCE_UPDATE, continues_track

# A detector candidate is kept only with the body's nose within this many head-box
# sides of the detector's head (else the crop showed someone else, or a limb). The
# box centre of weak detections of small people drifts off the face: on the rendered
# crowd and crossing clips, the right person's nose lay up to 2.4 sides away (most
# under 1), another person's at 0.6-2.5 sides, and those were people already found
# (dropped as duplicates before this test).
HEAD_MATCH_SIDES = 2.5
# A person kept before a followed one (taller boxes: usually nearer) whose box covers
# this share of the smaller box is in front of them: painted over the crop.
IN_FRONT_OVERLAP = 0.2
# A detection whose box overlaps a kept person's body box more than this (HOG's
# body boxes; BlazePose's head boxes are tested by the nose) is that person.
COVERED_IOU = 0.5
MIN_CROP_SIDE_PX = 4.0   # smaller crops hold no person the body model could see
# One head per person, and the body model reads a person from the face in view: a
# person whose face is turned away, pressed to a kept person's face (two people
# hugging), comes back from every crop with the kept person's face as their head
# (hugging: even a crop centred on the man's true hips). So each kept person's crop
# is tried again with their head hidden: a disc of this many face spans in radius
# (the face points span a little less than the head's breadth: the disc covers the
# head, hair included). A head found there is someone else's only if it lies on
# pixels the model saw (its face centre outside the disc): a head guessed into the
# hidden one is the same person again.
HIDDEN_HEAD_FACE_SPANS = 1.0


def body_appearance(image_rgb: np.ndarray, body: BodyLandmarks) -> np.ndarray:
    """The body's clothing descriptor in this frame, computed once and kept on the body.

    (Not in a cache keyed by ``id(body)``: bodies rejected mid-frame are freed and
    CPython hands their ids to new bodies, which then took a dead body's clothes,
    depending on memory layout; two runs of the same clip differed.)"""
    if body.appearance is None:
        body.appearance = appearance_descriptor(image_rgb, body.points_px)
    return body.appearance


def running_appearance(image_rgb: np.ndarray, person: Accepted) -> np.ndarray:
    """The clothes of a person followed from last frame, averaged over the frames
    followed (steadier than one frame's, for small people above all); this frame's
    alone for someone just found. (The tracker averages these again per track, on
    purpose: tracking/identity.py.)"""
    now = body_appearance(image_rgb, person.body)
    if person.tracked is None or person.tracked.appearance is None:
        return now
    return blend_descriptor(person.tracked.appearance, now, APPEARANCE_UPDATE)


class CropTrier:
    """Runs the body model on crops of one frame and keeps the people the rules allow."""

    def __init__(self, body_model: BodyLandmarker, image_rgb: np.ndarray, options: LandmarkOptions):
        self.body_model = body_model
        self.image_rgb = image_rgb
        self.options = options
        self.runs = 0   # body model runs this frame

    def try_crop(self, roi: RotatedRect, accepted: list[Accepted], occluders: list[BodyLandmarks] | None = None,
                 det: PersonDetection | None = None,
                 tracked: PersonObservation | None = None,
                 hidden_head: tuple[np.ndarray, float] | None = None) -> tuple[bool, BodyLandmarks | None]:
        """Run the body model on ``roi``; keep the result (append it to ``accepted``)
        unless absent, implausible or a duplicate. With ``det``, the body's nose must
        also be on the detector's head (else the crop showed another person, or a limb
        read as a person). With ``tracked`` (last frame's person whose crop this is),
        the body must still be that person: about the same size, in the same clothes
        (else the crop slid onto someone else, or mixed the person with someone in
        front). With ``hidden_head`` ((2,) centre, radius: a kept person's head hidden
        on this trier's image), the body's face must lie outside it and outside every
        kept person's head (:func:`own_head`), and the body must be a fixed point of re-cropping, even partly behind others. Returns (kept, the
        body found or None when nobody plausible is there)."""
        image_rgb = self.image_rgb
        if roi.width < MIN_CROP_SIDE_PX or not np.isfinite(roi.as_array()).all():
            return False, None
        body = self.body_model(image_rgb, roi, occluders)
        self.runs += 1
        if body.presence < self.options.min_person_score:
            return False, None
        bbox = body_bbox_xyxy(body.points_px)
        if max(bbox[2] - bbox[0], bbox[3] - bbox[1]) < MIN_BODY_TO_CROP * roi.width:
            return False, None  # a "person" far smaller than the crop: a part of someone
        if count_visible_in_image(body, image_rgb.shape[1], image_rgb.shape[0]) < MIN_VISIBLE_LANDMARKS:
            return False, None  # nothing of them to see: the model guessed a person
        if not proportions_possible(body.points_px, body.visibility):
            return False, None  # limbs no body with this face could have
        if hidden_head is not None and not own_head(body, hidden_head, accepted):
            return False, None  # a head guessed into the hidden one, or a kept person's
        if is_duplicate(body, bbox, accepted, self.options.duplicate_iou):
            return False, body
        if det is not None and det.keypoints_px is not None and not head_matches(det, body, HEAD_MATCH_SIDES):
            return False, body
        if (det is not None and self.options.recrop_test
                and not coherent_person(body, [a.body for a in accepted], lambda r: self._recrop(r, occluders))):
            return False, None  # not a fixed point of re-cropping: made up (coherence.py)
        # a head of their own is all that tells this person from the hidden one: no
        # exemption for people partly behind others
        if hidden_head is not None and not survives_recrop(body, lambda r: self._recrop(r, occluders)):
            return False, None
        if tracked is not None and not continues_track(tracked.bbox_xyxy, tracked.appearance, bbox,
                                                       body_appearance(image_rgb, body)):
            return False, body
        accepted.append(Accepted(body, bbox, tracked))
        return True, body

    def _recrop(self, roi: RotatedRect, occluders: list[BodyLandmarks] | None) -> BodyLandmarks:
        """The body model on ``roi`` for the re-crop test, with the people painted over
        that the crop had painted over (the re-crop must see what the crop saw)."""
        self.runs += 1
        return self.body_model(self.image_rgb, roi, occluders)


def followed_people(previous: list[PersonObservation] | None) -> list[PersonObservation]:
    """Last frame's people with a tracking crop, the largest (usually the nearest, in
    front) first."""
    return sorted((p for p in (previous or []) if p.roi_px is not None),
                  key=lambda p: -float(p.bbox_xyxy[3] - p.bbox_xyxy[1]))


def follow(trier: CropTrier, followed: list[PersonObservation], accepted: list[Accepted],
           lost_memory_frames: int) -> list[LostPerson]:
    """Tries each followed person's tracking crop, in order; returns those lost."""
    lost: list[LostPerson] = []
    for prev in followed:
        roi = RotatedRect.from_array(prev.roi_px)
        # people kept before this one (taller boxes: usually nearer) who overlap it are
        # painted over its crop, so that the body model does not stitch this person
        # onto their limbs
        in_front = [a.body for a in accepted
                    if intersection_over_smaller(a.bbox_xyxy, prev.bbox_xyxy) > IN_FRONT_OVERLAP]
        ok, body = trier.try_crop(roi, accepted, occluders=in_front or None, tracked=prev)
        if not ok and body is not None and accepted:
            # the crop found someone already kept (people crossing), or someone else
            # than this person: look behind the people kept
            ok, _ = trier.try_crop(roi, accepted, occluders=[a.body for a in accepted], tracked=prev)
        if not ok:
            lost.append(LostPerson(np.array([roi.cx, roi.cy]), lost_memory_frames, prev.appearance))
    return lost


def detection_covered(det: PersonDetection, accepted: list[Accepted]) -> bool:
    """A detection whose face (or body box for HOG) sits on an accepted person."""
    if det.keypoints_px is not None:
        cx, cy = box_centre(det.bbox_xyxy)
        radius = max(det.bbox_xyxy[2] - det.bbox_xyxy[0], det.bbox_xyxy[3] - det.bbox_xyxy[1])
        for person in accepted:
            nose = person.body.points_px[NOSE]
            if np.hypot(nose[0] - cx, nose[1] - cy) < max(radius, 1.0):
                return True
        return False
    return bool(accepted) and bool(np.any(
        iou_xyxy(det.bbox_xyxy, np.stack([a.bbox_xyxy for a in accepted])) > COVERED_IOU))


def add_detected(trier: CropTrier, detections: list[PersonDetection], accepted: list[Accepted],
                 max_people: int) -> None:
    """Tries the body crop of each detection not covered by someone kept, best first,
    until ``max_people`` are kept."""
    for det in detections:
        if len(accepted) >= max_people:
            break
        if detection_covered(det, accepted):
            continue
        ok, body = trier.try_crop(det.body_roi, accepted, det=det)
        if ok or body is None or det.keypoints_px is None or not accepted:
            continue
        # The crop came back with someone else than the detector's head, typically
        # someone already found in front: paint the people found over and retry.
        if not head_matches(det, body):
            trier.try_crop(det.body_roi, accepted, occluders=[a.body for a in accepted], det=det)


def own_head(body: BodyLandmarks, hidden_head: tuple[np.ndarray, float], accepted: list[Accepted]) -> bool:
    """One head per person: the body's face centre lies outside the hidden head ((2,)
    centre, radius px) and outside every kept person's head (a disc of
    :data:`HIDDEN_HEAD_FACE_SPANS` of their face span around their face centre). A
    body found with a kept person's head is that person's head on someone else's
    body (people crossing: the near walker's body read with the far one's face)."""
    centre = face_centre_px(body.points_px)
    if np.linalg.norm(centre - hidden_head[0]) <= hidden_head[1]:
        return False
    return all(np.linalg.norm(centre - face_centre_px(a.body.points_px))
               > HIDDEN_HEAD_FACE_SPANS * face_span_px(a.body.points_px) for a in accepted)


def hide_disc(image_rgb: np.ndarray, centre_px: np.ndarray, radius_px: float) -> np.ndarray:
    """(H, W, 3) image -> a copy with the disc filled with the median colour of the
    ring around it (one disc radius wide): what lies there is not seen."""
    height, width = image_rgb.shape[:2]
    yy, xx = np.mgrid[:height, :width]
    dist = np.hypot(xx - centre_px[0], yy - centre_px[1])
    disc, ring = dist <= radius_px, (dist > radius_px) & (dist <= 2.0 * radius_px)
    out = image_rgb.copy()
    if disc.any() and ring.any():
        out[disc] = np.median(image_rgb[ring], axis=0).astype(image_rgb.dtype)
    return out


def look_behind_heads(trier: CropTrier, accepted: list[Accepted], max_people: int) -> None:
    """Each person kept so far, their crop tried again with their head hidden
    (:data:`HIDDEN_HEAD_FACE_SPANS`); a person found there with a head of their own is
    kept, judged against everyone else by the usual rules (against the hidden person
    the bodies may overlap as much as two people hugging do). Stills only: it rests
    on the re-crop test to reject made-up bodies (``LandmarkOptions.recrop_test``).
    The people found here are not searched behind again."""
    if not trier.options.recrop_test:
        return
    for person in list(accepted):
        if len(accepted) >= max_people:
            break
        radius = HIDDEN_HEAD_FACE_SPANS * face_span_px(person.body.points_px)
        centre = face_centre_px(person.body.points_px)
        behind = CropTrier(trier.body_model, hide_disc(trier.image_rgb, centre, radius), trier.options)
        others = [a for a in accepted if a is not person]
        ok, _ = behind.try_crop(person.body.roi, others, hidden_head=(centre, radius))
        trier.runs += behind.runs
        if ok:
            accepted.append(others[-1])


def found_again(image_rgb: np.ndarray, lost: LostPerson, accepted: list[Accepted]) -> bool:
    """Someone kept this frame, near where ``lost`` was lost (within their own height:
    people walk less than that in the frames a search lasts) and in their clothes."""
    for person in accepted:
        box = person.bbox_xyxy
        if (np.linalg.norm(box_centre(box) - lost.where_px) <= box[3] - box[1]
                and continues_track(box, lost.appearance, box, body_appearance(image_rgb, person.body))):
            return True
    return False
