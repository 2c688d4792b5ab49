"""The capture camera: intrinsics from K, the source footage as its background."""
from __future__ import annotations

import os
from pathlib import Path

import bpy
import numpy as np
from mathutils import Matrix

from . import axis_conversion

VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".ogv", ".wmv"}


def find_source(capture_path: str | os.PathLike, source_name: str, source_hint: str = "") -> Path | None:
    """The capture's source footage: ``source_hint`` if it exists, else next to the capture."""
    if source_hint:
        hint = Path(bpy.path.abspath(source_hint))
        if hint.is_file():
            return hint
    candidate = Path(capture_path).parent / source_name
    return candidate if source_name and candidate.is_file() else None


def build_camera(name: str, capture_intrinsics: np.ndarray, image_size: np.ndarray,
                 sensor_width_mm: float, scene_from_world: np.ndarray,
                 collection: bpy.types.Collection, scene: bpy.types.Scene) -> bpy.types.Object:
    """A camera at the capture's viewpoint; sets the scene's resolution to the image size.

    Args:
        scene_from_world: (4, 4) the floor transform (identity without the floor option).
    """
    params = axis_conversion.camera_from_intrinsics(capture_intrinsics, image_size, sensor_width_mm)
    data = bpy.data.cameras.new(name)
    data.lens_unit = "MILLIMETERS"
    data.sensor_fit = "HORIZONTAL"
    data.sensor_width = params.sensor_width_mm
    data.lens = params.lens_mm
    data.shift_x = params.shift_x
    data.shift_y = params.shift_y
    data.clip_start = 0.05
    data.clip_end = 1000.0
    obj = bpy.data.objects.new(name, data)
    collection.objects.link(obj)
    pose = np.eye(4)
    pose[:3, :3] = axis_conversion.WORLD_FROM_CAMERA_OBJECT
    obj.matrix_world = Matrix((np.asarray(scene_from_world) @ pose).tolist())
    render = scene.render
    render.resolution_x, render.resolution_y = params.resolution
    render.resolution_percentage = 100
    render.pixel_aspect_x = params.pixel_aspect_x
    render.pixel_aspect_y = params.pixel_aspect_y
    return obj


def set_background(camera_obj: bpy.types.Object, source: Path) -> bpy.types.ID:
    """Shows ``source`` (a video or an image) behind the camera view; returns the clip/image.

    A movie clip starts at scene frame 1 = source frame 0, like the keys.
    """
    data = camera_obj.data
    background = data.background_images.new()
    if source.suffix.lower() in VIDEO_SUFFIXES:
        clip = bpy.data.movieclips.load(str(source), check_existing=True)
        clip.frame_start = 1
        background.source = "MOVIE_CLIP"
        background.clip = clip
        background.clip_user.use_render_undistorted = False
        footage = clip
    else:
        image = bpy.data.images.load(str(source), check_existing=True)
        background.source = "IMAGE"
        background.image = image
        footage = image
    background.alpha = 1.0
    background.display_depth = "BACK"
    background.frame_method = "FIT"
    data.show_background_images = True
    return footage
