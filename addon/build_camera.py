"""The capture camera: intrinsics from K, the source footage behind it.

The footage shows twice: as the camera's background image (the viewport's
camera view) and, for F12 renders, on a plane parented to the camera
(:func:`build_footage_plane`), which every render engine draws.
"""
from __future__ import annotations

import os
from pathlib import Path

import bpy
import numpy as np
from mathutils import Matrix

from . import axis_conversion

FOOTAGE_PROPERTY = "wholebody_footage"   # on a footage plane
VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".ogv", ".wmv"}


def same_file_name(path: str | os.PathLike, source_name: str) -> bool:
    """Whether ``path`` names the capture's ``source`` file (its name, case ignored as a fallback)."""
    name = Path(str(path)).name
    return bool(source_name) and (name == source_name or name.casefold() == source_name.casefold())


def footage_candidates(capture_path: str | os.PathLike, source_name: str, footage: str = "",
                       hint: str = "") -> list[Path]:
    """Where to look for the footage, in order.

    ``footage``: a file the user chose for this import (taken as it is).
    ``hint``: the Mocap panel's "Video or image", which may belong to another
    capture: taken only when its file name is the capture's ``source``; its
    folder is searched too. Otherwise the capture's ``source`` next to the capture.
    """
    candidates = [Path(bpy.path.abspath(footage))] if footage else []
    if source_name:
        hint_path = Path(bpy.path.abspath(hint)) if hint else None
        if hint_path is not None and same_file_name(hint_path, source_name):
            candidates.append(hint_path)
        candidates.append(Path(capture_path).parent / source_name)
        if hint_path is not None:
            candidates.append(hint_path.parent / source_name)
    return candidates


def find_source(capture_path: str | os.PathLike, source_name: str, footage: str = "",
                hint: str = "") -> Path | None:
    """The capture's source footage (the first of :func:`footage_candidates` that exists), else None."""
    return next((path for path in footage_candidates(capture_path, source_name, footage, hint)
                 if path.is_file()), None)


def build_camera(name: str, capture_intrinsics: np.ndarray, image_size: np.ndarray,
                 sensor_width_mm: float, scene_from_world: np.ndarray,
                 collection: bpy.types.Collection) -> bpy.types.Object:
    """A camera at the capture's viewpoint (the scene's settings untouched: :func:`set_render_resolution`).

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
    return obj


def set_render_resolution(scene: bpy.types.Scene, capture_intrinsics: np.ndarray, image_size: np.ndarray,
                          sensor_width_mm: float) -> tuple[int, int]:
    """The scene's render resolution (100 %) and pixel aspect from the capture; returns (width, height)."""
    params = axis_conversion.camera_from_intrinsics(capture_intrinsics, image_size, sensor_width_mm)
    render = scene.render
    render.resolution_x, render.resolution_y = params.resolution
    render.resolution_percentage = 100
    render.pixel_aspect_x = params.pixel_aspect_x
    render.pixel_aspect_y = params.pixel_aspect_y
    return params.resolution


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


def load_footage_image(source: Path) -> bpy.types.Image:
    """The footage as an image datablock (a movie, or a still)."""
    return bpy.data.images.load(str(source), check_existing=True)


def footage_plane_corners(capture_intrinsics: np.ndarray, image_size: np.ndarray, distance: float) -> np.ndarray:
    """(4, 3) the image's corners (0, 0), (w, 0), (w, h), (0, h) in pixels, at ``distance`` metres.

    In the camera object's local frame (Blender's camera: x right, y up, looking
    along -z), through the capture's own K: every footage pixel lands exactly where
    the capture's people project, whatever the scene's resolution.
    """
    width, height = float(image_size[0]), float(image_size[1])
    pixels = np.array([[0.0, 0.0, 1.0], [width, 0.0, 1.0], [width, height, 1.0], [0.0, height, 1.0]])
    rays_cv = pixels @ np.linalg.inv(np.asarray(capture_intrinsics, dtype=np.float64)).T  # z = 1
    return distance * rays_cv * np.array([1.0, -1.0, -1.0])   # OpenCV camera -> Blender camera object


def build_footage_plane(name: str, camera_obj: bpy.types.Object, image: bpy.types.Image,
                        capture_intrinsics: np.ndarray, image_size: np.ndarray, distance: float,
                        collection: bpy.types.Collection, scene: bpy.types.Scene) -> bpy.types.Object:
    """A plane filling the camera's view at ``distance`` with the footage, for F12 renders.

    Parented to the camera (it follows it), shadeless (emission 1: with the
    Standard view transform the render shows the footage's own colours), seen by
    the camera only (no shadows, no light bounced onto the people), not selectable,
    hidden in the viewport (the camera's background image shows it there) but
    rendered. Workbench draws it with *Color: Texture* (grey with *Material*). A
    movie plays from scene frame 1 = source frame 0, like the keys.
    """
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata(footage_plane_corners(capture_intrinsics, image_size, distance).tolist(), [],
                     [(0, 3, 2, 1)])   # facing the camera
    uv = mesh.uv_layers.new(name="UVMap")
    for loop, (u, v) in zip(mesh.loops, [(0.0, 1.0), (0.0, 0.0), (1.0, 0.0), (1.0, 1.0)]):
        uv.data[loop.index].uv = (u, v)
    mesh.materials.append(_footage_material(name, image))
    obj = bpy.data.objects.new(name, mesh)
    collection.objects.link(obj)
    obj.parent = camera_obj
    obj.matrix_parent_inverse.identity()
    for ray in ("visible_shadow", "visible_diffuse", "visible_glossy", "visible_transmission",
                "visible_volume_scatter"):
        setattr(obj, ray, False)
    obj.hide_select = True
    obj[FOOTAGE_PROPERTY] = True
    for view_layer in scene.view_layers:
        try:
            obj.hide_set(True, view_layer=view_layer)
        except RuntimeError:   # the collection is excluded from that view layer
            pass
    return obj


def _footage_material(name: str, image: bpy.types.Image) -> bpy.types.Material:
    material = bpy.data.materials.new(name)
    if material.node_tree is None:   # Blender < 5.0 (where every material has its node tree)
        material.use_nodes = True
    material.diffuse_color = (0.5, 0.5, 0.5, 1.0)
    nodes, links = material.node_tree.nodes, material.node_tree.links
    nodes.clear()
    texture = nodes.new("ShaderNodeTexImage")
    texture.image = image
    texture.extension = "EXTEND"
    if image.source == "MOVIE":
        user = texture.image_user
        user.frame_start = 1
        user.frame_offset = 0
        user.frame_duration = max(1, image.frame_duration)
        user.use_auto_refresh = True
    emission = nodes.new("ShaderNodeEmission")
    emission.inputs["Strength"].default_value = 1.0
    output = nodes.new("ShaderNodeOutputMaterial")
    links.new(texture.outputs["Color"], emission.inputs["Color"])
    links.new(emission.outputs["Emission"], output.inputs["Surface"])
    nodes.active = texture      # what Workbench's Texture colour shows
    texture.location, emission.location, output.location = (-400, 0), (-100, 0), (150, 0)
    return material
