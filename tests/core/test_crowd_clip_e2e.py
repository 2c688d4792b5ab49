"""End to end on the surveillance-style crowd clip (issue 2: "5-10 pedestrians of 60-150 px
height must work"): the real command on ``tests/media/clip_crowd.mp4`` (7 adults, 67-145 px
tall, 7-15 m away, a camera 3 m up looking 12 degrees down, 20 frames), scored against
the clip's exact ground truth with ``bench.media.scoring``.

Two kinds of checks:
- what the core reaches today (measured 2026-11-25: recall 0.66 = 93/140 person-frames,
  precision 0.97, depth order 0.92 over 171 pairs, depth error 7.3 %, 5 tracks for 7
  people, 1 id switch in 1 frame); a regression below these fails;
- issue 2's requirement (recall >= 0.85, no id switch, as many tracks as people or one
  more), marked as a strict expected failure: it fails loudly once the core meets it,
  so the marker comes off then. Today the core misses the shortest woman (id 5, 67-75
  px, at the left) in every frame, loses the red woman (id 1, 94-102 px) after frame 0
  when the track jumps to the yellow woman who overlaps her (id 3), and in frame 18 the
  near man (id 6) takes over the track of the far man he passes in front of (id 4).
"""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench.media.ground_truth import read_ground_truth
from bench.media.scoring import score
from wholebody_core.capture_format import read_capture
from wholebody_core.maths.kinematics import capture_joints_cam

REPO = Path(__file__).resolve().parents[2]
CLIP = REPO / "tests" / "media" / "clip_crowd.mp4"
GT = REPO / "tests" / "media" / "clip_crowd.gt.npz"


@pytest.fixture(scope="module")
def crowd(tmp_path_factory):
    """(capture, ground truth, score) of one run of the real command on the clip."""
    out = tmp_path_factory.mktemp("crowd") / "clip_crowd.capture.npz"
    result = subprocess.run([sys.executable, "-m", "wholebody_core", str(CLIP), "-o", str(out),
                             "--focal", "600", "--quiet"],
                            capture_output=True, text=True, cwd=REPO, timeout=600)
    assert result.returncode == 0, result.stderr
    capture, gt = read_capture(out), read_ground_truth(GT)
    return capture, gt, score(capture, gt)


def test_crowd_capture_covers_the_clip_and_is_consistent(crowd):
    capture, gt, _ = crowd
    assert capture.num_frames == gt.num_frames == 20
    assert capture.fps == pytest.approx(gt.fps)
    np.testing.assert_array_equal(capture.frame_indices, gt.frame_indices)
    assert len(set(capture.person_ids.tolist())) == capture.num_people
    np.testing.assert_allclose(capture_joints_cam(capture), capture.joints_cam, atol=1e-3)


def test_crowd_what_the_core_reaches_today(crowd):
    """Regression bounds a little under today's figures (see the module docstring)."""
    capture, gt, s = crowd
    assert s.gt_people == 140                       # every person-frame is at least 48 % visible
    assert s.precision >= 0.9, s.precision          # few false people
    assert s.recall >= 0.75, s.recall               # today 0.79: issue 2 wants >= 0.85
    assert s.depth_order_pairs >= 100
    assert s.depth_order_accuracy >= 0.85, s.depth_order_accuracy
    assert s.depth_error_rel <= 0.12, s.depth_error_rel
    assert s.id_switch_frames <= 2, s.id_switch_frames      # today 2: issue 2 wants 0
    assert 6 <= capture.num_people <= gt.num_people + 1, capture.num_people


@pytest.mark.xfail(strict=True, reason="issue 2: the core misses or loses small pedestrians in "
                   "clip_crowd (recall 0.79, 7 tracks for 7 people, 1 swap (2 switch frames) on 2026-11-25)")
def test_crowd_meets_the_issue_2_requirement(crowd):
    capture, gt, s = crowd
    assert s.recall >= 0.85, s.recall
    assert s.precision >= 0.9, s.precision
    assert s.id_switch_frames == 0, s.id_switch_frames
    assert s.depth_order_accuracy >= 0.9, s.depth_order_accuracy
    assert gt.num_people <= capture.num_people <= gt.num_people + 1, capture.num_people
