"""What the landmark stage hands to the solver: one :class:`PersonObservation` per
detected person per frame.

Axes: every 3D array here uses camera-aligned axes (OpenCV: x right, y down, z
forward into the scene) with its own origin (the mid-hip point for the body, the
wrist for a hand, the face's centroid for the face); only the root depth stage puts
people at an absolute position. Pixel arrays are in the full input frame.
Left and right are the person's own.
"""
from __future__ import annotations

import dataclasses

import numpy as np

# MediaPipe BlazePose landmark order (33 points).
BODY_LANDMARK_NAMES: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner",
    "right_eye", "right_eye_outer", "left_ear", "right_ear", "mouth_left",
    "mouth_right", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index",
    "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
)
# The one table of BlazePose indices: every module names the landmarks it uses
# through it (or through the groups below), never by number.
BODY_INDEX: dict[str, int] = {name: i for i, name in enumerate(BODY_LANDMARK_NAMES)}


def body_indices(*names: str) -> tuple[int, ...]:
    """BlazePose indices of ``names``, in that order."""
    return tuple(BODY_INDEX[name] for name in names)


# Groups used in several places; pairs are (own left, own right).
NOSE = BODY_INDEX["nose"]
BODY_FACE_POINTS = tuple(range(BODY_INDEX["mouth_right"] + 1))  # nose .. mouth_right: the 11 face points
SHOULDERS = body_indices("left_shoulder", "right_shoulder")
ELBOWS = body_indices("left_elbow", "right_elbow")
WRISTS = body_indices("left_wrist", "right_wrist")
HIPS = body_indices("left_hip", "right_hip")
KNEES = body_indices("left_knee", "right_knee")
ANKLES = body_indices("left_ankle", "right_ankle")
LIMB_POINTS = SHOULDERS + ELBOWS + WRISTS + HIPS + KNEES + ANKLES   # the 12 joints of the arms and legs
FOOT_POINTS = body_indices("left_ankle", "right_ankle", "left_heel", "right_heel",
                           "left_foot_index", "right_foot_index")
# each hand's (wrist, pinky, index) body points, by the person's own side
BODY_HAND_POINTS: dict[str, tuple[int, int, int]] = {
    side: body_indices(f"{side}_wrist", f"{side}_pinky", f"{side}_index") for side in ("left", "right")}

# MediaPipe hand landmark order (21 points).
HAND_LANDMARK_NAMES: tuple[str, ...] = (
    "wrist", "thumb_cmc", "thumb_mcp", "thumb_ip", "thumb_tip",
    "index_mcp", "index_pip", "index_dip", "index_tip",
    "middle_mcp", "middle_pip", "middle_dip", "middle_tip",
    "ring_mcp", "ring_pip", "ring_dip", "ring_tip",
    "pinky_mcp", "pinky_pip", "pinky_dip", "pinky_tip",
)
NUM_FACE_LANDMARKS = 468  # MediaPipe face mesh


@dataclasses.dataclass
class HandObservation:
    """One hand seen in one frame."""

    points_2d: np.ndarray      # (21, 2) pixels, full frame
    points_3d: np.ndarray      # (21, 3) metres, camera-aligned axes, origin at the wrist
    score: float               # 0..1 hand presence
    bbox_xyxy: np.ndarray      # (4,) pixels: the crop the hand model saw


@dataclasses.dataclass
class FaceObservation:
    """One face seen in one frame."""

    points_2d: np.ndarray      # (468, 2) pixels, full frame
    points_3d: np.ndarray      # (468, 3) camera-aligned axes, origin at the centroid,
                               # arbitrary but isotropic scale (only shape is used)
    score: float               # 0..1 face presence
    bbox_xyxy: np.ndarray      # (4,) pixels
    iris_2d: np.ndarray | None = None  # (2, 5, 2) pixels, left then right eye (own), centre first


@dataclasses.dataclass
class PersonObservation:
    """One person in one frame, as the landmark models see them."""

    bbox_xyxy: np.ndarray      # (4,) pixels: the person box (from the body landmarks)
    score: float               # 0..1 detection/pose presence
    body_2d: np.ndarray        # (33, 3) pixel x, y, visibility 0..1
    body_3d: np.ndarray        # (33, 3) metres, camera-aligned axes, origin mid-hip
    left_hand: HandObservation | None = None
    right_hand: HandObservation | None = None
    face: FaceObservation | None = None
    roi_px: np.ndarray | None = None  # (5,) cx, cy, width, height (pixels), rotation (radians):
                                      # the body crop to use on the next frame (tracking)
    appearance: np.ndarray | None = None  # (D,) clothing colours (tracking/appearance.py), averaged
                                          # over the frames the crop has followed this person
