"""Integration of the hand estimate into the body (the dissertation's Algorithm 1).

One implementation, two callers:

- :func:`hand_onto_wrist` is the step itself: with the upper arm's world rotation
  (forward kinematics of the body) and the elbow's local rotation, the hand's global
  rotation replaces the wrist's; a share of the roll between the forearm and the hand
  (the twist about the forearm bone, SMPL-X's x axis) moves into the elbow, and the
  wrist keeps the rest.
- The built-in backend (:func:`integrate_hand`): the body-only estimate gives the
  upper arm, the elbow's bend (no roll) and a hand orientation from BlazePose's own
  hand points; the whole roll goes to the elbow (share 1) and the result is kept
  only where both the elbow and the wrist stay inside their limits (solve/limits.py).
- The network backends (:func:`integrate_hands`): full SMPL-X local rotations from a
  body network and global hand rotations from a hand network; the elbow's roll moves
  to the average of the elbow's and the hand's (share 1/2, the dissertation's rule),
  and the new elbow and wrist are kept only where the new wrist rotation stays
  inside the dissertation's limits (|y| < pi/4, |z| < pi/2; swing components about
  the wrist's x twist axis, :func:`limits.limit_coordinates`).

In both, a hand whose box centre is farther from the body's 2D wrist than the box's
scale (sqrt(width * height)) is ignored (:func:`hand_near_wrist`).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..maths.kinematics import forward_kinematics
from ..maths.rotations import axis_angle_rotmat, normalize
from ..skeleton import JOINT_INDEX, PARENTS, rest_joints_to_offsets
from .geometry import swing_twist
from .limbs import distal_from_end
from .limits import limit_coordinates, within_limits

DISSERTATION_WRIST_LIMITS_RAD = (np.pi / 4, np.pi / 2)
"""|y| and |z| bounds of the new wrist rotation in Algorithm 1 (x is the twist axis)."""


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
    hand_elbow, hand_wrist = hand_onto_wrist(world_shoulder, elbow_swing, off_wrist, hand_world, roll_share=1.0)
    used = np.asarray(hand_ok, dtype=bool).copy()
    if enforce_limits:
        both = np.stack([hand_elbow, hand_wrist], 1)
        used &= within_limits(both, np.array([elbow, wrist])).all(-1)
    pick = used[:, None, None]
    return np.where(pick, hand_elbow, body_elbow), np.where(pick, hand_wrist, body_wrist), used


def hand_onto_wrist(world_upper: np.ndarray, elbow_local: np.ndarray, off_wrist: np.ndarray,
                    hand_world: np.ndarray, roll_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Algorithm 1's step: the hand's global rotation becomes the wrist's, part of the roll goes to the elbow.

    Args:
        world_upper: (N, 3, 3) world rotation of the elbow's parent (the shoulder joint).
        elbow_local: (N, 3, 3) the elbow's local rotation before the step.
        off_wrist: (N, 3) or (3,) rest offset elbow -> wrist (the forearm bone, ~x in SMPL-X).
        hand_world: (N, 3, 3) the hand's global (world) rotation.
        roll_share: the fraction of the forearm-to-hand roll moved into the elbow: 1 moves
            all of it (the built-in backend, whose elbow has no roll of its own); 1/2 puts
            the elbow's roll at the average of the elbow's and the hand's (the dissertation).
    Returns:
        elbow_local, wrist_local (N, 3, 3); the wrist's world rotation equals ``hand_world``.
    """
    v = normalize(np.broadcast_to(off_wrist, hand_world.shape[:-2] + (3,)))
    world_elbow = world_upper @ elbow_local
    _, roll = swing_twist(np.swapaxes(world_elbow, -1, -2) @ hand_world, v)
    new_elbow = elbow_local @ axis_angle_rotmat(v, roll_share * roll)
    new_wrist = np.swapaxes(world_upper @ new_elbow, -1, -2) @ hand_world
    return new_elbow, new_wrist


def wrist_within_dissertation_limits(wrist_local: np.ndarray, side: str) -> np.ndarray:
    """(N, 3, 3) -> (N,) bool: |y| < pi/4 and |z| < pi/2 (swing about the wrist's x twist axis)."""
    coords = limit_coordinates(wrist_local[:, None], np.array([JOINT_INDEX[f"{side}_wrist"]]))[:, 0]
    y_max, z_max = DISSERTATION_WRIST_LIMITS_RAD
    return (np.abs(coords[:, 1]) < y_max) & (np.abs(coords[:, 2]) < z_max)


@dataclasses.dataclass
class HandIntegration:
    """Result of :func:`integrate_hands`.

    local_rotmat: (N, 55, 3, 3) with the accepted elbows and wrists replaced.
    used: (N, 2) bool, left and right: the hand's rotation was taken.
    """

    local_rotmat: np.ndarray
    used: np.ndarray


def integrate_hands(local_rotmat: np.ndarray, rest_joints: np.ndarray, hand_world: np.ndarray,
                    hand_ok: np.ndarray, roll_share: float = 0.5) -> HandIntegration:
    """Algorithm 1 on full SMPL-X poses (the network backends).

    Forward kinematics gives the body's global rotations; for each side where
    ``hand_ok``, :func:`hand_onto_wrist` makes the hand's global rotation the wrist's
    and moves ``roll_share`` of the roll into the elbow; the new elbow and wrist are
    kept only where the new wrist stays inside the dissertation's limits
    (:func:`wrist_within_dissertation_limits`), else the body's are kept.

    Args:
        local_rotmat: (N, 55, 3, 3) local rotations from the body network.
        rest_joints: (N, 55, 3) or (55, 3) the skeleton (only the forearm direction is used).
        hand_world: (N, 2, 3, 3) left, right global hand rotations (camera frame, un-mirrored).
        hand_ok: (N, 2) bool: the hand was seen and passed :func:`hand_near_wrist`.
    """
    local = np.array(local_rotmat, dtype=np.float64, copy=True)
    world, _ = forward_kinematics(local, rest_joints)
    offsets = rest_joints_to_offsets(np.asarray(rest_joints, dtype=np.float64))
    used = np.zeros(np.shape(hand_ok), dtype=bool)
    for s, side in enumerate(("left", "right")):
        elbow, wrist = JOINT_INDEX[f"{side}_elbow"], JOINT_INDEX[f"{side}_wrist"]
        new_elbow, new_wrist = hand_onto_wrist(world[:, PARENTS[elbow]], local[:, elbow],
                                               offsets[..., wrist, :], hand_world[:, s], roll_share)
        keep = np.asarray(hand_ok[:, s], dtype=bool) & wrist_within_dissertation_limits(new_wrist, side)
        local[keep, elbow], local[keep, wrist] = new_elbow[keep], new_wrist[keep]
        used[:, s] = keep
    return HandIntegration(local, used)
