"""``bpy.ops.wholebody.capture``: run the core as a worker process, then import.

With a window the operator is modal: a timer drains the worker's records into
``window_manager.wholebody_progress`` (panel and status bar), Esc or **Cancel**
terminates the worker. With no window (``blender --background``, bpy from PyPI)
it waits for the worker and returns when the capture is imported.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import bpy
from bpy.props import BoolProperty, StringProperty

from ..wholebody_core.errors import CaptureError
from . import preferences
from .operators_import import import_capture_file, report_import
from .worker import EXIT_CANCELLED, WorkerProcess, capture_command, default_output_path, error_message


class CaptureState:
    """The one running capture (the UI allows one at a time)."""

    def __init__(self):
        self.worker: WorkerProcess | None = None
        self.output_path: str = ""
        self.records: list[dict] = []
        self.cancel_requested = False

    def reset(self):
        self.__init__()


capture_state = CaptureState()


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


class WHOLEBODY_OT_capture(bpy.types.Operator):
    """Capture the people in a video or image with the core, then import them"""

    bl_idname = "wholebody.capture"
    bl_label = "Capture from video"
    bl_options = {"REGISTER", "UNDO"}

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

    def _start(self, context) -> str | None:
        """Starts the worker; returns an error message or None."""
        settings = context.scene.wholebody
        input_path = bpy.path.abspath(self.filepath or settings.input_path)
        if not input_path or not os.path.isfile(input_path):
            return f"video or image {input_path!r} does not exist; choose a file in the Mocap panel."
        prefs = preferences.get_preferences(context)
        core_python = preferences.resolve_core_python(prefs)
        if not core_python or not os.path.isfile(core_python):
            return ("the core's Python environment is missing: press Install dependencies in the "
                    "add-on preferences, or set Core Python.")
        input_path = os.path.abspath(input_path)  # the worker runs in the extension's folder
        output = os.path.abspath(bpy.path.abspath(self.output_path)) if self.output_path \
            else str(default_output_path(input_path))
        if os.path.exists(output):
            return f"{output} already exists; choose another capture file name."
        request = settings.capture_request(output, prefs.device if prefs else "auto",
                                           preferences.smplx_model_path(prefs))
        request.input_path = input_path
        capture_state.reset()
        capture_state.output_path = output
        capture_state.worker = WorkerProcess(capture_command(core_python, request))
        progress = context.window_manager.wholebody_progress
        progress.running, progress.frames_done, progress.frames_total = True, 0, 0
        progress.fps = progress.eta_s = progress.factor = 0.0
        progress.message = "Starting the capture worker..."
        return None

    def _drain(self, context) -> None:
        progress = context.window_manager.wholebody_progress
        for record in capture_state.worker.poll():
            capture_state.records.append(record)
            _apply_record(progress, record)

    def _finish(self, context, exit_code: int) -> set[str]:
        worker, output = capture_state.worker, capture_state.output_path
        cancelled = capture_state.cancel_requested or exit_code == EXIT_CANCELLED
        records = capture_state.records
        capture_state.reset()
        context.window_manager.wholebody_progress.running = False
        if context.workspace is not None:
            context.workspace.status_text_set(None)
        if cancelled:
            # a worker that finished just before the cancel leaves a file: the user asked for none
            if os.path.exists(output) and exit_code == 0:
                os.remove(output)
            self.report({"WARNING"}, "Capture cancelled; the scene was not changed.")
            return {"CANCELLED"}
        if exit_code != 0:
            self.report({"ERROR"}, error_message(records, worker, exit_code))
            return {"CANCELLED"}
        context.scene.wholebody.capture_path = output
        if not self.import_result:
            self.report({"INFO"}, f"Capture written to {output}")
            return {"FINISHED"}
        settings = context.scene.wholebody
        try:
            result = import_capture_file(context, output, use_floor=settings.use_floor, body=settings.body,
                                         sensor_width_mm=settings.sensor_mm,
                                         source_path=self.filepath or settings.input_path)
        except CaptureError as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        report_import(self, result)
        return {"FINISHED"}

    def execute(self, context):
        error = self._start(context)
        if error is not None:
            self.report({"ERROR"}, error)
            return {"CANCELLED"}
        if bpy.app.background or context.window is None:
            return self._run_blocking(context)
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.2, window=context.window)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def _run_blocking(self, context):
        worker = capture_state.worker
        try:
            while (code := worker.returncode()) is None:
                if capture_state.cancel_requested:  # set by another thread of a script
                    code = worker.cancel()
                    break
                self._drain(context)
                time.sleep(0.05)
        except KeyboardInterrupt:
            capture_state.cancel_requested = True
            code = worker.cancel()
        self._drain(context)
        return self._finish(context, code)

    def modal(self, context, event):
        worker = capture_state.worker
        if event.type == "ESC" and event.value == "PRESS":
            capture_state.cancel_requested = True
        if capture_state.cancel_requested:
            worker.request_stop()   # never blocks: the timer keeps polling until it exits
            context.window_manager.wholebody_progress.message = "Cancelling..."
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        self._drain(context)
        progress = context.window_manager.wholebody_progress
        if context.workspace is not None:
            context.workspace.status_text_set(progress.status_text())
        _redraw(context)
        code = worker.returncode()
        if code is None:
            return {"PASS_THROUGH"}
        context.window_manager.event_timer_remove(self._timer)
        return self._finish(context, code)

    def cancel(self, context):
        """Blender ends the modal operator (a file is loaded, Blender quits): stop the worker."""
        if self._timer is not None:
            context.window_manager.event_timer_remove(self._timer)
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
    if capture_state.worker is not None:
        capture_state.worker.cancel()
        output = Path(capture_state.output_path)
        capture_state.reset()
        if output.is_file():
            output.unlink()
