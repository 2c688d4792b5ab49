"""The maths of retargeting (numpy only, no bpy): rest alignment, target FK, root motion, foot contacts, leg IK.

Frames: *world* is the scene (z up); *armature space* is the target object's
space (``world = O @ arm``, O the target's ``matrix_world``, possibly scaled).
Rotations are (..., 3, 3) matrices whose columns are a bone's X, Y (head -> tail), Z.

The rule (every mapped bone b, source joint s): with ``Rs0``/``Rt0`` the rest
world rotations of the source and target bone and ``Rs(t)`` the source's posed
one, the target bone's posed world rotation is

    Rt(t) = Rs(t) Rs0^T  C  Rt0,   C = swing(C_body Rt0 y -> Rs0 y) C_body

``C_body`` turns the target's rest body frame (hips left-right, hips -> shoulders)
onto the source's, and the swing then lays the target bone along the source bone
(A-pose onto T-pose, curled onto flat fingers), so the target bone's Y axis is
the source bone's Y axis on every frame, and its twist follows the source's
(``Rs Rs0^T``, the source's rotation away from its rest, includes the twist).
The hips bone takes ``C = C_body`` alone: it carries the body, not a limb.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..wholebody_core.maths.rotations import rotation_between


def rotation_part(matrix: np.ndarray) -> np.ndarray:
    """(..., 4, 4) or (..., 3, 3) -> (..., 3, 3) with unit columns (scale removed)."""
    rot = np.asarray(matrix, dtype=np.float64)[..., :3, :3]
    return rot / np.linalg.norm(rot, axis=-2, keepdims=True)


def body_frame(left_hip, right_hip, left_shoulder, right_shoulder) -> np.ndarray:
    """(3, 3) columns: the body's left, up (hips -> shoulders, made perpendicular), forward = left x up."""
    left = (np.asarray(left_hip) - right_hip) + (np.asarray(left_shoulder) - right_shoulder)
    left = left / np.linalg.norm(left)
    up = 0.5 * (np.asarray(left_shoulder) + right_shoulder) - 0.5 * (np.asarray(left_hip) + right_hip)
    up = up - left * np.dot(up, left)
    up = up / np.linalg.norm(up)
    return np.stack([left, up, np.cross(left, up)], axis=-1)


def rest_alignments(src_rest_rot: np.ndarray, tgt_rest_rot: np.ndarray, body_src: np.ndarray,
                    body_tgt: np.ndarray, is_hips: np.ndarray) -> np.ndarray:
    """The fixed rotations C (J, 3, 3) of the module docstring for J mapped bones (world rotations in)."""
    c_body = body_src @ body_tgt.T
    aligned_y = (c_body @ tgt_rest_rot)[..., :, 1]
    swing = rotation_between(aligned_y, src_rest_rot[..., :, 1])
    swing[np.asarray(is_hips, dtype=bool)] = np.eye(3)
    return swing @ c_body


def target_world_rotations(src_rot: np.ndarray, src_rest_rot: np.ndarray, align: np.ndarray,
                           tgt_rest_rot: np.ndarray) -> np.ndarray:
    """(T, J, 3, 3) posed world rotations of the mapped target bones: ``Rs(t) Rs0^T C Rt0``."""
    return src_rot @ (np.swapaxes(src_rest_rot, -1, -2) @ align @ tgt_rest_rot)


@dataclasses.dataclass
class TargetRig:
    """The target armature's rest: bone order parents first."""

    names: list
    parents: np.ndarray           # (n,) parent index, -1 for a root
    rest: np.ndarray              # (n, 4, 4) ``bone.matrix_local`` (armature space)

    def index(self, name: str) -> int:
        return self.names.index(name)


def parents_first(names: list, parent_names: list) -> list:
    """An order of the bones with every parent before its children (indices into ``names``)."""
    index = {n: i for i, n in enumerate(names)}
    order, placed = [], set()
    pending = list(range(len(names)))
    while pending:
        rest = []
        for i in pending:
            parent = parent_names[i]
            if parent is None or index[parent] in placed:
                order.append(i)
                placed.add(i)
            else:
                rest.append(i)
        pending = rest
    return order


def pose_matrices(rig: TargetRig, rot_arm: dict, root: int, root_head_arm: np.ndarray) -> np.ndarray:
    """Armature-space pose matrices (T, n, 4, 4) of every bone.

    Mapped bones (``rot_arm``: bone index -> (T, 3, 3)) get that rotation with their
    head where the parent chain puts it (``root`` at ``root_head_arm`` (T, 3));
    the other bones keep their rest pose relative to their parent (identity basis).
    """
    frames = len(root_head_arm)
    pose = np.empty((frames, len(rig.names), 4, 4))
    for i in range(len(rig.names)):
        pose[:, i] = chain_matrix(rig, pose, i)
        if i in rot_arm:
            pose[:, i, :3, :3] = rot_arm[i]
        if i == root:
            pose[:, i, :3, 3] = root_head_arm
    return pose


