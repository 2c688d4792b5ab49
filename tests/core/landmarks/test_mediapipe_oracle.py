"""Differential test: our body landmarks against MediaPipe's own Pose graph (issue 10).

Needs the dev requirements (MediaPipe's Python solution: matplotlib, absl-py, attrs,
protobuf < 5); skipped without them. On every rendered still where MediaPipe finds
the person (among them pose_kick, one leg stretched forward, the other bent behind,
and pose_lunge), ours agree with its landmarks within a few pixels, or lie closer to
the ground truth. (Before issue 10's fixes: 2-5 px median and 4-25 px worst apart, and
1-2.7 px farther from the ground truth: tile detections shrank the body crop, and
the heatmap refinement moved every point half a heatmap cell.) Three of issue 10's
hard scenes (``ISSUE10_SCENES``) do not agree yet: strict expected failures, with the
figures measured on 2026-11-29.
"""
from __future__ import annotations

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("mediapipe.python.solutions.pose")

from bench.diff_mediapipe import compare, default_images  # noqa: E402

MAX_MEDIAN_PX = 3.0     # over the 33 landmarks (crops of 280-510 px)
MAX_WORST_JOINT_PX = 5.0   # over the 17 COCO joints; toes, heels and fingers, the
                           # network's least steady points, are reported, not bounded
GT_SLACK_PX = 1.0       # ours no farther from the ground truth than MediaPipe by more

# Stills where ours do not agree yet (median / worst COCO joint px from MediaPipe's;
# median px from the ground truth, MediaPipe's and ours):
KNOWN_WORSE = {
    "cut_left_right.jpg": "two people cut by the side edges: 2.0 / 6.5 px from MediaPipe's, "
                          "2.9 px from the truth against MediaPipe's 2.5",
    "hugging.jpg": "two people hugging, both found (MediaPipe finds one): the body matched to MediaPipe's "
                   "is 3.9 / 12.0 px from it, 18.8 px from the truth against MediaPipe's 17.1 (both "
                   "confuse the two bodies)",
    "photo_lawn_lying.jpg": "lying on a lawn seen from above: 3.0 / 6.8 px from MediaPipe's, 6.0 px from "
                            "the truth against MediaPipe's 5.6",
}


@pytest.fixture(scope="module")
def comparisons():
    return compare(default_images())


def test_same_people_found(comparisons):
    assert all(c.people_ours >= 1 for c in comparisons)
    assert sum(c.found_by_mediapipe for c in comparisons) >= 10


def _assert_agrees(c):
    closer = c.gt_median_ours <= c.gt_median_mediapipe
    assert c.median_px <= MAX_MEDIAN_PX or closer, c
    assert c.worst_joint_px <= MAX_WORST_JOINT_PX or closer, c
    assert c.gt_median_ours <= c.gt_median_mediapipe + GT_SLACK_PX, c


def test_landmarks_agree_with_mediapipe_or_are_closer_to_the_truth(comparisons):
    for c in comparisons:
        if c.found_by_mediapipe and c.image not in KNOWN_WORSE:
            _assert_agrees(c)


@pytest.mark.parametrize("image", [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=reason))
                                   for name, reason in KNOWN_WORSE.items()])
def test_hard_scenes_agree_with_mediapipe(comparisons, image):
    (c,) = [c for c in comparisons if c.image == image]
    assert c.found_by_mediapipe
    _assert_agrees(c)
