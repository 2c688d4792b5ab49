"""Synthetic capture files for the add-on tests, made through the core's own writer.

Imports the core as ``wholebody_mocap.wholebody_core`` (the package the conftest
puts on ``sys.path``), the same modules the add-on uses.

``joints_cam`` is computed by the core's forward kinematics, so it is consistent
with the poses by construction; the add-on must reproduce it through Blender.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from wholebody_mocap.wholebody_core.capture_format import empty_capture, write_capture
from wholebody_mocap.wholebody_core.maths.kinematics import full_pose_rotvec, joints_in_camera
from wholebody_mocap.wholebody_core.skeleton import default_rest_joints

FOCAL_PX = 900.0
IMAGE_SIZE = (640, 480)


def synthetic_capture(path: Path, num_people: int = 2, num_frames: int = 12, *, seed: int = 0,
                      invalid: dict[int, list[int]] | None = None, source: str = "clip.mp4",
                      principal=(330.0, 228.0), fps: float = 30.0, frame_offset: int = 0,
                      stride: int = 1, floor_tilt_deg: float = 0.0, pose_noise: float = 0.25,
                      focal_y_px: float = FOCAL_PX, image_size=IMAGE_SIZE):
    """Writes a capture of people walking in front of a camera; returns (path, capture).

    People stand on a floor 1.5 m below the camera (tilted by ``floor_tilt_deg``
    about the camera's x axis), facing roughly towards it.
    """
    rng = np.random.default_rng(seed)
    K = np.array([[FOCAL_PX, 0.0, principal[0]], [0.0, focal_y_px, principal[1]], [0.0, 0.0, 1.0]])
    capture = empty_capture(num_people, num_frames, source=source, fps=fps, image_size=image_size,
                            intrinsics=K, backend="synthetic-test")
    capture.frame_indices = frame_offset + stride * np.arange(num_frames, dtype=np.int64)
    capture.person_ids = np.arange(num_people, dtype=np.int64) * 3 + 1
    tilt = np.radians(floor_tilt_deg)
    tilt_rot = np.array([[1, 0, 0], [0, np.cos(tilt), -np.sin(tilt)], [0, np.sin(tilt), np.cos(tilt)]])
    t = np.arange(num_frames)
    for p in range(num_people):
        scale = 0.9 + 0.1 * p
        rest = default_rest_joints() * scale
        capture.rest_joints[p] = rest
        capture.betas[p] = rng.normal(0, 0.5, 10)
        yaw = rng.uniform(-0.6, 0.6) + 0.05 * t
        # upright facing the camera: 180 degrees about x, then a yaw about the camera's up axis
        g = np.zeros((num_frames, 3))
        for k in range(num_frames):
            c, s = np.cos(yaw[k]), np.sin(yaw[k])
            yaw_rot = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
            rot = tilt_rot @ yaw_rot @ np.diag([1.0, -1.0, -1.0])
            angle = np.arccos(np.clip((np.trace(rot) - 1) / 2, -1, 1))
            axis = np.array([rot[2, 1] - rot[1, 2], rot[0, 2] - rot[2, 0], rot[1, 0] - rot[0, 1]])
            if np.linalg.norm(axis) < 1e-8:   # 180 degrees: axis from the symmetric part
                w, v = np.linalg.eigh(rot)
                axis = v[:, np.argmax(w)]
            g[k] = axis / np.linalg.norm(axis) * angle
        capture.global_orient[p] = g
        capture.body_pose[p] = rng.normal(0, pose_noise, (num_frames, 21, 3))
        capture.jaw_pose[p] = rng.normal(0, 0.1, (num_frames, 3))
        capture.leye_pose[p] = rng.normal(0, 0.1, (num_frames, 3))
        capture.reye_pose[p] = rng.normal(0, 0.1, (num_frames, 3))
        capture.left_hand_pose[p] = rng.normal(0, 0.3, (num_frames, 15, 3))
        capture.right_hand_pose[p] = rng.normal(0, 0.3, (num_frames, 15, 3))
        capture.expression[p] = rng.normal(0, 0.5, (num_frames, 10))
        root = np.stack([-0.8 + 1.6 * p / max(num_people - 1, 1) + 0.02 * t,
                         np.full(num_frames, 1.5 - 0.95 * scale),
                         4.0 + 0.8 * p + 0.03 * t], axis=-1)
        capture.root_position[p] = root @ tilt_rot.T
        capture.valid[p] = True
        capture.confidence[p] = rng.uniform(0.3, 1.0, num_frames)
    for p, frames in (invalid or {}).items():
        capture.valid[p, frames] = False
        capture.confidence[p, frames] = 0.0
    pose = full_pose_rotvec(capture.global_orient, capture.body_pose, capture.jaw_pose,
                            capture.leye_pose, capture.reye_pose, capture.left_hand_pose,
                            capture.right_hand_pose)
    capture.joints_cam = joints_in_camera(pose, capture.rest_joints[:, None],
                                          capture.root_position).astype(np.float32)
    for p in range(num_people):
        x0y0 = capture.joints_cam[p, :, :, :2] / capture.joints_cam[p, :, :, 2:]
        px = x0y0 * np.array([FOCAL_PX, focal_y_px]) + np.array(principal)
        capture.bbox[p] = np.concatenate([px.min(axis=1), px.max(axis=1)], axis=-1)
    write_capture(path, capture)
    return path, capture
