"""Torso, collars, neck and head from the body landmarks.

Torso model (what the solver assumes where the landmarks say nothing): the
pelvis carries the global orientation: its x axis is the hip line and it leans
with the torso (its y axis is as close as the hip line allows to the direction
from the mid-hip point to the mid-shoulder point: pelvic tilt and spine flexion
cannot be told apart from these points, so a forward bend happens at the hips).
The three spine joints share the rest equally (spine1 = spine2 = spine3 = S,
local): twist, sideways bend and the curvature that puts the shoulders where
they are, fitted by a few vectorised Gauss-Newton steps (3 unknowns, the 6
shoulder coordinates). The collars are still unless the shoulders cannot be
reached otherwise: they then swing to put each shoulder on its landmark.
The neck swings to carry the head joint to where the face points put it; the
head's own rotation comes from the face (mesh or body face points).
"""
from __future__ import annotations

import numpy as np

from ..landmarks.types import BODY_INDEX
from ..maths.rotations import cross, normalize, rotation_between, rotmat_to_rotvec, rotvec_to_rotmat
from .geometry import kabsch
from .limits import clamp_to_limits

PELVIS, L_HIP, R_HIP, SPINE1, SPINE2, SPINE3 = 0, 1, 2, 3, 6, 9
NECK, L_COLLAR, R_COLLAR, HEAD = 12, 13, 14, 15
L_SHOULDER, R_SHOULDER = 16, 17
_GN_STEPS = 4

