"""The capture operator's modal path (what the Mocap panel's button runs), headless.

Blender refuses to *invoke* operators in background mode ("Invalid operator
call"), and bpy from PyPI has no event loop, so these tests play Blender's part:
:class:`EventLoop` holds a real window-manager timer and feeds the operator's
real ``modal`` method the events Blender would send (TIMER every 0.2 s, mouse
moves, Esc), while the real core runs as the worker. What stays untested here
is only Blender's own dispatch (``modal_handler_add`` and the window's event queue).
"""
from __future__ import annotations

import time
import types
from pathlib import Path

import bpy
import numpy as np
import pytest

from addon_paths import REPO_ROOT
from wholebody_mocap.addon import operators_capture
from wholebody_mocap.addon.operators_capture import TIMER_INTERVAL_S, WHOLEBODY_OT_capture
from wholebody_mocap.addon.properties import status_text

cv2 = pytest.importorskip("cv2")
CLIP = REPO_ROOT / "tests" / "media" / "clip_walk_across.mp4"     # one person, 30 frames


class EventLoop:
    """Blender's side of a running modal operator: its timer, its events, its reports."""

    modal = WHOLEBODY_OT_capture.modal          # the operator's own methods, unchanged
    cancel = WHOLEBODY_OT_capture.cancel

    def __init__(self, context):
        self.context = context
        self.reports: list[tuple[set, str]] = []
        self._timer = context.window_manager.event_timer_add(TIMER_INTERVAL_S, window=context.window)

    def report(self, kind: set, message: str) -> None:
        self.reports.append((kind, message))

    def send(self, event_type: str, value: str = "NOTHING") -> set[str]:
        return self.modal(self.context, types.SimpleNamespace(type=event_type, value=value))

    def run(self, timeout_s: float = 120.0, on_tick=None) -> set[str]:
        """TIMER events until the operator stops being modal; ``on_tick(progress)`` after each."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            time.sleep(TIMER_INTERVAL_S)
            assert self.send("MOUSEMOVE") == {"PASS_THROUGH"}     # other events pass through
            result = self.send("TIMER")
            if result != {"PASS_THROUGH"}:
                return result
            if on_tick is not None:
                on_tick(self.context.window_manager.wholebody_progress)
        raise AssertionError("the modal capture did not end in time")


def _empty_room(path: Path, frames: int) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (160, 120))
    rng = np.random.default_rng(1)
    for _ in range(frames):
        writer.write(np.full((120, 160, 3), 90, np.uint8) + rng.integers(0, 20, (120, 160, 3), dtype=np.uint8))
    writer.release()
    return path


def test_modal_capture_shows_progress_then_imports(clean_scene, tmp_path):
    video = tmp_path / CLIP.name
    video.write_bytes(CLIP.read_bytes())
    state = operators_capture.capture_state
    assert state.start(bpy.context, str(video)) is None
    loop = EventLoop(bpy.context)
    seen = []
    result = loop.run(on_tick=lambda p: seen.append((p.running, p.frames_done, p.frames_total,
                                                     p.factor, status_text(p))))
    assert result == {"FINISHED"}, loop.reports
    assert loop._timer is None                                   # the timer was removed
    assert all(running for running, *_ in seen)
    done = [frames_done for _, frames_done, *_ in seen]
    assert done == sorted(done) and 0 < max(done) <= 30
    assert any(total == 30 and 0 < frames_done < 30 for _, frames_done, total, *_ in seen), seen
    assert any("frames/s" in text and "/30 frames" in text for *_, text in seen), seen
    progress = bpy.context.window_manager.wholebody_progress
    assert (progress.running, progress.frames_done, progress.factor) == (False, 30, 1.0)
    assert state.worker is None and clean_scene.wholebody.capture_path == str(tmp_path / "clip_walk_across.capture.npz")
    armatures = [o for o in bpy.data.objects if o.type == "ARMATURE"]
    assert len(armatures) == 1 and armatures[0].animation_data.action is not None
    assert any("Imported 1 people" in message for _, message in loop.reports), loop.reports


def test_escape_cancels_the_modal_capture_and_leaves_nothing(clean_scene, tmp_path):
    video = _empty_room(tmp_path / "long.mp4", 3000)
    state = operators_capture.capture_state
    assert state.start(bpy.context, str(video)) is None
    loop = EventLoop(bpy.context)
    deadline = time.monotonic() + 60
    while not any(r.get("event") == "progress" for r in state.records) and time.monotonic() < deadline:
        time.sleep(TIMER_INTERVAL_S)
        assert loop.send("TIMER") == {"PASS_THROUGH"}
    assert loop.send("ESC", "PRESS") == {"PASS_THROUGH"}        # Esc alone never blocks the UI
    pressed = time.monotonic()
    result = loop.run(timeout_s=30)
    assert result == {"CANCELLED"} and time.monotonic() - pressed < 15
    assert ({"WARNING"}, "Capture cancelled; the scene was not changed.") in loop.reports
    assert state.worker is None and not bpy.context.window_manager.wholebody_progress.running
    assert len(bpy.data.objects) == 0 and len(bpy.data.collections) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.mp4"]     # no capture, no temporary file


def test_blender_ending_the_modal_operator_stops_the_worker(clean_scene, tmp_path):
    """Blender calls ``cancel`` when it ends a modal operator itself (a file loads, Blender quits)."""
    video = _empty_room(tmp_path / "long.mp4", 3000)
    state = operators_capture.capture_state
    assert state.start(bpy.context, str(video)) is None
    worker = state.worker
    loop = EventLoop(bpy.context)
    assert loop.send("TIMER") == {"PASS_THROUGH"}
    loop.cancel(bpy.context)
    assert worker.returncode() is not None and loop._timer is None
    assert state.worker is None and not bpy.context.window_manager.wholebody_progress.running
    assert not bpy.ops.wholebody.cancel_capture.poll() and bpy.ops.wholebody.capture.poll()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.mp4"]
