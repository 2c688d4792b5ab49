"""The detector's video policy: when it runs, which tiles, the lost people's memory."""
from __future__ import annotations

import numpy as np

from wholebody_core.landmarks.options import LandmarkOptions
from wholebody_core.landmarks.schedule import DetectionSchedule, LostPerson

NUM_TILES = 4


def schedule(**options) -> DetectionSchedule:
    return DetectionSchedule(LandmarkOptions(**options))


def tiles(s: DetectionSchedule, first_frame=False, num_followed=1, lost_tiles=()):
    asked = []

    def containing(points_px):
        asked.append(np.asarray(points_px))
        return list(lost_tiles)

    out = s.tiles_for_pass(lambda: NUM_TILES, containing, first_frame, num_followed)
    return out, asked


def lost_at(x: float, frames_left: int = 15) -> LostPerson:
    return LostPerson(np.array([x, 100.0]), frames_left, None)


def test_a_first_frame_searches_every_tile_and_no_tiles_means_the_full_frame_alone():
    assert tiles(schedule(), first_frame=True)[0] is True
    assert tiles(schedule(tile_fractions=()), first_frame=True)[0] is False
    s = schedule()
    assert s.tiles_for_pass(lambda: 0, lambda p: [], False, 1) is False   # an image too small for tiles


def test_tiles_are_taken_in_turn_and_a_crowd_searches_more_per_pass():
    s = schedule(tiles_per_pass=1)
    assert [tiles(s)[0] for _ in range(5)] == [[0], [1], [2], [3], [0]]
    s = schedule(tiles_per_pass=1, crowd_size=3, crowd_tiles_per_pass=2)
    assert [tiles(s, num_followed=3)[0] for _ in range(3)] == [[0, 1], [2, 3], [0, 1]]
    assert tiles(schedule(crowd_size=3, crowd_tiles_per_pass=6), num_followed=5)[0] is True   # all 4 of 4


def test_the_tiles_where_someone_was_lost_are_searched_too():
    s = schedule(tiles_per_pass=1)
    s.remember_lost([lost_at(500.0)], first_frame=False)
    picked, asked = tiles(s, lost_tiles=[3, 0])
    assert picked == [0, 3]
    np.testing.assert_array_equal(asked[0], [[500.0, 100.0]])
    s = schedule(tiles_per_pass=1)
    assert tiles(s)[1] == []   # nobody lost: nothing asked


def test_the_lost_are_searched_lost_memory_frames_frames_and_a_first_frame_forgets_them():
    s = schedule(lost_memory_frames=3)
    s.remember_lost([lost_at(10.0, 3)], first_frame=False)
    ages = []
    for _ in range(4):
        ages.append([lost.frames_left for lost in s.lost])
        s.remember_lost([], first_frame=False)
    assert ages == [[3], [2], [1], []]
    s.remember_lost([lost_at(10.0)], first_frame=False)
    s.remember_lost([lost_at(20.0)], first_frame=True)
    assert [float(lost.where_px[0]) for lost in s.lost] == [20.0]


def test_the_detector_runs_every_detect_every_frames_or_while_someone_is_lost():
    s = schedule(detect_every=3)
    assert s.detector_due(num_followed=0)           # nobody followed: always
    s.detector_ran()
    due = []
    for _ in range(4):
        due.append(s.detector_due(num_followed=2))
        if due[-1]:
            s.detector_ran()
        else:
            s.detector_skipped()
    assert due == [False, False, True, False]       # every 3rd frame
    s.remember_lost([lost_at(5.0)], first_frame=False)
    assert s.detector_due(num_followed=2)
    s.forget_found(lambda lost: True)
    assert s.lost == [] and not s.detector_due(num_followed=2)
    assert schedule(detect_every=1).detector_due(num_followed=2)
