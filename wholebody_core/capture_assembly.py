"""The capture file's arrays from the per-track records a clip's solve accumulated:
short tracks dropped, per-joint confidence, unsure joints held, tracks smoothed,
each person sized by the floor they share with others."""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from .capture_format import Capture, empty_capture
from .landmarks.types import BODY_LANDMARK_NAMES, PersonObservation
from .maths.kinematics import joints_in_camera, split_full_pose
from .skeleton import NUM_JOINTS

if TYPE_CHECKING:
    from .pipeline import CaptureOptions


@dataclasses.dataclass
class TrackRecord:
    """Compact per-frame results of one person, appended as frames are solved."""

    frame_slots: list[int] = dataclasses.field(default_factory=list)
    full_pose: list[np.ndarray] = dataclasses.field(default_factory=list)   # (55, 3)
    root: list[np.ndarray] = dataclasses.field(default_factory=list)        # (3,)
    bbox: list[np.ndarray] = dataclasses.field(default_factory=list)        # (4,)
    score: list[float] = dataclasses.field(default_factory=list)
    hand_valid: list[np.ndarray] = dataclasses.field(default_factory=list)  # (2,)
    face_valid: list[bool] = dataclasses.field(default_factory=list)
    expression: list[np.ndarray] = dataclasses.field(default_factory=list)  # (10,)
    keypoints: list[np.ndarray] = dataclasses.field(default_factory=list)   # (33, 3)
    size_scale: list[float] = dataclasses.field(default_factory=list)       # NaN: no floor evidence
    rest_bank: list[PersonObservation] = dataclasses.field(default_factory=list)
    rest_joints: np.ndarray | None = None
    rest_locked: bool = False
    betas: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(10))  # with the user's model


def assemble_capture(tracks: dict[int, TrackRecord], source_frames: list[int], info, intrinsics: np.ndarray,
                     options: CaptureOptions, *, backend_name: str, smooth, filter_options) -> Capture:
    """Turns the per-track records into the capture file's arrays: ``tracks`` by track id,
    ``source_frames`` the source index of each solved frame, ``intrinsics`` (3, 3) K;
    ``smooth(full_pose, root, valid, fps, filter_options)`` smooths one track."""
    from .solve.confidence import rotation_confidence
    from .solve.hold import hold_unsure
    from .tracking.filters import smooth_vectors

    num_frames = len(source_frames)
    min_frames = options.min_track_frames if info.is_video and num_frames > 1 else 1
    min_frames = min(min_frames, num_frames)
    kept = sorted(tid for tid, rec in tracks.items() if len(rec.frame_slots) >= min_frames)
    capture = empty_capture(
        len(kept), num_frames, source=info.path.name, fps=info.fps if info.is_video else 0.0,
        image_size=(info.width, info.height), intrinsics=intrinsics, backend=backend_name,
    )
    capture.frame_indices = np.asarray(source_frames, dtype=np.int64)
    capture.person_ids = np.asarray(kept, dtype=np.int64)
    num_keypoints = len(BODY_LANDMARK_NAMES)
    capture.keypoints_2d = np.zeros((len(kept), num_frames, num_keypoints, 3), dtype=np.float32)
    capture.keypoint_names = np.array(BODY_LANDMARK_NAMES)
    full_pose = np.zeros((len(kept), num_frames, NUM_JOINTS, 3))
    root = np.zeros((len(kept), num_frames, 3))
    for p, tid in enumerate(kept):
        rec = tracks[tid]
        slots = np.asarray(rec.frame_slots)
        capture.valid[p, slots] = True
        capture.confidence[p, slots] = np.clip(rec.score, 0.0, 1.0)
        capture.bbox[p, slots] = np.stack(rec.bbox)
        capture.hand_valid[p, slots] = np.stack(rec.hand_valid)
        capture.face_valid[p, slots] = rec.face_valid
        capture.expression[p, slots] = np.stack(rec.expression)
        capture.keypoints_2d[p, slots] = np.stack(rec.keypoints)
        size = _track_size_scale(rec, options)
        capture.rest_joints[p] = size * rec.rest_joints
        capture.betas[p] = rec.betas
        full_pose[p, slots] = np.stack(rec.full_pose)
        root[p, slots] = size * np.stack(rec.root)
    capture.joint_confidence = _joint_confidence(capture, root)
    for p in range(len(kept)):
        # unsure rotations first take what was seen (solve/hold.py), then the whole track is smoothed
        full_pose[p] = hold_unsure(full_pose[p], rotation_confidence(capture.joint_confidence[p]),
                                   capture.valid[p])
        full_pose[p], root[p] = smooth(full_pose[p], root[p], capture.valid[p], capture.fps, filter_options)
        capture.expression[p] = smooth_vectors(capture.expression[p], capture.face_valid[p], capture.fps,
                                               filter_options)
        # Invalid frames hold harmless fillers: the rest pose at the camera centre
        # (joints_cam stays forward kinematics of those fillers).
        full_pose[p, ~capture.valid[p]] = 0.0
        root[p, ~capture.valid[p]] = 0.0
    joints = joints_in_camera(full_pose, capture.rest_joints[:, None].astype(np.float64), root)
    for key, value in split_full_pose(full_pose).items():
        setattr(capture, key, value.astype(np.float32))
    capture.root_position = root.astype(np.float32)
    capture.joints_cam = joints.astype(np.float32)
    return capture


def _joint_confidence(capture: Capture, root: np.ndarray) -> np.ndarray:
    """(P, T, 55) float32 per-joint confidence (solve/confidence.py); 0 on invalid frames."""
    from .solve.confidence import joint_confidence, landmark_scores

    scores = landmark_scores(capture.keypoints_2d, capture.valid, root[..., 2], capture.image_size)
    confidence = joint_confidence(scores, capture.hand_valid, capture.face_valid)
    return np.where(capture.valid[..., None], confidence, 0.0).astype(np.float32)


def _track_size_scale(record: TrackRecord, options: CaptureOptions) -> float:
    """A person's size relative to the landmark model's adult, from the shared floor.

    The median over the frames where the floor said something; 1 without evidence,
    and 1 with the user's SMPL-X model (its skeleton is the body's, not rescalable).
    Scaling the skeleton and the root together about the camera keeps the image.
    """
    if options.smplx_model is not None:
        return 1.0
    scales = np.asarray(record.size_scale, dtype=np.float64)
    scales = scales[np.isfinite(scales)]
    return float(np.median(scales)) if scales.size else 1.0
