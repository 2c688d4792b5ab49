"""The ``mediapipe-tflite`` landmark backend: people -> body, hands, face, irises.

Top-down: a person detector (BlazePose by default, with tiles for small people)
gives body crops; last frame's people (``previous``) give crops too, as MediaPipe's
tracking does, so a person is kept between detector passes and the detector may
run only every ``detect_every`` frames while everyone is tracked.
"""
from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np

from wholebody_core.detection.types import DetectorOptions, PersonDetection
from wholebody_core.errors import InputError
from wholebody_core.detection.nms import iou_xyxy
from wholebody_core.landmarks.body import BodyLandmarker, BodyLandmarks
from wholebody_core.landmarks.face import (
    BODY_FACE_SCALES, FACE_FLAG_THRESHOLD, FaceLandmarker, FaceLandmarks, face_roi_from_body,
)
from wholebody_core.landmarks.hands import HandLandmarker
from wholebody_core.landmarks.people import (
    MIN_BODY_TO_CROP, MIN_VISIBLE_LANDMARKS, body_bbox_xyxy,
    count_visible_in_image, head_matches, intersection_over_smaller, is_duplicate, proportions_possible,
    unseen_outside_image,
)
from wholebody_core.maths.rotated_rect import RotatedRect, rect_bbox_xyxy
from wholebody_core.landmarks.types import (
    BODY_HAND_POINTS, NOSE, FaceObservation, HandObservation, PersonObservation,
)
from wholebody_core.models.registry import create_detector, register_landmark_backend
from wholebody_core.tracking.appearance import appearance_descriptor, blend_descriptor
from wholebody_core.tracking.identity import APPEARANCE_UPDATE, continues_track

logger = logging.getLogger(__name__)

# A detector candidate is kept only with the body's nose within this many head-box
# sides of the detector's head (else the crop showed someone else, or a limb). The
# box centre of weak detections of small people drifts off the face: on the rendered
# crowd and crossing clips, the right person's nose lay up to 2.4 sides away (most
# under 1), another person's at 0.6-2.5 sides, and those were people already found
# (dropped as duplicates before this test).
HEAD_MATCH_SIDES = 2.5

# which of the face mesh's eyes is the person's own left (checked on renders)
OWN_LEFT_EYE_IS_FLIPPED = True


