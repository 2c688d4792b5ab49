"""Synthetic ground truth for the solver: random plausible SMPL-X poses inside the
anatomical limits, and the landmark observations a perfect landmark stage would
give for them (through :mod:`.landmark_map`, the same correspondences the solver
assumes). Used by the tests and the benchmark; also handy to test later stages.

The poses follow the solver's model where landmarks cannot tell (equal spine
split, still collars and toes, neck without twist, finger knuckles 2/3 and the
thumb as swings, no twist in the wrist/ankle about the forearm/shin); everything
else is random within the joints' ranges, with the elbows, knees and the
fingers' middle knuckles bent at least ``min_bend_deg`` so that the twists above
them are determined.
"""
from __future__ import annotations

import numpy as np

from ..landmarks.types import BODY_INDEX, FaceObservation, HandObservation, PersonObservation
from ..maths.kinematics import forward_kinematics
from ..skeleton import JOINT_INDEX, NUM_JOINTS, rest_joints_to_offsets
from .body import torso_points_model, torso_rest_frames
from ..maths.rotations import axis_angle_rotmat, cross, normalize, rotation_between, rotvec_to_rotmat
from .landmark_map import (body_landmark_rig, body_landmarks_from_pose, face_landmarks_from_pose,
                           hand_landmarks_from_pose)
from .limits import LOWER_RAD, TWIST_AXIS, UPPER_RAD

_AXES = np.eye(3)


def _inside(rng: np.random.Generator, n: int, joint: int, margin: float) -> np.ndarray:
    """Random local rotations with every limit coordinate inside margin x its range."""
    lo, hi = LOWER_RAD[joint], UPPER_RAD[joint]
    mid, half = 0.5 * (lo + hi), 0.5 * (hi - lo) * margin
    c = mid + half * rng.uniform(-1.0, 1.0, (n, 3))
    axis = _AXES[TWIST_AXIS[joint]]
    twist = c[:, TWIST_AXIS[joint]]
    swing = np.where(axis.astype(bool), 0.0, c)
    return rotvec_to_rotmat(swing) @ axis_angle_rotmat(axis, twist)


