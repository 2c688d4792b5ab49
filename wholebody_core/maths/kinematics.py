"""Forward kinematics on the SMPL-X tree (numpy, any leading batch dimensions).

A joint's world rotation is its parent's world rotation times its local rotation;
a joint's world position is its parent's world position plus the parent's world
rotation applied to the joint's rest offset. Identity rest orientations, as in SMPL-X.
"""
from __future__ import annotations

import numpy as np

from ..skeleton import NUM_JOINTS, PARENTS, rest_joints_to_offsets
from .rotations import rotvec_to_rotmat


def full_pose_rotvec(
    global_orient: np.ndarray,
    body_pose: np.ndarray,
    jaw_pose: np.ndarray,
    leye_pose: np.ndarray,
    reye_pose: np.ndarray,
    left_hand_pose: np.ndarray,
    right_hand_pose: np.ndarray,
) -> np.ndarray:
    """Stacks the SMPL-X pose parts into (..., 55, 3) axis-angle in joint order."""
    return np.concatenate(
        [
            global_orient[..., None, :],
            body_pose,
            jaw_pose[..., None, :],
            leye_pose[..., None, :],
            reye_pose[..., None, :],
            left_hand_pose,
            right_hand_pose,
        ],
        axis=-2,
    )


# The SMPL-X pose parts in joint order: (capture field, first joint, joints; 1 = a (..., 3) part)
POSE_PARTS = (("global_orient", 0, 1), ("body_pose", 1, 21), ("jaw_pose", 22, 1), ("leye_pose", 23, 1),
              ("reye_pose", 24, 1), ("left_hand_pose", 25, 15), ("right_hand_pose", 40, 15))


def pose_part_of_joint(joint: int) -> tuple[str, int | None]:
    """The pose part holding ``joint``'s axis-angle and its row in it (None: a single-joint part)."""
    for name, first, count in POSE_PARTS:
        if first <= joint < first + count:
            return name, (None if count == 1 else joint - first)
    raise IndexError(f"SMPL-X has no joint {joint}")


def split_full_pose(full_pose: np.ndarray) -> dict[str, np.ndarray]:
    """Inverse of :func:`full_pose_rotvec`: (..., 55, 3) -> the named parts."""
    return {name: full_pose[..., first, :] if count == 1 else full_pose[..., first:first + count, :]
            for name, first, count in POSE_PARTS}


def forward_kinematics(
    local_rotmat: np.ndarray, rest_joints: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """World rotations and positions of the 55 joints.

    Args:
        local_rotmat: (..., 55, 3, 3) local rotations (row 0: global orientation).
        rest_joints: (..., 55, 3) zero-pose joint positions, broadcastable to the
            batch shape of ``local_rotmat``.
    Returns:
        world_rotmat (..., 55, 3, 3) and joints (..., 55, 3), with the pelvis at
        ``rest_joints[..., 0, :]`` (add the root translation yourself).
    """
    local_rotmat = np.asarray(local_rotmat, dtype=np.float64)
    offsets = rest_joints_to_offsets(np.asarray(rest_joints, dtype=np.float64))
    batch = local_rotmat.shape[:-3]
    offsets = np.broadcast_to(offsets, batch + (NUM_JOINTS, 3))
    world_rot = np.empty_like(local_rotmat)
    joints = np.empty(batch + (NUM_JOINTS, 3))
    world_rot[..., 0, :, :] = local_rotmat[..., 0, :, :]
    joints[..., 0, :] = np.broadcast_to(np.asarray(rest_joints)[..., 0, :], batch + (3,))
    for j in range(1, NUM_JOINTS):
        p = PARENTS[j]
        world_rot[..., j, :, :] = world_rot[..., p, :, :] @ local_rotmat[..., j, :, :]
        joints[..., j, :] = joints[..., p, :] + np.einsum(
            "...ij,...j->...i", world_rot[..., p, :, :], offsets[..., j, :]
        )
    return world_rot, joints


def joints_in_camera(
    full_pose_rotvec_: np.ndarray, rest_joints: np.ndarray, root_position: np.ndarray
) -> np.ndarray:
    """All 55 joints in the camera frame, as ``joints_cam`` of the capture file.

    Args:
        full_pose_rotvec_: (..., 55, 3) axis-angle, row 0 the global orientation
            (model frame -> camera frame).
        rest_joints: (..., 55, 3) zero-pose joints, pelvis at the origin.
        root_position: (..., 3) the pelvis in the camera frame.
    Returns:
        (..., 55, 3) metres, camera frame.
    """
    _, joints = forward_kinematics(rotvec_to_rotmat(full_pose_rotvec_), rest_joints)
    return joints - joints[..., :1, :] + np.asarray(root_position)[..., None, :]


def capture_joints_cam(capture) -> np.ndarray:
    """Forward kinematics of a capture's poses: what its ``joints_cam`` must hold.

    Args:
        capture: a ``capture_format.Capture`` (its pose fields, ``rest_joints`` and
            ``root_position`` are used).
    Returns:
        (P, T, 55, 3) float64 metres, camera frame.
    """
    pose = full_pose_rotvec(capture.global_orient, capture.body_pose, capture.jaw_pose, capture.leye_pose,
                            capture.reye_pose, capture.left_hand_pose, capture.right_hand_pose)
    return joints_in_camera(pose.astype(np.float64), np.asarray(capture.rest_joints, np.float64)[:, None],
                            np.asarray(capture.root_position, np.float64))
