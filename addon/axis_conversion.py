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
- **Bone space**: every bone's rest matrix has the same rotation
  ``ARM_FROM_MODEL`` = the SMPL-X model axes written in armature space
  (model x -> +X, model y (up) -> +Z, model z (front) -> -Y: the usual Blender
  character orientation, standing up and facing -Y). The bone's own Y axis
  (head -> tail) is therefore always model +y: every bone points up (+Z) in the
  rest pose, roll 0, the head at that person's rest joint.

Why this choice: with one common rest rotation ``B`` for every bone, Blender's
pose matrix of bone j is ``B q_0 q_1 ... q_j`` (the parent's rest rotation
cancels the child's), so the SMPL-X local rotation of every joint goes into
``rotation_quaternion`` unchanged. Only the pelvis gets a fixed left factor:
SMPL-X's ``global_orient`` maps the model frame into the OpenCV camera frame,
and the armature wants ``B q_0' = WORLD_FROM_CV R(global_orient)``, hence
``q_0' = (B^T WORLD_FROM_CV) R(global_orient) = Rx(180 deg) R(global_orient)``
(``PELVIS_FIX_QUAT_WXYZ``); a person standing upright facing the camera gets
``q_0'`` near identity. The pelvis location key is
``B^T (WORLD_FROM_CV root_position_cv - B rest_pelvis_model)``.

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
    quat_multiply_wxyz,
    rotvec_to_quat_wxyz,
)

# (x, y, z)_cv -> (x, z, -y)_world
WORLD_FROM_CV = np.array([[1.0, 0.0, 0.0],
                          [0.0, 0.0, 1.0],
                          [0.0, -1.0, 0.0]])
# Rest rotation of every bone: model x -> +X, model y -> +Z, model z -> -Y.
ARM_FROM_MODEL = np.array([[1.0, 0.0, 0.0],
                           [0.0, 0.0, -1.0],
                           [0.0, 1.0, 0.0]])
# Blender camera object axes in the scene frame: local x -> +X, local y (up) -> +Z,
# local z (backwards) -> -Y.
WORLD_FROM_CAMERA_OBJECT = np.array([[1.0, 0.0, 0.0],
                                     [0.0, 0.0, -1.0],
                                     [0.0, 1.0, 0.0]])
# ARM_FROM_MODEL^T @ WORLD_FROM_CV = diag(1, -1, -1): 180 degrees about x.
PELVIS_FIX_ROTMAT = ARM_FROM_MODEL.T @ WORLD_FROM_CV
PELVIS_FIX_QUAT_WXYZ = np.array([0.0, 1.0, 0.0, 0.0])


def cv_to_world(points_cv: np.ndarray) -> np.ndarray:
    """(..., 3) OpenCV camera points -> (..., 3) scene points (before the floor transform)."""
    return np.asarray(points_cv, dtype=np.float64) @ WORLD_FROM_CV.T


def model_to_arm(points_model: np.ndarray) -> np.ndarray:
    """(..., 3) SMPL-X model-frame points -> (..., 3) armature rest-space points."""
    return np.asarray(points_model, dtype=np.float64) @ ARM_FROM_MODEL.T


def bone_quats_wxyz(full_pose_rotvec: np.ndarray) -> np.ndarray:
    """SMPL-X pose -> each bone's ``rotation_quaternion`` (see the module docstring).

    Args:
        full_pose_rotvec: (T, 55, 3) axis-angle, row 0 ``global_orient`` (model ->
            OpenCV camera), rows 1..54 local rotations.
    Returns:
        (T, 55, 4) scalar-first quaternions, sign-continuous over T.
    """
    quat = rotvec_to_quat_wxyz(full_pose_rotvec)
    quat[:, 0] = quat_multiply_wxyz(PELVIS_FIX_QUAT_WXYZ, quat[:, 0])
    return make_quat_continuous(quat)


def pelvis_locations(root_position_cv: np.ndarray, rest_pelvis_model: np.ndarray) -> np.ndarray:
    """The pelvis bone's ``location`` keys.

    Args:
        root_position_cv: (T, 3) the pelvis in the OpenCV camera frame, metres.
        rest_pelvis_model: (3,) the rest pelvis in the model frame (normally zero).
    Returns:
        (T, 3) locations in the pelvis bone's rest frame.
    """
    head_arm = cv_to_world(root_position_cv) - model_to_arm(rest_pelvis_model)
    return head_arm @ ARM_FROM_MODEL  # row-vector form of B^T @ v


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
