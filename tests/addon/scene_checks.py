"""Reading an imported scene back through Blender's depsgraph (test helpers)."""
from __future__ import annotations

import bpy
import numpy as np
from bpy_extras.object_utils import world_to_camera_view
from mathutils import Vector

from wholebody_mocap.addon import axis_conversion
from wholebody_mocap.wholebody_core.skeleton import JOINT_NAMES


def bone_heads_world(scene, armature_obj) -> np.ndarray:
    """(55, 3) world-space bone heads, in SMPL-X joint order, of the evaluated armature at the current frame."""
    depsgraph = bpy.context.evaluated_depsgraph_get()
    evaluated = armature_obj.evaluated_get(depsgraph)
    matrix = evaluated.matrix_world
    bones = evaluated.pose.bones
    return np.array([tuple(matrix @ bones[name].head) for name in JOINT_NAMES])


def expected_joints_world(capture, person: int, t: int, scene_from_world=np.eye(4)) -> np.ndarray:
    """(55, 3) the capture's joints_cam mapped into the scene."""
    world = axis_conversion.cv_to_world(capture.joints_cam[person, t].astype(np.float64))
    return world @ scene_from_world[:3, :3].T + scene_from_world[:3, 3]


def project_px(scene, camera_obj, point_world) -> np.ndarray:
    """Pixel (u, v) of a world point through the Blender camera (v down, as OpenCV)."""
    ndc = world_to_camera_view(scene, camera_obj, Vector(point_world))
    width, height = scene.render.resolution_x, scene.render.resolution_y
    return np.array([ndc.x * width, (1.0 - ndc.y) * height])


def keyed_frames(action, armature_obj, data_path: str) -> set[float]:
    """Frames keyed on ``data_path`` (any channel) in ``action`` (4.2 to 5.0 layouts)."""
    fcurves = []
    if hasattr(action, "layers") and len(action.layers):
        for layer in action.layers:
            for strip in layer.strips:
                for channelbag in strip.channelbags:
                    fcurves.extend(channelbag.fcurves)
    elif hasattr(action, "fcurves"):
        fcurves = list(action.fcurves)
    frames = set()
    for fcurve in fcurves:
        if fcurve.data_path == data_path:
            frames |= {point.co[0] for point in fcurve.keyframe_points}
    return frames