HEAD_POINT_NAMES = ("nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
                    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right")
HEAD_POINT_IDX = np.array([BODY_INDEX[n] for n in HEAD_POINT_NAMES])


def _triad(x_dir: np.ndarray, up_dir: np.ndarray) -> np.ndarray:
    """Frame with x exactly along x_dir and y as close as possible to up_dir: (N,3)x2 -> (N,3,3)."""
    x = normalize(x_dir)
    y = normalize(up_dir - np.sum(up_dir * x, -1, keepdims=True) * x)
    z = cross(x, y)
    return np.stack([x, y, z], -1)


def torso_points_model(pelvis: np.ndarray, spine: np.ndarray, offsets: np.ndarray, hip_marks: np.ndarray
                       ) -> np.ndarray:
    """Model residual targets: hip vector, shoulders from the mid-hip point.

    Args:
        pelvis, spine: (N, 3, 3); offsets (N, 55, 3).
    Returns:
        (N, 3, 3): rows left_hip - right_hip, left_shoulder - mid_hip, right_shoulder - mid_hip.
    """
    def rot(r, v):
        return np.einsum("nij,nj->ni", r, v)

    l_hip = rot(pelvis, hip_marks[:, 0])
    r_hip = rot(pelvis, hip_marks[:, 1])
    mid = 0.5 * (l_hip + r_hip)
    w1 = pelvis @ spine
    w2 = w1 @ spine
    w3 = w2 @ spine
    spine3 = rot(pelvis, offsets[:, SPINE1]) + rot(w1, offsets[:, SPINE2]) + rot(w2, offsets[:, SPINE3])
    l_sh = spine3 + rot(w3, offsets[:, L_COLLAR] + offsets[:, L_SHOULDER])
    r_sh = spine3 + rot(w3, offsets[:, R_COLLAR] + offsets[:, R_SHOULDER])
    return np.stack([l_hip - r_hip, l_sh - mid, r_sh - mid], 1)


def torso_rest_frames(offsets: np.ndarray, hip_marks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pelvis and thorax frames of the rest pose, as the solver measures them.

    Both have x along the rest hip line / shoulder line and y towards the rest
    mid-shoulder point from the rest mid-hip point. (N, 55, 3) -> (N, 3, 3) x2.
    """
    eye = np.broadcast_to(np.eye(3), offsets.shape[:1] + (3, 3))
    model = torso_points_model(eye, eye, offsets, hip_marks)
    up = 0.5 * (model[:, 1] + model[:, 2])
    return _triad(model[:, 0], up), _triad(model[:, 1] - model[:, 2], up)


def solve_torso(body_3d: np.ndarray, offsets: np.ndarray, hip_marks: np.ndarray, enforce_limits: bool
                ) -> tuple[np.ndarray, np.ndarray]:
    """Global orientation and the shared spine rotation.

    Args:
        body_3d: (N, 33, 3) BlazePose points, origin mid-hip, camera axes.
        offsets: (N, 55, 3) rest offsets of the person's skeleton; hip_marks
            (N, 2, 3) the hip landmarks' rest offsets from the pelvis (left, right).
    Returns:
        pelvis_world (N, 3, 3) (= global orientation) and spine_local (N, 3, 3).
    """
    l_hip, r_hip = body_3d[:, BODY_INDEX["left_hip"]], body_3d[:, BODY_INDEX["right_hip"]]
    l_sh, r_sh = body_3d[:, BODY_INDEX["left_shoulder"]], body_3d[:, BODY_INDEX["right_shoulder"]]
    target = np.stack([l_hip - r_hip, l_sh, r_sh], 1)
    up = 0.5 * (l_sh + r_sh) - 0.5 * (l_hip + r_hip)
    rest_pelvis, rest_thorax = torso_rest_frames(offsets, hip_marks)
    pelvis = _triad(l_hip - r_hip, up) @ np.swapaxes(rest_pelvis, -1, -2)
    thorax = _triad(l_sh - r_sh, up) @ np.swapaxes(rest_thorax, -1, -2)
    spine = rotvec_to_rotmat(rotmat_to_rotvec(np.swapaxes(pelvis, -1, -2) @ thorax) / 3.0)
    n = body_3d.shape[0]
    eps = 1e-6
    for _ in range(_GN_STEPS):
        def residual(sp):
            return (torso_points_model(pelvis, sp, offsets, hip_marks)[:, 1:] - target[:, 1:]).reshape(n, 6)
        r0 = residual(spine)
        jac = np.empty((n, 6, 3))
        for a in range(3):
            delta = np.zeros((n, 3))
            delta[:, a] = eps
            jac[:, :, a] = (residual(spine @ rotvec_to_rotmat(delta)) - r0) / eps
        jt = np.swapaxes(jac, 1, 2)
        step = np.linalg.solve(jt @ jac + 1e-9 * np.eye(3), -np.einsum("nij,nj->ni", jt, r0))
        spine = spine @ rotvec_to_rotmat(step)
    if enforce_limits:
        spine = clamp_to_limits(spine, SPINE2)
    return pelvis, spine


def solve_collars(body_3d: np.ndarray, offsets: np.ndarray, hip_marks: np.ndarray, pelvis: np.ndarray,
                  spine: np.ndarray, enforce_limits: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Collar swings that carry each shoulder joint onto its landmark.

    Returns:
        local rotations (N, 2, 3, 3) (left, right), the spine3 world rotation
        (N, 3, 3) and the spine3 joint's position (N, 3) from the model's mid-hip point.
    """
    def rot(r, v):
        return np.einsum("nij,nj->ni", r, v)

    w1 = pelvis @ spine
    w2 = w1 @ spine
    w3 = w2 @ spine
    mid = 0.5 * (rot(pelvis, hip_marks[:, 0]) + rot(pelvis, hip_marks[:, 1]))
    spine3 = rot(pelvis, offsets[:, SPINE1]) + rot(w1, offsets[:, SPINE2]) + rot(w2, offsets[:, SPINE3]) - mid
    out = []
    for collar, shoulder, name in ((L_COLLAR, L_SHOULDER, "left_shoulder"), (R_COLLAR, R_SHOULDER, "right_shoulder")):
        collar_pos = spine3 + rot(w3, offsets[:, collar])
        want = np.einsum("nji,nj->ni", w3, body_3d[:, BODY_INDEX[name]] - collar_pos)
        local = rotation_between(offsets[:, shoulder], want)
        out.append(clamp_to_limits(local, collar) if enforce_limits else local)
    return np.stack(out, 1), w3, spine3


def head_from_body_points(body_3d: np.ndarray, visibility: np.ndarray, head_offsets: np.ndarray
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Head world rotation and head-joint position from the body's face points.

    Args:
        body_3d: (N, 33, 3); visibility (N, 33); head_offsets (N, 11, 3): the rest
            offsets of :data:`HEAD_POINT_NAMES` in the head frame.
    Returns:
        head_world (N, 3, 3) and head_pos (N, 3) in body_3d's frame.
    """
    pts = body_3d[:, HEAD_POINT_IDX]
    w = np.clip(visibility[:, HEAD_POINT_IDX], 0.05, 1.0)
    mu_obs = np.einsum("nk,nki->ni", w, pts) / w.sum(1, keepdims=True)
    mu_rest = np.einsum("nk,nki->ni", w, head_offsets) / w.sum(1, keepdims=True)
    rot = kabsch(head_offsets - mu_rest[:, None], pts - mu_obs[:, None], w)
    return rot, mu_obs - np.einsum("nij,nj->ni", rot, mu_rest)


def solve_neck_head(spine3_world: np.ndarray, neck_pos: np.ndarray, head_pos: np.ndarray,
                    head_world: np.ndarray, offsets: np.ndarray, enforce_limits: bool
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Neck as a swing towards the head joint, head as the rest of the head's rotation.

    Args:
        spine3_world (N, 3, 3); neck_pos, head_pos (N, 3) same origin;
        head_world (N, 3, 3) observed head rotation; offsets (N, 55, 3).
    Returns:
        neck_local, head_local (N, 3, 3).
    """
    want = np.einsum("nji,nj->ni", spine3_world, head_pos - neck_pos)
    neck = rotation_between(offsets[:, HEAD], want)
    if enforce_limits:
        neck = clamp_to_limits(neck, NECK)
    head = np.swapaxes(spine3_world @ neck, -1, -2) @ head_world
    if enforce_limits:
        head = clamp_to_limits(head, HEAD)
    return neck, head

