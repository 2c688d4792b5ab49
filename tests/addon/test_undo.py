"""Undo after an import (issue 4: undo never loses anything of the user's).

Blender's undo needs a window in the context; bpy from PyPI has one that is
never shown, so ``temp_override(window=...)`` gives ``ed.undo`` what the UI gives it.
In background mode Blender does not push the undo step that an operator with the
UNDO flag gets in the UI, so the test pushes it after the import, as the UI would.
"""
from __future__ import annotations

import bpy

from capture_factory import synthetic_capture


def _names():
    return ({o.name for o in bpy.data.objects}, {a.name for a in bpy.data.actions},
            {c.name for c in bpy.data.collections})


def test_undo_removes_the_import_and_keeps_the_users_work_and_redo_restores_it(clean_scene, tmp_path):
    path, _ = synthetic_capture(tmp_path / "walk.capture.npz", num_people=2, num_frames=12, source="walk.mp4")
    window = bpy.context.window_manager.windows[0]
    with bpy.context.temp_override(window=window):
        user_object = bpy.data.objects.new("walk_person1", None)        # the user's, with a clashing name
        bpy.context.scene.collection.objects.link(user_object)
        bpy.data.actions.new("walk_person1_action").use_fake_user = True
        bpy.ops.ed.undo_push(message="the user's work")
        before = _names()
        assert bpy.ops.wholebody.import_capture(filepath=str(path), body="DEFAULT") == {"FINISHED"}
        assert "UNDO" in bpy.types.WHOLEBODY_OT_import_capture.bl_options
        bpy.ops.ed.undo_push(message="Import capture")
        imported = _names()
        assert len(imported[0]) > len(before[0]) and "walk capture" in imported[2]
        assert bpy.ops.ed.undo() == {"FINISHED"}
        assert _names() == before
        assert bpy.data.objects["walk_person1"].type == "EMPTY"
        assert bpy.ops.ed.redo() == {"FINISHED"}
        assert _names() == imported
        armatures = [o for o in bpy.data.collections["walk capture"].objects if o.type == "ARMATURE"]
        assert len(armatures) == 2 and all(a.animation_data.action is not None for a in armatures)
