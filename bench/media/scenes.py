"""The scene catalogue: who stands where, in which pose, for how many frames.

Pure data and small motion functions (no torch, no Blender). World frame: Blender's,
z up, metres; the camera stands at the origin looking along +y (``CameraSpec``), so a
person's y is roughly their depth. A yaw of 0 faces the camera; 90 faces +x (image right).
"""
from __future__ import annotations

import dataclasses
import math

from . import anny_body as body
from .blender_scene import Outfit
from .camera import CameraSpec


@dataclasses.dataclass(frozen=True)
class Static:
    """A person holding one pose."""

    pose: str
    xy: tuple[float, float]
    yaw_deg: float = 0.0
    lift: float | None = None        # root height above the floor (sitting); None: feet on the floor
    stool: bool = False

    def at(self, t: float):
        return body.named_pose(self.pose), self.yaw_deg, self.xy, self.lift


@dataclasses.dataclass(frozen=True)
class Walk:
    """Walking in a straight line from ``start`` to ``end`` over ``duration`` seconds."""

    start: tuple[float, float]
    end: tuple[float, float]
    duration: float
    stride_period: float = 1.1       # seconds per full gait cycle
    phase0: float = 0.0
    stool: bool = False

    @property
    def yaw_deg(self) -> float:
        dx, dy = self.end[0] - self.start[0], self.end[1] - self.start[1]
        # yaw 0 faces -y; the facing direction is (sin(yaw), -cos(yaw))
        return math.degrees(math.atan2(dx, -dy))

    def at(self, t: float):
        a = min(max(t / self.duration, 0.0), 1.0)
        xy = (self.start[0] + a * (self.end[0] - self.start[0]),
              self.start[1] + a * (self.end[1] - self.start[1]))
        return body.walk_pose(self.phase0 + t / self.stride_period), self.yaw_deg, xy, None


@dataclasses.dataclass(frozen=True)
class PersonSpec:
    pid: int
    phenotype: dict
    outfit: Outfit
    motion: Static | Walk


@dataclasses.dataclass(frozen=True)
class SceneSpec:
    name: str
    people: tuple[PersonSpec, ...]
    num_frames: int = 1
    fps: float = 0.0                 # 0: a still image
    camera: CameraSpec = CameraSpec()
    samples: int = 24
    room: tuple[float, float] = (7.0, 11.0)  # side walls at x = -+room[0], back wall at y = room[1] (m)
    still_format: str = "jpg"        # "png" or "jpg" (quality 92, 6-8x smaller) for a still
    background: str | None = None    # a photo of backgrounds.PHOTOS instead of the room

    @property
    def is_clip(self) -> bool:
        return self.num_frames > 1

    @property
    def media_name(self) -> str:
        return f"{self.name}.mp4" if self.is_clip else f"{self.name}.{self.still_format}"

    def time_of(self, frame: int) -> float:
        return frame / self.fps if self.fps > 0 else 0.0


BLUE = Outfit()
RED = Outfit(shirt=(0.55, 0.08, 0.06), trousers=(0.10, 0.14, 0.30), shoes=(0.9, 0.9, 0.88),
             skin=(0.55, 0.34, 0.24), hair=(0.30, 0.18, 0.08))
GREEN = Outfit(shirt=(0.10, 0.35, 0.12), trousers=(0.40, 0.33, 0.22), shoes=(0.05, 0.05, 0.05),
               skin=(0.22, 0.12, 0.07), hair=(0.02, 0.02, 0.02))
YELLOW = Outfit(shirt=(0.75, 0.55, 0.08), trousers=(0.05, 0.06, 0.10), shoes=(0.5, 0.1, 0.1),
                skin=(0.60, 0.40, 0.30), hair=(0.45, 0.32, 0.12))
WHITE = Outfit(shirt=(0.80, 0.80, 0.78), trousers=(0.25, 0.10, 0.30), shoes=(0.1, 0.1, 0.1),
               skin=(0.38, 0.22, 0.14), hair=(0.08, 0.05, 0.03))
GREY = Outfit(shirt=(0.30, 0.30, 0.32), trousers=(0.03, 0.03, 0.04), shoes=(0.55, 0.50, 0.45),
              skin=(0.50, 0.30, 0.20), hair=(0.20, 0.20, 0.20))