def _bend(v: np.ndarray, hinge: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Swing that bends bone v by ``angle`` about ``hinge``: (n,3), (3,), (n,) -> (n,3,3)."""
    return rotation_between(v, np.einsum("nij,nj->ni", axis_angle_rotmat(hinge, angle), v))


def _swing_only(rng: np.random.Generator, v: np.ndarray, max_rad: float) -> np.ndarray:
    """Random swing of bone v (no twist about it), up to max_rad."""
    tilt = normalize(cross(v, rng.normal(size=v.shape)))
    angle = rng.uniform(0.0, max_rad, v.shape[:1])
    return axis_angle_rotmat(tilt, angle)


def _spine_for_torso_line(rng: np.random.Generator, off: np.ndarray, hip_marks: np.ndarray, margin: float
                          ) -> np.ndarray:
    """Random shared spine rotation S (twist, sideways bend) whose forward bend is set
    so that the mid-shoulder point lies straight above the mid-hip point in the pelvis's frame
    (the solver's torso model: the pelvis leans with the torso line)."""
    n = off.shape[0]
    lo, hi = LOWER_RAD[6], UPPER_RAD[6]
    yz = rng.uniform(-1.0, 1.0, (n, 2)) * margin * np.array([hi[1], hi[2]])
    eye = np.broadcast_to(np.eye(3), (n, 3, 3))
    z_axis = torso_rest_frames(off, hip_marks)[0][:, :, 2]

    def lean(a: np.ndarray) -> np.ndarray:
        spine = rotvec_to_rotmat(np.concatenate([a[:, None], yz], 1))
        model = torso_points_model(eye, spine, off, hip_marks)
        up = 0.5 * (model[:, 1] + model[:, 2])
        return np.sum(up * z_axis, -1)

    a = np.zeros(n)
    for _ in range(8):
        f = lean(a)
        a = a - f / ((lean(a + 1e-6) - f) / 1e-6)
    a = np.clip(a, lo[0], hi[0])
    return rotvec_to_rotmat(np.concatenate([a[:, None], yz], 1))


def random_local_rotmat(rng: np.random.Generator, n: int, rest_joints: np.ndarray, margin: float = 0.7,
                        min_bend_deg: float = 25.0, facing_yaw_deg: float = 60.0) -> np.ndarray:
    """Random SMPL-X poses as local rotations.

    Args:
        rest_joints: (55, 3) or (n, 55, 3).
    Returns:
        (n, 55, 3, 3); row 0 puts the person upright-ish, facing the camera
        (turned up to ``facing_yaw_deg``).
    """
    rest = np.broadcast_to(np.asarray(rest_joints, dtype=np.float64), (n, NUM_JOINTS, 3))
    off = rest_joints_to_offsets(rest)
    loc = np.broadcast_to(np.eye(3), (n, NUM_JOINTS, 3, 3)).copy()
    yaw = np.radians(rng.uniform(-facing_yaw_deg, facing_yaw_deg, n))
    tilt = rng.normal(scale=0.15, size=(n, 3))
    loc[:, 0] = (axis_angle_rotmat(_AXES[0], np.full(n, np.pi)) @ rotvec_to_rotmat(tilt)
                 @ axis_angle_rotmat(_AXES[1], yaw))
    _, rig = body_landmark_rig(rest)
    hip_marks = rig[:, [BODY_INDEX["left_hip"], BODY_INDEX["right_hip"]]]
    spine = _spine_for_torso_line(rng, off, hip_marks, margin * 0.6)
    loc[:, [3, 6, 9]] = spine[:, None]
    loc[:, 12] = _swing_only(rng, normalize(off[:, 15]), 0.3)
    loc[:, 15] = _inside(rng, n, 15, margin)
    bend_min = np.radians(min_bend_deg)
    for side, sign in (("left", -1.0), ("right", 1.0)):
        j = {k: JOINT_INDEX[f"{side}_{k}"] for k in ("hip", "knee", "ankle", "shoulder", "elbow", "wrist")}
        loc[:, j["hip"]] = _inside(rng, n, j["hip"], margin)
        shin = normalize(off[:, j["ankle"]])
        loc[:, j["knee"]] = (_bend(shin, _AXES[0], rng.uniform(bend_min, np.radians(110), n))
                             @ axis_angle_rotmat(shin, rng.uniform(-0.35, 0.35, n)))
        loc[:, j["ankle"]] = _swing_only(rng, shin, 0.4)
        loc[:, j["shoulder"]] = _inside(rng, n, j["shoulder"], margin)
        forearm = normalize(off[:, j["wrist"]])
        loc[:, j["elbow"]] = (_bend(forearm, _AXES[1] * sign, rng.uniform(bend_min, np.radians(130), n))
                              @ axis_angle_rotmat(forearm, rng.uniform(-1.0, 1.0, n)))
        loc[:, j["wrist"]] = _swing_only(rng, forearm, 0.5)
        for finger in ("index", "middle", "pinky", "ring"):
            j1, j2, j3 = (JOINT_INDEX[f"{side}_{finger}{k}"] for k in (1, 2, 3))
            hinge = _AXES[2] * sign
            loc[:, j1] = _inside(rng, n, j1, margin)
            loc[:, j2] = _bend(normalize(off[:, j3]), hinge, rng.uniform(max(bend_min, 0.3), 1.4, n))
            loc[:, j3] = _bend(normalize(off[:, j3]), hinge, rng.uniform(0.0, 1.0, n))
        for k, child_off in ((1, off[:, JOINT_INDEX[f"{side}_thumb2"]]), (2, off[:, JOINT_INDEX[f"{side}_thumb3"]]),
                             (3, off[:, JOINT_INDEX[f"{side}_thumb3"]])):
            loc[:, JOINT_INDEX[f"{side}_thumb{k}"]] = _swing_only(rng, normalize(child_off), 0.5)
    loc[:, 22] = axis_angle_rotmat(_AXES[0], rng.uniform(0.0, 0.45, n))
    for eye in (23, 24):
        loc[:, eye] = _swing_only(rng, np.broadcast_to(_AXES[2], (n, 3)), 0.35)
    return loc


def _project(points_cam: np.ndarray, focal_px: float, centre_px: np.ndarray) -> np.ndarray:
    return focal_px * points_cam[..., :2] / points_cam[..., 2:3] + centre_px


def _box(points_px: np.ndarray, pad: float) -> np.ndarray:
    lo, hi = points_px.min(0), points_px.max(0)
    size = (hi - lo).max() * (1.0 + pad)
    c = 0.5 * (lo + hi)
    return np.concatenate([c - size / 2, c + size / 2])


def synthetic_observations(local_rotmat: np.ndarray, rest_joints: np.ndarray, rng: np.random.Generator | None = None,
                           noise_m: float = 0.0, root_cam: np.ndarray = np.array([0.0, 0.0, 3.0]),
                           focal_px: float = 1000.0, image_size: tuple[int, int] = (1280, 720),
                           hands: bool = True, face: bool = True) -> list[PersonObservation]:
    """Landmarks of posed skeletons as a perfect (or noisy) landmark stage would give them.

    Args:
        local_rotmat: (n, 55, 3, 3); rest_joints (55, 3) or (n, 55, 3).
        noise_m: std of Gaussian noise on every 3D point (metres; face points in
            proportion), none on pixels.
        root_cam: (3,) or (n, 3) pelvis position in the camera.
    Returns:
        n :class:`PersonObservation`.
    """
    rng = rng or np.random.default_rng(0)
    n = local_rotmat.shape[0]
    rest = np.broadcast_to(np.asarray(rest_joints, dtype=np.float64), (n, NUM_JOINTS, 3))
    world, joints = forward_kinematics(local_rotmat, rest)
    root = np.broadcast_to(root_cam, (n, 3))
    joints_cam = joints - joints[:, :1] + root[:, None]
    centre = np.array(image_size, dtype=np.float64) / 2
    body = body_landmarks_from_pose(world, joints_cam, rest)
    mid_hip = 0.5 * (joints_cam[:, 1] + joints_cam[:, 2])
    hand_pts = {s: hand_landmarks_from_pose(world, joints_cam, rest, s) for s in ("left", "right")}
    face_pts, iris = face_landmarks_from_pose(world, joints_cam, rest)
    out = []
    for i in range(n):
        body_px = _project(body[i] + mid_hip[i], focal_px, centre)
        obs = PersonObservation(
            bbox_xyxy=np.concatenate([body_px.min(0), body_px.max(0)]), score=1.0,
            body_2d=np.concatenate([body_px, np.ones((33, 1))], 1),
            body_3d=body[i] + rng.normal(scale=noise_m, size=(33, 3)))
        if hands:
            for side in ("left", "right"):
                wrist = joints_cam[i, JOINT_INDEX[f"{side}_wrist"]]
                px = _project(hand_pts[side][i] + wrist, focal_px, centre)
                noisy = hand_pts[side][i] + rng.normal(scale=noise_m, size=(21, 3))
                hand = HandObservation(points_2d=px, points_3d=noisy, score=1.0, bbox_xyxy=_box(px, 0.3))
                setattr(obs, f"{side}_hand", hand)
        if face:
            scale = 7.0   # the face mesh's arbitrary units per metre
            centred = (face_pts[i] - face_pts[i].mean(0)) * scale
            px = _project(face_pts[i], focal_px, centre)
            noisy = centred + rng.normal(scale=noise_m * scale, size=(468, 3))
            obs.face = FaceObservation(points_2d=px, points_3d=noisy, score=1.0, bbox_xyxy=_box(px, 0.2),
                                       iris_2d=_project(iris[i], focal_px, centre))
        out.append(obs)
    return out

