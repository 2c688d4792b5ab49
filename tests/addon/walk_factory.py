"""A capture of one person walking across the view, whose feet really touch the floor.

The gait is procedural (hips, knees, ankles keeping the feet level, arm swing,
forearm twist, finger curl); what makes the feet contact the ground is the root
motion: on every frame the pelvis moves so that the stance foot (the lower one)
stays where it was horizontally and its sole is on the floor (world y = 0, the
camera 1.5 m above it, 5 m away). Written through the core's writer.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from wholebody_mocap.wholebody_core.capture_format import empty_capture, write_capture
from wholebody_mocap.wholebody_core.maths.kinematics import forward_kinematics
from wholebody_mocap.wholebody_core.maths.rotations import rotmat_to_rotvec, rotvec_to_rotmat
from wholebody_mocap.wholebody_core.skeleton import JOINT_INDEX, default_rest_joints

CAMERA_FROM_WORLD = np.diag([1.0, -1.0, -1.0])      # world: y up, the camera looks along -z at the walker
CAMERA_OFFSET = np.array([0.0, 1.5, 5.0])
SOLE_BELOW_ANKLE_M = 0.075
SOLE_BELOW_BALL_M = 0.02


def _rx(a):
    return rotvec_to_rotmat(np.stack([a, np.zeros_like(a), np.zeros_like(a)], -1))


def walking_pose(num_frames: int, fps: float, period_s: float = 1.0) -> np.ndarray:
    """(T, 55, 3) axis-angle, global orient in the walker's world (y up, walking along +x)."""
    t = np.arange(num_frames) / fps
    pose = np.zeros((num_frames, 55, 3))
    for side, phase in (("left", 0.0), ("right", np.pi)):
        phi = 2 * np.pi * t / period_s + phase
        thigh = 0.42 * np.sin(phi)                                  # forward > 0
        knee = 0.05 + 1.0 * np.maximum(0.0, np.cos(phi + 0.5)) ** 2 # bends early in the swing
        pose[:, JOINT_INDEX[f"{side}_hip"], 0] = -thigh
        pose[:, JOINT_INDEX[f"{side}_knee"], 0] = knee
        pose[:, JOINT_INDEX[f"{side}_ankle"], 0] = thigh - knee     # the foot stays level
        sign = 1.0 if side == "left" else -1.0
        swing = 0.35 * np.sin(phi)                                  # the arm swings against its leg
        down = rotvec_to_rotmat(np.array([0.0, 0.0, -1.2 * sign]))
        pose[:, JOINT_INDEX[f"{side}_shoulder"]] = rotmat_to_rotvec(_rx(swing) @ down)
        pose[:, JOINT_INDEX[f"{side}_elbow"]] = np.stack(
            [0.35 * np.sin(phi), np.full_like(phi, -0.4 * sign), np.zeros_like(phi)], -1)  # flex + twist
        for finger in ("index", "middle", "ring", "pinky"):
            for k in (1, 2, 3):
                pose[:, JOINT_INDEX[f"{side}_{finger}{k}"], 2] = sign * (0.3 + 0.25 * np.sin(phi))
        pose[:, JOINT_INDEX[f"{side}_thumb2"], 1] = -sign * 0.3 * (1 + np.sin(phi))
    pose[:, JOINT_INDEX["spine1"], 1] = 0.08 * np.sin(2 * np.pi * t / period_s)
    pose[:, JOINT_INDEX["spine3"], 1] = -0.12 * np.sin(2 * np.pi * t / period_s)
    heading = rotvec_to_rotmat(np.array([0.0, np.pi / 2, 0.0]))     # face +x
    sway = rotvec_to_rotmat(np.stack([np.zeros_like(t), 0.06 * np.sin(2 * np.pi * t / period_s),
                                      0.04 * np.sin(4 * np.pi * t / period_s)], -1))
    pose[:, 0] = rotmat_to_rotvec(heading @ sway)
    return pose


def stance_left(num_frames: int, fps: float, period_s: float = 1.0) -> np.ndarray:
    """(T,) bool: the left leg is the stance leg (its thigh moving backwards), else the right."""
    return np.cos(2 * np.pi * np.arange(num_frames) / fps / period_s) < 0


def root_positions(joints_rel: np.ndarray, left_stance: np.ndarray, start_x: float = -1.3) -> np.ndarray:
    """(T, 3) pelvis positions (world): the stance foot planted horizontally, the lower sole on y = 0."""
    feet = {s: (JOINT_INDEX[f"{s}_ankle"], JOINT_INDEX[f"{s}_foot"]) for s in ("left", "right")}

    def sole(t, side):
        ankle, ball = feet[side]
        return min(joints_rel[t, ankle, 1] - SOLE_BELOW_ANKLE_M, joints_rel[t, ball, 1] - SOLE_BELOW_BALL_M)

    root = np.zeros((len(joints_rel), 3))
    root[0] = [start_x, 0.0, 0.0]
    for t in range(len(joints_rel)):
        stance = "left" if left_stance[max(t - 1, 0)] else "right"
        if t > 0:
            ankle = feet[stance][0]
            root[t, [0, 2]] = root[t - 1, [0, 2]] + joints_rel[t - 1, ankle, [0, 2]] - joints_rel[t, ankle, [0, 2]]
        root[t, 1] = -min(sole(t, "left"), sole(t, "right"))        # no foot below the floor
    return root


def walking_capture(path: Path, num_frames: int = 60, fps: float = 30.0):
    """Writes the walk as a one-person capture; returns (path, capture)."""
    K = np.array([[900.0, 0.0, 320.0], [0.0, 900.0, 240.0], [0.0, 0.0, 1.0]])
    capture = empty_capture(1, num_frames, source="walk.mp4", fps=fps, image_size=(640, 480),
                            intrinsics=K, backend="synthetic-walk")
    capture.frame_indices = np.arange(num_frames, dtype=np.int64)
    capture.person_ids = np.array([0])
    rest = default_rest_joints()
    pose = walking_pose(num_frames, fps)
    _, joints = forward_kinematics(rotvec_to_rotmat(pose), rest)
    joints_rel = joints - joints[:, :1]
    root = root_positions(joints_rel, stance_left(num_frames, fps))
    pose_cam = pose.copy()
    pose_cam[:, 0] = rotmat_to_rotvec(CAMERA_FROM_WORLD @ rotvec_to_rotmat(pose[:, 0]))
    capture.rest_joints[0] = rest
    parts = {"global_orient": pose_cam[:, 0], "body_pose": pose_cam[:, 1:22], "jaw_pose": pose_cam[:, 22],
             "leye_pose": pose_cam[:, 23], "reye_pose": pose_cam[:, 24],
             "left_hand_pose": pose_cam[:, 25:40], "right_hand_pose": pose_cam[:, 40:55]}
    for key, value in parts.items():
        getattr(capture, key)[0] = value
    capture.root_position[0] = root @ CAMERA_FROM_WORLD.T + CAMERA_OFFSET
    capture.joints_cam[0] = (joints_rel + root[:, None]) @ CAMERA_FROM_WORLD.T + CAMERA_OFFSET
    capture.valid[0] = True
    capture.confidence[0] = 1.0
    px = capture.joints_cam[0, :, :, :2] / capture.joints_cam[0, :, :, 2:] * 900.0 + np.array([320.0, 240.0])
    capture.bbox[0] = np.concatenate([px.min(axis=1), px.max(axis=1)], axis=-1)
    write_capture(path, capture)
    return path, capture
