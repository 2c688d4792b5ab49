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
from . import axis_conversion, floor
from .build_armature import (build_armature_objects, capture_frame_numbers, write_body_visibility,
                             write_person_action)
from .build_camera import build_camera, find_source, set_background
from .default_body import build_default_body

log = logging.getLogger(__name__)


@dataclasses.dataclass
class ImportOptions:
    """What :func:`build_capture_scene` builds."""

    body: str = "AUTO"                # AUTO (SMPL-X when a model is given, else DEFAULT), SMPLX, DEFAULT, NONE
    use_floor: bool = False
    sensor_width_mm: float = 36.0
    source_path: str = ""             # the footage, when not next to the capture
    smplx_model_path: str = ""        # folder or .npz of the user's SMPL-X model
    set_scene_frames: bool = True     # scene fps and frame range from the capture
    make_camera_active: bool = True
    key_unsure_joints: bool = True    # False: no rotation keys where a joint's confidence is below 0.5


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


def _set_scene_frames(scene: bpy.types.Scene, capture: Capture) -> None:
    if capture.fps > 0:
        fps = max(1, int(round(capture.fps)))
        scene.render.fps = fps
        scene.render.fps_base = fps / capture.fps
    if capture.num_frames:
        frames = capture_frame_numbers(capture.frame_indices)
        scene.frame_start = int(frames[0])
        scene.frame_end = int(frames[-1])
        scene.frame_set(int(frames[0]))


def _body_kind(options: ImportOptions) -> str:
    if options.body == "AUTO":
        return "SMPLX" if options.smplx_model_path else "DEFAULT"
    return options.body


def _build_body(body: str, options: ImportOptions, name: str, arm_obj, capture: Capture, person: int,
                collection):
    if body == "SMPLX":
        from . import smplx_body
        return smplx_body.build_smplx_body(
            name, arm_obj, capture, person, options.smplx_model_path, collection)
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
    if body == "SMPLX" and capture.num_people:
        from . import smplx_body
        smplx_body.load_model(options.smplx_model_path)  # read (and fail) before building anything
    stem = capture_stem(capture, capture_path)
    warnings: list[str] = []
    collection = bpy.data.collections.new(f"{stem} capture")
    scene.collection.children.link(collection)
    transform, floor_applied = scene_from_world(capture, options.use_floor)
    if options.use_floor and not floor_applied and capture.num_people:
        warnings.append("no valid frames to fit a floor to; the scene keeps the camera's axes")

    camera = build_camera(f"{stem}_camera", capture.intrinsics, capture.image_size,
                          options.sensor_width_mm, transform, collection, scene)
    source = find_source(capture_path, capture.source, options.source_path)
    if source is not None:
        set_background(camera, source)
    else:
        warnings.append(f"source footage {capture.source!r} not found next to the capture; "
                        "set the source file to see it behind the camera")
    if options.make_camera_active:
        scene.camera = camera

    bodies, actions = [], []
    names = [f"{stem}_person{int(person_id)}" for person_id in capture.person_ids]
    armatures = build_armature_objects(
        names, [rest.astype(np.float64) for rest in capture.rest_joints], collection)
    for person, (name, arm_obj) in enumerate(zip(names, armatures)):
        arm_obj.matrix_world = Matrix(transform.tolist())
        arm_obj["wholebody_person_id"] = int(capture.person_ids[person])
        arm_obj["wholebody_capture"] = str(capture_path)
        actions.append(write_person_action(arm_obj, f"{name}_action", capture, person,
                                           key_unsure_joints=options.key_unsure_joints))
        body_obj = _build_body(body, options, f"{name}_body", arm_obj, capture, person, collection)
        if body_obj is not None:
            bodies.append(body_obj)
            body_action = write_body_visibility(body_obj, f"{body_obj.name}_visibility", capture, person)
            if body_action is not None:
                actions.append(body_action)
    if options.set_scene_frames:
        _set_scene_frames(scene, capture)
    return ImportResult(collection, camera, armatures, bodies, actions,
                        source is not None, floor_applied, warnings)
