"""Every coordinate-frame change of the add-on, in one place (numpy only, no bpy).

Frames
------
- **OpenCV camera** (``_cv``, the capture file's camera frame): x right, y down,
  z forward into the scene, metres. Pixel (u, v) = K (x/z, y/z, 1).
- **SMPL-X model frame** (``_model``): y up, the body faces +z, the person's own
  left is +x (the frame of ``rest_joints``).
- **Scene frame** (``_world``, before the optional floor transform): Blender's
  z-up world with the capture camera at the origin looking along +Y, image up
  along +Z. ``WORLD_FROM_CV`` maps OpenCV camera vectors into it:
  (x, y, z)_cv -> (x, z, -y)_world. The floor option then applies one rigid
  transform ``S`` (4x4) to the camera and every armature object together.
- **Armature space** (``_arm``): each armature object sits at the scene origin
  (``matrix_world = S``), so armature space equals the scene frame.
- **Bone space**: bone j's rest matrix (``bone.matrix_local``) has the rotation
  ``M_j = ARM_FROM_MODEL @ N_j``, where ``ARM_FROM_MODEL`` = B writes the SMPL-X
  model axes in armature space (model x -> +X, model y (up) -> +Z, model z
  (front) -> -Y: the usual Blender character, standing up and facing -Y) and
  ``N_j`` is the bone's own rest frame in model coordinates (X, Y = head -> tail,
  Z; ``bone_frames`` has the layout and the roll rule). The head is at that
  person's rest joint.

The rotation conversion. SMPL-X's forward kinematics: joint j's world rotation
``G_j = G_parent R_j`` (``R_j`` the local rotation, ``G_0 = R_0`` the
``global_orient``, model -> OpenCV camera) and ``J_j = J_parent + G_parent
(rest_j - rest_parent)``. Blender's: bone j's armature-space pose rotation
``A_j = A_parent M_parent^T M_j Q_j`` (``A_0 = M_0 Q_0``; ``Q_j`` the
``rotation_quaternion``) and its head moves by ``A_parent M_parent^T`` times the
rest offset. The posed heads are the capture's joints (``WORLD_FROM_CV J``) for
every pose exactly when ``A_j = WORLD_FROM_CV G_j B^T M_j``; substituting into the
recursion gives, for every bone,

    Q_j = N_j^T R'_j N_j,   R'_j = R_j (j > 0),   R'_0 = (B^T WORLD_FROM_CV) R_0

i.e. the SMPL-X local rotation written in the bone's own rest axes; the pelvis
gets the fixed left factor ``B^T WORLD_FROM_CV = Rx(180 deg)``
(``PELVIS_FIX_QUAT_WXYZ``: SMPL-X's ``global_orient`` is relative to the OpenCV
camera, so an upright person facing the camera has ``R'_0`` near identity). The
pelvis ``location`` key (in the pelvis bone's rest axes) is
``M_0^T (WORLD_FROM_CV root_position_cv - B rest_pelvis_model)``. Skinning is
unaffected by the choice of ``N``: a vertex follows ``A_j M_j^T = WORLD_FROM_CV
G_j B^T``, as in SMPL-X's linear blend skinning.

The Blender camera object (looking down its local -Z, up its local +Y) gets the
rotation ``WORLD_FROM_CAMERA_OBJECT`` (90 degrees about X) at the origin;
focal length, lens shift and resolution come from the capture's K
(:func:`camera_from_intrinsics`).

Quaternions are scalar first (``quat_wxyz``), as Blender stores them.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..wholebody_core.maths.quaternions import (  # noqa: F401 - part of this module's interface
    make_quat_continuous,
    quat_conjugate_wxyz,
    quat_multiply_wxyz,
    rotvec_to_quat_wxyz,
)
from ..wholebody_core.maths.rotations import rotmat_to_quat_wxyz

# (x, y, z)_cv -> (x, z, -y)_world
WORLD_FROM_CV = np.array([[1.0, 0.0, 0.0],
                          [0.0, 0.0, 1.0],
                          [0.0, -1.0, 0.0]])
# The SMPL-X model axes in armature space: model x -> +X, model y -> +Z, model z -> -Y.
ARM_FROM_MODEL = np.array([[1.0, 0.0, 0.0],
                           [0.0, 0.0, -1.0],
                           [0.0, 1.0, 0.0]])
# Blender camera object axes in the scene frame: local x -> +X, local y (up) -> +Z,
# local z (backwards) -> -Y.
WORLD_FROM_CAMERA_OBJECT = np.array([[1.0, 0.0, 0.0],
                                     [0.0, 0.0, -1.0],
                                     [0.0, 1.0, 0.0]])
# Blender's z-up axes -> the y-up axes of BVH and glTF: (x, y, z) -> (x, z, -y) (-90 degrees about x).
YUP_FROM_ZUP = np.array([[1.0, 0.0, 0.0],
                         [0.0, 0.0, 1.0],
                         [0.0, -1.0, 0.0]])
# ARM_FROM_MODEL^T @ WORLD_FROM_CV = diag(1, -1, -1): 180 degrees about x.
PELVIS_FIX_ROTMAT = ARM_FROM_MODEL.T @ WORLD_FROM_CV
PELVIS_FIX_QUAT_WXYZ = np.array([0.0, 1.0, 0.0, 0.0])


def cv_to_world(points_cv: np.ndarray) -> np.ndarray:
    """(..., 3) OpenCV camera points -> (..., 3) scene points (before the floor transform)."""
    return np.asarray(points_cv, dtype=np.float64) @ WORLD_FROM_CV.T


def model_to_arm(points_model: np.ndarray) -> np.ndarray:
    """(..., 3) SMPL-X model-frame points -> (..., 3) armature rest-space points."""
    return np.asarray(points_model, dtype=np.float64) @ ARM_FROM_MODEL.T


def model_frames_to_arm(frames_model: np.ndarray) -> np.ndarray:
    """(..., 3, 3) bone rest frames N in model coordinates -> rest rotations M = B N in armature space."""
    return ARM_FROM_MODEL @ np.asarray(frames_model, dtype=np.float64)


def bone_quats_wxyz(full_pose_rotvec: np.ndarray, frames_model: np.ndarray) -> np.ndarray:
    """SMPL-X pose -> each bone's ``rotation_quaternion``: ``Q_j = N_j^T R'_j N_j`` (module docstring).

    Args:
        full_pose_rotvec: (T, 55, 3) axis-angle, row 0 ``global_orient`` (model ->
            OpenCV camera), rows 1..54 local rotations.
        frames_model: (55, 3, 3) the bones' rest frames N (``bone_frames.RestLayout.frames``).
    Returns:
        (T, 55, 4) scalar-first quaternions, sign-continuous over T.
    """
    return np.stack([joint_quats_wxyz(full_pose_rotvec[:, j], frames_model[j], j)
                     for j in range(full_pose_rotvec.shape[1])], axis=1)


def joint_quats_wxyz(rotvec: np.ndarray, frame_model: np.ndarray, joint: int) -> np.ndarray:
    """One bone's ``rotation_quaternion`` keys (column ``joint`` of :func:`bone_quats_wxyz`).

    Args:
        rotvec: (T, 3) the joint's axis-angle (``global_orient`` for joint 0).
        frame_model: (3, 3) the bone's rest frame N_j.
    Returns:
        (T, 4) scalar-first quaternions, sign-continuous over T.
    """
    quat = rotvec_to_quat_wxyz(rotvec)
    if joint == 0:
        quat = quat_multiply_wxyz(PELVIS_FIX_QUAT_WXYZ, quat)
    frame_quat = rotmat_to_quat_wxyz(frame_model)                          # (4,)
    quat = quat_multiply_wxyz(quat_multiply_wxyz(quat_conjugate_wxyz(frame_quat), quat), frame_quat)
    return make_quat_continuous(quat)


def pelvis_locations(root_position_cv: np.ndarray, rest_pelvis_model: np.ndarray,
                     pelvis_frame_model: np.ndarray) -> np.ndarray:
    """The pelvis bone's ``location`` keys.

    Args:
        root_position_cv: (T, 3) the pelvis in the OpenCV camera frame, metres.
        rest_pelvis_model: (3,) the rest pelvis in the model frame (normally zero).
        pelvis_frame_model: (3, 3) the pelvis bone's rest frame N_0.
    Returns:
        (T, 3) locations in the pelvis bone's rest frame: M_0^T (head - rest head).
    """
    head_arm = cv_to_world(root_position_cv) - model_to_arm(rest_pelvis_model)
    return head_arm @ model_frames_to_arm(pelvis_frame_model)  # row-vector form of M_0^T @ v


@dataclasses.dataclass
class CameraParams:
    """Blender camera settings matching a pinhole K."""

    lens_mm: float
    sensor_width_mm: float
    shift_x: float
    shift_y: float
    resolution: tuple[int, int]
    pixel_aspect_x: float
    pixel_aspect_y: float


def camera_from_intrinsics(intrinsics: np.ndarray, image_size: np.ndarray,
                           sensor_width_mm: float = 36.0) -> CameraParams:
    """K (3, 3) in pixels and (width, height) -> Blender camera settings.

    The sensor fit is horizontal, so the lens is fx * sensor_width / width and the
    shifts are in units of the image width (Blender's convention for that fit).
    Non-square pixels (fx != fy) become Blender's pixel aspect ratio.
    """
    width, height = int(image_size[0]), int(image_size[1])
    fx, fy = float(intrinsics[0, 0]), float(intrinsics[1, 1])
    cx, cy = float(intrinsics[0, 2]), float(intrinsics[1, 2])
    # Blender pixel aspect: a pixel is aspect_y/aspect_x times taller than wide;
    # fy < fx means taller pixels.
    if abs(fx - fy) > 1e-6 * fx:
        aspect_x, aspect_y = (1.0, fx / fy) if fx >= fy else (fy / fx, 1.0)
    else:
        aspect_x = aspect_y = 1.0
    return CameraParams(
        lens_mm=fx * sensor_width_mm / width,
        sensor_width_mm=float(sensor_width_mm),
        shift_x=(0.5 * width - cx) / width,
        shift_y=(cy - 0.5 * height) / width * (aspect_y / aspect_x),
        resolution=(width, height),
        pixel_aspect_x=aspect_x, pixel_aspect_y=aspect_y,
    )
