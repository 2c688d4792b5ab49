"""The **Mocap** tab of the 3D viewport's sidebar."""
from __future__ import annotations

import bpy

from . import preferences
from .properties import status_text
from .retarget_ui import draw_retarget


class WHOLEBODY_PT_mocap(bpy.types.Panel):
    bl_idname = "WHOLEBODY_PT_mocap"
    bl_label = "Whole-Body Mocap"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Mocap"

    def draw(self, context):
        layout = self.layout
        settings = context.scene.wholebody
        progress = context.window_manager.wholebody_progress
        if not preferences.resolve_core_python(preferences.get_preferences(context)):
            layout.label(text="Install dependencies in the preferences", icon="ERROR")
        layout.prop(settings, "input_path")
        column = layout.column(align=True)
        column.prop(settings, "use_range")
        row = column.row(align=True)
        row.enabled = settings.use_range
        row.prop(settings, "frame_start")
        row.prop(settings, "frame_end")
        column.prop(settings, "stride")
        layout.prop(settings, "max_people")
        layout.prop(settings, "focal_mode")
        if settings.focal_mode == "MM":
            layout.prop(settings, "focal_mm")
        elif settings.focal_mode == "PIXELS":
            layout.prop(settings, "focal_px")
        layout.prop(settings, "sensor_mm")
        row = layout.row(align=True)
        row.prop(settings, "use_smoothing")
        sub = row.row()
        sub.enabled = settings.use_smoothing
        sub.prop(settings, "smoothing")
        layout.prop(settings, "use_floor")
        layout.prop(settings, "body")
        if progress.running:
            box = layout.box()
            box.label(text=status_text(progress))
            box.prop(progress, "factor", slider=True)
            box.operator("wholebody.cancel_capture", icon="CANCEL")
        else:
            op = layout.operator("wholebody.capture", icon="RENDER_ANIMATION")
            op.filepath = settings.input_path
        layout.separator()
        layout.prop(settings, "capture_path")
        op = layout.operator("wholebody.import_capture", icon="IMPORT")
        op.filepath = settings.capture_path
        op.use_floor = settings.use_floor
        op.body = settings.body
        op.sensor_width = settings.sensor_mm
        op.source_hint = settings.input_path   # used only when it is the capture's own source
        layout.separator()
        column = layout.column(align=True)
        column.label(text="Export (FBX, BVH, glTF, SMPL-X)")
        row = column.row(align=True)
        row.operator_menu_enum("wholebody.export_person", "target", text="Selected person", icon="EXPORT")
        row.operator_menu_enum("wholebody.export_people", "target", text="Every person")
        layout.separator()
        draw_retarget(layout, context)
