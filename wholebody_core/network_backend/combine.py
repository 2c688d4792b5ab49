"""From the networks' parameters to SMPL-X poses (pure numpy, shapes in the docstrings).

Pose2Pose combination (CHECKPOINTS.md §5.4, §5.5):
- SMPL body: the root and joints 1..21 are SMPL-X's first 22 joints (same names and
  order: pelvis, hips, spines, knees, ankles, feet, neck, collars, head, shoulders,
  elbows, wrists); SMPL's two hand joints (22, 23) are dropped.
- MANO hands: the 15 finger joints in MANO order (index, middle, pinky, ring, thumb,
  1-3 each) are SMPL-X's order too. The network predicts offsets from the MANO mean
  (``flat_hand_mean=False``), so the mean is added back: the right mean from the
  user's SMPL-X model file (``hands_meanr``, MANO's right mean). Left hands were
  seen mirrored (as right hands): their full pose (offset + right mean) and their
  global rotation are un-mirrored with (x, -y, -z).
- FLAME: the jaw rotation is SMPL-X's jaw; the 10 expression coefficients are
  SMPL-X's (SMPL-X's expression space is FLAME's).

Hand4Whole: already SMPL-X; its finger poses are offsets from SMPL-X's mean hand, so
``hands_meanl`` / ``hands_meanr`` of the user's model are added (CAPTURE_FORMAT.md:
every rotation is relative to the flat rest hand).
"""
from __future__ import annotations

import numpy as np

from ..maths.rotations import rotmat_to_rotvec, rotvec_to_rotmat
from ..skeleton import JOINT_INDEX, LEFT_HAND_JOINTS, NUM_JOINTS, RIGHT_HAND_JOINTS
from ..solve.integrate import hand_near_wrist, integrate_hands

SMPL_TO_SMPLX_BODY = np.arange(22)
"""SMPL joint i (0..21) -> SMPL-X joint SMPL_TO_SMPLX_BODY[i]: the identity on the first 22."""
MANO_TO_SMPLX_FINGERS = np.arange(15)
"""MANO finger joint i -> SMPL-X hand joint i of the same side (both index, middle, pinky, ring, thumb)."""
JAW = JOINT_INDEX["jaw"]


def unmirror_rotvec(rotvec: np.ndarray) -> np.ndarray:
    """(..., 3) axis-angle of a hand seen mirrored -> the un-mirrored hand's: (x, -y, -z)."""
    out = np.array(rotvec, dtype=np.float64, copy=True)
    out[..., 1:] *= -1.0
    return out


def pose2pose_full_pose(body_root: np.ndarray, body_pose: np.ndarray,
                        lhand_pose_mirrored: np.ndarray, rhand_pose: np.ndarray,
                        jaw_pose: np.ndarray, mano_mean_right: np.ndarray) -> np.ndarray:
    """The SMPL-X pose of the Pose2Pose body, hand and face outputs.

    Args:
        body_root: (N, 3) SMPL global orientation; body_pose (N, 21, 3) SMPL joints 1..21.
        lhand_pose_mirrored: (N, 15, 3) MANO finger offsets of the mirrored left-hand crop;
            rhand_pose (N, 15, 3) of the right hand.
        jaw_pose: (N, 3) FLAME jaw.
        mano_mean_right: (45,) or (15, 3) the right mean hand pose (SMPL-X ``hands_meanr``).
    Returns:
        (N, 55, 3) axis-angle, flat-hand-relative (eyes zero).
    """
    n = body_root.shape[0]
    mean = np.asarray(mano_mean_right, dtype=np.float64).reshape(15, 3)
    full = np.zeros((n, NUM_JOINTS, 3))
    smpl = np.concatenate([np.asarray(body_root)[:, None], np.asarray(body_pose)], axis=1)
    full[:, SMPL_TO_SMPLX_BODY] = smpl
    full[:, RIGHT_HAND_JOINTS[MANO_TO_SMPLX_FINGERS]] = np.asarray(rhand_pose) + mean
    full[:, LEFT_HAND_JOINTS[MANO_TO_SMPLX_FINGERS]] = unmirror_rotvec(np.asarray(lhand_pose_mirrored) + mean)
    full[:, JAW] = jaw_pose
    return full


