"""Which SMPL-X joints and rigid points each landmark corresponds to, and the
forward model "landmarks from a posed skeleton" that the solver inverts.

A landmark is either a joint itself or a point rigidly attached to one joint's
frame: ``position = joints[j] + world_rotmat[j] @ offset`` with ``offset`` in that
joint's rest frame (SMPL-X model axes, metres). The solver assumes exactly these
correspondences; the synthetic tests generate landmarks with the same functions.

Approximations, stated once:
- BlazePose's hips are :data:`HIP_LANDMARK_LATERAL` outside the SMPL-X hip
  joints along the pelvis's x axis (rigid with the pelvis).
- BlazePose ``*_pinky``, ``*_index`` and ``*_thumb`` are taken as the pinky and
  index knuckles (MCP) and the thumb's MCP, rigid with the hand (wrist frame).
- ``*_heel`` and ``*_foot_index`` are rigid with the ankle frame (the SMPL-X foot
  joint, the toes, is never rotated by the solver).
- Face points: MediaPipe's canonical face model (:mod:`.face_model`) in the head
  frame, its eyeballs on the skeleton's eye joints; the points below the mouth
  corners (lower lip, chin, jaw line) move with the jaw. BlazePose's face points
  are the matching mesh points (nose tip 1, eye corners 33/133/362/263 moved
  1.5 cm forward, mouth corners 61/291); its ears sit behind the face's side
  points. The eye and ear placements were measured on one render: rough.
"""
from __future__ import annotations

import numpy as np

from ..landmarks.types import BODY_INDEX, HAND_LANDMARK_NAMES, NUM_FACE_LANDMARKS
from ..skeleton import JOINT_INDEX, PARENTS, default_rest_joints
from .face_model import canonical_face_cm

_DEFAULT_REST = default_rest_joints()
_DEFAULT_HEIGHT = float(_DEFAULT_REST[JOINT_INDEX["head"], 1] - _DEFAULT_REST[JOINT_INDEX["left_ankle"], 1])
HAND_INDEX = {name: i for i, name in enumerate(HAND_LANDMARK_NAMES)}

_CANONICAL_CM = canonical_face_cm()
# Upper face (above the upper lip): rigid with the head. Below the mouth corners:
# moves with the jaw (lower lip, chin, jaw line).
FACE_RIGID_IDX = np.nonzero(_CANONICAL_CM[:, 1] > -2.0)[0]
FACE_JAW_IDX = np.nonzero(_CANONICAL_CM[:, 1] < -4.45)[0]
# Eye corners per eye (own left, own right): outer, inner.
EYE_CORNER_IDX = np.array([[263, 362], [33, 133]])
EYEBALL_RADIUS = 0.0115   # metres, adult
_EYEBALL_BEHIND_CORNERS = 0.010
_IRIS_RADIUS = 0.006
# BlazePose's ear points, in the canonical face model's frame (cm), and how far in
# front of the eye corners its eye points sit: measured against the face mesh's
# head rotation on our own render (tests/media/single_person.png); rough.
EAR_LEFT_CM = (7.8, 2.0, -5.2)
BODY_EYE_FORWARD_CM = 1.5
# BlazePose's hip points lie outside SMPL-X's hip joints, rigid with the pelvis:
# about 23 cm apart on our render against 11 cm between the built-in skeleton's
# hip joints. Metres for the built-in adult, along the pelvis's own x axis; it
# scales with the skeleton's hip width.
HIP_LANDMARK_LATERAL = 0.055
_DEFAULT_HIP_WIDTH = float(np.linalg.norm(_DEFAULT_REST[1] - _DEFAULT_REST[2]))


def skeleton_scale(rest_joints: np.ndarray) -> np.ndarray:
    """Size of a skeleton relative to the built-in adult: (..., 55, 3) -> (...)."""
    height = rest_joints[..., JOINT_INDEX["head"], 1] - 0.5 * (
        rest_joints[..., JOINT_INDEX["left_ankle"], 1] + rest_joints[..., JOINT_INDEX["right_ankle"], 1])
    return height / _DEFAULT_HEIGHT


