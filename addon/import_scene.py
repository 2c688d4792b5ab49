"""Builds a Blender scene from a capture file: collection, camera, armatures, bodies."""
from __future__ import annotations

import colorsys
import dataclasses
import logging
import os
from pathlib import Path

import bpy
import numpy as np
from mathutils import Matrix

from ..wholebody_core.capture_format import SUFFIX, Capture
from . import axis_conversion, floor, motion_storage
from .build_armature import (build_armature_objects, capture_frame_numbers, write_body_visibility,
                             write_person_action)
from .build_camera import (FOOTAGE_PROPERTY, build_footage_plane, build_camera, find_source, load_footage_image,
                           set_background, set_render_resolution)
from .default_body import build_default_body

log = logging.getLogger(__name__)


@dataclasses.dataclass
class ImportOptions:
    """What :func:`build_capture_scene` builds."""

    body: str = "AUTO"                # AUTO (SMPL-X when a model is given, else DEFAULT), SMPLX, DEFAULT, NONE
    use_floor: bool = False
    sensor_width_mm: float = 36.0
    source_path: str = ""             # the footage the user chose (else the capture's source, next to it)
    source_hint: str = ""             # the panel's video: used when it is the capture's source (same name)
    smplx_model_path: str = ""        # folder or .npz of the user's SMPL-X model
    scene_settings: str = "AUTO"      # scene camera, resolution, frame range: AUTO (first capture), SET, KEEP
    footage_in_render: bool = True    # a plane with the footage behind the people, for F12 renders
    key_unsure_joints: bool = True    # False: no rotation keys where a joint's confidence is below 0.5
    motion_storage: str = "AUTO"      # AUTO, KEYFRAMES or SAMPLES (rules in motion_storage)


@dataclasses.dataclass
class ImportResult:
    collection: bpy.types.Collection
    camera: bpy.types.Object
    armatures: list
    bodies: list
    actions: list
    source_found: bool
    floor_applied: bool
    warnings: list
    scene_changes: list = dataclasses.field(default_factory=list)  # what the import set on the scene, said
    footage_plane: bpy.types.Object | None = None                  # the footage for renders
    motion_as_samples: bool = False                                # baked samples instead of keyframes


def capture_stem(capture: Capture, capture_path: str | os.PathLike) -> str:
    """A short name for the capture's objects: the source's stem, else the file's."""
    name = Path(capture.source).stem if capture.source else Path(capture_path).name
    if not capture.source and name.endswith(SUFFIX):
        name = name[: -len(SUFFIX)]
    return name or "capture"


def person_color(index: int) -> tuple[float, float, float, float]:
    r, g, b = colorsys.hsv_to_rgb((0.08 + 0.37 * index) % 1.0, 0.55, 0.9)
    return (r, g, b, 1.0)


def scene_from_world(capture: Capture, use_floor: bool) -> tuple[np.ndarray, bool]:
    """(4, 4) floor transform (identity without the option or without valid frames)."""
    if not use_floor or capture.num_people == 0:
        return np.eye(4), False
    joints_world = axis_conversion.cv_to_world(capture.joints_cam)
    forward = axis_conversion.WORLD_FROM_CV @ np.array([0.0, 0.0, 1.0])
    transform = floor.floor_transform(joints_world, capture.valid, forward)
    return (np.eye(4), False) if transform is None else (transform, True)


CAPTURE_PROPERTY = "wholebody_capture"   # on the camera and the armatures an import makes: the file
FOOTAGE_MIN_DISTANCE_M = 20.0


def scene_has_capture(scene: bpy.types.Scene) -> bool:
    """Whether an earlier import built into ``scene`` (a camera or an armature it made is there)."""
    return any(CAPTURE_PROPERTY in obj for obj in scene.objects)