def hand4whole_full_pose(root_pose: np.ndarray, body_pose: np.ndarray, lhand_pose: np.ndarray,
                         rhand_pose: np.ndarray, jaw_pose: np.ndarray,
                         hands_mean_left: np.ndarray, hands_mean_right: np.ndarray) -> np.ndarray:
    """The SMPL-X pose of Hand4Whole's outputs, with the mean hand added back.

    Args:
        root_pose (N, 3), body_pose (N, 21, 3), lhand_pose / rhand_pose (N, 15, 3) offsets
        from the mean hand (left already un-mirrored by the network), jaw_pose (N, 3);
        hands_mean_left / hands_mean_right (45,) from the user's SMPL-X model.
    Returns:
        (N, 55, 3) axis-angle, flat-hand-relative (eyes zero).
    """
    n = root_pose.shape[0]
    full = np.zeros((n, NUM_JOINTS, 3))
    full[:, 0] = root_pose
    full[:, 1:22] = body_pose
    full[:, JAW] = jaw_pose
    full[:, LEFT_HAND_JOINTS] = np.asarray(lhand_pose) + np.asarray(hands_mean_left).reshape(15, 3)
    full[:, RIGHT_HAND_JOINTS] = np.asarray(rhand_pose) + np.asarray(hands_mean_right).reshape(15, 3)
    return full


def combine_hands(full_pose: np.ndarray, rest_joints: np.ndarray, hand_root_rotvec: np.ndarray | None,
                  hand_boxes_xyxy: np.ndarray, wrist_px: np.ndarray, hand_seen: np.ndarray,
                  roll_share: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """The hands' part of Algorithm 1 on N people: far hands ignored, hand rotations integrated.

    A hand whose box centre is farther from the body's predicted 2D wrist than the box's
    scale is ignored: its finger pose is set to zero (the flat rest hand) and it is not
    valid. Where ``hand_root_rotvec`` is given (a hand model's global rotation), the kept
    hands go through :func:`solve.integrate.integrate_hands`.

    Args:
        full_pose: (N, 55, 3) axis-angle from the body (and finger) networks.
        rest_joints: (N, 55, 3) or (55, 3).
        hand_root_rotvec: (N, 2, 3) left, right global hand rotations (un-mirrored), or None.
        hand_boxes_xyxy: (N, 2, 4) pixels; wrist_px (N, 2, 2) the body's predicted wrists.
        hand_seen: (N, 2) bool: a hand crop was taken and the hand is visible.
    Returns:
        full_pose (N, 55, 3) and hand_valid (N, 2) bool.
    """
    full = np.array(full_pose, dtype=np.float64, copy=True)
    n = full.shape[0]
    hand_valid = np.zeros((n, 2), dtype=bool)
    for s, joints in enumerate((LEFT_HAND_JOINTS, RIGHT_HAND_JOINTS)):
        hand_valid[:, s] = np.asarray(hand_seen[:, s], bool) & hand_near_wrist(hand_boxes_xyxy[:, s], wrist_px[:, s])
        full[~hand_valid[:, s][:, None] & np.isin(np.arange(NUM_JOINTS), joints)[None, :]] = 0.0
    if hand_root_rotvec is not None and n:
        merged = integrate_hands(rotvec_to_rotmat(full), rest_joints, rotvec_to_rotmat(hand_root_rotvec),
                                 hand_valid)
        arms = [JOINT_INDEX[f"{side}_{j}"] for side in ("left", "right") for j in ("elbow", "wrist")]
        full[:, arms] = rotmat_to_rotvec(merged.local_rotmat[:, arms])
    return full, hand_valid
