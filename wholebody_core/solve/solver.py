"""The rotational solve (RotationNet's role): SMPL-X joint rotations of N
person-frames from their landmarks, all at once (vectorised over N).

Order, along the kinematic tree: pelvis and spine (:mod:`.body`), collars, legs
(thigh twist from the knee's bend plane, or from the foot when straight; shin
roll and ankle from the foot's heel/toe), arms (upper-arm twist from the elbow's
bend or the hand; forearm roll and wrist from the hand: :mod:`.integrate`),
neck and head (face mesh where seen, else the body's face points), jaw and eyes
(:mod:`.face`), fingers (:mod:`.hands`). Each local rotation is projected into
its anatomical range (:mod:`.limits`) as soon as it is solved, so that the
joints below it compensate.
"""
from __future__ import annotations

import dataclasses
import logging

import numpy as np

from ..errors import InputError
from ..landmarks.types import BODY_INDEX, PersonObservation
from ..maths.kinematics import forward_kinematics
from ..skeleton import JOINT_INDEX, NUM_JOINTS, rest_joints_to_offsets
from .body import HEAD_POINT_IDX, head_from_body_points, solve_collars, solve_neck_head, solve_torso
from .face import eyes_from_iris, head_from_face, jaw_from_face
from ..maths.rotations import rotmat_to_rotvec
from .geometry import kabsch
from .hands import hand_rotation_from_body_points, hand_rotation_from_hand_points, solve_fingers
from .integrate import hand_near_wrist, integrate_hand
from .landmark_map import body_landmark_rig
from .limbs import distal_from_end, solve_chain

log = logging.getLogger(__name__)

_MIN_HAND_SCORE = 0.5
_MIN_FACE_SCORE = 0.5
_AXES = np.eye(3)


@dataclasses.dataclass
class SolveOptions:
    """What the solve may use and enforce."""

    use_hands: bool = True
    use_face: bool = True
    enforce_limits: bool = True


@dataclasses.dataclass
class SolvedPoses:
    """N person-frames solved together."""

    full_pose_rotvec: np.ndarray  # (N, 55, 3) SMPL-X local axis-angle, row 0 = global_orient (model -> camera)
    joints_rel_cam: np.ndarray    # (N, 55, 3) FK of that pose on rest_joints, pelvis at the origin, camera axes, metres
    hand_valid: np.ndarray        # (N, 2) bool: left, right (own) hand landmarks were used
    face_valid: np.ndarray        # (N,) bool: the face mesh was used
    expression: np.ndarray        # (N, 10) zeros: no expression is estimated


def _stack_body(observations: list[PersonObservation]) -> tuple[np.ndarray, np.ndarray]:
    body_3d = np.stack([np.asarray(o.body_3d, dtype=np.float64) for o in observations])
    body_2d = np.stack([np.asarray(o.body_2d, dtype=np.float64) for o in observations])
    if body_3d.shape[1:] != (33, 3) or body_2d.shape[1:] != (33, 3):
        raise InputError(f"body landmarks must be (33, 3) per person, got {body_3d.shape[1:]} and "
                         f"{body_2d.shape[1:]}; the landmark stage must give BlazePose's 33 points")
    if not (np.isfinite(body_3d).all() and np.isfinite(body_2d).all()):
        raise InputError("body landmarks contain NaN or inf; drop such detections before solving")
    return body_3d, body_2d