def face_rest_points(rest_joints: np.ndarray) -> np.ndarray:
    """All 468 face-mesh points in the head's rest frame, origin at the head joint.

    MediaPipe's canonical face, scaled with the skeleton and placed so that its
    eyeballs sit on the skeleton's eye joints.

    Args:
        rest_joints: (..., 55, 3).
    Returns:
        (..., 468, 3) metres.
    """
    return _canonical_in_head(_CANONICAL_CM, rest_joints)


def _canonical_in_head(points_cm: np.ndarray, rest_joints: np.ndarray) -> np.ndarray:
    """(K, 3) canonical-face points (cm) -> (..., K, 3) head rest frame, metres."""
    scale = skeleton_scale(rest_joints)[..., None, None]
    canon_m = _CANONICAL_CM * 0.01
    eyes_canon = canon_m[EYE_CORNER_IDX].mean(axis=(0, 1)) - np.array([0.0, 0.0, _EYEBALL_BEHIND_CORNERS])
    eyes = rest_joints[..., [JOINT_INDEX["left_eye_smplhf"], JOINT_INDEX["right_eye_smplhf"]], :]
    eyes_rest = eyes.mean(-2) - rest_joints[..., JOINT_INDEX["head"], :]
    offset = eyes_rest[..., None, :] - scale * eyes_canon
    return scale * (points_cm * 0.01) + offset


def eyeball_centres_rest(rest_joints: np.ndarray) -> np.ndarray:
    """(..., 55, 3) -> (..., 2, 3) eyeball centres (own left, own right), head rest frame."""
    face = face_rest_points(rest_joints)
    corners = face[..., EYE_CORNER_IDX, :]                      # (..., 2, 2, 3)
    centre = corners.mean(-2)
    centre[..., 2] -= _EYEBALL_BEHIND_CORNERS * skeleton_scale(rest_joints)[..., None]
    return centre


