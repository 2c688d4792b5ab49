"""What a user (or the pipeline) can choose about the ``mediapipe-tflite`` landmark
backend: how many people, which models, and the video policy of the detector."""
from __future__ import annotations

import dataclasses

from wholebody_core.errors import InputError


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
    # A person found by the detector must be a fixed point of re-cropping (coherence.py):
    # made-up bodies in lens flares, on a cat's face, on floors and arms are not. The
    # pipeline keeps it for stills and turns it off for videos, where whether someone
    # is there is judged over frames (tracks seen in too few frames are dropped) and
    # a person dropped on one frame changes which crops the tracking follows next
    # (clip_crowd: a person-frame lost, recall 0.89 -> 0.88). The search behind each
    # kept person's head (candidates.look_behind_heads: two people hugging) rests on
    # this test and runs with it.
    recrop_test: bool = True
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