def _hand_arrays(observations: list[PersonObservation], side: str, use: bool
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(observations)
    pts = np.zeros((n, 21, 3))
    boxes = np.zeros((n, 4))
    seen = np.zeros(n, dtype=bool)
    if not use:
        return pts, boxes, seen
    for i, o in enumerate(observations):
        h = o.left_hand if side == "left" else o.right_hand
        if h is None or h.score < _MIN_HAND_SCORE:
            continue
        p = np.asarray(h.points_3d, dtype=np.float64)
        if p.shape == (21, 3) and np.isfinite(p).all():
            pts[i], boxes[i], seen[i] = p, np.asarray(h.bbox_xyxy, dtype=np.float64), True
    return pts, boxes, seen


def _face_arrays(observations: list[PersonObservation], use: bool):
    n = len(observations)
    seen = np.zeros(n, dtype=bool)
    has_iris = np.zeros(n, dtype=bool)
    p3 = np.zeros((n, 468, 3))
    p2 = np.zeros((n, 468, 2))
    iris = np.zeros((n, 2, 5, 2))
    if not use:
        return seen, has_iris, p3, p2, iris
    for i, o in enumerate(observations):
        f = o.face
        if f is None or f.score < _MIN_FACE_SCORE or not np.isfinite(f.points_3d).all():
            continue
        seen[i], p3[i], p2[i] = True, f.points_3d, f.points_2d
        if f.iris_2d is not None and np.isfinite(f.iris_2d).all():
            has_iris[i], iris[i] = True, f.iris_2d
    return seen, has_iris, p3, p2, iris


def _solve_legs(local, body_3d, vis, offsets, rig_offsets, enforce):
    pelvis = local[:, 0]
    for side in ("left", "right"):
        hip, knee, ankle = (JOINT_INDEX[f"{side}_{j}"] for j in ("hip", "knee", "ankle"))
        b = {j: body_3d[:, BODY_INDEX[f"{side}_{j}"]] for j in ("hip", "knee", "ankle", "heel", "foot_index")}
        # The hip joint, inside BlazePose's hip point (both rigid with the pelvis).
        mark = rig_offsets[:, BODY_INDEX[f"{side}_hip"]] - offsets[:, hip]
        b["hip"] = b["hip"] - np.einsum("nij,nj->ni", pelvis, mark)
        idx = [BODY_INDEX[f"{side}_heel"], BODY_INDEX[f"{side}_foot_index"]]
        foot_world = kabsch(rig_offsets[:, idx], np.stack([b["heel"], b["foot_index"]], 1) - b["ankle"][:, None],
                            np.clip(vis[:, idx], 0.05, 1.0))
        chain = solve_chain(pelvis, offsets[:, knee], offsets[:, ankle], _AXES[0], hip, b["knee"] - b["hip"],
                            b["ankle"] - b["knee"], foot_world, True, enforce)
        local[:, hip] = chain.local_a
        local[:, knee], local[:, ankle] = distal_from_end(chain.world_a, chain.local_b_swing, offsets[:, ankle],
                                                          foot_world, knee, ankle, enforce)


def _solve_arms(local, spine3_world, body_3d, body_2d, observations, rest, offsets, rig_offsets, options):
    n = len(local)
    hand_valid = np.zeros((n, 2), dtype=bool)
    enforce = options.enforce_limits
    for s, side in enumerate(("left", "right")):
        collar, shoulder, elbow, wrist = (JOINT_INDEX[f"{side}_{j}"] for j in ("collar", "shoulder", "elbow", "wrist"))
        b = {j: body_3d[:, BODY_INDEX[f"{side}_{j}"]] for j in ("shoulder", "elbow", "wrist")}
        body_hand = hand_rotation_from_body_points(body_3d, body_2d[:, :, 2], rig_offsets, side)
        hinge = _AXES[1] * (-1.0 if side == "left" else 1.0)
        chain = solve_chain(spine3_world @ local[:, collar], offsets[:, elbow], offsets[:, wrist], hinge, shoulder,
                            b["elbow"] - b["shoulder"], b["wrist"] - b["elbow"], body_hand, True, enforce)
        local[:, shoulder] = chain.local_a
        pts, boxes, seen = _hand_arrays(observations, side, options.use_hands)
        wrist_px = body_2d[:, BODY_INDEX[f"{side}_wrist"], :2]
        hand_world, palm_scale = hand_rotation_from_hand_points(pts, rest, side)
        hand_ok = seen & hand_near_wrist(boxes, wrist_px) & (palm_scale > 1e-6)
        local[:, elbow], local[:, wrist], _ = integrate_hand(
            chain.world_a, chain.local_b_swing, offsets[:, wrist], body_hand, hand_world, hand_ok,
            elbow, wrist, enforce)
        if hand_ok.any():
            fingers = solve_fingers(pts[hand_ok], hand_world[hand_ok], rest[hand_ok], side, enforce)
            hand_joints = np.array([JOINT_INDEX[f"{side}_{f}{k}"] for f in ("index", "middle", "pinky", "ring", "thumb")
                                    for k in (1, 2, 3)])
            sub = local[hand_ok]
            sub[:, hand_joints] = fingers
            local[hand_ok] = sub
        hand_valid[:, s] = hand_ok
    return hand_valid


def solve_poses(observations: list[PersonObservation], rest_joints: np.ndarray,
                options: SolveOptions | None = None) -> SolvedPoses:
    """SMPL-X rotations of N person-frames.

    Args:
        observations: N observations (any mix of people and frames).
        rest_joints: (N, 55, 3) or (55, 3) rest skeleton(s), SMPL-X model frame.
        options: :class:`SolveOptions` (defaults if None).
    Returns:
        :class:`SolvedPoses`.
    Raises:
        InputError: malformed landmarks or rest joints.
    """
    options = options or SolveOptions()
    n = len(observations)
    rest = np.asarray(rest_joints, dtype=np.float64)
    if rest.shape[-2:] != (NUM_JOINTS, 3) or rest.ndim not in (2, 3) or (rest.ndim == 3 and rest.shape[0] != n):
        raise InputError(f"rest_joints must be (55, 3) or ({n}, 55, 3), got {rest.shape}")
    if n == 0:
        return SolvedPoses(np.zeros((0, 55, 3)), np.zeros((0, 55, 3)), np.zeros((0, 2), bool),
                           np.zeros(0, bool), np.zeros((0, 10)))
    rest = np.broadcast_to(rest, (n, NUM_JOINTS, 3)).copy()
    body_3d, body_2d = _stack_body(observations)
    vis = body_2d[:, :, 2]
    enforce = options.enforce_limits
    offsets = rest_joints_to_offsets(rest)
    _, rig_offsets = body_landmark_rig(rest)
    local = np.broadcast_to(np.eye(3), (n, NUM_JOINTS, 3, 3)).copy()

    hip_marks = rig_offsets[:, [BODY_INDEX["left_hip"], BODY_INDEX["right_hip"]]]
    pelvis, spine = solve_torso(body_3d, offsets, hip_marks, enforce)
    local[:, 0] = pelvis
    local[:, [3, 6, 9]] = spine[:, None]
    collars, spine3_world, spine3_pos = solve_collars(body_3d, offsets, hip_marks, pelvis, spine, enforce)
    local[:, 13], local[:, 14] = collars[:, 0], collars[:, 1]
    _solve_legs(local, body_3d, vis, offsets, rig_offsets, enforce)
    hand_valid = _solve_arms(local, spine3_world, body_3d, body_2d, observations, rest, offsets, rig_offsets,
                             options)

    head_world, head_pos = head_from_body_points(body_3d, vis, rig_offsets[:, HEAD_POINT_IDX])
    face_seen, has_iris, p3, p2, iris = _face_arrays(observations, options.use_face)
    if face_seen.any():
        f = np.nonzero(face_seen)[0]
        rot, scale, trans = head_from_face(p3[f], rest[f])
        good = scale > 1e-9          # a degenerate mesh (all points together) is not a face
        f, rot, scale, trans = f[good], rot[good], scale[good], trans[good]
        face_seen[:] = False
        face_seen[f] = True
    if face_seen.any():
        head_world[f] = rot
        sub = local[f]
        sub[:, 22] = jaw_from_face(p3[f], rest[f], rot, scale, trans, enforce)
        eyes = eyes_from_iris(p3[f], p2[f], iris[f], rest[f], rot, scale, trans, enforce)
        sub[:, 23:25] = np.where(has_iris[f][:, None, None, None], eyes, np.eye(3))
        local[f] = sub
    neck_pos = spine3_pos + np.einsum("nij,nj->ni", spine3_world, offsets[:, 12])
    local[:, 12], local[:, 15] = solve_neck_head(spine3_world, neck_pos, head_pos, head_world, offsets, enforce)

    _, joints = forward_kinematics(local, rest)
    return SolvedPoses(
        full_pose_rotvec=rotmat_to_rotvec(local),
        joints_rel_cam=joints - joints[:, :1],
        hand_valid=hand_valid,
        face_valid=face_seen,
        expression=np.zeros((n, 10)),
    )
