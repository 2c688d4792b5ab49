"""Capture files made from the ground truth itself (for testing the scorer and readers).

:func:`capture_from_ground_truth` fits SMPL-X rotations to the true joints so that the
capture's ``joints_cam`` is *exactly* forward kinematics of its rotations (as the
capture format demands) and equals the true mapped joints: a perfect capture. Options
perturb it in known ways (shift the roots, swap ids mid-clip, drop people).

The fit is exact because the scenes' poses never rotate the anny bones between two
mapped joints (``bench/media/README.md``), so every mapped bone keeps its length and
each joint with several children (pelvis, spine3, head, wrists) moves them rigidly.
"""
from __future__ import annotations

import numpy as np

from wholebody_core.capture_format import Capture, empty_capture
from wholebody_core.maths.kinematics import joints_in_camera
from wholebody_core.maths.rotations import rotation_between, rotmat_to_rotvec
from wholebody_core.skeleton import JOINT_INDEX, NUM_JOINTS, PARENTS

from .ground_truth import GroundTruth

_CHILDREN = [[c for c in range(NUM_JOINTS) if PARENTS[c] == j] for j in range(NUM_JOINTS)]


def _body_frame(joints55: np.ndarray) -> np.ndarray:
    """(3, 3) model -> camera rotation from the hips and the neck: columns are the
    person's left (+x), up (+y) and forward (+z) in the camera frame."""
    left = joints55[JOINT_INDEX["left_hip"]] - joints55[JOINT_INDEX["right_hip"]]
    left /= np.linalg.norm(left)
    up = joints55[JOINT_INDEX["neck"]] - joints55[0]
    up -= left * np.dot(up, left)
    up /= np.linalg.norm(up)
    return np.stack([left, up, np.cross(left, up)], axis=1)


