"""Is a body found on a crop one coherent person? Rules on physical evidence (issue 10:
"no made-up people"), kept apart from the rules that tell people apart (``people.py``).

The principle: **a real person is a fixed point of re-cropping**. The body model turns
a crop into landmarks, and the landmarks into the crop they call for (MediaPipe's
tracking ROI: ``BodyLandmarks.next_roi``, the crop the person gets on the next frame of
a video). Cropped again there, a real person comes back where they were: the pixels
that made the landmarks are still in the crop, framed as the model was trained to see
a person. A body made up from lens flares, a cat's face, a patch of floor or someone's
arm rests on no such pixels: re-framed, the model reads the same texture as another
made-up body and the landmarks move by a large share of the body's size.

Measured on the rendered scenes (``tests/media``, 2026-11-29), :func:`recrop_drift`
(how far 3 in 4 of the 12 limb joints moved between the two crops, over the body's
size): the people found by the detector in the stills and the clips moved 0.002-0.048
(people cut by the frame, lying, kicking, in a handstand, 27 px wide ones included),
except people partly hidden in clip_crowd (below); the made-up bodies (photo_rocket's
floodlights, photo_cat's face, cut_top's arm, cut_left_right's floor tiles and the
too-small upper half of its man cut by the frame) moved 0.071-0.50. The median joint
separates less well: a floodlight "person", one of a dozen tried, kept half its
joints within 0.038 of where they were while the rest flew off.

A person the detector framed badly (a collapsed body in a crop too large) also moves
in the first re-crop, onto themselves: the second re-crop, framed by landmarks again,
finds them where the first did (clip_crowd: 0.10, then 0.017). A made-up body moves
again (0.038-0.52). So a body that moved gets a second re-crop, judged more strictly.

The test assumes the re-crop shows this person alone. A person partly behind someone
already kept fails it without being made up: the re-crop, larger than the detector's
crop, takes in the person in front and the model slides onto them (clip_crowd:
0.16-0.66 for people with 0.39-0.43 of their visible landmarks on others'
silhouettes). There the test steps aside (:func:`partly_behind`); the rules of
``people.py`` judge such bodies.

The pipeline runs the test on stills only (``LandmarkOptions.recrop_test``): on video,
whether someone is there is judged over frames, and in a crowd a body rejected on one
frame changed which crops the tracking followed after it (clip_crowd's first frame: a
person half behind another gave a body that moved 0.082 on one detector crop and was
kept from another; the crops followed from it lost a person-frame two frames later,
recall 0.89 -> 0.88).

Not used on the model's scores: a made-up body's re-crop is often as "present" as a
real one's.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from wholebody_core.landmarks.body import BodyLandmarks
from wholebody_core.landmarks.people import on_silhouette
from wholebody_core.landmarks.types import LIMB_POINTS
from wholebody_core.maths.rotated_rect import RotatedRect

# the joints of the limbs and trunk: where a made-up body's drift shows (its face
# points crowd on one bright spot and move together)
LIMB_JOINTS = np.array(LIMB_POINTS)
# Most that 3 in 4 limb joints may move, as a share of the body's size, for one person
# cropped again where their landmarks say: real people moved at most 0.048 (a few
# pixels of landmark noise in each crop, and a crop framed better than the
# detector's), made-up bodies at least 0.071 (module docstring). 0.06 lies between.
MAX_RECROP_DRIFT = 0.06
# The same from a crop that the landmarks themselves framed (the second re-crop of a
# body that moved in the first): only landmark noise is left. The real people that
# moved most in a first re-crop moved 0.012-0.025 in the second (a person partly
# hidden in clip_crowd, framed badly by the detector: 0.10, then 0.017); made-up
# bodies at least 0.038.
MAX_CONVERGED_DRIFT = 0.03
DRIFT_PERCENTILE = 75.0
MIN_BODY_SIZE_PX = 1.0
# A body with this share of the landmarks it says it sees (visibility > 0.5) on the
# silhouettes of people already kept is partly behind them: the re-crop test cannot
# judge it. Measured: people behind others in clip_crowd 0.39-0.43; made-up bodies
# 0-0.22 (most 0: flares, a cat's face, a floor have nobody in front).
PARTLY_BEHIND_SHARE = 0.3


def body_size_px(points_px: np.ndarray) -> float:
    """(33, 2) landmarks -> the larger side of their box, pixels (at least 1)."""
    extent = points_px.max(axis=0) - points_px.min(axis=0)
    return max(float(extent.max()), MIN_BODY_SIZE_PX)


def recrop_drift(points_px: np.ndarray, recropped_px: np.ndarray) -> float:
    """(33, 2) landmarks from one crop, (33, 2) landmarks of the same body cropped again
    -> how far 3 in 4 of the 12 limb joints moved (the 75th percentile of their
    distances, interpolated), over the first body's size. 0: the same body again; a
    forearm that the two crops see differently (a hand by someone else's) does not
    count, an arm and a leg do."""
    moved = np.linalg.norm(recropped_px[LIMB_JOINTS] - points_px[LIMB_JOINTS], axis=1)
    return float(np.percentile(moved, DRIFT_PERCENTILE)) / body_size_px(points_px)


def is_fixed_point(points_px: np.ndarray, recropped_px: np.ndarray,
                   max_drift: float = MAX_RECROP_DRIFT) -> bool:
    """Whether a body comes back where it was when cropped again (module docstring)."""
    return recrop_drift(points_px, recropped_px) <= max_drift


def _finite_crop(roi: RotatedRect) -> bool:
    return bool(np.isfinite(roi.as_array()).all()) and roi.width > 0


def survives_recrop(body: BodyLandmarks, recrop: Callable[[RotatedRect], BodyLandmarks],
                    max_drift: float = MAX_RECROP_DRIFT,
                    max_converged_drift: float = MAX_CONVERGED_DRIFT) -> bool:
    """Runs ``recrop`` (the body model on a crop of the same frame, with the same people
    painted over) on the crop ``body``'s landmarks call for, and tells whether the body
    is a fixed point. A body that moved gets one more crop, where its new landmarks
    call for: a person the detector framed badly was found properly by the first
    re-crop and stays there (the re-cropping converged); a made-up body moves again.
    A crop that is not finite (degenerate landmarks) is no evidence of a person."""
    if not _finite_crop(body.next_roi):
        return False
    first = recrop(body.next_roi)
    if is_fixed_point(body.points_px, first.points_px, max_drift):
        return True
    if not _finite_crop(first.next_roi):
        return False
    second = recrop(first.next_roi)
    return is_fixed_point(first.points_px, second.points_px, max_converged_drift)


def partly_behind(body: BodyLandmarks, others: list[BodyLandmarks]) -> bool:
    """Whether at least :data:`PARTLY_BEHIND_SHARE` of the landmarks ``body`` says it
    sees lie on the segmentation of one of ``others`` (people already kept)."""
    seen = body.visibility > 0.5
    if not seen.any() or not others:
        return False
    on_others = np.zeros(len(body.points_px), bool)
    for other in others:
        on_others |= on_silhouette(body.points_px, other)
    return bool(on_others[seen].mean() >= PARTLY_BEHIND_SHARE)


def coherent_person(body: BodyLandmarks, others: list[BodyLandmarks],
                    recrop: Callable[[RotatedRect], BodyLandmarks]) -> bool:
    """The re-crop test (:func:`survives_recrop`) for a body found on a new crop, which
    steps aside for a body partly behind ``others`` (the people kept so far)."""
    return partly_behind(body, others) or survives_recrop(body, recrop)