ORANGE = Outfit(shirt=(0.80, 0.30, 0.05), trousers=(0.20, 0.25, 0.35), shoes=(0.08, 0.08, 0.08),
                skin=(0.30, 0.17, 0.10), hair=(0.03, 0.02, 0.02))

M, F, C = body.ADULT_MALE, body.ADULT_FEMALE, body.CHILD
# More adult body shapes (anny phenotype sliders; age >= 0.5 keeps them adults).
M_TALL = {**M, "height": 0.50, "weight": 0.40}
M_HEAVY = {**M, "weight": 0.85, "muscle": 0.35, "age": 0.85}
F_SLIM = {**F, "weight": 0.25, "height": 0.55}
F_SHORT = {**F, "height": 0.22, "weight": 0.65, "age": 0.80}


def _still(name, *people, **kw) -> SceneSpec:
    return SceneSpec(name=name, people=tuple(people), **kw)


def _child_adult() -> SceneSpec:
    # Equal image heights: the adult stands farther by the ratio of the statures
    # (measured by the generator; 1.715 m and 1.089 m for these phenotypes).
    # A level camera at 1 m makes image heights proportional to stature / depth.
    child_y = 2.8
    adult_y = child_y * 1.715 / 1.089
    return _still(
        "child_adult",
        PersonSpec(0, C, YELLOW, Static("standing", (-0.6, child_y), yaw_deg=10.0)),
        PersonSpec(1, M, BLUE, Static("standing", (1.1, adult_y), yaw_deg=-10.0)),
        camera=CameraSpec(position=(0.0, 0.0, 1.0), pitch_deg=0.0),
    )


def _crowd() -> SceneSpec:
    """Surveillance view: a camera 3 m up, tilted 12 degrees down, over a long hall;
    seven adult pedestrians 60-150 px tall (about 6.5-15 m away) walking at 1.1-1.5 m/s:
    two passing each other across the view, three more across or diagonally, one
    towards the camera and one away from it."""
    return SceneSpec("clip_crowd", (
        PersonSpec(0, M, BLUE, Walk((-2.6, 8.0), (0.4, 8.0), 2.0)),
        PersonSpec(1, F, RED, Walk((1.8, 9.5), (-0.8, 9.5), 2.0, phase0=0.4, stride_period=1.0)),
        PersonSpec(2, M_TALL, GREEN, Walk((-0.9, 15.0), (-1.1, 12.2), 2.0, phase0=0.7)),
        PersonSpec(3, F_SLIM, YELLOW, Walk((2.2, 11.0), (2.6, 13.6), 2.0, phase0=0.2, stride_period=1.0)),
        PersonSpec(4, M_HEAVY, WHITE, Walk((4.6, 14.0), (2.4, 13.0), 2.0, phase0=0.55, stride_period=1.2)),
        PersonSpec(5, F_SHORT, GREY, Walk((-3.4, 11.5), (-5.4, 11.0), 2.0, phase0=0.85, stride_period=1.05)),
        PersonSpec(6, M, ORANGE, Walk((3.2, 6.8), (1.2, 7.6), 2.0, phase0=0.1)),
    ), num_frames=20, fps=10.0, samples=12, room=(9.0, 20.0),
        camera=CameraSpec(position=(0.0, 0.0, 3.0), pitch_deg=-12.0))