def chain_matrix(rig: TargetRig, pose: np.ndarray, i: int) -> np.ndarray:
    """(T, 4, 4) where bone i would be with an identity basis under its parent's pose."""
    parent = int(rig.parents[i])
    if parent < 0:
        return np.broadcast_to(rig.rest[i], (pose.shape[0], 4, 4)).copy()
    return pose[:, parent] @ (np.linalg.inv(rig.rest[parent]) @ rig.rest[i])


def basis_matrices(rig: TargetRig, pose: np.ndarray, bones: list) -> np.ndarray:
    """(T, len(bones), 4, 4) the ``matrix_basis`` that gives each listed bone its pose matrix."""
    return np.stack([np.linalg.inv(chain_matrix(rig, pose, i)) @ pose[:, i] for i in bones], axis=1)


def local_floor(lowest_z: np.ndarray, half_window: int) -> np.ndarray:
    """(T,) the floor height near each frame: the 10th percentile of the lowest foot joint's height
    within ``half_window`` frames (follows a floor that is not level in the scene: a tilted fit, a slope)."""
    lowest_z = np.asarray(lowest_z, dtype=np.float64)
    return np.array([np.percentile(lowest_z[max(0, t - half_window): t + half_window + 1], 10)
                     for t in range(len(lowest_z))])


def foot_contacts(low_point: np.ndarray, floor_z: np.ndarray, fps: float, max_height: float,
                  max_speed: float, min_frames: int = 2) -> np.ndarray:
    """(T,) bool: the foot is on the ground (low and slow) in frames of runs at least ``min_frames`` long.

    Args:
        low_point: (T, 3) world position of the foot's lowest joint on each frame.
        floor_z: (T,) or scalar, the floor's height; max_height (m above it) and max_speed
            (m/s, horizontal).
    """
    height = low_point[:, 2] - floor_z
    velocity = np.gradient(low_point[:, :2], axis=0) * fps if len(low_point) > 1 else np.zeros((1, 2))
    contact = (height < max_height) & (np.linalg.norm(velocity, axis=-1) < max_speed)
    out = contact.copy()
    for start, end in contact_runs(contact):
        if end - start + 1 < min_frames:
            out[start:end + 1] = False
    return out


def contact_runs(contact: np.ndarray) -> list:
    """[(first, last)] frame index ranges of the True runs of a (T,) bool array."""
    runs, start = [], None
    for t, value in enumerate(np.asarray(contact, dtype=bool)):
        if value and start is None:
            start = t
        if not value and start is not None:
            runs.append((start, t - 1))
            start = None
    if start is not None:
        runs.append((start, len(contact) - 1))
    return runs


def two_bone_ik(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, goal: np.ndarray,
                bend_axis_hint: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotations that put the ankle on ``goal``: the knee bends about its current bend axis, then
    the leg swings about the hip. All (T, 3) positions; returns (R_hip (T, 3, 3), R_knee (T, 3, 3)).

    The thigh's new world rotation is ``R_hip @ old``; the shin's ``R_hip @ R_knee @ old``
    (R_knee about the knee). A goal out of reach is approached as far as the leg goes.
    """
    thigh, shin = knee - hip, ankle - knee
    l1, l2 = np.linalg.norm(thigh, axis=-1), np.linalg.norm(shin, axis=-1)
    axis = np.cross(thigh, shin)
    weak = np.linalg.norm(axis, axis=-1) < 1e-6 * l1 * l2
    axis[weak] = bend_axis_hint[weak]
    axis /= np.linalg.norm(axis, axis=-1, keepdims=True)
    reach = np.clip(np.linalg.norm(goal - hip, axis=-1), np.abs(l1 - l2) + 1e-6, (l1 + l2) * (1 - 1e-6))
    bend_now = np.arccos(np.clip(np.sum(thigh * shin, -1) / (l1 * l2), -1.0, 1.0))
    cos_inner = np.clip((l1 ** 2 + l2 ** 2 - reach ** 2) / (2 * l1 * l2), -1.0, 1.0)
    bend_goal = np.pi - np.arccos(cos_inner)
    r_knee = _axis_angle(axis, bend_goal - bend_now)
    new_ankle = knee + np.einsum("tij,tj->ti", r_knee, shin)
    r_hip = rotation_between(new_ankle - hip, goal - hip)
    return r_hip, r_knee


def _axis_angle(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rodrigues: (T, 3) unit axes, (T,) angles -> (T, 3, 3)."""
    x, y, z = axis[:, 0], axis[:, 1], axis[:, 2]
    k = np.zeros((len(axis), 3, 3))
    k[:, 0, 1], k[:, 0, 2], k[:, 1, 0], k[:, 1, 2], k[:, 2, 0], k[:, 2, 1] = -z, y, z, -x, -y, x
    s, c = np.sin(angle)[:, None, None], np.cos(angle)[:, None, None]
    return np.eye(3) + s * k + (1 - c) * (k @ k)
