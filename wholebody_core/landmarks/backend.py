"""The ``mediapipe-tflite`` landmark backend: people -> body, hands, face, irises.

Top-down: a person detector (BlazePose by default, with tiles for small people)
gives body crops; last frame's people (``previous``) give crops too, as MediaPipe's
tracking does, so a person is kept between detector passes and the detector may
run only every ``detect_every`` frames while everyone is tracked.

This class owns the models and the per-clip state; the rules live in named
modules: ``candidates.py`` (which crops are tried, which bodies kept),
``people.py`` and ``tracking/identity.py`` (the rules themselves), ``schedule.py``
(when the detector runs, which tiles), ``parts.py`` (hands and face).
"""
from __future__ import annotations

import logging

import numpy as np

from wholebody_core.detection.types import DetectorOptions
from wholebody_core.errors import InputError
from wholebody_core.landmarks.body import BodyLandmarker
from wholebody_core.landmarks.candidates import (
    CropTrier, add_detected, follow, followed_people, found_again, look_behind_heads,
)
from wholebody_core.landmarks.face import FaceLandmarker
from wholebody_core.landmarks.hands import HandLandmarker
from wholebody_core.landmarks.options import LandmarkOptions
from wholebody_core.landmarks.parts import body_observation, face_observation, hand_observation
from wholebody_core.landmarks.people import Accepted
from wholebody_core.landmarks.schedule import DetectionSchedule
from wholebody_core.landmarks.types import PersonObservation
from wholebody_core.models.registry import create_detector, register_landmark_backend
from wholebody_core.timing import StageClock

__all__ = ["LandmarkOptions", "MediapipeTfliteBackend"]

logger = logging.getLogger(__name__)

TIMED_STAGES = ("detector", "pose", "hands", "face", "iris")   # last_timings_ms's keys


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
        self.schedule = DetectionSchedule(o)
        self.last_timings_ms: dict[str, float] = {}
        self.last_detector_ran = False
        self.last_body_runs = 0

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
        clock = StageClock(TIMED_STAGES)
        self.last_detector_ran = False
        first_frame = previous is None
        trier = CropTrier(self.body, image_rgb, self.options)
        accepted: list[Accepted] = []
        followed = followed_people(previous)
        with clock("pose"):
            lost_now = follow(trier, followed[: self.options.max_people], accepted, self.options.lost_memory_frames)
        self.schedule.remember_lost(lost_now, first_frame)
        if self.schedule.detector_due(len(followed)) and len(accepted) < self.options.max_people:
            self._detect(trier, accepted, clock, first_frame, len(followed))
        else:
            self.schedule.detector_skipped()
        self.schedule.forget_found(lambda lost: found_again(image_rgb, lost, accepted))
        people = [self._observe(image_rgb, person, clock) for person in accepted]
        self.last_timings_ms = clock.milliseconds()
        self.last_body_runs = trier.runs
        return people

    def _detect(self, trier: CropTrier, accepted: list[Accepted], clock: StageClock, first_frame: bool,
                num_followed: int) -> None:
        """One detector pass (the tiles the schedule picks), its new people added to ``accepted``."""
        image_rgb = trier.image_rgb
        height, width = image_rgb.shape[:2]
        with clock("detector"):
            tiles = self.schedule.tiles_for_pass(
                lambda: self.detector.num_tiles(width, height),
                lambda points_px: self.detector.tiles_containing(width, height, points_px),
                first_frame, num_followed)
            detections = self.detector.detect(image_rgb, tiles=tiles)
        self.schedule.detector_ran()
        self.last_detector_ran = True
        with clock("pose"):
            add_detected(trier, detections, accepted, self.options.max_people)
            look_behind_heads(trier, accepted, self.options.max_people)

    def _observe(self, image_rgb: np.ndarray, person: Accepted, clock: StageClock) -> PersonObservation:
        """The kept person's observation with their hands and face."""
        observation = body_observation(image_rgb, person)
        if self.hands is not None:
            with clock("hands"):
                observation.left_hand = hand_observation(self.hands, image_rgb, person.body, "left", self.options)
                observation.right_hand = hand_observation(self.hands, image_rgb, person.body, "right", self.options)
        if self.face is not None:
            with clock("face"):
                observation.face = face_observation(
                    self.face, image_rgb, person.body, None if person.tracked is None else person.tracked.face,
                    self.options, tracked=person.tracked is not None)
            clock.move("face", "iris", 1e-3 * self.face.last_iris_ms)
        return observation
