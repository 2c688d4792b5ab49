"""The capture worker: the real core CLI as a child process of bpy from PyPI."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import bpy
import numpy as np
import pytest

from addon_paths import CORE_PYTHON, PACKAGE
from wholebody_mocap.addon import operators_capture
from wholebody_mocap.addon.worker import (EXIT_CANCELLED, CaptureRequest, WorkerProcess,
                                          capture_command, default_output_path)

cv2 = pytest.importorskip("cv2")


def _video(path: Path, frames: int, size=(160, 120)) -> Path:
    """A video of an empty, slightly noisy room (nobody in it)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, size)
    rng = np.random.default_rng(0)
    for _ in range(frames):
        writer.write(np.full((size[1], size[0], 3), 90, np.uint8) + rng.integers(0, 20, (size[1], size[0], 3), dtype=np.uint8))
    writer.release()
    return path


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.suffix not in {".mp4"})


def test_records_arrive_in_order(tmp_path):
    video = _video(tmp_path / "room.mp4", 24)
    output = default_output_path(video)
    assert output == tmp_path / "room.capture.npz"
    worker = WorkerProcess(capture_command(str(CORE_PYTHON), CaptureRequest(str(video), str(output), stride=2)))
    records = []
    while (code := worker.returncode()) is None:
        records += worker.poll()
        time.sleep(0.05)
    records += worker.poll()
    assert code == 0, worker.log_tail()
    events = [r["event"] for r in records]
    assert events[0] == "start" and events[-1] == "done" and "progress" in events
    assert records[0]["total_frames"] == 12 and records[0]["image_size"] == [160, 120]
    assert [r for r in records if r["event"] == "progress"][-1]["done"] == 12
    assert records[-1]["output"] == str(output.resolve()) and output.is_file()


def test_capture_operator_runs_to_completion_headless(clean_scene, tmp_path):
    video = _video(tmp_path / "hall.mp4", 10)
    result = bpy.ops.wholebody.capture(filepath=str(video))
    assert result == {"FINISHED"}
    progress = bpy.context.window_manager.wholebody_progress
    assert (progress.frames_done, progress.frames_total, progress.running) == (10, 10, False)
    output = tmp_path / "hall.capture.npz"
    assert output.is_file() and clean_scene.wholebody.capture_path == str(output)
    collection = bpy.data.collections["hall capture"]
    assert sorted(o.type for o in collection.objects) == ["CAMERA", "MESH"]   # nobody in the room
    assert collection.objects["hall_footage"].parent == clean_scene.camera    # the footage for renders
    assert clean_scene.camera.data.background_images[0].clip.filepath.endswith("hall.mp4")
    assert operators_capture.capture_state.worker is None


def test_cancel_stops_the_worker_and_leaves_nothing(clean_scene, tmp_path):
    video = _video(tmp_path / "long.mp4", 2000)
    state = operators_capture.capture_state
    seen = {}

    def cancel_after_first_progress():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if state.worker is not None and any(r.get("event") == "progress" for r in list(state.records)):
                seen["pid"] = state.worker.pid
                state.cancel_requested = True
                return
            time.sleep(0.02)

    thread = threading.Thread(target=cancel_after_first_progress)
    thread.start()
    result = bpy.ops.wholebody.capture(filepath=str(video))
    thread.join()
    assert result == {"CANCELLED"} and "pid" in seen
    assert state.worker is None and not bpy.context.window_manager.wholebody_progress.running
    assert len(bpy.data.objects) == 0 and len(bpy.data.collections) == 0
    assert _leftovers(tmp_path) == []      # no capture file, no temporary file


def test_worker_exit_status_on_sigterm(tmp_path):
    video = _video(tmp_path / "long.mp4", 2000)
    output = tmp_path / "long.capture.npz"
    worker = WorkerProcess(capture_command(str(CORE_PYTHON), CaptureRequest(str(video), str(output))))
    deadline = time.monotonic() + 60
    records = []
    while not any(r["event"] == "progress" for r in records) and time.monotonic() < deadline:
        records += worker.poll()
        time.sleep(0.02)
    assert worker.cancel() == EXIT_CANCELLED
    assert _leftovers(tmp_path) == []


def test_bad_input_becomes_an_error_report(clean_scene, tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"this is not a video\n" * 50)
    with pytest.raises(RuntimeError, match="broken.mp4"):
        bpy.ops.wholebody.capture(filepath=str(bad))
    assert len(bpy.data.objects) == 0 and _leftovers(tmp_path) == []
    with pytest.raises(RuntimeError, match="does not exist"):
        bpy.ops.wholebody.capture(filepath=str(tmp_path / "missing.mp4"))
    prefs = bpy.context.preferences.addons[PACKAGE].preferences
    saved, prefs.core_python = prefs.core_python, str(tmp_path / "no_python")
    try:
        with pytest.raises(RuntimeError, match="Install dependencies"):
            bpy.ops.wholebody.capture(filepath=str(bad))
    finally:
        prefs.core_python = saved


def test_request_stop_never_blocks_and_ends_the_worker(tmp_path):
    video = _video(tmp_path / "long.mp4", 2000)
    worker = WorkerProcess(capture_command(str(CORE_PYTHON), CaptureRequest(str(video), str(tmp_path / "x.capture.npz"))))
    deadline = time.monotonic() + 60
    while not any(r["event"] == "start" for r in worker.poll()) and time.monotonic() < deadline:
        time.sleep(0.02)
    started = time.monotonic()
    worker.request_stop()
    assert time.monotonic() - started < 0.1
    while (code := worker.returncode()) is None and time.monotonic() < deadline:
        worker.request_stop()   # what the modal timer does on every tick
        time.sleep(0.05)
    assert code == EXIT_CANCELLED and _leftovers(tmp_path) == []
