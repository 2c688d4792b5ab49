"""End to end on the renders that break today's rules (issue 10, "Test media"): people
cut by each edge of the frame, two people hugging, patterned shirts, a handstand, lying
on the floor, sitting cross-legged, and people over real photographs
(``bench/media/scenes.py``: ``ISSUE10_SCENES``; ``tests/media``).

Issue 10's "Done when" asks for no made-up people on these scenes, everyone found, and
the joints nobody can see marked unsure. Where the core does not do it yet the case is
a strict expected failure whose reason gives the figures measured on 2026-11-29 (true
focal length; ``bench/media/scoring.py``): a fix makes it pass and the mark must go.
"""
from pathlib import Path

import pytest

from bench.media.ground_truth import read_ground_truth
from bench.media.scenes import ISSUE10_SCENES
from bench.media.scoring import score

REPO = Path(__file__).resolve().parents[2]
MEDIA = REPO / "tests" / "media"

# Made-up people on these scenes before issue 10's re-crop test (landmarks/coherence.py),
# now rejected: cut_left_right's 21x58 px 'person' on the floor tiles and the 46x139 px
# upper half of the man cut by the right edge, cut_top's 94x27 px 'person' made from the
# man's outstretched arm, photo_cat's 4 'people' of 87x369 to 458x267 px on the cat's
# face, photo_rocket's 7 'people' of 19-94 px in the floodlights.
_MADE_UP: dict[str, str] = {}
_MISSED = {
    "cut_left_right": "the man cut through the middle by the right edge (60x346 px box) is missed: the body "
                      "model reads him as a 46x139 px upper half (IoU 0.30, unmatched), which moves when "
                      "cropped again and is dropped as not a person (recall 0.50)",
}
# hugging's second person was lost in the body landmark model, not in the rules that
# merge people (measured 2026-11-29, issue 10): the woman faces the camera; the man, in
# front, shows the back of his head pressed to her face. Every crop of him, even one
# centred on his true hips, with or without her painted over, came back with her face
# as his head (nose 307-320,155-166; his is at 328,143, hers at 320,159), and each
# body's segmentation covered both upper bodies, so painting one over hid the other
# too. The detector's full frame fired once, its face box between the two heads; the
# crop kept gave a body with its head between them and the man's legs, and her own
# detection's body was its duplicate by every rule (box IoU 0.70, 88 % of its
# landmarks on its silhouette), heads 13 px (0.7-1.0 face span) apart: no head-width
# rule tells them apart. Now each kept person's crop is tried again with their head
# hidden (landmarks/candidates.py, look_behind_heads): the man comes back with his own
# head (nose 342,148), outside the hidden one, and a fixed point of re-cropping.
_WRONGLY_SURE = {
    "hugging": "both people found; every body joint hidden behind the other is marked sure "
               "(wrongly sure 29.5 % = every unseen joint)",
}


def _cases(expected_failures: dict[str, str], names=None):
    names = names or [s.name for s in ISSUE10_SCENES]
    return [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=expected_failures[n]))
            if n in expected_failures else n for n in names]


@pytest.fixture(scope="module")
def scores():
    """Scene name -> Score, each scene captured once (in process, true focal length)."""
    from wholebody_core.pipeline import CaptureOptions, run_capture

    cache = {}

    def get(name):
        if name not in cache:
            gt = read_ground_truth(MEDIA / f"{name}.gt.npz")
            result = run_capture(MEDIA / gt.media, CaptureOptions(focal_px=float(gt.intrinsics[0, 0])))
            cache[name] = score(result.capture, gt)
        return cache[name]

    return get


@pytest.mark.parametrize("name", _cases(_MADE_UP))
def test_nobody_is_made_up(scores, name):
    s = scores(name)
    assert s.precision == 1.0, f"{s.captured - s.matched} made-up people"


@pytest.mark.parametrize("name", _cases(_MISSED))
def test_everyone_is_found(scores, name):
    assert scores(name).recall == 1.0


@pytest.mark.parametrize("name", _cases(_WRONGLY_SURE, ["cut_bottom_waist", "cut_left_right", "cut_top", "hugging"]))
def test_unseen_joints_are_marked_unsure(scores, name):
    """People cut by the frame or hidden by each other: no unseen body joint is sure
    (on cut_bottom_waist, the legs below the frame: 27 % of the body joints)."""
    s = scores(name)
    assert s.unseen_share > 0.1
    assert s.wrongly_sure == 0.0
