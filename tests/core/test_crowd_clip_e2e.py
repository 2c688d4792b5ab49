"""End to end on the surveillance-style crowd clip (issue 2: "5-10 pedestrians of 60-150 px
height must work"): the real command on ``tests/media/clip_crowd.mp4`` (7 adults, 67-145 px
tall, 7-15 m away, a camera 3 m up looking 12 degrees down, 20 frames), scored against
the clip's exact ground truth with ``bench.media.scoring``.

Issue 2 asks for recall >= 0.85, precision >= 0.9, no id switch, depth order >= 0.9 and
as many tracks as people or one more. Measured 2026-11-25: recall 0.89 = 125/140
person-frames, precision 1.00, depth order 0.92 over 331 pairs, depth error 7.5 %, 7
tracks for 7 people, no id switch; the regression bounds sit a little under these.

What it took (earlier the core reached recall 0.79, 1 swap): clothing colours
(``tracking/appearance.py``) in the tracker's cost and gate and in the check that a
tracked crop still shows its person, so that the red woman's crop sliding onto the
yellow woman behind her (frame 1) is a loss, searched for until someone in red is
found, not an identity; people in front painted over the crop of a person behind
them, and skeletons stitched from parts of people already found dropped, so that the
near man (id 6) no longer takes over the far man's (id 4) track in frame 18, nor are the
yellow woman and the far man mixed where they pass each other behind him (frames 16-19).
Still missed (15 person-frames): the red woman (id 1) in frames 1, 3, 4 and 16-19
(beside and behind the blue man at the end), the shortest woman (id 5, 71-79 px) in
frames 0-3 (half behind the blue man at first), and the yellow woman (id 3) in frames
0 and 17-19, half hidden.
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
    assert s.precision >= 0.95, s.precision         # today 1.00
    assert s.recall >= 0.86, s.recall               # today 0.89
    assert s.depth_order_pairs >= 300               # today 331
    assert s.depth_order_accuracy >= 0.9, s.depth_order_accuracy   # today 0.92
    assert s.depth_error_rel <= 0.09, s.depth_error_rel            # today 7.5 %
    assert s.id_switch_frames == 0, s.id_switch_frames
    assert capture.num_people == gt.num_people, capture.num_people  # today 7 tracks for 7 people


def test_crowd_meets_the_issue_2_requirement(crowd):
    capture, gt, s = crowd
    assert s.recall >= 0.85, s.recall
    assert s.precision >= 0.9, s.precision
    assert s.id_switch_frames == 0, s.id_switch_frames
    assert s.depth_order_accuracy >= 0.9, s.depth_order_accuracy
    assert gt.num_people <= capture.num_people <= gt.num_people + 1, capture.num_people
