"""The real path on real photographs the rules were never tuned on (issue 10's acceptance
in small): photos that ship in the dev requirements, run through the command line.

- ``skimage/data/motorcycle_left.png`` (scikit-image; Middlebury stereo, a motorcycle in
  a garage, nobody in it) and ``coffee.png`` / ``horse.png``: nobody may be captured.
- ``matplotlib/mpl-data/sample_data/grace_hopper.jpg`` (a US Navy portrait, public
  domain): one person cut at the chest by the frame, whose legs are unseen.
- ``skimage/data/astronaut.png`` (NASA portrait of Eileen Collins, public domain): one
  person, her legs unseen.

Measured 2026-11-29 after the re-crop test (``landmarks/coherence.py``): the garage
photo gets two made-up "people" lying along the motorcycle's seat, the portrait a
second one on the cap's badge; those cases are strict expected failures.
"""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from wholebody_core.capture_format import read_capture
from wholebody_core.skeleton import JOINT_INDEX

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("skimage") is None or importlib.util.find_spec("matplotlib") is None,
    reason="the photos ship in scikit-image and matplotlib, --dev requirements")


def _photo(package: str, relative: str) -> Path:
    return Path(importlib.util.find_spec(package).origin).parent / relative


def _capture(photo: Path, tmp_path: Path):
    out = tmp_path / (photo.stem + ".capture.npz")
    run = subprocess.run([sys.executable, "-m", "wholebody_core", str(photo), "-o", str(out), "--quiet"],
                         capture_output=True, text=True, cwd=REPO, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    return read_capture(out)


_MADE_UP = {"motorcycle_left.png": "two 'people' of 281x71 and 314x120 px lying along the motorcycle's seat, "
                                   "their limbs on its frame; they pass the re-crop test (2026-11-29)"}


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=_MADE_UP[n])) if n in _MADE_UP else n
    for n in ("coffee.png", "horse.png", "motorcycle_left.png")])
def test_nobody_is_captured_on_photos_without_people(name, tmp_path):
    assert _capture(_photo("skimage", "data/" + name), tmp_path).num_people == 0


@pytest.mark.parametrize("package, relative, made_up", [
    ("skimage", "data/astronaut.png", None),
    ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg",
     "a second 'person' of 87x362 px on the cap's badge, passing the re-crop test (2026-11-29)"),
])
def test_a_portrait_is_one_person_whose_legs_are_unseen(package, relative, made_up, tmp_path):
    capture = _capture(_photo(package, relative), tmp_path)
    assert capture.num_people >= 1
    # the largest person is the portrait's; the frame cuts them above the knees
    box = capture.bbox[:, 0]
    person = int(np.argmax((box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1])))
    legs = [JOINT_INDEX[f"{s}_{j}"] for s in ("left", "right") for j in ("knee", "ankle", "foot")]
    assert capture.joint_confidence[person, 0, legs].max() < 0.5
    if made_up is not None and capture.num_people > 1:
        pytest.xfail(made_up)
    assert capture.num_people == 1
