"""Register/unregister through Blender's addon_utils, twice; the panel draws; polls run."""
from __future__ import annotations

import addon_utils
import bpy
import pytest

from addon_paths import PACKAGE

CLASS_NAMES = ("WHOLEBODY_PT_mocap", "WHOLEBODY_PG_settings", "WHOLEBODY_PG_progress",
               "WHOLEBODY_AP_preferences", "WHOLEBODY_PG_retarget", "WHOLEBODY_UL_retarget_bones")
OPERATORS = ("import_capture", "capture", "cancel_capture", "install_dependencies", "export_person",
             "export_people", "retarget", "retarget_propose_map", "retarget_save_preset",
             "retarget_load_preset", "retarget_restore_action")


def _registered() -> dict[str, bool]:
    return {
        "classes": any(hasattr(bpy.types, name) for name in CLASS_NAMES),
        "operators": any(hasattr(bpy.types, f"WHOLEBODY_OT_{op}") for op in OPERATORS),
        "scene_property": "wholebody" in bpy.types.Scene.bl_rna.properties,
        "retarget_property": "wholebody_retarget" in bpy.types.Scene.bl_rna.properties,
        "wm_property": "wholebody_progress" in bpy.types.WindowManager.bl_rna.properties,
        "menu": any(getattr(f, "__module__", "").startswith(PACKAGE)
                    for f in bpy.types.TOPBAR_MT_file_import._dyn_ui_initialize()),
        "export_menu": any(getattr(f, "__module__", "").startswith(PACKAGE)
                           for f in bpy.types.TOPBAR_MT_file_export._dyn_ui_initialize()),
        "preferences": bpy.context.preferences.addons.get(PACKAGE) is not None,
    }


def test_register_unregister_twice_leaves_nothing(addon_package):
    from wholebody_mocap.addon import classes
    from wholebody_mocap.addon.operators_install import _poll_install

    try:
        for _ in range(2):
            assert all(_registered().values()), _registered()
            assert all(cls.is_registered for cls in classes)
            addon_utils.disable(PACKAGE, default_set=True, handle_error=None)
            assert not any(_registered().values()), _registered()
            assert not any(cls.is_registered for cls in classes)
            assert not bpy.app.timers.is_registered(_poll_install)
            addon_utils.enable(PACKAGE, default_set=True, handle_error=None)
    finally:
        if bpy.context.preferences.addons.get(PACKAGE) is None:
            addon_utils.enable(PACKAGE, default_set=True, handle_error=None)
    assert all(_registered().values())


class _RecordingLayout:
    """Stands in for the UILayout Blender gives a panel (there is no window headless):
    checks every property and operator the panel names against the real RNA."""

    def __init__(self, log):
        self.log = log
        self.enabled = True

    def prop(self, data, name, **kwargs):
        assert name in data.bl_rna.properties, f"{type(data).__name__} has no property {name!r}"
        self.log.append(("prop", name))

    def operator(self, idname, **kwargs):
        category, name = idname.split(".")
        op = getattr(getattr(bpy.ops, category), name)
        properties = op.get_rna_type().properties
        self.log.append(("operator", idname))
        log = self.log

        class _Props:
            def __setattr__(self, key, value):
                assert key in properties, f"{idname} has no property {key!r}"
                log.append(("set", idname, key))
        return _Props()

    def operator_menu_enum(self, idname, property, **kwargs):
        category, name = idname.split(".")
        properties = getattr(getattr(bpy.ops, category), name).get_rna_type().properties
        assert property in properties and properties[property].type == "ENUM", f"{idname} has no enum {property!r}"
        self.log.append(("operator_menu_enum", idname, property))

    def prop_search(self, data, name, search_data, search_name, **kwargs):
        assert name in data.bl_rna.properties, f"{type(data).__name__} has no property {name!r}"
        assert search_name in search_data.bl_rna.properties, f"{type(search_data).__name__} has no {search_name!r}"
        self.log.append(("prop_search", name))

    def template_list(self, list_type, list_id, data, name, active_data, active_name, **kwargs):
        assert hasattr(bpy.types, list_type), f"UIList {list_type} is not registered"
        assert name in data.bl_rna.properties and active_name in active_data.bl_rna.properties
        self.log.append(("template_list", list_type))

    def label(self, **kwargs):
        self.log.append(("label", kwargs.get("text", "")))

    def separator(self, **kwargs):
        pass

    def row(self, **kwargs):
        return self

    column = box = split = row


