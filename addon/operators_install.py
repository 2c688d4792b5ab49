"""``bpy.ops.wholebody.install_dependencies``: build the core's environment in the background.

Runs ``<python> install_deps/install.py --venv <user folder>/venv`` as a child
process (never pip-installing into Blender's Python); a ``bpy.app.timers``
function collects its log for the preferences and ends when it exits.
"""
from __future__ import annotations

import re
from pathlib import Path

import bpy

from . import preferences
from .worker import EXTENSION_ROOT, WorkerProcess

INSTALL_SCRIPT = EXTENSION_ROOT / "install_deps" / "install.py"
_STEP = re.compile(r"\[step (\d+)/(\d+)\]")  # install.py's progress lines


class InstallState:
    def __init__(self):
        self.worker: WorkerProcess | None = None
        self.venv: Path | None = None
        self.lines: list[str] = []
        self.status = ""
        self.step = 0
        self.total = 0

    @property
    def factor(self) -> float:
        return self.step / self.total if self.total else 0.0


install_state = InstallState()


def _redraw_preferences() -> None:
    for window in bpy.context.window_manager.windows:
        for area in window.screen.areas:
            if area.type == "PREFERENCES":
                area.tag_redraw()


def _poll_install() -> float | None:
    worker = install_state.worker
    if worker is None:
        return None
    worker.poll()  # install.py prints plain lines: they all land in worker.log
    install_state.lines = install_state.lines[:1] + list(worker.log)
    for line in reversed(install_state.lines):
        match = _STEP.match(line)
        if match:
            install_state.step, install_state.total = int(match[1]), int(match[2])
            break
    code = worker.returncode()
    _redraw_preferences()
    if code is None:
        return 0.5
    install_state.worker = None
    if code == 0:
        (install_state.venv / preferences.READY_MARKER).write_text("install_deps/install.py succeeded\n")
        install_state.status = "Installed: the core environment is ready."
    else:
        install_state.status = f"Install failed (exit status {code}); see the log above."
    return None


def stop_install(status: str = "") -> None:
    """Ends a running install (Cancel, or the add-on is unregistered); ``status`` stays on show."""
    if bpy.app.timers.is_registered(_poll_install):
        bpy.app.timers.unregister(_poll_install)
    lines = install_state.lines
    if install_state.worker is not None:
        install_state.worker.cancel()
    install_state.__init__()
    if status:
        install_state.lines, install_state.status = lines, status


class WHOLEBODY_OT_install_dependencies(bpy.types.Operator):
    """Create the core's Python environment in the add-on's user folder (runs in the background)"""

    bl_idname = "wholebody.install_dependencies"
    bl_label = "Install dependencies"
    bl_options = {"REGISTER", "INTERNAL"}

    @classmethod
    def poll(cls, context):
        return install_state.worker is None

    def execute(self, context):
        if not INSTALL_SCRIPT.is_file():
            self.report({"ERROR"}, f"{INSTALL_SCRIPT} is missing; reinstall the extension.")
            return {"CANCELLED"}
        prefs = preferences.get_preferences(context)
        base_python = bpy.path.abspath(prefs.base_python) if prefs and prefs.base_python else \
            preferences.default_base_python()
        if not Path(base_python).is_file():
            self.report({"ERROR"}, f"Python {base_python!r} not found; set 'Python for installing'.")
            return {"CANCELLED"}
        try:
            venv = preferences.default_venv_dir(prefs, create=True)
        except OSError as error:
            self.report({"ERROR"}, f"cannot create the environment folder ({error}); "
                                   "choose another Environment folder.")
            return {"CANCELLED"}
        (venv / preferences.READY_MARKER).unlink(missing_ok=True)   # not ready until this install succeeds
        install_state.__init__()
        install_state.venv = venv
        install_state.lines = [f"{base_python} {INSTALL_SCRIPT.name} --venv {venv}"]
        install_state.worker = WorkerProcess([base_python, str(INSTALL_SCRIPT), "--venv", str(venv)])
        bpy.app.timers.register(_poll_install, first_interval=0.5)
        self.report({"INFO"}, "Installing the core's dependencies in the background...")
        return {"FINISHED"}


class WHOLEBODY_OT_cancel_install(bpy.types.Operator):
    """Stop the running install; press Install dependencies again to start over"""

    bl_idname = "wholebody.cancel_install"
    bl_label = "Cancel install"
    bl_options = {"REGISTER", "INTERNAL"}

    @classmethod
    def poll(cls, context):
        return install_state.worker is not None

    def execute(self, context):
        stop_install("Install cancelled; press Install dependencies to start over.")
        self.report({"WARNING"}, "Install cancelled.")
        return {"FINISHED"}