SCENES: dict[str, SceneSpec] = {s.name: s for s in [
    _still("single_person", PersonSpec(0, M, BLUE, Static("standing", (0.0, 3.0))), still_format="png"),
    _still("pose_arms_raised", PersonSpec(0, F, RED, Static("arms_raised", (0.3, 4.5), yaw_deg=15.0))),
    _still("pose_crouching", PersonSpec(0, M, GREEN, Static("crouching", (-0.2, 3.2), yaw_deg=-20.0))),
    _still("pose_reaching", PersonSpec(0, F, YELLOW, Static("reaching", (0.3, 4.0), yaw_deg=-60.0))),
    _still("pose_crossed_arms", PersonSpec(0, M, WHITE, Static("crossed_arms", (0.0, 3.2), yaw_deg=5.0))),
    _still("pose_sitting", PersonSpec(0, M, RED, Static("sitting", (-0.4, 3.5), yaw_deg=25.0, lift=0.55, stool=True))),
    _still("pose_walking", PersonSpec(0, F, GREEN, Static("walking", (0.0, 6.0), yaw_deg=90.0))),
    _still("pose_far", PersonSpec(0, M, YELLOW, Static("standing", (0.6, 8.0), yaw_deg=-10.0))),
    _still("pose_kick", PersonSpec(0, M, WHITE, Static("kick", (0.0, 3.6), yaw_deg=70.0))),
    _still("pose_lunge", PersonSpec(0, F, BLUE, Static("lunge", (0.2, 3.8), yaw_deg=-60.0))),
    _still("pose_jump", PersonSpec(0, M, RED, Static("jump_tucked", (-0.2, 4.2), yaw_deg=20.0, lift=1.2))),
    _still("pose_back", PersonSpec(0, F, GREEN, Static("walking", (0.3, 4.0), yaw_deg=170.0))),
    _still(
        "multi_person",
        PersonSpec(0, M, BLUE, Static("standing", (-1.1, 3.0), yaw_deg=10.0)),
        PersonSpec(1, F, RED, Static("arms_raised", (1.2, 5.0), yaw_deg=-15.0)),
        PersonSpec(2, M, GREEN, Static("walking", (0.1, 7.5), yaw_deg=90.0)),
    ),
    _child_adult(),
    _still(
        "occlusion",
        PersonSpec(0, F, YELLOW, Static("standing", (-0.1, 3.4), yaw_deg=0.0)),
        PersonSpec(1, M, BLUE, Static("crossed_arms", (0.35, 4.6), yaw_deg=-10.0)),
        PersonSpec(2, M, WHITE, Static("standing", (-0.7, 6.0), yaw_deg=15.0)),
    ),
    SceneSpec("clip_walk_across", (PersonSpec(0, M, BLUE, Walk((-2.4, 5.0), (2.4, 5.0), 3.0)),),
              num_frames=30, fps=10.0, samples=16),
    SceneSpec("clip_crossing", (
        PersonSpec(0, M, RED, Walk((-2.2, 4.5), (2.2, 4.5), 3.0)),
        PersonSpec(1, F, GREEN, Walk((2.4, 6.0), (-2.4, 6.0), 3.0, phase0=0.5)),
    ), num_frames=30, fps=10.0, samples=16),
    SceneSpec("clip_walk_toward", (PersonSpec(0, F, YELLOW, Walk((0.3, 8.0), (0.0, 3.4), 3.0)),),
              num_frames=30, fps=10.0, samples=16),
    _crowd(),
]}
"""Every scene the generator knows, by name."""

CHECKED_IN = ("single_person", "multi_person", "child_adult", "occlusion", "pose_arms_raised",
              "pose_crouching", "pose_reaching", "pose_crossed_arms", "pose_sitting",
              "pose_walking", "pose_far", "pose_kick", "pose_lunge", "pose_jump", "pose_back",
              "clip_walk_across", "clip_crossing", "clip_walk_toward",
              "clip_crowd")
"""The scenes whose renders and ground truth live in ``tests/media``."""


# --- Tilted cameras (issue 10: real footage) ----------------------------------------
# Surveillance and phone footage from above: the floor recedes steeply, so people's
# feet rise quickly in the image with distance and the level-floor intuition fails.
def _tilted_30_street() -> SceneSpec:
    """A surveillance camera 5 m up, 30 degrees down: seven adults 6.6-12.3 m away on one
    floor, two pairs of about equal image height standing side by side."""
    return _still(
        "tilted_30_street",
        PersonSpec(0, M, BLUE, Static("standing", (-1.6, 5.2), yaw_deg=10.0)),
        PersonSpec(1, F, RED, Static("walking", (1.4, 5.6), yaw_deg=-80.0)),
        PersonSpec(2, M_TALL, GREEN, Static("standing", (-2.8, 7.6), yaw_deg=20.0)),
        PersonSpec(3, F_SLIM, YELLOW, Static("walking", (-1.6, 7.9), yaw_deg=90.0)),
        PersonSpec(4, M_HEAVY, WHITE, Static("standing", (2.6, 8.8), yaw_deg=-15.0)),
        PersonSpec(5, F_SHORT, GREY, Static("walking", (0.4, 10.6), yaw_deg=160.0)),
        PersonSpec(6, M, ORANGE, Static("standing", (-3.2, 11.8), yaw_deg=5.0)),
        camera=CameraSpec(position=(0.0, 0.0, 5.0), pitch_deg=-30.0), samples=16, room=(10.0, 24.0))