class _WithLayout:
    """The real preferences with a recording layout (AddonPreferences.layout is read-only)."""

    def __init__(self, target, layout):
        self.layout = layout
        self._target = target

    def __getattr__(self, name):
        return getattr(self._target, name)


def test_panel_draws_and_polls_run(clean_scene):
    from wholebody_mocap.addon.panels import WHOLEBODY_PT_mocap

    log = []
    panel = type("PanelSelf", (), {"layout": _RecordingLayout(log)})()
    for focal_mode in ("AUTO", "MM", "PIXELS"):
        clean_scene.wholebody.focal_mode = focal_mode
        WHOLEBODY_PT_mocap.draw(panel, bpy.context)
    assert ("operator", "wholebody.capture") in log and ("operator", "wholebody.import_capture") in log
    assert ("prop", "focal_mm") in log and ("prop", "focal_px") in log
    assert ("operator_menu_enum", "wholebody.export_person", "target") in log
    assert ("operator_menu_enum", "wholebody.export_people", "target") in log
    assert ("template_list", "WHOLEBODY_UL_retarget_bones") in log and ("operator", "wholebody.retarget") in log
    progress = bpy.context.window_manager.wholebody_progress
    progress.running, progress.frames_done, progress.frames_total = True, 3, 10
    try:
        log.clear()
        WHOLEBODY_PT_mocap.draw(panel, bpy.context)
        assert ("operator", "wholebody.cancel_capture") in log
        assert any(entry[0] == "label" and entry[1].startswith("Capturing: 3/10") for entry in log)
    finally:
        progress.running = False
    assert bpy.ops.wholebody.import_capture.poll()
    assert bpy.ops.wholebody.capture.poll()
    assert not bpy.ops.wholebody.cancel_capture.poll()   # nothing running
    assert bpy.ops.wholebody.install_dependencies.poll()
    assert not bpy.ops.wholebody.export_person.poll() and not bpy.ops.wholebody.export_people.poll()  # nobody
    prefs = bpy.context.preferences.addons[PACKAGE].preferences
    log.clear()
    type(prefs).draw(_WithLayout(prefs, _RecordingLayout(log)), bpy.context)
    assert ("operator", "wholebody.install_dependencies") in log
    assert ("prop", "core_python") in log and ("prop", "smplx_model_dir") in log


def test_missing_file_is_an_error_report(clean_scene, tmp_path):
    with pytest.raises(RuntimeError, match="does not exist"):
        bpy.ops.wholebody.import_capture(filepath=str(tmp_path / "nothing.capture.npz"))
    bad = tmp_path / "bad.capture.npz"
    bad.write_bytes(b"not a zip file" * 10)
    with pytest.raises(RuntimeError, match="not a readable capture file"):
        bpy.ops.wholebody.import_capture(filepath=str(bad))
    assert len(bpy.data.objects) == 0 and len(bpy.data.collections) == 0


def test_install_dependencies_reports_a_missing_python(clean_scene, tmp_path):
    from wholebody_mocap.addon.operators_install import install_state

    prefs = bpy.context.preferences.addons[PACKAGE].preferences
    prefs.base_python = str(tmp_path / "no_such_python")
    try:
        with pytest.raises(RuntimeError, match="Python for installing"):
            bpy.ops.wholebody.install_dependencies()
    finally:
        prefs.base_python = ""
    assert install_state.worker is None
