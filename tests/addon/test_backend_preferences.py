"""Backend, precision and checkpoint preferences reach the worker's command line."""
from __future__ import annotations

import time
from pathlib import Path

import bpy

from addon_paths import CORE_PYTHON, PACKAGE
from wholebody_mocap.addon import preferences
from wholebody_mocap.addon.worker import CaptureRequest, WorkerProcess, capture_command

CLIP = Path(__file__).resolve().parents[1] / "media" / "clip_crossing.mp4"


def test_capture_command_carries_backend_and_checkpoints():
    request = CaptureRequest("in.mp4", "out.capture.npz", backend="pose2pose", checkpoint_body="/c/body.pth.tar",
                             checkpoint_hand="/c/hand.pth.tar", checkpoint_rootnet="/c/root.pth.tar",
                             precision="fp16")
    args = capture_command("python", request)
    assert args[args.index("--backend") + 1] == "pose2pose"
    assert args[args.index("--checkpoint-body") + 1] == "/c/body.pth.tar"
    assert args[args.index("--checkpoint-hand") + 1] == "/c/hand.pth.tar"
    assert args[args.index("--checkpoint-rootnet") + 1] == "/c/root.pth.tar"
    assert "--checkpoint-face" not in args and "--checkpoint-hand4whole" not in args
    assert args[args.index("--precision") + 1] == "fp16"
    default = capture_command("python", CaptureRequest("in.mp4", "out.capture.npz", checkpoint_body="/c/b"))
    assert "--backend" not in default and "--checkpoint-body" not in default   # the default: as before


def test_preferences_give_the_request_fields(addon_package, tmp_path):
    prefs = bpy.context.preferences.addons[PACKAGE].preferences
    try:
        assert prefs.backend == "mediapipe-tflite" and preferences.backend_request_fields(prefs) == {}
        assert {item.identifier for item in prefs.bl_rna.properties["backend"].enum_items} == {
            "mediapipe-tflite", "hand4whole", "pose2pose"}
        prefs.backend = "hand4whole"
        prefs.precision = "bf16"
        prefs.checkpoint_hand4whole = str(tmp_path / "snapshot_6.pth.tar")
        fields = preferences.backend_request_fields(prefs)
        assert fields["backend"] == "hand4whole" and fields["precision"] == "bf16"
        assert fields["checkpoint_hand4whole"] == str(tmp_path / "snapshot_6.pth.tar")
        assert fields["checkpoint_body"] == ""
    finally:
        prefs.backend, prefs.precision, prefs.checkpoint_hand4whole = "mediapipe-tflite", "fp32", ""


def test_worker_reports_a_missing_checkpoint(tmp_path):
    request = CaptureRequest(str(CLIP), str(tmp_path / "x.capture.npz"), backend="hand4whole", end=2,
                             device="cpu")
    worker = WorkerProcess(capture_command(str(CORE_PYTHON), request))
    deadline = time.monotonic() + 120
    records = []
    while (code := worker.returncode()) is None and time.monotonic() < deadline:
        records += worker.poll()
        time.sleep(0.05)
    records += worker.poll()
    assert code == 2
    error = [r for r in records if r.get("event") == "error"][-1]
    assert error["exit_code"] == 2 and "--checkpoint-hand4whole" in error["message"]
    assert "Hand4Whole_RELEASE" in error["message"]