def _tilted_45_plaza() -> SceneSpec:
    """A camera 4 m up, 45 degrees down over a plaza: five adults 4.1-5.4 m away
    (2.6-4.7 m along the floor), foreshortened from above."""
    return _still(
        "tilted_45_plaza",
        PersonSpec(0, F, YELLOW, Static("standing", (-1.0, 2.6), yaw_deg=0.0)),
        PersonSpec(1, M, RED, Static("walking", (1.2, 3.0), yaw_deg=-90.0)),
        PersonSpec(2, M_HEAVY, BLUE, Static("standing", (0.0, 3.9), yaw_deg=25.0)),
        PersonSpec(3, F_SLIM, GREEN, Static("walking", (-2.2, 4.6), yaw_deg=70.0)),
        PersonSpec(4, M_TALL, GREY, Static("standing", (2.0, 4.7), yaw_deg=-20.0)),
        camera=CameraSpec(position=(0.0, 0.0, 4.0), pitch_deg=-45.0), samples=16, room=(8.0, 14.0))


def _phone_above() -> SceneSpec:
    """A phone held up high (2.6 m, as from a stair), 35 degrees down: an adult with a
    child beside them and another adult farther back."""
    return _still(
        "phone_above",
        PersonSpec(0, F, RED, Static("standing", (-0.5, 2.6), yaw_deg=10.0)),
        PersonSpec(1, C, YELLOW, Static("standing", (0.3, 2.4), yaw_deg=-10.0)),
        PersonSpec(2, M, BLUE, Static("walking", (1.0, 3.6), yaw_deg=-90.0)),
        camera=CameraSpec(position=(0.0, 0.0, 2.6), pitch_deg=-35.0), samples=16)


def _clip_tilted_35() -> SceneSpec:
    """Surveillance clip (issue 10's camera): 6 m up, 35 degrees down, six adults walking
    on one floor 7-15 m away, two of about equal image height passing side by side."""
    return SceneSpec("clip_tilted_35", (
        PersonSpec(0, M, BLUE, Walk((-3.0, 6.5), (-0.6, 6.5), 2.0)),
        PersonSpec(1, F, RED, Walk((2.4, 7.4), (0.2, 7.6), 2.0, phase0=0.4, stride_period=1.0)),
        PersonSpec(2, M_TALL, GREEN, Walk((-2.2, 11.5), (-2.4, 9.0), 2.0, phase0=0.7)),
        PersonSpec(3, F_SLIM, YELLOW, Walk((-0.6, 9.6), (-0.4, 12.0), 2.0, phase0=0.2, stride_period=1.0)),
        PersonSpec(4, M_HEAVY, WHITE, Walk((4.2, 11.0), (2.2, 10.6), 2.0, phase0=0.55, stride_period=1.2)),
        PersonSpec(5, F_SHORT, GREY, Walk((1.4, 13.0), (3.6, 13.2), 2.0, phase0=0.85, stride_period=1.05)),
    ), num_frames=20, fps=10.0, samples=12, room=(10.0, 24.0),
        camera=CameraSpec(position=(0.0, 0.0, 6.0), pitch_deg=-35.0))


TILTED_SCENES = [_tilted_30_street(), _tilted_45_plaza(), _phone_above(), _clip_tilted_35()]
"""Tilted cameras, kept in one block (appended to SCENES and CHECKED_IN)."""
SCENES.update({s.name: s for s in TILTED_SCENES})
CHECKED_IN = CHECKED_IN + tuple(s.name for s in TILTED_SCENES)


