"""The Blender side of Whole-Body Mocap: everything that imports bpy.

Registration is one ``classes`` tuple; :func:`unregister` mirrors :func:`register`.
"""
from __future__ import annotations

import bpy

from .operators_capture import WHOLEBODY_OT_cancel_capture, WHOLEBODY_OT_capture, cancel_running_capture
from .operators_export import WHOLEBODY_OT_export_people, WHOLEBODY_OT_export_person
from .operators_import import WHOLEBODY_OT_import_capture
from .operators_install import WHOLEBODY_OT_cancel_install, WHOLEBODY_OT_install_dependencies, stop_install
from .operators_retarget import (WHOLEBODY_OT_retarget, WHOLEBODY_OT_retarget_load_preset,
                                 WHOLEBODY_OT_retarget_propose_map, WHOLEBODY_OT_retarget_restore_action,
                                 WHOLEBODY_OT_retarget_save_preset)
from .panels import WHOLEBODY_PT_mocap
from .preferences import WHOLEBODY_AP_preferences
from .properties import (WHOLEBODY_PG_progress, WHOLEBODY_PG_settings, register_properties,
                         unregister_properties)
from .retarget_ui import (WHOLEBODY_PG_retarget, WHOLEBODY_PG_retarget_bone, WHOLEBODY_UL_retarget_bones,
                          register_properties as register_retarget_properties,
                          unregister_properties as unregister_retarget_properties)

classes = (
    WHOLEBODY_AP_preferences,
    WHOLEBODY_PG_settings,
    WHOLEBODY_PG_progress,
    WHOLEBODY_OT_import_capture,
    WHOLEBODY_OT_export_person,
    WHOLEBODY_OT_export_people,
    WHOLEBODY_OT_capture,
    WHOLEBODY_OT_cancel_capture,
    WHOLEBODY_OT_install_dependencies,
    WHOLEBODY_OT_cancel_install,
    WHOLEBODY_PG_retarget_bone,
    WHOLEBODY_PG_retarget,
    WHOLEBODY_UL_retarget_bones,
    WHOLEBODY_OT_retarget_propose_map,
    WHOLEBODY_OT_retarget_save_preset,
    WHOLEBODY_OT_retarget_load_preset,
    WHOLEBODY_OT_retarget,
    WHOLEBODY_OT_retarget_restore_action,
    WHOLEBODY_PT_mocap,
)


def _menu_import(self, context):
    self.layout.operator(WHOLEBODY_OT_import_capture.bl_idname, text="Whole-body capture (.capture.npz)")


def _menu_export(self, context):
    self.layout.operator_menu_enum(WHOLEBODY_OT_export_person.bl_idname, "target",
                                   text="Whole-body capture: selected person")
    self.layout.operator_menu_enum(WHOLEBODY_OT_export_people.bl_idname, "target",
                                   text="Whole-body capture: every person")


def register():
    for cls in classes:
        bpy.utils.register_class(cls)
    register_properties()
    register_retarget_properties()
    bpy.types.TOPBAR_MT_file_import.append(_menu_import)
    bpy.types.TOPBAR_MT_file_export.append(_menu_export)


def unregister():
    cancel_running_capture()
    stop_install()
    bpy.types.TOPBAR_MT_file_export.remove(_menu_export)
    bpy.types.TOPBAR_MT_file_import.remove(_menu_import)
    unregister_retarget_properties()
    unregister_properties()
    for cls in reversed(classes):
        bpy.utils.unregister_class(cls)
