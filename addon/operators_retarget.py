"""Retarget operators: propose a bone map, save/load it as a JSON preset, bake, restore the previous action."""
from __future__ import annotations

import time
from pathlib import Path

import bpy
from bpy.props import StringProperty
from bpy_extras.io_utils import ExportHelper, ImportHelper

from ..wholebody_core.errors import CaptureError, InputError
from ..wholebody_core.npz_io import write_text_atomically
from . import retarget_map
from .retarget_ui import bone_map, set_bone_map


def _target(context):
    target = context.scene.wholebody_retarget.target
    if target is None or target.type != "ARMATURE":
        raise InputError("set the Target to your character's armature first.")
    return target


class WHOLEBODY_OT_retarget_propose_map(bpy.types.Operator):
    """Fill the bone map from the target's bone names (Mixamo, Rigify, Unreal, VRM, MakeHuman, generic names)"""

    bl_idname = "wholebody.retarget_propose_map"
    bl_label = "Auto map"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        settings = context.scene.wholebody_retarget
        try:
            target = _target(context)
        except CaptureError as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        mapping, profile = retarget_map.propose_map([b.name for b in target.data.bones])
        set_bone_map(settings, mapping)
        settings.rig_profile = profile
        missing = retarget_map.missing_required(mapping)
        if missing:
            self.report({"WARNING"}, f"Mapped {len(mapping)} bones ({profile}); still to map by hand: "
                                     f"{', '.join(missing)}")
        else:
            self.report({"INFO"}, f"Mapped {len(mapping)} bones ({profile} rig)")
        return {"FINISHED"}


class WHOLEBODY_OT_retarget_save_preset(bpy.types.Operator, ExportHelper):
    """Save the bone map as a JSON preset"""

    bl_idname = "wholebody.retarget_save_preset"
    bl_label = "Save retarget preset"
    filename_ext = ".json"
    filter_glob: StringProperty(default="*.json", options={"HIDDEN"})

    def execute(self, context):
        settings = context.scene.wholebody_retarget
        path = Path(bpy.path.abspath(self.filepath))
        try:
            write_text_atomically(path, retarget_map.map_to_json(bone_map(settings), settings.rig_profile))
        except OSError as error:
            self.report({"ERROR"}, f"cannot write {path} ({error.strerror}); choose a folder you can write to.")
            return {"CANCELLED"}
        self.report({"INFO"}, f"Saved the bone map to {path}")
        return {"FINISHED"}


class WHOLEBODY_OT_retarget_load_preset(bpy.types.Operator, ImportHelper):
    """Load a bone map from a JSON preset"""

    bl_idname = "wholebody.retarget_load_preset"
    bl_label = "Load retarget preset"
    bl_options = {"REGISTER", "UNDO"}
    filename_ext = ".json"
    filter_glob: StringProperty(default="*.json", options={"HIDDEN"})

    def execute(self, context):
        settings = context.scene.wholebody_retarget
        path = Path(bpy.path.abspath(self.filepath))
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            self.report({"ERROR"}, f"cannot read {path} ({error.strerror}); choose a preset file.")
            return {"CANCELLED"}
        try:
            mapping = retarget_map.map_from_json(text)
        except CaptureError as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        set_bone_map(settings, mapping)
        settings.rig_profile = f"preset {path.stem}"
        self.report({"INFO"}, f"Loaded {len(mapping)} bones from {path.name}")
        return {"FINISHED"}


TIMER_INTERVAL_S = 0.02        # the modal retarget's timer
STEP_BUDGET_S = 0.1            # work per timer event: the UI redraws (progress) between them