def body_landmark_rig(rest_joints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The joint each BlazePose landmark hangs on and its offset in that joint's frame
    (the hips hang on the pelvis, outside the hip joints).

    Args:
        rest_joints: (..., 55, 3).
    Returns:
        joint_of (33,) int and offsets (..., 33, 3) metres.
    """
    rest_joints = np.asarray(rest_joints, dtype=np.float64)
    joint_of = np.zeros(33, dtype=np.int64)
    offsets = np.zeros(rest_joints.shape[:-2] + (33, 3))
    face = face_rest_points(rest_joints)
    scale = skeleton_scale(rest_joints)[..., None]
    head = JOINT_INDEX["head"]
    hip_scale = np.linalg.norm(rest_joints[..., 1, :] - rest_joints[..., 2, :], axis=-1)[..., None] / _DEFAULT_HIP_WIDTH
    face_map = {"nose": [1], "left_eye_inner": [362], "left_eye": [362, 263], "left_eye_outer": [263],
                "right_eye_inner": [133], "right_eye": [133, 33], "right_eye_outer": [33],
                "mouth_left": [291], "mouth_right": [61]}
    eye_forward = np.array([0.0, 0.0, BODY_EYE_FORWARD_CM * 0.01]) * scale
    for name, idx in face_map.items():
        joint_of[BODY_INDEX[name]] = head
        offsets[..., BODY_INDEX[name], :] = face[..., idx, :].mean(-2) + (eye_forward if "eye" in name else 0.0)
    ears = _canonical_in_head(np.array([EAR_LEFT_CM, (-EAR_LEFT_CM[0],) + EAR_LEFT_CM[1:]]), rest_joints)
    for e, (side, sign) in enumerate((("left", 1.0), ("right", -1.0))):
        joint_of[BODY_INDEX[f"{side}_ear"]] = head
        offsets[..., BODY_INDEX[f"{side}_ear"], :] = ears[..., e, :]
        for part in ("shoulder", "elbow", "wrist", "knee", "ankle"):
            joint_of[BODY_INDEX[f"{side}_{part}"]] = JOINT_INDEX[f"{side}_{part}"]
        hip = JOINT_INDEX[f"{side}_hip"]
        joint_of[BODY_INDEX[f"{side}_hip"]] = JOINT_INDEX["pelvis"]
        offsets[..., BODY_INDEX[f"{side}_hip"], :] = (rest_joints[..., hip, :] - rest_joints[..., 0, :]
                                                      + np.array([sign * HIP_LANDMARK_LATERAL, 0.0, 0.0]) * hip_scale)
        wrist = JOINT_INDEX[f"{side}_wrist"]
        for name, joint in (("pinky", "pinky1"), ("index", "index1"), ("thumb", "thumb2")):
            joint_of[BODY_INDEX[f"{side}_{name}"]] = wrist
            offsets[..., BODY_INDEX[f"{side}_{name}"], :] = (
                rest_joints[..., JOINT_INDEX[f"{side}_{joint}"], :] - rest_joints[..., wrist, :])
        ankle = JOINT_INDEX[f"{side}_ankle"]
        foot = rest_joints[..., JOINT_INDEX[f"{side}_foot"], :] - rest_joints[..., ankle, :]
        joint_of[BODY_INDEX[f"{side}_heel"]] = ankle
        offsets[..., BODY_INDEX[f"{side}_heel"], :] = np.array([0.0, -0.050, -0.045]) * scale
        joint_of[BODY_INDEX[f"{side}_foot_index"]] = ankle
        offsets[..., BODY_INDEX[f"{side}_foot_index"], :] = foot + np.array([0.0, -0.010, 0.050]) * scale
    return joint_of, offsets


def hand_landmark_rig(side: str) -> tuple[np.ndarray, np.ndarray]:
    """SMPL-X joints of the 21 MediaPipe hand points.

    Args:
        side: "left" or "right" (own).
    Returns:
        joint_of (21,) int: the joint each point is at, or for a fingertip the
        finger's last joint; is_tip (21,) bool.
    """
    joint_of = np.zeros(21, dtype=np.int64)
    is_tip = np.zeros(21, dtype=bool)
    joint_of[HAND_INDEX["wrist"]] = JOINT_INDEX[f"{side}_wrist"]
    for finger, names in (("thumb", ("cmc", "mcp", "ip", "tip")), ("index", ("mcp", "pip", "dip", "tip")),
                          ("middle", ("mcp", "pip", "dip", "tip")), ("ring", ("mcp", "pip", "dip", "tip")),
                          ("pinky", ("mcp", "pip", "dip", "tip"))):
        for k, name in enumerate(names):
            i = HAND_INDEX[f"{finger}_{name}"]
            joint_of[i] = JOINT_INDEX[f"{side}_{finger}{min(k + 1, 3)}"]
            is_tip[i] = name == "tip"
    return joint_of, is_tip


FINGERTIP_RATIO = 0.9  # fingertip offset from the last knuckle, as a fraction of that knuckle's own offset


def hand_rest_offsets(rest_joints: np.ndarray, side: str) -> np.ndarray:
    """Offset of each hand point in the frame of the joint it hangs on (zero except tips).

    (..., 55, 3) -> (..., 21, 3).
    """
    joint_of, is_tip = hand_landmark_rig(side)
    own = rest_joints[..., joint_of, :] - rest_joints[..., PARENTS[joint_of], :]
    return np.where(is_tip[:, None], FINGERTIP_RATIO * own, 0.0)


def _attached(world_rotmat: np.ndarray, joints: np.ndarray, joint_of: np.ndarray,
              offsets: np.ndarray) -> np.ndarray:
    return joints[..., joint_of, :] + np.einsum("...kij,...kj->...ki", world_rotmat[..., joint_of, :, :], offsets)


def body_landmarks_from_pose(world_rotmat: np.ndarray, joints: np.ndarray, rest_joints: np.ndarray
                             ) -> np.ndarray:
    """BlazePose's 33 points of a posed skeleton, origin at the mid-hip point.

    Args:
        world_rotmat: (..., 55, 3, 3), joints (..., 55, 3): forward kinematics in
            camera axes; rest_joints (..., 55, 3).
    Returns:
        (..., 33, 3) metres, camera axes, origin the midpoint of the two hips.
    """
    joint_of, offsets = body_landmark_rig(rest_joints)
    pts = _attached(world_rotmat, joints, joint_of, offsets)
    mid_hip = 0.5 * (pts[..., BODY_INDEX["left_hip"], :] + pts[..., BODY_INDEX["right_hip"], :])
    return pts - mid_hip[..., None, :]


def hand_landmarks_from_pose(world_rotmat: np.ndarray, joints: np.ndarray, rest_joints: np.ndarray,
                             side: str) -> np.ndarray:
    """MediaPipe's 21 hand points of a posed skeleton: (..., 21, 3), origin at the wrist."""
    joint_of, _ = hand_landmark_rig(side)
    pts = _attached(world_rotmat, joints, joint_of, hand_rest_offsets(rest_joints, side))
    return pts - pts[..., :1, :]


def face_landmarks_from_pose(world_rotmat: np.ndarray, joints: np.ndarray, rest_joints: np.ndarray
                             ) -> tuple[np.ndarray, np.ndarray]:
    """Face mesh and iris points of a posed skeleton, in camera axes, metres.

    Returns:
        face (..., 468, 3) absolute (same origin as ``joints``) and iris
        (..., 2, 5, 3) (own left then right eye; centre first, then four rim points).
    """
    head, jaw = JOINT_INDEX["head"], JOINT_INDEX["jaw"]
    rest_face = face_rest_points(rest_joints)                       # head frame
    jaw_rest = (rest_joints[..., jaw, :] - rest_joints[..., head, :])[..., None, :]
    is_jaw = np.zeros(NUM_FACE_LANDMARKS, dtype=bool)
    is_jaw[FACE_JAW_IDX] = True
    by_head = joints[..., head, None, :] + np.einsum("...ij,...kj->...ki", world_rotmat[..., head, :, :], rest_face)
    by_jaw = joints[..., jaw, None, :] + np.einsum("...ij,...kj->...ki", world_rotmat[..., jaw, :, :],
                                                    rest_face - jaw_rest)
    face = np.where(is_jaw[:, None], by_jaw, by_head)
    centres = eyeball_centres_rest(rest_joints)                     # (..., 2, 3) head frame
    centres_cam = joints[..., head, None, :] + np.einsum("...ij,...kj->...ki", world_rotmat[..., head, :, :], centres)
    scale = skeleton_scale(rest_joints)[..., None]
    rim = np.array([[0, 0, 1.0], [1, 0, 1.0], [0, 1, 1.0], [-1, 0, 1.0], [0, -1, 1.0]])
    rim = rim * np.array([_IRIS_RADIUS, _IRIS_RADIUS, EYEBALL_RADIUS])
    rim[1:, 2] = np.sqrt(EYEBALL_RADIUS ** 2 - _IRIS_RADIUS ** 2)
    eyes = np.array([JOINT_INDEX["left_eye_smplhf"], JOINT_INDEX["right_eye_smplhf"]])
    eye_rot = world_rotmat[..., eyes, :, :]                         # (..., 2, 3, 3)
    iris = centres_cam[..., :, None, :] + np.einsum("...eij,...kj->...eki", eye_rot,
                                                    rim * scale[..., None])
    return face, iris
