"""``bpy.ops.wholebody.export_person`` and ``export_people``: captured people to FBX, BVH, glTF or SMPL-X."""
from __future__ import annotations

import os
from pathlib import Path

import bpy
from bpy.props import BoolProperty, EnumProperty, StringProperty
from bpy_extras.io_utils import ExportHelper

from ..wholebody_core.errors import CaptureError, InputError
from . import export_presets, preferences
from .export_person import PERSON_ID_PROPERTY, capture_armatures, default_filename, export_person, is_retargeted


def selected_person(context) -> bpy.types.Object | None:
    """The armature the user means: the active object, or the armature of an active body; a captured
    person or a character retargeted from one (its action made by Retarget)."""
    obj = context.active_object
    if obj is not None and obj.type == "MESH" and obj.parent is not None:
        obj = obj.parent
    if obj is not None and obj.type == "ARMATURE" and (PERSON_ID_PROPERTY in obj or is_retargeted(obj)):
        return obj
    return None


def output_paths(filepath: str, armatures: list, target: str) -> list[Path]:
    """One file per armature: ``filepath`` itself for one, ``<stem>_<armature><suffix>`` beside it for several."""
    suffix = export_presets.SUFFIXES[target]
    path = Path(filepath)
    if len(armatures) == 1:
        return [path.with_suffix(suffix) if path.suffix.lower() != suffix else path]
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    return [path.with_name(f"{stem}_{bpy.path.clean_name(a.name)}{suffix}") for a in armatures]


class _ExportPeople(ExportHelper):
    """Shared by the two operators: ``_ALL`` says whether every person of the scene is exported."""

    _ALL = False
    filename_ext = ""
    filter_glob: StringProperty(default="*.fbx;*.bvh;*.glb;*.npz", options={"HIDDEN"})
    target: EnumProperty(name="Format", items=export_presets.TARGET_ITEMS, default=export_presets.FBX_UNITY)
    with_body: BoolProperty(name="With body mesh", default=True,
                            description="Export the person's skinned body (default or SMPL-X mesh) with the skeleton")
    at_origin: BoolProperty(name="At the origin", default=False,
                            description="Move the person so the first frame's pelvis is over the origin and the "
                                        "feet touch Z = 0 (game engines; import with 'Put people on a floor' "
                                        "for a level floor)")

    @classmethod
    def poll(cls, context):
        if context.mode != "OBJECT" or context.scene is None:
            return False
        return bool(capture_armatures(context.scene)) if cls._ALL else selected_person(context) is not None

    def _armatures(self, context) -> list:
        if self._ALL:
            return capture_armatures(context.scene)
        person = selected_person(context)
        return [person] if person is not None else []

    def invoke(self, context, event):
        armatures = self._armatures(context)
        if armatures and not self.filepath:
            name = default_filename(armatures[0], self.target) if len(armatures) == 1 else (
                bpy.path.clean_name(context.scene.name) + export_presets.SUFFIXES[self.target])
            folder = os.path.dirname(bpy.data.filepath) if bpy.data.filepath else ""
            self.filepath = os.path.join(folder, name)
        context.window_manager.fileselect_add(self)
        return {"RUNNING_MODAL"}

    def check(self, context):
        suffix = export_presets.SUFFIXES[self.target]
        root, ext = os.path.splitext(self.filepath)
        if ext.lower() == suffix or not self.filepath:
            return False
        known = {s for s in export_presets.SUFFIXES.values()}
        self.filepath = (root if ext.lower() in known else self.filepath) + suffix
        return True

    def execute(self, context):
        armatures = self._armatures(context)
        try:
            if not armatures:
                raise InputError("select a person's armature (made by Import capture) or a retargeted character, "
                                 "or use Export every person.")
            if not self.filepath:
                raise InputError("choose a file to export to.")
            options = export_presets.ExportOptions(
                target=self.target, with_body=self.with_body, at_origin=self.at_origin,
                smplx_model_path=preferences.smplx_model_path(preferences.get_preferences(context)))
            paths = output_paths(bpy.path.abspath(self.filepath), armatures, self.target)
            results = [export_person(context, armature, path, options) for armature, path in zip(armatures, paths)]
        except CaptureError as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        for result in results:
            for warning in result.warnings:
                self.report({"WARNING"}, warning)
        where = results[0].filepath if len(results) == 1 else results[0].filepath.parent
        self.report({"INFO"}, f"Exported {len(results)} {'person' if len(results) == 1 else 'people'} to {where}")
        return {"FINISHED"}


class WHOLEBODY_OT_export_person(_ExportPeople, bpy.types.Operator):
    """Export the selected captured person (armature, body optional) to FBX, BVH, glTF or SMPL-X"""

    bl_idname = "wholebody.export_person"
    bl_label = "Export person"
    bl_options = {"REGISTER"}


class WHOLEBODY_OT_export_people(_ExportPeople, bpy.types.Operator):
    """Export every captured person of the scene, one file each"""

    bl_idname = "wholebody.export_people"
    bl_label = "Export every person"
    bl_options = {"REGISTER"}
    _ALL = True
