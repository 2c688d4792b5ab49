"""The scene camera: exact intrinsics and the one Blender-world -> OpenCV-camera conversion.

Blender world: z up, metres. Blender camera: looks down its local -z, +y up, +x right.
OpenCV camera (the capture file's): x right, y down, z forward. So a point's OpenCV
camera coordinates are its Blender camera coordinates with y and z negated.

Pixel convention (OpenCV's, as ``wholebody_core.maths.camera``): pixel centres at
integer coordinates, so pixel (0, 0) covers [-0.5, 0.5]^2. Blender's optical axis
passes through the centre of its sensor, the OpenCV point ((w-1)/2, (h-1)/2); a
principal point anywhere else is made exact with the camera's lens shift
(:func:`blender_lens_shift`).
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

SENSOR_WIDTH_MM = 36.0
OPENCV_FROM_BLENDER_CAMERA = np.diag([1.0, -1.0, -1.0])


@dataclasses.dataclass(frozen=True)
class CameraSpec:
    """A pinhole camera placed in the Blender world."""

    width: int = 640
    height: int = 480
    focal_px: float = 600.0
    position: tuple[float, float, float] = (0.0, 0.0, 1.4)  # metres, Blender world
    yaw_deg: float = 0.0      # 0: looking along +y
    pitch_deg: float = -6.0   # negative: tilted down

    @property
    def intrinsics(self) -> np.ndarray:
        """(3, 3) float64 K, principal point at (w/2, h/2) as the capture core's default."""
        return np.array([[self.focal_px, 0.0, self.width / 2.0],
                         [0.0, self.focal_px, self.height / 2.0],
                         [0.0, 0.0, 1.0]])

    @property
    def image_size(self) -> np.ndarray:
        return np.array([self.width, self.height], dtype=np.int32)

    def world_from_camera(self) -> np.ndarray:
        """(4, 4) the camera's Blender ``matrix_world`` (Blender camera axes)."""
        return camera_matrix_world(self.position, self.yaw_deg, self.pitch_deg)


def camera_matrix_world(position, yaw_deg: float, pitch_deg: float) -> np.ndarray:
    """(4, 4) Blender camera-to-world matrix for a camera at ``position`` that looks
    horizontally along +y turned by ``yaw_deg`` about +z, then tilted by ``pitch_deg``
    (positive: up). No roll."""
    # Blender camera axes for a camera looking along +y: x_cam = +x, y_cam = +z, -z_cam = +y.
    look_y = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])  # columns: cam axes in world
    p = math.radians(pitch_deg)
    tilt = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    y = math.radians(yaw_deg)
    turn = np.array([[math.cos(y), -math.sin(y), 0], [math.sin(y), math.cos(y), 0], [0, 0, 1]])
    m = np.eye(4)
    m[:3, :3] = turn @ tilt @ look_y
    m[:3, 3] = position
    return m


def world_to_opencv_camera(points_world: np.ndarray, world_from_camera: np.ndarray) -> np.ndarray:
    """(..., 3) Blender-world points -> (..., 3) OpenCV camera frame (metres).

    The only place the Blender -> OpenCV axis change is written.
    """
    rot, t = world_from_camera[:3, :3], world_from_camera[:3, 3]
    blender_cam = (np.asarray(points_world) - t) @ rot        # R^T (p - t), row vectors
    return blender_cam @ OPENCV_FROM_BLENDER_CAMERA.T


def blender_lens(spec: CameraSpec) -> dict[str, float]:
    """Blender camera data settings that reproduce ``spec.intrinsics`` exactly."""
    if spec.width < spec.height:
        raise ValueError("landscape images only (sensor fit: horizontal)")
    shift_x, shift_y = blender_lens_shift(spec.intrinsics, spec.width, spec.height)
    return {
        "sensor_fit": "HORIZONTAL",
        "sensor_width": SENSOR_WIDTH_MM,
        "lens": spec.focal_px * SENSOR_WIDTH_MM / spec.width,
        "shift_x": shift_x,
        "shift_y": shift_y,
    }


def blender_lens_shift(intrinsics: np.ndarray, width: int, height: int) -> tuple[float, float]:
    """Blender ``shift_x``/``shift_y`` (fractions of the larger image side) that put the
    principal point at K's (cx, cy) in OpenCV pixel coordinates.

    Without shift the optical axis meets the image at ((w-1)/2, (h-1)/2). A positive
    shift_x moves the view right, so the principal point moves left in the image; a
    positive shift_y moves the view up, so the principal point moves down.
    """
    cx, cy = float(intrinsics[0, 2]), float(intrinsics[1, 2])
    side = float(max(width, height))
    return ((width - 1) / 2.0 - cx) / side, (cy - (height - 1) / 2.0) / side
