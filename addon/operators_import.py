"""``bpy.ops.wholebody.import_capture``: a .capture.npz into the scene."""
from __future__ import annotations

import os

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, StringProperty
from bpy_extras.io_utils import ImportHelper

from ..wholebody_core.capture_format import read_capture
from ..wholebody_core.errors import CaptureError
from . import preferences

BODY_ITEMS = [
    ("AUTO", "Auto", "The SMPL-X mesh when its model folder is set, else the default body"),
    ("SMPLX", "SMPL-X mesh", "Needs the SMPL-X model folder in the preferences"),
    ("DEFAULT", "Default body", "Capsules skinned to the armature"),
    ("NONE", "None", "Armatures only"),
]


def import_capture_file(context, filepath: str, *, use_floor: bool, body: str,
                        sensor_width_mm: float, source_path: str = ""):
    """Reads (pure, may raise CaptureError) then builds (bpy). Returns the ImportResult."""
    from .import_scene import ImportOptions, build_capture_scene

    capture = read_capture(filepath)
    prefs = preferences.get_preferences(context)
    model = preferences.smplx_model_path(prefs)
    if body == "SMPLX" and not model:
        raise CaptureError("the SMPL-X mesh needs your SMPL-X model folder: set it in the add-on "
                           "preferences, or choose the default body.")
    options = ImportOptions(body=body, use_floor=use_floor, sensor_width_mm=sensor_width_mm,
                            source_path=source_path, smplx_model_path=model if body != "DEFAULT" else "")
    return build_capture_scene(context, capture, filepath, options)


def report_import(report, result) -> None:
    """Tells the user what an import built (``report``: an operator's ``report``)."""
    for warning in result.warnings:
        report({"WARNING"}, warning)
    report({"INFO"}, f"Imported {len(result.armatures)} people into collection {result.collection.name!r}")


class WHOLEBODY_OT_import_capture(bpy.types.Operator, ImportHelper):
    """Import a capture file: one SMPL-X armature per person, a camera with the footage"""

    bl_idname = "wholebody.import_capture"
    bl_label = "Import capture"
    bl_options = {"REGISTER", "UNDO"}

    filename_ext = ".npz"
    filter_glob: StringProperty(default="*.capture.npz", options={"HIDDEN"})
    use_floor: BoolProperty(name="Put people on a floor", default=False,
                            description="Fit a ground plane to the feet and make it Z = 0")
    body: EnumProperty(name="Body", items=BODY_ITEMS, default="AUTO")
    sensor_width: FloatProperty(name="Sensor width (mm)", default=36.0, min=1.0, max=200.0)
    source_path: StringProperty(name="Footage", subtype="FILE_PATH",
                                description="The source video/image when it is not next to the capture")

    @classmethod
    def poll(cls, context):
        return context.scene is not None and (context.mode == "OBJECT")

    def invoke(self, context, event):
        # the panel's button passes the capture it just made: import it without asking
        if self.filepath and os.path.isfile(bpy.path.abspath(self.filepath)):
            return self.execute(context)
        return ImportHelper.invoke(self, context, event)

    def execute(self, context):
        filepath = bpy.path.abspath(self.filepath)
        if not os.path.isfile(filepath):
            self.report({"ERROR"}, f"capture file {filepath!r} does not exist; choose a .capture.npz file.")
            return {"CANCELLED"}
        try:
            result = import_capture_file(context, filepath, use_floor=self.use_floor, body=self.body,
                                         sensor_width_mm=self.sensor_width, source_path=self.source_path)
        except CaptureError as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        report_import(self.report, result)
        return {"FINISHED"}