def _set_scene_settings(scene: bpy.types.Scene, camera: bpy.types.Object, capture: Capture,
                        options: ImportOptions, first: bool, warnings: list[str]) -> list[str]:
    """The scene camera, resolution and frame range from the capture; returns what changed, in words.

    The first capture in a scene gives the scene its frame range, frame rate and
    current frame; a later one only extends the range to include its frames (never
    shrinks it) and keeps the frame rate (a different one is a warning).
    """
    changes = []
    if scene.camera != camera:
        scene.camera = camera
        changes.append(f"scene camera {camera.name!r}")
    before = (scene.render.resolution_x, scene.render.resolution_y, scene.render.resolution_percentage)
    width, height = set_render_resolution(scene, capture.intrinsics, capture.image_size, options.sensor_width_mm)
    if before != (width, height, 100):
        changes.append(f"resolution {width}x{height}")
    if capture.num_frames:
        frames = capture_frame_numbers(capture.frame_indices)
        first_frame, last_frame = int(frames[0]), int(frames[-1])
        old_range = (scene.frame_start, scene.frame_end)
        new_range = ((first_frame, last_frame) if first else
                     (min(old_range[0], first_frame), max(old_range[1], last_frame)))
        for _ in range(2):   # setting one end of the range may move the other
            scene.frame_start, scene.frame_end = new_range
        if new_range != old_range:
            changes.append(f"frame range {new_range[0]}-{new_range[1]}")
        if first:
            # not frame_set: that evaluates the scene now, making the depsgraph's copy of every new
            # action while the capture's arrays are still held; Blender evaluates after the import
            scene.frame_current = first_frame
    if capture.fps > 0:
        fps = max(1, int(round(capture.fps)))
        scene_fps = scene.render.fps / scene.render.fps_base
        if first and abs(scene_fps - capture.fps) > 1e-6 * capture.fps:
            scene.render.fps = fps
            scene.render.fps_base = fps / capture.fps
            changes.append(f"{capture.fps:g} fps")
        elif not first and abs(scene_fps - capture.fps) > 1e-3 * capture.fps:
            warnings.append(f"the capture was made at {capture.fps:g} fps, the scene plays at {scene_fps:g} fps "
                            "(kept for the captures already in it)")
    return changes


def _footage_distance(capture: Capture) -> float:
    """How far behind the camera the footage plane goes: well behind every captured joint."""
    depths = capture.joints_cam[..., 2][capture.valid] if capture.num_people else np.zeros(0)
    farthest = float(depths.max()) if depths.size else 0.0
    return min(500.0, max(FOOTAGE_MIN_DISTANCE_M, 2.0 * farthest))


def _add_footage(stem: str, camera, capture: Capture, capture_path, options: ImportOptions, collection,
                 collection_scene, warnings: list[str]):
    """The footage behind the camera and on a plane for renders: (found, the plane or None); a warning if not found."""
    if options.source_path and not Path(bpy.path.abspath(options.source_path)).is_file():
        warnings.append(f"footage {options.source_path!r} does not exist; looking for the capture's own "
                        f"source {capture.source!r} instead")
    source = find_source(capture_path, capture.source, options.source_path, options.source_hint)
    if source is None:
        where = "next to the capture" + (" or the panel's video" if options.source_hint else "")
        warnings.append(f"source footage {capture.source!r} not found {where}; imported without it: "
                        "choose the footage in the import's Footage field to see it behind the people")
        return False, None
    set_background(camera, source)
    if not options.footage_in_render:
        return True, None
    return True, build_footage_plane(f"{stem}_footage", camera, load_footage_image(source), capture.intrinsics,
                                     capture.image_size, _footage_distance(capture), collection, collection_scene)


def _render_footage_through_scene_camera(scene: bpy.types.Scene, camera: bpy.types.Object,
                                         plane: bpy.types.Object | None) -> list[str]:
    """Renders the new ``plane`` only if ``camera`` is the scene camera; then hides other captures' footage.

    Each capture's footage plane fills its own camera's view, so another
    capture's plane would show in (or cover) this one's render. Returns what was
    hidden, in words.
    """
    if plane is not None:
        plane.hide_render = scene.camera != camera
    if scene.camera != camera:
        return []
    others = [obj for obj in scene.objects
              if obj != plane and obj.get(FOOTAGE_PROPERTY) and not obj.hide_render]
    for obj in others:
        obj.hide_render = True
    return [f"{obj.name!r} hidden in renders" for obj in others]


