"""End to end on tilted-camera renders (issue 10, "Real footage": on a surveillance
camera looking 30-40 degrees down, three of seven adults were placed at about half
their distance, as if they were children).

``tests/media/tilted_45_plaza.jpg``: a camera 4 m up, 45 degrees down, five adults
(1.63-1.90 m) 4.1-5.4 m away. ``tests/media/phone_above.jpg``: a phone 2.6 m up,
35 degrees down, two adults and a child (1.09 m) beside the nearer adult.
``tests/media/clip_tilted_35.mp4``: a camera 6 m up, 35 degrees down, six adults
walking 8-14 m away, 20 frames (ratios are medians over each person's frames).

On a tilted camera box height x depth is not the same for every adult (the box of a
person seen from above includes their foreshortened top, more so near the image's top
edge: 700-1100 px m in the truth here), so the consistency is measured against the
truth: each adult's captured depth over its true depth, i.e. their box height x depth
over the truth's. Measured 2026-11-29: the plaza's ratios 0.89-1.17 (the skeleton
fit's noise), depth error 9.9 %; the phone's 1.09 (child), 1.11 and 0.93, depth
error 8.8 %. With the former shared-floor rule the plaza's were 0.42-1.08 (three
adults at 0.42-0.51, depth error 36 %) and the phone's child 1.57 (25 %).
"""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench.media.ground_truth import read_ground_truth
from bench.media.scoring import match_frames, score
from wholebody_core.capture_format import read_capture

REPO = Path(__file__).resolve().parents[2]
MEDIA = REPO / "tests" / "media"


def _run(name, tmp_path_factory, ext="jpg"):
    out = tmp_path_factory.mktemp(name) / f"{name}.capture.npz"
    result = subprocess.run([sys.executable, "-m", "wholebody_core", str(MEDIA / f"{name}.{ext}"), "-o", str(out),
                             "--focal", "600", "--quiet"],
                            capture_output=True, text=True, cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr
    capture, gt = read_capture(out), read_ground_truth(MEDIA / f"{name}.gt.npz")
    ratios = {}                                           # per true person: median over frames
    for m in match_frames(capture, gt):
        ratios.setdefault(int(m.gt), []).append(
            float(capture.root_position[m.cap, m.cap_frame, 2] / gt.root_position[m.gt, m.t, 2]))
    return capture, gt, score(capture, gt), {p: float(np.median(r)) for p, r in ratios.items()}


@pytest.fixture(scope="module")
def plaza(tmp_path_factory):
    return _run("tilted_45_plaza", tmp_path_factory)


@pytest.fixture(scope="module")
def phone(tmp_path_factory):
    return _run("phone_above", tmp_path_factory)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return _run("clip_tilted_35", tmp_path_factory, ext="mp4")


def test_adults_under_a_45_degree_camera_are_not_halved(plaza):
    capture, gt, s, ratios = plaza
    assert s.recall == 1.0 and len(ratios) == 5
    r = np.array(list(ratios.values()))
    assert r.min() >= 0.85, ratios                        # nobody near half their distance
    assert r.max() / r.min() - 1.0 <= 0.4, ratios         # measured: 0.89-1.17 (the skeleton fit's noise)
    assert np.std(r) / np.mean(r) <= 0.15, ratios         # box height x depth consistent across adults
    assert s.depth_error_rel <= 0.15, s.depth_error_rel
    assert s.depth_order_accuracy >= 0.7, s.depth_order_accuracy


def test_child_beside_an_adult_under_a_phone_from_above(phone):
    capture, gt, s, ratios = phone
    assert s.recall == 1.0
    child = int(np.flatnonzero(gt.is_child)[0])
    adults = [p for p in ratios if p != child]
    assert abs(ratios[child] - 1.0) <= 0.2, ratios        # before: 1.57 (placed as an adult)
    assert all(abs(ratios[p] - 1.0) <= 0.2 for p in adults), ratios
    assert s.depth_error_rel <= 0.15, s.depth_error_rel


def test_walkers_under_a_35_degree_surveillance_camera_keep_their_size(clip):
    capture, gt, s, ratios = clip
    assert s.recall >= 0.9 and len(ratios) == 6, (s.recall, ratios)
    r = np.array(list(ratios.values()))
    assert r.min() >= 0.85, ratios                        # before: the two nearest at 0.66 and 0.70
    assert np.std(r) / np.mean(r) <= 0.15, ratios         # measured: 0.94-1.20
    assert s.depth_error_rel <= 0.11, s.depth_error_rel   # measured 7.8 % (before: 16.2 %)
    assert s.depth_order_accuracy >= 0.88, s.depth_order_accuracy   # measured 0.93
