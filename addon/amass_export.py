"""One person of a capture as an SMPL-X / AMASS-style ``.npz`` (numpy only, no bpy).

The file (keys as in AMASS's SMPL-X releases, plus a few of ours):

- ``poses`` (T, 165): SMPL-X's ``full_pose`` order, axis-angle: global orient, the
  21 body joints, jaw, left eye, right eye, 15 left-hand and 15 right-hand joints;
  the same rows split as ``root_orient`` (T, 3), ``pose_body`` (T, 63),
  ``pose_jaw`` (T, 3), ``pose_eye`` (T, 6: left, right), ``pose_hand`` (T, 90: left,
  right).
- Hands are full poses relative to the **flat** hand: load with
  ``smplx.create(..., use_pca=False, flat_hand_mean=True)`` (the capture file's
  convention; AMASS's MANO-based data that assume the mean hand need
  ``flat_hand_mean=False``, which would bend these hands).
- **World axes: z up** (AMASS's convention), the same world as the Blender scene
  the capture was imported into: x right, y forward along the camera's view, z up
  (``axis_conversion.WORLD_FROM_CV``), then the scene transform the caller passes
  (the armature's ``matrix_world``, which holds the *Put people on a floor*
  transform: floor at z = 0 when it was used; without it z is the camera's up).
  ``root_orient`` maps the SMPL-X model frame (y up) into that world.
- ``trans`` (T, 3): SMPL-X's ``transl``, so that the model with these parameters puts
  the pelvis where the capture saw it: ``pelvis - J0`` with ``J0`` the shaped
  model's rest pelvis (``rest_pelvis_model``; only known with the SMPL-X model
  file, else taken as zero and ``trans`` is the pelvis position itself, stated in
  ``trans_is_pelvis``).
- ``betas`` (10,), ``num_betas``, ``gender`` ('neutral'), ``surface_model_type``
  ('smplx'), ``mocap_frame_rate`` (the capture's fps divided by its frame stride),
  ``mocap_time_length`` (seconds), ``expression`` (T, 10).
- Ours: ``valid`` (T,) whether the person was captured on that row (rows where not
  hold the previous captured pose, as Blender's keys do), ``frame_indices`` (T,)
  the source frame of each row.

Rows run from the person's first to last captured frame.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..wholebody_core.capture_format import Capture
from ..wholebody_core.errors import InputError
from ..wholebody_core.maths.kinematics import full_pose_rotvec
from ..wholebody_core.maths.rotations import rotmat_to_rotvec, rotvec_to_rotmat
from ..wholebody_core.npz_io import write_npz_atomically
from . import axis_conversion

SURFACE_MODEL_TYPE = "smplx"


def _hold_last_valid(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """(T, ...) with every invalid row replaced by the previous valid row (the first row is valid)."""
    last = np.maximum.accumulate(np.where(valid, np.arange(len(valid)), 0))
    return values[last]


def amass_arrays(capture: Capture, person: int, scene_from_world: np.ndarray = np.eye(4),
                 rest_pelvis_model: np.ndarray | None = None, gender: str = "neutral") -> dict[str, np.ndarray]:
    """The arrays of the file (module docstring).

    Args:
        capture: a capture; ``person`` its person index (not the track id).
        scene_from_world: (4, 4) rigid transform applied after ``WORLD_FROM_CV``
            (the armature's ``matrix_world``).
        rest_pelvis_model: (3,) the shaped SMPL-X model's rest pelvis J0 in the model
            frame (metres), or None when the model is not at hand.
    Raises:
        InputError: the person was never captured.
    """
    valid_all = capture.valid[person]
    if not valid_all.any():
        raise InputError(f"person {int(capture.person_ids[person])} is never captured in this file; "
                         "choose another person.")
    first, last = np.flatnonzero(valid_all)[[0, -1]]
    rows = slice(first, last + 1)
    valid = valid_all[rows]
    pose = full_pose_rotvec(*(np.asarray(getattr(capture, key)[person][rows], dtype=np.float64) for key in (
        "global_orient", "body_pose", "jaw_pose", "leye_pose", "reye_pose", "left_hand_pose", "right_hand_pose")))
    pose = _hold_last_valid(pose, valid)                                       # (T, 55, 3)
    scene_from_world = np.asarray(scene_from_world, dtype=np.float64)
    world_rot = scene_from_world[:3, :3] @ axis_conversion.WORLD_FROM_CV
    pose[:, 0] = rotmat_to_rotvec(world_rot @ rotvec_to_rotmat(pose[:, 0]))
    pelvis = _hold_last_valid(np.asarray(capture.root_position[person][rows], dtype=np.float64), valid)
    pelvis = pelvis @ world_rot.T + scene_from_world[:3, 3]
    j0 = np.zeros(3) if rest_pelvis_model is None else np.asarray(rest_pelvis_model, dtype=np.float64)
    frame_indices = capture.frame_indices[rows]
    steps = np.diff(capture.frame_indices)
    stride = float(np.median(steps)) if steps.size else 1.0
    rate = capture.fps / stride if capture.fps > 0 else 0.0
    flat = pose.reshape(len(pose), -1)
    return {
        "poses": flat,
        "root_orient": flat[:, 0:3],
        "pose_body": flat[:, 3:66],
        "pose_jaw": flat[:, 66:69],
        "pose_eye": flat[:, 69:75],
        "pose_hand": flat[:, 75:165],
        "trans": pelvis - j0,
        "trans_is_pelvis": np.array(rest_pelvis_model is None),
        "betas": np.asarray(capture.betas[person], dtype=np.float64),
        "num_betas": np.array(capture.betas.shape[-1]),
        "expression": _hold_last_valid(np.asarray(capture.expression[person][rows], dtype=np.float64), valid),
        "gender": np.array(gender),
        "surface_model_type": np.array(SURFACE_MODEL_TYPE),
        "mocap_frame_rate": np.array(rate),
        "mocap_time_length": np.array(len(flat) / rate if rate > 0 else 0.0),
        "valid": valid.copy(),
        "frame_indices": frame_indices.copy(),
    }


def write_amass_npz(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> Path:
    """Writes the arrays atomically (a temporary file in the same folder, then a rename)."""
    return write_npz_atomically(path, arrays)