@dataclasses.dataclass
class LandmarkOptions:
    max_people: int = 10
    min_person_score: float = 0.5      # a person's score: the body landmark model's presence
    min_detection_score: float = 0.3   # detector candidates (each is verified by the body model)
    hands: bool = True
    face: bool = True
    num_threads: int = 2
    iris: bool = True                  # iris model on eye crops (needs face)
    detector: str = "blazepose"        # see wholebody_core.models.list_detectors()
    # detector tiles for small people: square tiles of these fractions of the image's
    # shorter side (0.5, 0.33: people down to ~40 px in 640 x 480); () = full frame only
    tile_fractions: tuple[float, ...] = (0.5, 0.33)
    # Video policy (when `previous` is given): run the detector every `detect_every`
    # frames, and on every frame while someone tracked is lost, on the full frame plus
    # `tiles_per_pass` of the tiles in turn, plus the tiles where a tracked person
    # was lost in the last `lost_memory_frames` frames (all tiles on a first frame
    # or a still).
    detect_every: int = 2
    tiles_per_pass: int = 1
    # In a crowd (at least `crowd_size` people tracked) small people are the ones most
    # easily missed, and the tiles' cost is small next to the people's: search
    # `crowd_tiles_per_pass` tiles per pass instead (a 7-person surveillance clip:
    # recall 0.66 -> 0.79 at +10 % time; one person keeps the fast policy).
    crowd_size: int = 3
    crowd_tiles_per_pass: int = 6
    lost_memory_frames: int = 15       # keep searching the tiles where someone was lost this long
    hand_model: str = "full"           # "lite": about half the hand model's time, less precise
    min_hand_presence: float = 0.5
    min_wrist_visibility: float = 0.1  # MediaPipe Holistic's gate for hand crops
    min_hand_crop_px: float = 16.0     # no hand model on smaller crops (people under ~110 px tall)
    min_face_crop_px: float = 16.0     # no face model on smaller crops (people under ~100 px tall)
    duplicate_iou: float = 0.8         # two results with body boxes overlapping more are one person
    models_dir: str | None = None      # folder with the .tflite files; None: the mediapipe wheel

    def __post_init__(self):
        if self.max_people < 1:
            raise InputError(f"max_people must be at least 1 (got {self.max_people}).")
        if (self.detect_every < 1 or self.num_threads < 1 or self.tiles_per_pass < 0
                or self.crowd_tiles_per_pass < 0):
            raise InputError("detect_every and num_threads must be at least 1, tiles_per_pass at least 0.")
        for name in ("min_person_score", "min_detection_score", "min_hand_presence", "min_wrist_visibility"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise InputError(f"{name} must be between 0 and 1 (got {getattr(self, name)}).")
        if any(not 0.0 < f < 1.0 for f in self.tile_fractions):
            raise InputError(f"tile_fractions must lie between 0 and 1 (got {self.tile_fractions}).")


@dataclasses.dataclass
class _LostPerson:
    """A tracked person whose crop stopped showing them: the detector searches here."""

    where_px: np.ndarray               # (2,) the last crop's centre, pixels
    frames_left: int                   # keep searching this many more frames
    appearance: np.ndarray | None      # (D,) their clothes, to know them when found


@register_landmark_backend("mediapipe-tflite")
class MediapipeTfliteBackend:
    """MediaPipe's BlazePose/hand/face/iris ``.tflite`` models run with ai-edge-litert."""

    name = "mediapipe-tflite"

    def __init__(self, options: LandmarkOptions | None = None):
        self.options = options or LandmarkOptions()
        o = self.options
        det_options = DetectorOptions(min_score=o.min_detection_score, tile_fractions=tuple(o.tile_fractions),
                                      num_threads=o.num_threads)
        self.detector = create_detector(o.detector, det_options, models_dir=o.models_dir)
        self.body = BodyLandmarker(o.num_threads, o.models_dir)
        self.hands = HandLandmarker(o.num_threads, o.models_dir, o.hand_model) if o.hands else None
        self.face = FaceLandmarker(o.num_threads, o.models_dir, iris=o.iris) if o.face else None
        self._frames_since_detection = 0
        self._next_tile = 0
        self._lost: list[_LostPerson] = []  # people lost lately
        self.last_timings_ms: dict[str, float] = {}
        self.last_detector_ran = False
        self.last_body_runs = 0
        self._body_runs = 0

    # -- people -------------------------------------------------------------
    def _detection_covered(self, det: PersonDetection, accepted) -> bool:
        """A detection whose face (or body box for HOG) sits on an accepted person."""
        if det.keypoints_px is not None:
            cx = (det.bbox_xyxy[0] + det.bbox_xyxy[2]) / 2
            cy = (det.bbox_xyxy[1] + det.bbox_xyxy[3]) / 2
            radius = max(det.bbox_xyxy[2] - det.bbox_xyxy[0], det.bbox_xyxy[3] - det.bbox_xyxy[1])
            for body, _, _ in accepted:
                nose = body.points_px[NOSE]
                if np.hypot(nose[0] - cx, nose[1] - cy) < max(radius, 1.0):
                    return True
            return False
        return bool(accepted) and bool(np.any(iou_xyxy(det.bbox_xyxy, np.stack([a[1] for a in accepted])) > 0.5))

    @staticmethod
    def _appearance(image_rgb, body: BodyLandmarks) -> np.ndarray:
        """The body's clothing descriptor, computed once and kept on the body itself.

        (Not in a cache keyed by ``id(body)``: bodies rejected mid-frame are freed and
        CPython hands their ids to new bodies, which then took a dead body's clothes,
        depending on memory layout; two runs of the same clip differed.)"""
        if body.appearance is None:
            body.appearance = appearance_descriptor(image_rgb, body.points_px)
        return body.appearance

    def _running_appearance(self, image_rgb, body: BodyLandmarks,
                            tracked: PersonObservation | None) -> np.ndarray:
        """The clothes of a person followed from last frame, averaged over the frames
        followed (steadier than one frame's, for small people above all); this frame's
        alone for someone just found."""
        now = self._appearance(image_rgb, body)
        if tracked is None or tracked.appearance is None:
            return now
        return blend_descriptor(tracked.appearance, now, APPEARANCE_UPDATE)

    def _try_roi(self, image_rgb, roi: RotatedRect, accepted, occluders=None,
                 det: PersonDetection | None = None,
                 tracked: PersonObservation | None = None) -> tuple[bool, BodyLandmarks | None]:
        """Run the body model on ``roi``; keep the result unless absent, implausible
        or a duplicate. With ``det``, the body's nose must also be on the detector's
        head (else the crop showed another person, or a limb read as a person). With
        ``tracked`` (last frame's person whose crop this is), the body must still be
        that person: about the same size, in the same clothes (else the crop slid onto
        someone else, or mixed the person with someone in front).
        Returns (kept, the body found or None when nobody plausible is there)."""
        if roi.width < 4 or not np.isfinite(roi.as_array()).all():
            return False, None
        body = self.body(image_rgb, roi, occluders)
        self._body_runs += 1
        if body.presence < self.options.min_person_score:
            return False, None
        bbox = body_bbox_xyxy(body.points_px)
        if max(bbox[2] - bbox[0], bbox[3] - bbox[1]) < MIN_BODY_TO_CROP * roi.width:
            return False, None  # a "person" far smaller than the crop: a part of someone
        if count_visible_in_image(body, image_rgb.shape[1], image_rgb.shape[0]) < MIN_VISIBLE_LANDMARKS:
            return False, None  # nothing of them to see: the model guessed a person
        if not proportions_possible(body.points_px, body.visibility):
            return False, None  # limbs no body with this face could have
        if is_duplicate(body, bbox, accepted, self.options.duplicate_iou):
            return False, body
        if det is not None and det.keypoints_px is not None and not head_matches(det, body, HEAD_MATCH_SIDES):
            return False, body
        if tracked is not None and not continues_track(tracked.bbox_xyxy, tracked.appearance, bbox,
                                                       self._appearance(image_rgb, body)):
            return False, body
        accepted.append((body, bbox, body.presence))
        return True, body

    def _try_detection(self, image_rgb, det: PersonDetection, accepted) -> None:
        ok, body = self._try_roi(image_rgb, det.body_roi, accepted, det=det)
        if ok or body is None or det.keypoints_px is None or not accepted:
            return
        # The crop came back with someone else than the detector's head, typically
        # someone already found in front: paint the people found over and retry.
        if not head_matches(det, body):
            self._try_roi(image_rgb, det.body_roi, accepted, occluders=[a[0] for a in accepted], det=det)

    def _tiles_for_this_pass(self, image_rgb, first_frame: bool, lost_px: list[np.ndarray], num_tracked: int):
        """All tiles on a first frame; else the next ``tiles_per_pass`` in turn (or
        ``crowd_tiles_per_pass`` in a crowd) plus every tile holding a tracked person
        lost lately."""
        if not self.options.tile_fractions:
            return False
        if first_frame:
            return True
        height, width = image_rgb.shape[:2]
        count = self.detector.num_tiles(width, height)
        if count == 0:
            return False
        per_pass = (self.options.crowd_tiles_per_pass if num_tracked >= self.options.crowd_size
                    else self.options.tiles_per_pass)
        picked = [(self._next_tile + i) % count for i in range(min(per_pass, count))]
        self._next_tile = (self._next_tile + per_pass) % count
        if lost_px:
            picked += self.detector.tiles_containing(width, height, np.stack(lost_px))
        picked = sorted(set(picked))
        return True if len(picked) >= count else picked

    def _detect(self, image_rgb, accepted, timings, first_frame: bool, lost_px: list[np.ndarray],
                num_tracked: int = 0) -> None:
        t0 = time.perf_counter()
        tiles = self._tiles_for_this_pass(image_rgb, first_frame, lost_px, num_tracked)
        dets = self.detector.detect(image_rgb, tiles=tiles)
        timings["detector"] += (time.perf_counter() - t0) * 1e3
        self._frames_since_detection = 0
        self.last_detector_ran = True
        t0 = time.perf_counter()
        for det in dets:
            if len(accepted) >= self.options.max_people:
                break
            if self._detection_covered(det, accepted):
                continue
            self._try_detection(image_rgb, det, accepted)
        timings["pose"] += (time.perf_counter() - t0) * 1e3

    def _found_again(self, image_rgb, lost: _LostPerson, accepted) -> bool:
        """Someone kept this frame, near where ``lost`` was lost (within their own height:
        people walk less than that in the frames a search lasts) and in their clothes."""
        for body, box, _ in accepted:
            centre = 0.5 * (box[:2] + box[2:])
            if (np.linalg.norm(centre - lost.where_px) <= box[3] - box[1]
                    and continues_track(box, lost.appearance, box, self._appearance(image_rgb, body))):
                return True
        return False

    # -- hands and face -------------------------------------------------------
    def _hand(self, image_rgb, body: BodyLandmarks, side: str) -> HandObservation | None:
        wrist, pinky, index = BODY_HAND_POINTS[side]
        if body.visibility[wrist] < self.options.min_wrist_visibility:
            return None
        pts = body.points_px
        roi = self.hands.roi_from_body(image_rgb, pts[wrist], pts[pinky], pts[index])
        if roi.width < self.options.min_hand_crop_px:
            return None  # too few pixels for fingers: the model would guess
        hand = self.hands(image_rgb, roi)
        if hand.presence < self.options.min_hand_presence:
            return None
        return HandObservation(points_2d=hand.points_px.astype(np.float32),
                               points_3d=hand.world_cam.astype(np.float32),
                               score=float(hand.presence), bbox_xyxy=rect_bbox_xyxy(roi).astype(np.float32))

    def _face(self, image_rgb, body: BodyLandmarks, previous_face: FaceObservation | None,
              tracked: bool = False) -> FaceObservation | None:
        """``tracked``: the person was there last frame (then without a face unless
        ``previous_face``): one crop size only, as the face is likely still hidden."""
        if face_roi_from_body(body.points_px).width < self.options.min_face_crop_px:
            return None
        prev_pts = None if previous_face is None else np.asarray(previous_face.points_2d, dtype=np.float64)
        if prev_pts is not None:
            # last frame's mesh must still sit on this body's face
            width = float(np.ptp(prev_pts[:, 0])) + 1.0
            if np.linalg.norm(prev_pts.mean(axis=0) - body.points_px[NOSE]) > width:
                prev_pts = None
        face: FaceLandmarks = self.face(image_rgb, body.points_px, prev_pts,
                                        tries=1 if tracked else len(BODY_FACE_SCALES))
        if face.presence < FACE_FLAG_THRESHOLD and prev_pts is not None:
            face = self.face(image_rgb, body.points_px, None, tries=1)
        if face.presence < FACE_FLAG_THRESHOLD:
            return None
        iris = None
        if face.iris_flipped_px is not None and face.iris_unflipped_px is not None:
            left, right = ((face.iris_flipped_px, face.iris_unflipped_px) if OWN_LEFT_EYE_IS_FLIPPED
                           else (face.iris_unflipped_px, face.iris_flipped_px))
            iris = np.stack([left, right]).astype(np.float32)
        return FaceObservation(points_2d=face.points_px.astype(np.float32),
                               points_3d=face.points_3d.astype(np.float32), score=float(face.presence),
                               bbox_xyxy=rect_bbox_xyxy(face.roi).astype(np.float32), iris_2d=iris)

    # -- public ---------------------------------------------------------------
    def process_frame(self, image_rgb: np.ndarray,
                      previous: list[PersonObservation] | None = None) -> list[PersonObservation]:
        """(H, W, 3) uint8 RGB -> one :class:`PersonObservation` per person.

        ``previous``: the last frame's result for the same clip (None on the first
        frame or for a still): their tracking crops are tried first, in the same
        order; the detector then adds people not yet covered.
        """
        image_rgb = np.ascontiguousarray(image_rgb)
        if image_rgb.ndim != 3 or image_rgb.shape[2] != 3 or image_rgb.dtype != np.uint8:
            raise InputError(f"expected an (H, W, 3) uint8 RGB image, got {image_rgb.dtype} {image_rgb.shape}.")
        timings = {"detector": 0.0, "pose": 0.0, "hands": 0.0, "face": 0.0, "iris": 0.0}
        self.last_detector_ran = False
        self._body_runs = 0
        accepted: list[tuple[BodyLandmarks, np.ndarray, float]] = []
        sources: list[PersonObservation | None] = []
        # tracked people, the largest (usually the nearest, in front) first
        tracked = sorted((p for p in (previous or []) if p.roi_px is not None),
                         key=lambda p: -float(p.bbox_xyxy[3] - p.bbox_xyxy[1]))
        t0 = time.perf_counter()
        lost_now: list[_LostPerson] = []  # tracked people lost this frame
        for prev in tracked[: self.options.max_people]:
            roi = RotatedRect.from_array(prev.roi_px)
            # people kept before this one (taller boxes: usually nearer) who overlap it are
            # painted over its crop, so that the body model does not stitch this person
            # onto their limbs
            in_front = [a[0] for a in accepted if intersection_over_smaller(a[1], prev.bbox_xyxy) > 0.2]
            ok, body = self._try_roi(image_rgb, roi, accepted, occluders=in_front or None, tracked=prev)
            if not ok and body is not None and accepted:
                # the crop found someone already kept (people crossing), or someone else
                # than this person: look behind the people kept
                ok, _ = self._try_roi(image_rgb, roi, accepted, occluders=[a[0] for a in accepted], tracked=prev)
            if ok:
                sources.append(prev)
            else:
                lost_now.append(_LostPerson(np.array([roi.cx, roi.cy]), self.options.lost_memory_frames,
                                            prev.appearance))
        timings["pose"] += (time.perf_counter() - t0) * 1e3
        if previous is None:
            self._lost = []
        self._lost = [dataclasses.replace(lost, frames_left=lost.frames_left - 1)
                      for lost in self._lost if lost.frames_left > 1] + lost_now
        need_detector = (not tracked or bool(self._lost) or self.options.detect_every <= 1
                         or self._frames_since_detection + 1 >= self.options.detect_every)
        if need_detector and len(accepted) < self.options.max_people:
            n = len(accepted)
            self._detect(image_rgb, accepted, timings, first_frame=previous is None,
                         lost_px=[lost.where_px for lost in self._lost], num_tracked=len(tracked))
            sources += [None] * (len(accepted) - n)
        else:
            self._frames_since_detection += 1
        self._lost = [lost for lost in self._lost if not self._found_again(image_rgb, lost, accepted)]

        people: list[PersonObservation] = []
        for (body, bbox, score), prev in zip(accepted, sources):
            seen = unseen_outside_image(body.points_px, body.visibility, image_rgb.shape[1], image_rgb.shape[0])
            body_2d = np.concatenate([body.points_px, seen[:, None]], axis=1).astype(np.float32)
            person = PersonObservation(bbox_xyxy=bbox, score=float(score), body_2d=body_2d,
                                       body_3d=body.world_cam.astype(np.float32),
                                       roi_px=body.next_roi.as_array(),
                                       appearance=self._running_appearance(image_rgb, body, prev))
            if self.hands is not None:
                t0 = time.perf_counter()
                person.left_hand = self._hand(image_rgb, body, "left")
                person.right_hand = self._hand(image_rgb, body, "right")
                timings["hands"] += (time.perf_counter() - t0) * 1e3
            if self.face is not None:
                t0 = time.perf_counter()
                person.face = self._face(image_rgb, body, None if prev is None else prev.face,
                                         tracked=prev is not None)
                timings["face"] += (time.perf_counter() - t0) * 1e3 - self.face.last_iris_ms
                timings["iris"] += self.face.last_iris_ms
            people.append(person)
        self.last_timings_ms = timings
        self.last_body_runs = self._body_runs
        return people