# --- Scenes that break today's rules (issue 10: real footage) ------------------------
# Real photographs as backgrounds, people cut by each edge of the frame, two people
# hugging, patterned shirts, and poses off the feet: a handstand, lying on the floor,
# sitting cross-legged.
STRIPED = dataclasses.replace(BLUE, shirt=(0.04, 0.06, 0.25), shirt_pattern="stripes", pattern_size_m=0.035)
CHECKED = dataclasses.replace(RED, shirt=(0.50, 0.05, 0.04), pattern=(0.05, 0.05, 0.06),
                              shirt_pattern="checks", pattern_size_m=0.05)


def _issue10_scenes() -> list[SceneSpec]:
    return [
        # A man close to the camera (a webcam or vlog framing), cut at the waist by the
        # bottom edge: hips, legs and hands are below the frame.
        _still("cut_bottom_waist", PersonSpec(0, M, WHITE, Static("standing", (0.05, 1.62), yaw_deg=8.0)),
               camera=CameraSpec(position=(0.0, 0.0, 1.58), pitch_deg=-3.0)),
        # One person cut by the left edge through the shoulder, one by the right edge
        # through the middle of the body.
        _still("cut_left_right",
               PersonSpec(0, F, YELLOW, Static("walking", (-1.45, 3.0), yaw_deg=-30.0)),
               PersonSpec(1, M, GREEN, Static("standing", (1.62, 3.1), yaw_deg=20.0))),
        # A low camera tilted down: the top edge cuts the person at the chest.
        _still("cut_top", PersonSpec(0, M_TALL, RED, Static("walking", (0.1, 2.4), yaw_deg=-70.0)),
               camera=CameraSpec(position=(0.0, 0.0, 0.7), pitch_deg=-7.0)),
        _still("hugging",
               # face to face (yaws 180 degrees apart), pelvises 0.30 m apart along the
               # first one's facing direction (sin 70, -cos 70)
               PersonSpec(0, F, YELLOW, Static("hug_high", (-0.15, 3.25), yaw_deg=70.0)),
               PersonSpec(1, M, BLUE, Static("hug_low", (0.13, 3.15), yaw_deg=-110.0))),
        _still("pattern_shirts",
               PersonSpec(0, M, STRIPED, Static("standing", (-0.7, 3.3), yaw_deg=10.0)),
               PersonSpec(1, F, CHECKED, Static("arms_raised", (0.75, 3.6), yaw_deg=-10.0))),
        _still("pose_handstand", PersonSpec(0, F, GREEN, Static("handstand", (0.0, 3.6), yaw_deg=15.0))),
        _still("pose_lying", PersonSpec(0, M, YELLOW, Static("lying", (0.0, 3.4), yaw_deg=80.0)),
               camera=CameraSpec(position=(0.0, 0.0, 1.6), pitch_deg=-22.0)),
        _still("pose_cross_legged", PersonSpec(0, F, WHITE, Static("cross_legged", (0.0, 2.8), yaw_deg=-20.0)),
               camera=CameraSpec(position=(0.0, 0.0, 1.3), pitch_deg=-20.0)),
        # Photographs: towers and floodlights of a launch pad behind two people; a cat's
        # face (a face much larger than the person's) behind one; a lawn seen from above
        # with a person lying on it (issue 10: "a patch of lawn becomes a person").
        _still("photo_rocket",
               PersonSpec(0, F, RED, Static("walking", (-1.1, 4.2), yaw_deg=90.0)),
               PersonSpec(1, M, WHITE, Static("arms_raised", (1.0, 5.4), yaw_deg=-20.0)),
               background="rocket", camera=CameraSpec(position=(0.0, 0.0, 1.2), pitch_deg=-4.0)),
        _still("photo_cat", PersonSpec(0, M, BLUE, Static("reaching", (1.0, 3.6), yaw_deg=-40.0)),
               background="chelsea"),
        _still("photo_lawn_lying", PersonSpec(0, F, RED, Static("lying", (0.2, 1.45), yaw_deg=-10.0)),
               background="grass", camera=CameraSpec(position=(0.0, 0.0, 2.6), pitch_deg=-60.0)),
    ]


ISSUE10_SCENES = _issue10_scenes()
"""Scenes that break today's rules, kept in one block (appended to SCENES and CHECKED_IN)."""
SCENES.update({s.name: s for s in ISSUE10_SCENES})
CHECKED_IN = CHECKED_IN + tuple(s.name for s in ISSUE10_SCENES)
