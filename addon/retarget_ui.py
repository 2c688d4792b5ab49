"""The Retarget part of the Mocap panel: its settings (``scene.wholebody_retarget``) and the bone-map list."""
from __future__ import annotations

import bpy
from bpy.props import (BoolProperty, CollectionProperty, EnumProperty, FloatProperty, IntProperty,
                       PointerProperty, StringProperty)

from ..wholebody_core.skeleton import JOINT_NAMES
from . import retarget_map

REQUIRED_JOINTS = frozenset(j for _, joints in retarget_map.REQUIRED_GROUPS if len(joints) == 1 for j in joints)


def _is_armature(self, obj) -> bool:
    return obj.type == "ARMATURE"


class WHOLEBODY_PG_retarget_bone(bpy.types.PropertyGroup):
    """One row of the bone map: an SMPL-X joint and the target bone that plays it."""

    joint: StringProperty(name="Joint", description="The SMPL-X joint (the source bone)")
    bone: StringProperty(name="Target bone", description="The target's bone that follows this joint "
                                                         "(empty: not retargeted)")


class WHOLEBODY_PG_retarget(bpy.types.PropertyGroup):
    """What the Retarget buttons use (``scene.wholebody_retarget``)."""

    source: PointerProperty(name="Source", type=bpy.types.Object, poll=_is_armature,
                            description="The captured person (an armature made by Import capture)")
    target: PointerProperty(name="Target", type=bpy.types.Object, poll=_is_armature,
                            description="Your character's armature")
    bones: CollectionProperty(type=WHOLEBODY_PG_retarget_bone)
    active_bone: IntProperty(default=0)
    rig_profile: StringProperty(name="Recognised rig", default="")
    scale_root: BoolProperty(name="Scale root motion", default=True,
                             description="Move the hips by the source's motion times the leg-length ratio "
                                         "(target legs / source legs), so a taller character takes longer steps")
    lock_feet: BoolProperty(name="Lock feet", default=True,
                            description="Hold each foot where it landed while the source's foot is on the ground "
                                        "(two-bone IK on the leg)")
    placement: EnumProperty(name="Start", default="TARGET",
                            items=[("TARGET", "Where the target stands", "The character starts where you placed it"),
                                   ("SOURCE", "On the source", "The character starts at the captured person's place")])
    use_live: BoolProperty(name="Live constraints (no keys)", default=False,
                           description="Constrain the target to follow the source instead of baking keys "
                                       "(rotations and scaled root motion; feet are not locked)")
    contact_height: FloatProperty(name="Contact height", default=0.05, min=0.0, max=0.5, unit="LENGTH",
                                  description="A source foot this close to its floor (and slow) is on the ground")
    contact_speed: FloatProperty(name="Contact speed (m/s)", default=0.4, min=0.0, max=5.0,
                                 description="A source foot slower than this (and low) is on the ground")


class WHOLEBODY_UL_retarget_bones(bpy.types.UIList):
    """The bone map: SMPL-X joint | target bone (required joints marked)."""

    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index=0):
        settings = context.scene.wholebody_retarget
        row = layout.row(align=True)
        split = row.split(factor=0.42)
        mark = "*" if item.joint in REQUIRED_JOINTS or item.joint in ("spine1", "spine2", "spine3") else ""
        split.label(text=item.joint + mark)
        if settings.target is not None and settings.target.type == "ARMATURE":
            split.prop_search(item, "bone", settings.target.data, "bones", text="")
        else:
            split.prop(item, "bone", text="")


def bone_map(settings) -> dict:
    """The list as a ``{joint: bone}`` dict (rows with no bone left out)."""
    return {item.joint: item.bone for item in settings.bones if item.bone}


def set_bone_map(settings, mapping: dict) -> None:
    """Fills the list with one row per SMPL-X joint, the bones of ``mapping`` in it."""
    settings.bones.clear()
    for joint in JOINT_NAMES:
        item = settings.bones.add()
        item.joint = joint
        item.bone = mapping.get(joint, "")


def draw_retarget(layout, context) -> None:
    """The Retarget section of the Mocap panel."""
    settings = context.scene.wholebody_retarget
    column = layout.column(align=True)
    column.label(text="Retarget onto your character")
    column.prop(settings, "source")
    column.prop(settings, "target")
    row = column.row(align=True)
    row.operator("wholebody.retarget_propose_map", icon="BONE_DATA")
    row.operator("wholebody.retarget_load_preset", text="", icon="FILEBROWSER")
    row.operator("wholebody.retarget_save_preset", text="", icon="FILE_TICK")
    if settings.rig_profile:
        column.label(text=f"Recognised: {settings.rig_profile} (* required)")
    layout.template_list("WHOLEBODY_UL_retarget_bones", "", settings, "bones", settings, "active_bone", rows=6)
    column = layout.column(align=True)
    column.prop(settings, "scale_root")
    column.prop(settings, "lock_feet")
    sub = column.column(align=True)
    sub.enabled = settings.lock_feet and not settings.use_live
    sub.prop(settings, "contact_height")
    sub.prop(settings, "contact_speed")
    column.prop(settings, "placement")
    column.prop(settings, "use_live")
    row = layout.row(align=True)
    row.operator("wholebody.retarget", icon="ARMATURE_DATA")
    row.operator("wholebody.retarget_restore_action", text="", icon="LOOP_BACK")


def register_properties() -> None:
    bpy.types.Scene.wholebody_retarget = bpy.props.PointerProperty(type=WHOLEBODY_PG_retarget)


def unregister_properties() -> None:
    del bpy.types.Scene.wholebody_retarget