def _kabsch(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """(3, 3) rotation R minimising |R src - dst| for (N, 3) offsets; for one offset,
    the smallest rotation that turns its direction onto the target's."""
    if len(src) == 1:
        return rotation_between(src[0], dst[0])
    u, _, vt = np.linalg.svd(dst.T @ src)
    d = np.sign(np.linalg.det(u @ vt))
    return u @ np.diag([1.0, 1.0, d]) @ vt


def full_joints(gt: GroundTruth, p: int, t: int) -> np.ndarray:
    """(55, 3) float64 true joints in the 55-joint layout. The unmapped jaw is put
    half-way from the head joint to the eyes, so that it moves rigidly with the head."""
    out = np.zeros((NUM_JOINTS, 3))
    out[gt.smplx_indices] = gt.joints_cam[p, t]
    head = out[JOINT_INDEX["head"]]
    eyes = (out[JOINT_INDEX["left_eye_smplhf"]] + out[JOINT_INDEX["right_eye_smplhf"]]) / 2
    out[JOINT_INDEX["jaw"]] = head + 0.5 * (eyes - head)
    return out


def fit_rotations(posed: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """(55, 3, 3) local rotations whose forward kinematics on ``rest`` (55, 3) gives
    ``posed`` (55, 3) up to translation, where the bones are rigid; row 0 the global
    orientation."""
    world = np.zeros((NUM_JOINTS, 3, 3))
    local = np.zeros((NUM_JOINTS, 3, 3))
    for j in range(NUM_JOINTS):                      # parents come before children
        kids = _CHILDREN[j]
        parent_world = world[PARENTS[j]] if j else np.eye(3)
        if kids:
            src = rest[kids] - rest[j]
            dst = posed[kids] - posed[j]
            world[j] = _kabsch(src, dst)
        else:
            world[j] = parent_world
        local[j] = parent_world.T @ world[j]
    return local


def capture_from_ground_truth(
    gt: GroundTruth, *, root_offset: np.ndarray | None = None,
    swap_ids_from: int | None = None, drop: list[tuple[int, int]] | None = None,
    backend: str = "ground-truth",
) -> Capture:
    """A capture whose people are the ground truth's.

    Args:
        root_offset: (3,) metres added to every person's root (and so every joint).
        swap_ids_from: from this frame index on, the first two people exchange ids
            (one id switch for each of them).
        drop: (person index, frame index) pairs left out (invalid).
    """
    P, T = gt.num_people, gt.num_frames
    cap = empty_capture(P, T, source=gt.media, fps=gt.fps,
                        image_size=tuple(int(v) for v in gt.image_size),
                        intrinsics=gt.intrinsics, backend=backend)
    cap.frame_indices = gt.frame_indices.astype(np.int64).copy()
    cap.person_ids = gt.person_ids.astype(np.int64).copy()
    offset = np.zeros(3) if root_offset is None else np.asarray(root_offset, float)
    for p in range(P):
        t0 = int(np.flatnonzero(gt.valid[p])[0]) if gt.valid[p].any() else 0
        first = full_joints(gt, p, t0)
        rest = (first - first[0]) @ _body_frame(first)   # R^T (x - pelvis): model frame
        cap.rest_joints[p] = rest
        for t in range(T):
            if not gt.valid[p, t]:
                continue
            posed = full_joints(gt, p, t)
            local = fit_rotations(posed, rest)
            rotvec = rotmat_to_rotvec(local)
            root = posed[0] + offset
            cap.global_orient[p, t] = rotvec[0]
            cap.body_pose[p, t] = rotvec[1:22]
            cap.jaw_pose[p, t], cap.leye_pose[p, t], cap.reye_pose[p, t] = rotvec[22], rotvec[23], rotvec[24]
            cap.left_hand_pose[p, t] = rotvec[25:40]
            cap.right_hand_pose[p, t] = rotvec[40:55]
            cap.root_position[p, t] = root
            cap.joints_cam[p, t] = joints_in_camera(rotvec, rest, root)
            cap.valid[p, t] = True
            cap.confidence[p, t] = 1.0
            cap.bbox[p, t] = gt.bbox[p, t]
            cap.hand_valid[p, t] = True
            cap.face_valid[p, t] = True
    for p, t in drop or []:
        cap.valid[p, t] = False
    if swap_ids_from is not None and P >= 2:
        # exchange the tracks' contents from that frame on: ids stay per row, people swap rows
        t = np.flatnonzero(gt.frame_indices >= swap_ids_from)
        for key in ("valid", "confidence", "bbox", "global_orient", "body_pose", "jaw_pose",
                    "leye_pose", "reye_pose", "left_hand_pose", "right_hand_pose", "expression",
                    "hand_valid", "face_valid", "root_position", "joints_cam"):
            arr = getattr(cap, key)
            arr[0, t], arr[1, t] = arr[1, t].copy(), arr[0, t].copy()
        # rest skeletons differ per person: keep joints_cam consistent by refitting rows 0/1
        _refit_swapped(cap, gt, t)
    return cap


def _refit_swapped(cap: Capture, gt: GroundTruth, frames: np.ndarray) -> None:
    """After swapping rows 0 and 1 from some frame on, the rest skeletons no longer
    belong to the poses; refit those frames on each row's own rest skeleton."""
    for row, person in ((0, 1), (1, 0)):
        for t in frames:
            if not cap.valid[row, t]:
                continue
            posed = full_joints(gt, person, int(t))
            local = fit_rotations(posed, cap.rest_joints[row].astype(float))
            rotvec = rotmat_to_rotvec(local)
            root = cap.root_position[row, t].astype(float)
            cap.global_orient[row, t] = rotvec[0]
            cap.body_pose[row, t] = rotvec[1:22]
            cap.jaw_pose[row, t], cap.leye_pose[row, t], cap.reye_pose[row, t] = rotvec[22], rotvec[23], rotvec[24]
            cap.left_hand_pose[row, t] = rotvec[25:40]
            cap.right_hand_pose[row, t] = rotvec[40:55]
            cap.joints_cam[row, t] = joints_in_camera(rotvec, cap.rest_joints[row].astype(float), root)


__all__ = ["capture_from_ground_truth", "fit_rotations", "full_joints"]