def _body_kind(options: ImportOptions) -> str:
    if options.body == "AUTO":
        return "SMPLX" if options.smplx_model_path else "DEFAULT"
    return options.body


def _build_body(body: str, options: ImportOptions, name: str, arm_obj, capture: Capture, person: int,
                collection, as_samples: bool):
    if body == "SMPLX":
        from . import smplx_body
        return smplx_body.build_smplx_body(
            name, arm_obj, capture, person, options.smplx_model_path, collection, as_samples=as_samples)
    if body == "DEFAULT":
        return build_default_body(name, arm_obj, capture.rest_joints[person].astype(np.float64),
                                  collection, person_color(person))
    return None


def build_capture_scene(context: bpy.types.Context, capture: Capture, capture_path: str | os.PathLike,
                        options: ImportOptions) -> ImportResult:
    """Adds a new collection holding the capture's camera, armatures and bodies.

    Reads the SMPL-X model (when asked for) before building anything, so a bad
    model file raises ``ModelFileError`` with the scene unchanged. Never renames
    or replaces existing data: every name is new (Blender adds
    ``.001`` suffixes when the same capture is imported twice).
    """
    scene = context.scene
    body = _body_kind(options)
    expression_channels = 0
    if body == "SMPLX" and capture.num_people:
        from . import smplx_body
        model = smplx_body.load_model(options.smplx_model_path)  # read (and fail) before building anything
        expression_channels = model.expression_dirs(capture.expression.shape[-1]).shape[-1]
    as_samples = motion_storage.use_samples(options.motion_storage, capture, expression_channels)
    stem = capture_stem(capture, capture_path)
    first = not scene_has_capture(scene)
    warnings: list[str] = []
    collection = bpy.data.collections.new(f"{stem} capture")
    scene.collection.children.link(collection)
    transform, floor_applied = scene_from_world(capture, options.use_floor)
    if options.use_floor and not floor_applied and capture.num_people:
        warnings.append("no valid frames to fit a floor to; the scene keeps the camera's axes")

    camera = build_camera(f"{stem}_camera", capture.intrinsics, capture.image_size,
                          options.sensor_width_mm, transform, collection)
    camera[CAPTURE_PROPERTY] = str(capture_path)
    source_found, plane = _add_footage(stem, camera, capture, capture_path, options, collection, scene, warnings)

    bodies, actions = [], []
    names = [f"{stem}_person{int(person_id)}" for person_id in capture.person_ids]
    armatures = build_armature_objects(
        names, [rest.astype(np.float64) for rest in capture.rest_joints], collection)
    for person, (name, arm_obj) in enumerate(zip(names, armatures)):
        arm_obj.matrix_world = Matrix(transform.tolist())
        arm_obj["wholebody_person_id"] = int(capture.person_ids[person])
        arm_obj[CAPTURE_PROPERTY] = str(capture_path)
        actions.append(write_person_action(arm_obj, f"{name}_action", capture, person,
                                           key_unsure_joints=options.key_unsure_joints,
                                           as_samples=as_samples))
        body_obj = _build_body(body, options, f"{name}_body", arm_obj, capture, person, collection,
                               as_samples)
        if body_obj is not None:
            bodies.append(body_obj)
            body_action = write_body_visibility(body_obj, f"{body_obj.name}_visibility", capture, person)
            if body_action is not None:
                actions.append(body_action)
    scene_changes = []
    if options.scene_settings == "SET" or (options.scene_settings == "AUTO" and first):
        scene_changes = _set_scene_settings(scene, camera, capture, options, first, warnings)
    # last: it may change earlier captures, which a failed import would not restore
    scene_changes += _render_footage_through_scene_camera(scene, camera, plane)
    return ImportResult(collection, camera, armatures, bodies, actions,
                        source_found, floor_applied, warnings, scene_changes, plane, as_samples)
