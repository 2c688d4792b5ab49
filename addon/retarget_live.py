"""Live retargeting: constraints that make the target follow the source, instead of keys.

The same rule as the bake (``retarget_solve``): target bone world rotation
``Rs(t) K`` with the constant ``K = Rs0^T C Rt0``. Constraints cannot multiply
by a constant, so a small helper armature ``<target>_retarget_helper`` carries
it: one bone per mapped joint whose rest rotation is K, turned by the source
bone (Copy Rotation, world space, *before original*: ``Rs(t) K``); the target
bone copies that rotation (Copy Rotation, world, replace). The root motion: the
helper object is scaled by the ratio about the hips offset, a helper bone copies
the source pelvis into the helper's pose space (so it moves by ``offset + ratio *
source``) and a child of it sits where the target's hips bone head belongs; the
target's hips bone copies its location. Feet are not locked (bake for that).
Constraints are named ``LIVE_CONSTRAINT``; :func:`remove_live` deletes them and
the helper.
"""
from __future__ import annotations

import bpy
import numpy as np
from mathutils import Matrix

from . import retarget_solve as solve
from .retarget import RetargetOptions, prepare

LIVE_CONSTRAINT = "Wholebody retarget"
HELPER_PROPERTY = "wholebody_retarget_helper"
_FOLLOW, _ROOT = "pelvis_follow", "hips_head"


def _edit_bone(edit_bones, name: str, rotation: np.ndarray, head: np.ndarray, length: float):
    bone = edit_bones.new(name)
    bone.head, bone.tail = (0.0, 0.0, 0.0), (0.0, length, 0.0)
    matrix = Matrix(np.asarray(rotation).tolist()).to_4x4()
    matrix.translation = tuple(head)
    bone.matrix = matrix
    return bone


def _constraint(pose_bone, kind: str, target, subtarget: str, **settings):
    constraint = pose_bone.constraints.new(kind)
    constraint.name = LIVE_CONSTRAINT
    constraint.target, constraint.subtarget = target, subtarget
    for key, value in settings.items():
        setattr(constraint, key, value)
    return constraint


def add_live(context, source, target, mapping: dict, options: RetargetOptions):
    """Constrains ``target`` to follow ``source`` live; returns the helper armature object.

    Replaces an earlier live retarget of the same target. The frame range of
    ``options`` is read to find the source's floor.
    """
    setup = prepare(context, source, target, mapping, options)
    remove_live(target)
    keep = np.swapaxes(setup.src_rest_rot, -1, -2) @ setup.align @ setup.tgt_rest_rot     # (M, 3, 3) K
    helper = bpy.data.objects.new(f"{target.name}_retarget_helper", bpy.data.armatures.new("retarget_helper"))
    for collection in target.users_collection:
        collection.objects.link(helper)
    helper.matrix_world = Matrix.LocRotScale(setup.hips_offset.tolist(), None, (setup.ratio,) * 3)
    helper.hide_render = True
    helper.display_type = "WIRE"
    size = 0.05
    view_layer = context.view_layer
    previous = view_layer.objects.active
    previous_mode = previous.mode if previous is not None else "OBJECT"
    if previous_mode != "OBJECT":
        bpy.ops.object.mode_set(mode="OBJECT")
    view_layer.objects.active = helper
    bpy.ops.object.mode_set(mode="EDIT")
    try:
        edit = helper.data.edit_bones
        for k, joint in enumerate(setup.mapped):
            _edit_bone(edit, joint, keep[k], setup.src_head(joint, True), size)
        pelvis = setup.src_rest[setup.joints.index("pelvis")]
        follow = _edit_bone(edit, _FOLLOW, solve.rotation_part(pelvis), pelvis[:3, 3], size)
        hips_src = 0.5 * (setup.src_head("left_hip", True) + setup.src_head("right_hip", True))
        hips_tgt = 0.5 * (setup.tgt_head("left_hip") + setup.tgt_head("right_hip"))
        root_tgt = setup.tgt_head("pelvis")
        c_body = setup.body_src @ setup.body_tgt.T
        head = hips_src - c_body @ (hips_tgt - root_tgt) / setup.ratio
        _edit_bone(edit, _ROOT, np.eye(3), head, size).parent = follow
    finally:
        bpy.ops.object.mode_set(mode="OBJECT")
        view_layer.objects.active = previous
    for joint in setup.mapped:
        _constraint(helper.pose.bones[joint], "COPY_ROTATION", source, joint, target_space="WORLD",
                    owner_space="WORLD", mix_mode="BEFORE")
    _constraint(helper.pose.bones[_FOLLOW], "COPY_TRANSFORMS", source, "pelvis", target_space="WORLD",
                owner_space="POSE")
    for joint in setup.mapped:
        bone = target.pose.bones[mapping[joint]]
        _constraint(bone, "COPY_ROTATION", helper, joint, target_space="WORLD", owner_space="WORLD")
    _constraint(target.pose.bones[mapping["pelvis"]], "COPY_LOCATION", helper, _ROOT,
                target_space="WORLD", owner_space="WORLD")
    target[HELPER_PROPERTY] = helper.name
    return helper


def remove_live(target) -> bool:
    """Deletes the live-retarget constraints of ``target`` and its helper; True when there were any."""
    found = False
    for bone in target.pose.bones:
        for constraint in [c for c in bone.constraints if c.name.startswith(LIVE_CONSTRAINT)]:
            bone.constraints.remove(constraint)
            found = True
    helper = bpy.data.objects.get(target.get(HELPER_PROPERTY, ""))
    if helper is not None:
        armature = helper.data
        bpy.data.objects.remove(helper)
        if armature.users == 0:
            bpy.data.armatures.remove(armature)
        found = True
    if HELPER_PROPERTY in target:
        del target[HELPER_PROPERTY]
    return found
