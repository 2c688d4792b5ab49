"""One SMPL-X armature per person, and its action (bone rest frames: axis_conversion)."""
from __future__ import annotations

import contextlib

import bpy
import numpy as np
from mathutils import Matrix

from ..wholebody_core.capture_format import Capture
from ..wholebody_core.maths.kinematics import pose_part_of_joint
from ..wholebody_core.solve.confidence import rotation_confidence
from ..wholebody_core.skeleton import JOINT_NAMES, NUM_JOINTS, PARENTS
from . import axis_conversion, bone_frames, joint_confidence, visibility
from .anim_keys import ObjectActionWriter

CONFIDENCE_PROPERTY = "wholebody_confidence"
FPS_PROPERTY = "wholebody_fps"


def build_armature_object(name: str, rest_joints_model: np.ndarray,
                          collection: bpy.types.Collection) -> bpy.types.Object:
    """A new armature object with the 55 SMPL-X bones in quaternion mode (see build_armature_objects)."""
    return build_armature_objects([name], [rest_joints_model], collection)[0]


def build_armature_objects(names: list[str], rest_joints_models, collection: bpy.types.Collection) -> list:
    """New armature objects, one per name, with the 55 SMPL-X bones in quaternion mode.

    All of them get their bones in one multi-object edit-mode session: every
    ``bpy.ops`` call updates the whole view layer, so one session per armature
    made importing many people quadratic in their number.

    Args:
        names: the objects' (and armatures') names.
        rest_joints_models: one (55, 3) array per name, metres, model frame.
    """
    objects = []
    for name in names:
        armature = bpy.data.armatures.new(name)
        armature.display_type = "STICK"
        obj = bpy.data.objects.new(name, armature)
        collection.objects.link(obj)
        objects.append(obj)
    if not objects:
        return objects
    with _edit_mode(objects):
        for obj, rest_joints_model in zip(objects, rest_joints_models):
            add_edit_bones(obj.data.edit_bones, rest_joints_model)
    for obj in objects:
        for pose_bone in obj.pose.bones:
            pose_bone.rotation_mode = "QUATERNION"
    return objects


@contextlib.contextmanager
def _edit_mode(objects: list):
    """``objects`` (armatures in the view layer) in edit mode together; selection and active restored."""
    view_layer = bpy.context.view_layer
    previous_active = view_layer.objects.active
    if previous_active is not None and previous_active.mode != "OBJECT":
        bpy.ops.object.mode_set(mode="OBJECT")
    previous_selected = list(view_layer.objects.selected)
    for obj in previous_selected:
        obj.select_set(False)
    for obj in objects:
        obj.select_set(True)
    view_layer.objects.active = objects[0]
    bpy.ops.object.mode_set(mode="EDIT")
    try:
        yield
    finally:
        bpy.ops.object.mode_set(mode="OBJECT")
        for obj in objects:
            obj.select_set(False)
        for obj in previous_selected:
            obj.select_set(True)
        view_layer.objects.active = previous_active


def add_edit_bones(edit_bones, rest_joints_model: np.ndarray) -> None:
    """Adds the 55 bones of ``bone_frames.rest_layout`` to an armature in edit mode.

    Bones run from each rest joint to its chain child, rolled by one rule
    (``bone_frames``; rest matrices ``axis_conversion.model_frames_to_arm``).

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


def joint_quats_of_person(capture: Capture, person: int, valid: np.ndarray, frames_model: np.ndarray,
                          joint: int) -> np.ndarray:
    """One bone's ``rotation_quaternion`` keys on the valid frames, sign-continuous over time.

    One joint at a time, so an import holds a single bone's keys in numpy (3 MB at
    100,000 frames) rather than every bone's (88 MB) while Blender builds its curves.

    Args:
        frames_model: (55, 3, 3) the bones' rest frames (``bone_frames.RestLayout.frames``).
    Returns:
        (N, 4) float32, N = valid.sum().
    """
    part, row = pose_part_of_joint(joint)
    rotvecs = getattr(capture, part)[person][valid]
    rotvecs = rotvecs if row is None else rotvecs[:, row]
    return axis_conversion.joint_quats_wxyz(rotvecs.astype(np.float64), frames_model[joint],
                                            joint).astype(np.float32)


def write_person_action(obj: bpy.types.Object, action_name: str, capture: Capture,
                        person: int, key_unsure_joints: bool = True, as_samples: bool = False) -> bpy.types.Action:
    """Keys every bone's quaternion, the pelvis location and the confidence, on valid frames.

    The keys on the last valid frame before a gap are CONSTANT, and the armature's
    ``hide_viewport``/``hide_render`` are keyed so it is hidden outside its valid
    runs (none when the person is valid throughout; rules in ``visibility``).
    Each bone's joint confidence is keyed too, and colours the bone; with
    ``key_unsure_joints`` False a bone has no rotation key where its joint is
    unsure (rules in ``joint_confidence``). With ``as_samples`` every curve but the
    visibility is baked into samples (``anim_keys``, ``motion_storage``).
    """
    valid = capture.valid[person]
    all_frames = capture_frame_numbers(capture.frame_indices)
    frames = all_frames[valid]
    hold = visibility.holds_before_gap(valid)
    frames_model = bone_frames.rest_layout(capture.rest_joints[person].astype(np.float64)).frames
    locations = axis_conversion.pelvis_locations(
        capture.root_position[person][valid], capture.rest_joints[person, 0], frames_model[0])

    obj[CONFIDENCE_PROPERTY] = 0.0
    obj[FPS_PROPERTY] = float(capture.fps)
    confidence = joint_confidence.person_joint_confidence(capture, person)    # (T, 55) of the joints' positions
    rotation = rotation_confidence(confidence)                               # (T, 55) of the bones' rotations
    writer = ObjectActionWriter(obj, action_name, as_samples=as_samples)
    for j, joint_name in enumerate(JOINT_NAMES):
        path = f'pose.bones["{joint_name}"]'
        if j == 0:
            writer.write(path + ".location", frames, locations, joint_name, constant_keys=hold)
        quats = joint_quats_of_person(capture, person, valid, frames_model, j)    # (N, 4)
        if key_unsure_joints:
            writer.write(path + ".rotation_quaternion", frames, quats, joint_name, constant_keys=hold)
            continue
        keyed = valid & (rotation[:, j] >= joint_confidence.SURE)
        writer.write(path + ".rotation_quaternion", all_frames[keyed], quats[keyed[valid]], joint_name,
                     constant_keys=joint_confidence.holds_before_missing(keyed, valid))
    writer.write(f'["{CONFIDENCE_PROPERTY}"]', frames,
                 capture.confidence[person][valid][:, None], "Capture", constant_keys=hold)
    joint_confidence.write_bone_confidence(
        writer, obj, frames, None if capture.joint_confidence is None else confidence[valid], hold)
    joint_confidence.color_bones(obj, joint_confidence.sure_share(rotation, valid))
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
