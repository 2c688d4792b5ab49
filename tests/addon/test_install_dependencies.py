"""**Install dependencies** for real: the operator builds the core's environment in a folder
the user picked, with progress in the preferences, and the capture then runs on it.

Blender calls the install's ``bpy.app.timers`` function from its event loop; bpy from
PyPI has none, so the test calls it at the interval the function asks for, as Blender
would. Everything else is the real path: install_deps/install.py downloads from the
package registry (pip's cache makes this about 2 minutes), the worker is the new
environment's Python.
"""
from __future__ import annotations

import os
import time

import bpy
import numpy as np
import pytest

from addon_paths import PACKAGE
from test_registration import _RecordingLayout, _WithLayout
from wholebody_mocap.addon import operators_install, preferences

cv2 = pytest.importorskip("cv2")


def _run_timer(until=lambda: False, timeout_s: float = 900.0) -> list[tuple[int, int]]:
    """Calls the install's timer function like Blender does; the (step, total) pairs it showed."""
    steps = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        interval = operators_install._poll_install()
        state = operators_install.install_state
        if not steps or steps[-1] != (state.step, state.total):
            steps.append((state.step, state.total))
        if interval is None or until():
            return steps
        time.sleep(interval)
    raise AssertionError("the install did not end in time")


def _group_ends(pgid: int, timeout_s: float = 10.0) -> bool:
    """Whether every process of the worker's group (install.py and its pip) is gone."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def _draw_preferences(prefs) -> list[tuple]:
    log = []
    type(prefs).draw(_WithLayout(prefs, _RecordingLayout(log)), bpy.context)
    return log


@pytest.fixture
def prefs(clean_scene):
    prefs = bpy.context.preferences.addons[PACKAGE].preferences
    saved = prefs.core_python
    prefs.core_python = ""                       # use what Install dependencies makes
    yield prefs
    operators_install.stop_install()
    if bpy.app.timers.is_registered(operators_install._poll_install):
        bpy.app.timers.unregister(operators_install._poll_install)
    prefs.core_python, prefs.env_dir = saved, ""


def test_install_then_capture_with_the_new_environment(prefs, tmp_path):
    prefs.env_dir = str(tmp_path / "mocap env")
    assert preferences.resolve_core_python(prefs) == ""
    assert ("label", "Core environment not installed: press Install dependencies") in _draw_preferences(prefs)

    assert bpy.ops.wholebody.install_dependencies() == {"FINISHED"}
    assert bpy.app.timers.is_registered(operators_install._poll_install)
    assert not bpy.ops.wholebody.install_dependencies.poll()          # one install at a time
    _run_timer(until=lambda: operators_install.install_state.step >= 2)
    log = _draw_preferences(prefs)
    assert ("operator", "wholebody.cancel_install") in log and ("label", "Installing...") in log
    steps = _run_timer()
    bpy.app.timers.unregister(operators_install._poll_install)   # Blender does this on the None return

    state = operators_install.install_state
    assert state.status == "Installed: the core environment is ready.", "\n".join(state.lines)
    assert [step for step, _ in steps] == sorted(step for step, _ in steps) and steps[-1] == (5, 5)
    python = preferences.resolve_core_python(prefs)
    assert python == str(tmp_path / "mocap env" / "venv" / "bin" / "python")
    assert any(line.startswith("ready: ") for line in state.lines)
    assert ("label", f"Core environment: {python}") in _draw_preferences(prefs)

    video = tmp_path / "room.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (160, 120))
    for _ in range(5):
        writer.write(np.full((120, 160, 3), 90, np.uint8))
    writer.release()
    assert bpy.ops.wholebody.capture(filepath=str(video)) == {"FINISHED"}
    assert (tmp_path / "room.capture.npz").is_file()


def test_cancelled_install_leaves_no_ready_environment(prefs, tmp_path):
    prefs.env_dir = str(tmp_path / "env")
    assert bpy.ops.wholebody.install_dependencies() == {"FINISHED"}
    _run_timer(until=lambda: operators_install.install_state.step >= 2)
    worker = operators_install.install_state.worker
    assert bpy.ops.wholebody.cancel_install() == {"FINISHED"}
    assert worker.returncode() is not None and operators_install.install_state.worker is None
    assert _group_ends(worker.pid), "pip kept running after the cancel"
    assert not bpy.app.timers.is_registered(operators_install._poll_install)
    assert (tmp_path / "env" / "venv" / "bin" / "python").exists()      # a half-built environment...
    assert preferences.resolve_core_python(prefs) == ""                 # ...is not offered as ready
    log = _draw_preferences(prefs)
    assert ("operator", "wholebody.install_dependencies") in log
    assert ("label", "Install cancelled; press Install dependencies to start over.") in log
