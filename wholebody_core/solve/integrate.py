"""Integration of the hand estimate into the body (the dissertation's Algorithm 1).

For each arm: the body-only estimate gives the upper arm, the elbow's bend and
a hand orientation from BlazePose's own hand points. Where the hand model saw
the hand, and its box centre lies within the box's scale (sqrt(width * height))
of the body's 2D wrist, the hand's global rotation replaces the wrist's: the
forearm's roll at the elbow is corrected to agree with it and the wrist keeps
the rest. The result is kept only where both the elbow and the wrist stay
inside their anatomical limits; elsewhere the body-only estimate stays.
"""
from __future__ import annotations

import numpy as np

from .limbs import distal_from_end
from .limits import within_limits


def hand_near_wrist(hand_bbox_xyxy: np.ndarray, wrist_px: np.ndarray) -> np.ndarray:
    """Whether each hand box belongs to the body's wrist.

    Args:
        hand_bbox_xyxy: (N, 4) pixels; wrist_px (N, 2) pixels.
    Returns:
        (N,) bool: distance(box centre, wrist) <= sqrt(box width * box height).
    """
    centre = 0.5 * (hand_bbox_xyxy[:, :2] + hand_bbox_xyxy[:, 2:])
    size = np.clip(hand_bbox_xyxy[:, 2:] - hand_bbox_xyxy[:, :2], 0.0, None)
    scale = np.sqrt(size[:, 0] * size[:, 1])
    return np.linalg.norm(centre - wrist_px, axis=-1) <= scale


def integrate_hand(world_shoulder: np.ndarray, elbow_swing: np.ndarray, off_wrist: np.ndarray,
                   body_hand_world: np.ndarray, hand_world: np.ndarray, hand_ok: np.ndarray,
                   elbow: int, wrist: int, enforce_limits: bool
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Elbow and wrist local rotations, with the hand's rotation where it is accepted.

    Args:
        world_shoulder: (N, 3, 3) the upper arm's world rotation; elbow_swing (N, 3, 3)
            the elbow's bend without roll; off_wrist (N, 3) rest offset elbow -> wrist.
        body_hand_world: (N, 3, 3) wrist world rotation from BlazePose's hand points;
        hand_world: (N, 3, 3) from the hand model; hand_ok (N,) bool: the hand was
            seen and passed the box-to-wrist test.
        elbow, wrist: joint indices.
    Returns:
        elbow_local, wrist_local (N, 3, 3) and used_hand (N,) bool.
    """
    body_elbow, body_wrist = distal_from_end(world_shoulder, elbow_swing, off_wrist, body_hand_world,
                                             elbow, wrist, enforce_limits)
    hand_elbow, hand_wrist = distal_from_end(world_shoulder, elbow_swing, off_wrist, hand_world,
                                             elbow, wrist, False)
    used = np.asarray(hand_ok, dtype=bool).copy()
    if enforce_limits:
        both = np.stack([hand_elbow, hand_wrist], 1)
        used &= within_limits(both, np.array([elbow, wrist])).all(-1)
    pick = used[:, None, None]
    return np.where(pick, hand_elbow, body_elbow), np.where(pick, hand_wrist, body_wrist), used
