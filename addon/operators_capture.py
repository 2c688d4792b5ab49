"""``bpy.ops.wholebody.capture``: run the core as a worker process, then import.

Blender's convention (as for rendering): **invoked** from the UI (the Mocap
panel's button) the operator is modal: a timer drains the worker's records into
``window_manager.wholebody_progress`` (panel and status bar), Esc or **Cancel**
stops the worker. **Executed** (``bpy.ops.wholebody.capture(...)`` from a
script, ``blender --background``, bpy from PyPI) it waits for the worker and
returns once the capture is imported, so the next line of the script sees it.
Both paths run the same :class:`CaptureRun` steps: start, tick, finish.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

import bpy
from bpy.props import BoolProperty, StringProperty

from ..wholebody_core.errors import CaptureError
from . import preferences
from .operators_import import import_capture_file, report_import
from .properties import capture_request, status_text
from .worker import EXIT_CANCELLED, WorkerProcess, capture_command, default_output_path, error_message

TIMER_INTERVAL_S = 0.2
Report = Callable[[set, str], None]     # an operator's ``report``


def _apply_record(progress, record: dict) -> None:
    event = record.get("event")
    if event == "start":
        progress.frames_total = int(record.get("total_frames") or 0)
        progress.message = f"Capturing {record.get('source', '')}"
    elif event == "progress":
        progress.frames_done = int(record.get("done", 0))
        progress.frames_total = int(record.get("total") or progress.frames_total)
        progress.fps = float(record.get("fps") or 0.0)
        progress.eta_s = float(record.get("eta_s") or 0.0)
    elif event == "done":
        progress.frames_done = int(record.get("frames", progress.frames_done))
        progress.message = str(record.get("message", ""))
    if progress.frames_total:
        progress.factor = min(1.0, progress.frames_done / progress.frames_total)


def _redraw(context) -> None:
    for window in context.window_manager.windows:
        for area in window.screen.areas:
            if area.type in {"VIEW_3D", "STATUSBAR"}:
                area.tag_redraw()


class CaptureRun:
    """The one running capture (the UI allows one at a time): its worker and what to do when it ends."""

    def __init__(self):
        self.worker: WorkerProcess | None = None
        self.output_path: str = ""
        self.source_path: str = ""
        self.import_result: bool = True
        self.records: list[dict] = []
        self.cancel_requested = False

    def reset(self):
        self.__init__()

    def start(self, context, filepath: str, output_path: str = "", import_result: bool = True) -> str | None:
        """Starts the worker on ``filepath`` (empty: the panel's file); returns an error message or None."""
        settings = context.scene.wholebody
        source_path = filepath or settings.input_path
        input_path = bpy.path.abspath(source_path)
        if not input_path or not os.path.isfile(input_path):
            return f"video or image {input_path!r} does not exist; choose a file in the Mocap panel."
        prefs = preferences.get_preferences(context)
        core_python = preferences.resolve_core_python(prefs)
        if not core_python or not os.path.isfile(core_python):
            return ("the core's Python environment is missing: press Install dependencies in the "
                    "add-on preferences, or set Core Python.")
        input_path = os.path.abspath(input_path)  # the worker runs in the extension's folder
        output = os.path.abspath(bpy.path.abspath(output_path)) if output_path \
            else str(default_output_path(input_path))
        if os.path.exists(output):
            return f"{output} already exists; choose another capture file name."
        request = capture_request(settings, output, prefs.device if prefs else "auto",
                                  preferences.smplx_model_path(prefs))
        request.input_path = input_path
        for key, value in preferences.backend_request_fields(prefs).items():
            setattr(request, key, value)
        self.reset()
        self.output_path, self.source_path, self.import_result = output, source_path, import_result
        self.worker = WorkerProcess(capture_command(core_python, request))
        progress = context.window_manager.wholebody_progress
        progress.running, progress.frames_done, progress.frames_total = True, 0, 0
        progress.fps = progress.eta_s = progress.factor = 0.0
        progress.message = "Starting the capture worker..."
        return None

    def tick(self, context) -> int | None:
        """One timer tick: passes a cancel on, shows the new records; the exit status once the worker ended.

        Never blocks: a cancel sends SIGTERM once (SIGKILL when overdue) and the
        next ticks wait for the worker to exit.
        """
        progress = context.window_manager.wholebody_progress
        if self.cancel_requested:
            self.worker.request_stop()
            progress.message = "Cancelling..."
        for record in self.worker.poll():
            self.records.append(record)
            _apply_record(progress, record)
        if context.workspace is not None:
            context.workspace.status_text_set(status_text(progress))
        _redraw(context)
        return self.worker.returncode()

    def finish(self, context, exit_code: int, report: Report) -> set[str]:
        """After the worker exited: imports the capture, or reports why not; the operator's result."""
        worker, output, records = self.worker, self.output_path, self.records
        cancelled = self.cancel_requested or exit_code == EXIT_CANCELLED
        source_path, import_result = self.source_path, self.import_result
        self.reset()
        context.window_manager.wholebody_progress.running = False
        if context.workspace is not None:
            context.workspace.status_text_set(None)
        _redraw(context)
        if cancelled:
            # a worker that finished just before the cancel leaves a file: the user asked for none
            if os.path.exists(output) and exit_code == 0:
                os.remove(output)
            report({"WARNING"}, "Capture cancelled; the scene was not changed.")
            return {"CANCELLED"}
        if exit_code != 0:
            report({"ERROR"}, error_message(records, worker, exit_code))
            return {"CANCELLED"}
        settings = context.scene.wholebody
        settings.capture_path = output
        if not import_result:
            report({"INFO"}, f"Capture written to {output}")
            return {"FINISHED"}
        try:
            result = import_capture_file(context, output, use_floor=settings.use_floor, body=settings.body,
                                         sensor_width_mm=settings.sensor_mm, source_path=source_path)
        except CaptureError as error:
            report({"ERROR"}, str(error))
            return {"CANCELLED"}
        report_import(report, result)
        return {"FINISHED"}

    def abandon(self) -> None:
        """Ends the worker now and removes its output (Blender quits, a file loads, the add-on goes)."""
        if self.worker is not None:
            self.worker.cancel()
            output = Path(self.output_path)
            self.reset()
            if output.is_file():
                output.unlink()


capture_state = CaptureRun()


class WHOLEBODY_OT_capture(bpy.types.Operator):
    """Capture the people in a video or image with the core, then import them"""

    bl_idname = "wholebody.capture"
    bl_label = "Capture from video"
    # no REGISTER: a redo panel would re-run the whole capture on every change
    bl_options = {"UNDO"}

    filepath: StringProperty(name="Video or image", subtype="FILE_PATH",
                             description="The footage (empty: the Mocap panel's file)")
    output_path: StringProperty(name="Capture file", subtype="FILE_PATH",
                                description="Where to write the .capture.npz (empty: next to the footage)")
    import_result: BoolProperty(name="Import", default=True,
                                description="Import the capture into the scene when it is done")

    _timer = None

    @classmethod
    def poll(cls, context):
        return (context.scene is not None and hasattr(context.scene, "wholebody")
                and capture_state.worker is None)

    def _start(self, context) -> bool:
        error = capture_state.start(context, self.filepath, self.output_path, self.import_result)
        if error is not None:
            self.report({"ERROR"}, error)
        return error is None

    def invoke(self, context, event):
        """From the UI: modal, Blender stays responsive."""
        if context.window is None:
            return self.execute(context)
        if not self._start(context):
            return {"CANCELLED"}
        wm = context.window_manager
        self._timer = wm.event_timer_add(TIMER_INTERVAL_S, window=context.window)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        if event.type == "ESC" and event.value == "PRESS":
            capture_state.cancel_requested = True
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        code = capture_state.tick(context)
        if code is None:
            return {"PASS_THROUGH"}
        context.window_manager.event_timer_remove(self._timer)
        self._timer = None
        return capture_state.finish(context, code, self.report)

    def execute(self, context):
        """From a script: returns when the capture is imported (Ctrl-C cancels)."""
        if not self._start(context):
            return {"CANCELLED"}
        try:
            while (code := capture_state.tick(context)) is None:
                time.sleep(0.05)
        except KeyboardInterrupt:
            capture_state.cancel_requested = True
            code = capture_state.worker.cancel()
        return capture_state.finish(context, code, self.report)

    def cancel(self, context):
        """Blender ends the modal operator (a file is loaded, Blender quits): stop the worker."""
        if self._timer is not None:
            context.window_manager.event_timer_remove(self._timer)
            self._timer = None
        cancel_running_capture()
        context.window_manager.wholebody_progress.running = False


class WHOLEBODY_OT_cancel_capture(bpy.types.Operator):
    """Stop the running capture; the scene stays as it was"""

    bl_idname = "wholebody.cancel_capture"
    bl_label = "Cancel"
    bl_options = {"REGISTER"}

    @classmethod
    def poll(cls, context):
        return capture_state.worker is not None

    def execute(self, context):
        capture_state.cancel_requested = True
        return {"FINISHED"}


def cancel_running_capture() -> None:
    """Ends a running worker (used when the add-on is unregistered)."""
    capture_state.abandon()
