"""One SMPL-X armature per person, and its action (bone rest frames: axis_conversion)."""
from __future__ import annotations

import bpy
import numpy as np
from mathutils import Matrix

from ..wholebody_core.capture_format import Capture
from ..wholebody_core.skeleton import JOINT_NAMES, PARENTS
from . import axis_conversion, bone_frames, visibility
from .anim_keys import ObjectActionWriter

CONFIDENCE_PROPERTY = "wholebody_confidence"
FPS_PROPERTY = "wholebody_fps"


def build_armature_object(name: str, rest_joints_model: np.ndarray,
                          collection: bpy.types.Collection) -> bpy.types.Object:
    """A new armature object with the 55 SMPL-X bones in quaternion mode.

    Bones run from each rest joint to its chain child, rolled by one rule
    (``bone_frames``; rest matrices ``axis_conversion.model_frames_to_arm``).
    """
    armature = bpy.data.armatures.new(name)
    armature.display_type = "STICK"
    obj = bpy.data.objects.new(name, armature)
    collection.objects.link(obj)
    view_layer = bpy.context.view_layer
    previous_active = view_layer.objects.active
    previous_mode = previous_active.mode if previous_active is not None else "OBJECT"
    if previous_mode != "OBJECT":
        bpy.ops.object.mode_set(mode="OBJECT")
    view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    try:
        add_edit_bones(armature.edit_bones, rest_joints_model)
    finally:
        bpy.ops.object.mode_set(mode="OBJECT")
        view_layer.objects.active = previous_active
    for pose_bone in obj.pose.bones:
        pose_bone.rotation_mode = "QUATERNION"
    return obj


def add_edit_bones(edit_bones, rest_joints_model: np.ndarray) -> None:
    """Adds the 55 bones of ``bone_frames.rest_layout`` to an armature in edit mode.

    Args:
        edit_bones: the armature's ``edit_bones``.
        rest_joints_model: (55, 3) metres, model frame.
    """
    layout = bone_frames.rest_layout(rest_joints_model)
    heads_arm = axis_conversion.model_to_arm(layout.heads)
    rest_arm = axis_conversion.model_frames_to_arm(layout.frames)
    for j, joint_name in enumerate(JOINT_NAMES):
        bone = edit_bones.new(joint_name)
        bone.head = (0.0, 0.0, 0.0)
        bone.tail = (0.0, float(layout.lengths[j]), 0.0)
        matrix = Matrix(rest_arm[j].tolist()).to_4x4()
        matrix.translation = heads_arm[j].tolist()
        bone.matrix = matrix            # head, tail = head + Y * length, roll
        if PARENTS[j] >= 0:
            bone.parent = edit_bones[JOINT_NAMES[PARENTS[j]]]
            bone.use_connect = bool(layout.connected[j])


def capture_frame_numbers(frame_indices: np.ndarray) -> np.ndarray:
    """Scene frame of each captured frame: source frame index + 1 (Blender counts from 1)."""
    return np.asarray(frame_indices, dtype=np.float64) + 1.0


def write_person_action(obj: bpy.types.Object, action_name: str, capture: Capture,
                        person: int) -> bpy.types.Action:
    """Keys every bone's quaternion, the pelvis location and the confidence, on valid frames.

    The keys on the last valid frame before a gap are CONSTANT, and the armature's
    ``hide_viewport``/``hide_render`` are keyed so it is hidden outside its valid
    runs (none when the person is valid throughout; rules in ``visibility``).
    """
    valid = capture.valid[person]
    all_frames = capture_frame_numbers(capture.frame_indices)
    frames = all_frames[valid]
    hold = visibility.holds_before_gap(valid)
    full_pose = np.concatenate([
        capture.global_orient[person][valid][:, None],
        capture.body_pose[person][valid],
        capture.jaw_pose[person][valid][:, None],
        capture.leye_pose[person][valid][:, None],
        capture.reye_pose[person][valid][:, None],
        capture.left_hand_pose[person][valid],
        capture.right_hand_pose[person][valid],
    ], axis=1)                                                           # (N, 55, 3)
    frames_model = bone_frames.rest_layout(capture.rest_joints[person].astype(np.float64)).frames
    quats = axis_conversion.bone_quats_wxyz(full_pose, frames_model)     # (N, 55, 4)
    locations = axis_conversion.pelvis_locations(
        capture.root_position[person][valid], capture.rest_joints[person, 0], frames_model[0])

    obj[CONFIDENCE_PROPERTY] = 0.0
    obj[FPS_PROPERTY] = float(capture.fps)
    writer = ObjectActionWriter(obj, action_name)
    for j, joint_name in enumerate(JOINT_NAMES):
        path = f'pose.bones["{joint_name}"]'
        if j == 0:
            writer.write(path + ".location", frames, locations, joint_name, constant_keys=hold)
        writer.write(path + ".rotation_quaternion", frames, quats[:, j], joint_name, constant_keys=hold)
    writer.write(f'["{CONFIDENCE_PROPERTY}"]', frames,
                 capture.confidence[person][valid][:, None], "Capture", constant_keys=hold)
    visibility.write_visibility(writer, valid, all_frames)
    return writer.action


def write_body_visibility(body_obj: bpy.types.Object, action_name: str, capture: Capture,
                          person: int) -> bpy.types.Action | None:
    """A new action hiding ``body_obj`` where ``person`` was not captured; None when always valid."""
    valid = capture.valid[person]
    if valid.all():
        return None
    writer = ObjectActionWriter(body_obj, action_name)
    visibility.write_visibility(writer, valid, capture_frame_numbers(capture.frame_indices))
    return writer.action
