"""The backend's clothing descriptors belong to their bodies (issue 11: same input, same output)."""
from __future__ import annotations

import gc

import numpy as np

from wholebody_core.landmarks.body import BodyLandmarks
from wholebody_core.landmarks.candidates import body_appearance
from wholebody_core.maths.rotated_rect import RotatedRect
from wholebody_core.tracking.appearance import appearance_descriptor


def _striped_image() -> np.ndarray:
    """(240, 640, 3) uint8: vertical bands of saturated, all different colours."""
    rng = np.random.default_rng(3)
    colours = rng.integers(0, 256, size=(32, 3)).astype(np.uint8)
    colours[:, 0] = np.arange(32) * 8   # no two bands alike
    return np.repeat(colours[None], 240, axis=0).repeat(20, axis=1)


def _standing_body(x: float) -> BodyLandmarks:
    """A 200 px tall person at column ``x`` (only the torso and legs matter here)."""
    points = np.zeros((33, 2))
    points[:, 0], points[:, 1] = x, 20.0
    points[[11, 12], :] = [[x + 12, 60], [x - 12, 60]]     # shoulders
    points[[23, 24], :] = [[x + 10, 130], [x - 10, 130]]   # hips
    points[[25, 26], :] = [[x + 10, 190], [x - 10, 190]]   # knees
    roi = RotatedRect(x, 120.0, 260.0, 260.0, 0.0)
    return BodyLandmarks(roi=roi, presence=1.0, points_px=points, visibility=np.ones(33),
                         world_cam=np.zeros((33, 3)), next_roi=roi)


def test_a_new_body_never_takes_a_freed_body_s_descriptor():
    """Within one frame, bodies are made and dropped (rejected crops); CPython reuses the
    ids of freed objects, so a descriptor cache keyed by ``id(body)`` gave a new body the
    clothes of a dead one, depending on memory layout."""
    image = _striped_image()
    earlier_ids: set[int] = set()
    reused = 0
    for round_ in range(10):
        # a batch of bodies made, described and dropped, as crops are tried in a frame
        bodies = [_standing_body(float(40 + (37 * (i + round_)) % 560)) for i in range(30)]
        reused += sum(id(body) in earlier_ids for body in bodies)
        for body in bodies:
            got = body_appearance(image, body)
            np.testing.assert_array_equal(got, appearance_descriptor(image, body.points_px),
                                          err_msg=f"round {round_}, body at x={body.points_px[0, 0]}")
            np.testing.assert_array_equal(body_appearance(image, body), got)  # computed once, kept
        earlier_ids |= {id(body) for body in bodies}
        del bodies, body
        gc.collect()
    # the hazard was exercised: CPython handed freed bodies' ids to new ones
    assert reused > 0, "no id was reused: the test did not exercise the hazard"
