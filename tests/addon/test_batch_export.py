"""scripts/captures_to_fbx.py run headless with bpy as a module (as a batch user would), in a subprocess."""
from __future__ import annotations

import os
import subprocess
import sys

from addon_paths import EXPECT_BPY, REPO_ROOT
from capture_factory import synthetic_capture


def test_batch_script_writes_one_file_per_person_and_reports_failures(tmp_path):
    synthetic_capture(tmp_path / "walk.capture.npz", num_people=2, num_frames=4)
    synthetic_capture(tmp_path / "solo.capture.npz", num_people=1, num_frames=3, seed=4, source="solo.mp4")
    env = dict(os.environ)
    env.pop(EXPECT_BPY, None)
    run = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "captures_to_fbx.py"), str(tmp_path / "walk.capture.npz"),
         str(tmp_path / "missing.capture.npz"), str(tmp_path / "solo.capture.npz"), "--out", str(tmp_path / "out"),
         "--preset", "unreal", "--body", "default", "--at-origin"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stdout + run.stderr              # one capture failed, the others written
    assert "missing.capture.npz" in run.stderr and "does not exist" in run.stderr
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["solo_solo_person1.fbx", "walk_clip_person1.fbx", "walk_clip_person4.fbx"], written
    assert all((tmp_path / "out" / name).stat().st_size > 10_000 for name in written)
    bad = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "captures_to_fbx.py"), "x.capture.npz",
                          "--out", str(tmp_path / "o2"), "--body", "smplx"], env=env, capture_output=True, text=True,
                         timeout=300)
    assert bad.returncode == 2 and "--smplx-model" in bad.stderr