class WHOLEBODY_OT_retarget(bpy.types.Operator):
    """Bake the source person's motion onto the target armature, as a new action (Esc cancels)"""

    bl_idname = "wholebody.retarget"
    bl_label = "Retarget"
    bl_options = {"REGISTER", "UNDO"}
    _steps = None                  # the running bake (``retarget_steps``), modal only
    _timer = None
    _fraction = 0.0

    @classmethod
    def poll(cls, context):
        return context.scene is not None and context.mode in ("OBJECT", "POSE")

    def _options(self, context):
        from .retarget import RetargetOptions

        settings, scene = context.scene.wholebody_retarget, context.scene
        return RetargetOptions(frame_start=scene.frame_start, frame_end=scene.frame_end,
                               scale_root=settings.scale_root, lock_feet=settings.lock_feet,
                               placement=settings.placement, contact_height_m=settings.contact_height,
                               contact_speed_mps=settings.contact_speed)

    def execute(self, context):
        """From a script: the whole bake before it returns (Blender blocks meanwhile)."""
        from .retarget import retarget
        from .retarget_live import add_live

        settings = context.scene.wholebody_retarget
        try:
            if settings.use_live:
                helper = add_live(context, settings.source, settings.target, bone_map(settings),
                                  self._options(context))
            else:
                result = retarget(context, settings.source, settings.target, bone_map(settings),
                                  self._options(context))
        except CaptureError as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        if settings.use_live:
            self.report({"INFO"}, f"{settings.target.name!r} now follows {settings.source.name!r} live "
                                  f"(constraints, helper {helper.name!r}); Restore removes them")
            return {"FINISHED"}
        self._report_result(context, result)
        return {"FINISHED"}

    def _report_result(self, context, result) -> None:
        settings = context.scene.wholebody_retarget
        for warning in result.warnings:
            self.report({"WARNING"}, warning)
        kept = f"; the previous action {result.previous_action.name!r} is kept" if result.previous_action else ""
        self.report({"INFO"}, f"Retargeted {len(result.frames)} frames onto {settings.target.name!r} as "
                              f"{result.action.name!r} (root scale {result.ratio:.2f}){kept}")

    # From the UI: modal, a few frames per timer event, a progress bar and status text, Esc cancels.
    def invoke(self, context, event):
        if context.scene.wholebody_retarget.use_live:
            return self.execute(context)
        started = self.start(context)
        if started != {"RUNNING_MODAL"}:
            return started or {"CANCELLED"}
        context.window_manager.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def start(self, context):
        """Checks the input (the generator's first step) and starts the timer and the progress bar;
        None (reported) when the input is wrong and nothing changed."""
        from .retarget import retarget_steps

        settings = context.scene.wholebody_retarget
        self._steps = retarget_steps(context, settings.source, settings.target, bone_map(settings),
                                     self._options(context))
        try:
            self._fraction = next(self._steps)
        except CaptureError as error:
            self._steps = None
            self.report({"ERROR"}, str(error))
            return None
        except StopIteration as stop:          # nothing to step through: done already
            self._steps, self._timer = None, None
            self._report_result(context, stop.value)
            return {"FINISHED"}
        window_manager = context.window_manager
        self._timer = window_manager.event_timer_add(TIMER_INTERVAL_S, window=context.window)
        window_manager.progress_begin(0.0, 1.0)
        self._show(context)
        return {"RUNNING_MODAL"}

    def _show(self, context) -> None:
        context.window_manager.progress_update(self._fraction)
        if context.workspace is not None:
            context.workspace.status_text_set(f"Retargeting onto {context.scene.wholebody_retarget.target.name}: "
                                              f"{100.0 * self._fraction:.0f}%  (Esc to cancel)")

    def _end(self, context) -> None:
        window_manager = context.window_manager
        if self._timer is not None:
            window_manager.event_timer_remove(self._timer)
            self._timer = None
        window_manager.progress_end()
        if context.workspace is not None:
            context.workspace.status_text_set(None)

    def modal(self, context, event):
        if event.type == "ESC" and event.value == "PRESS":
            self.cancel(context)
            self.report({"WARNING"}, "Retarget cancelled; the character keeps its previous action.")
            return {"CANCELLED"}
        if event.type != "TIMER":
            return {"RUNNING_MODAL"}          # the bake sets frames and poses: no edits meanwhile
        deadline = time.monotonic() + STEP_BUDGET_S
        try:
            while True:                       # at least one step per event
                self._fraction = next(self._steps)
                if time.monotonic() >= deadline:
                    break
        except StopIteration as stop:
            self._steps = None
            self._end(context)
            self._report_result(context, stop.value)
            return {"FINISHED"}
        except CaptureError as error:
            self._steps = None
            self._end(context)
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        self._show(context)
        return {"RUNNING_MODAL"}

    def cancel(self, context):
        """Esc, or Blender ending the operator: stops the bake, the character keeps its previous action."""
        if self._steps is not None:
            self._steps.close()
            self._steps = None
        self._end(context)


class WHOLEBODY_OT_retarget_restore_action(bpy.types.Operator):
    """Give the target back the action it had before the last retarget, and remove live-retarget constraints"""

    bl_idname = "wholebody.retarget_restore_action"
    bl_label = "Restore previous action"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        from .retarget import PREVIOUS_ACTION_PROPERTY, restore_previous_action
        from .retarget_live import remove_live

        try:
            target = _target(context)
            removed = remove_live(target)
            restored, action = False, None
            if PREVIOUS_ACTION_PROPERTY in target or not removed:
                action, restored = restore_previous_action(target), True
        except CaptureError as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        done = ([f"restored {action.name!r}" if action else "removed the retarget action"] if restored else []) + (
            ["removed the live constraints"] if removed else [])
        self.report({"INFO"}, " and ".join(done).capitalize())
        return {"FINISHED"}
