"""The identity test shared by the landmark backend and the tracker."""
from __future__ import annotations

import numpy as np

from wholebody_core.tracking import identity
from wholebody_core.tracking.appearance import DESCRIPTOR_SIZE, PART_BINS
from wholebody_core.tracking.identity import continues_track
from wholebody_core.tracking.tracker import TrackerOptions


def test_a_tracked_person_continues_in_the_same_size_and_clothes():
    def clothes(shirt: int, trousers: int) -> np.ndarray:
        d = np.zeros(DESCRIPTOR_SIZE, np.float32)
        d[shirt], d[PART_BINS + trousers] = 1.0, 1.0
        return d

    box = np.array([100.0, 100.0, 130.0, 190.0])
    red = clothes(0, 30)
    assert continues_track(box, red, box + [2, 1, 2, 3], red)
    assert continues_track(box, None, box + 2, red)                        # nothing to compare
    assert not continues_track(box, red, np.array([95.0, 60.0, 140.0, 200.0]), red)   # 1.56x taller
    assert not continues_track(box, red, box, clothes(10, 40))             # other shirt and trousers
    assert not continues_track(box, red, box, clothes(0, 40))              # one part alone far off
    legs_unseen = clothes(0, 30)
    legs_unseen[PART_BINS:] = 0.0
    assert continues_track(box, red, box, legs_unseen)                     # compared on the torso alone


def test_the_tracker_and_the_backend_read_the_same_thresholds():
    options = TrackerOptions()
    assert options.max_size_ratio == identity.MAX_SIZE_RATIO
    assert options.max_appearance_distance == identity.MAX_MATCH_APPEARANCE_DISTANCE
    assert options.appearance_update == identity.APPEARANCE_UPDATE
    # the crop test is the stricter of the two: a crop that passes it is a match the tracker allows
    assert identity.MAX_CROP_APPEARANCE_DISTANCE <= identity.MAX_MATCH_APPEARANCE_DISTANCE
