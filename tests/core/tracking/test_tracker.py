"""Tracker: stable ids through crossings, occlusions, entries, exits and strides."""
from __future__ import annotations

import numpy as np
import pytest

from wholebody_core.tracking.tracker import Tracker, TrackerOptions, box_iou

# A stick figure: keypoints as (fraction of width from the centre, fraction of height
# from the top), 17 points, a rough COCO layout.
_FIGURE = np.array([
    (0.0, 0.05), (0.05, 0.04), (-0.05, 0.04), (0.1, 0.05), (-0.1, 0.05),
    (0.25, 0.2), (-0.25, 0.2), (0.35, 0.38), (-0.35, 0.38), (0.4, 0.52), (-0.4, 0.52),
    (0.15, 0.52), (-0.15, 0.52), (0.17, 0.75), (-0.17, 0.75), (0.18, 0.97), (-0.18, 0.97),
])


def person(centre_x: float, top_y: float, height: float, rng: np.random.Generator | None = None,
           noise_px: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """A person box (4,) and keypoints (17, 3) in pixels."""
    width = 0.45 * height
    box = np.array([centre_x - width / 2, top_y, centre_x + width / 2, top_y + height])
    kp = np.empty((len(_FIGURE), 3))
    kp[:, 0] = centre_x + _FIGURE[:, 0] * width
    kp[:, 1] = top_y + _FIGURE[:, 1] * height
    kp[:, 2] = 0.9
    if rng is not None and noise_px:
        kp[:, :2] += rng.normal(0.0, noise_px, (len(_FIGURE), 2))
        box = box + rng.normal(0.0, noise_px, 4)
    return box, kp


def run_frames(tracker: Tracker, frames: list[tuple[int, list[tuple[str, np.ndarray, np.ndarray]]]]) -> dict[str, list[int]]:
    """Feeds frames of (frame_number, [(name, box, keypoints)]) and collects ids by name."""
    ids_by_name: dict[str, list[int]] = {}
    for frame_number, people in frames:
        if people:
            boxes = np.stack([b for _, b, _ in people])
            kps = np.stack([k for _, _, k in people])
        else:
            boxes, kps = np.zeros((0, 4)), np.zeros((0, 17, 3))
        ids = tracker.update(frame_number, boxes, kps, np.full(len(people), 0.9))
        assert ids.dtype == np.int64 and ids.shape == (len(people),)
        assert len(set(ids.tolist())) == len(people), "two detections got one id"
        for (name, _, _), i in zip(people, ids):
            ids_by_name.setdefault(name, []).append(int(i))
    return ids_by_name


def crossing_frames(occlude: bool, seed: int = 0, speed: float = 6.0, hide_within: float = 0.7,
                    height: float = 180.0) -> list:
    """A walks right, B walks left, through each other; B (a little farther away) is
    hidden behind A while their centres are closer than ``hide_within`` box widths
    when ``occlude``."""
    rng = np.random.default_rng(seed)
    width = 0.45 * height
    start_gap = 2.5 * height
    frames = []
    for f in range(int(2 * start_gap / speed)):
        xa = 100.0 + speed * f
        xb = 100.0 + start_gap - speed * f
        box_a, kp_a = person(xa, 100.0, height, rng, height / 120.0)
        box_b, kp_b = person(xb, 100.0 - 0.04 * height, 0.92 * height, rng, height / 120.0)
        people = [("A", box_a, kp_a)]
        hidden = occlude and abs(xa - xb) < hide_within * width
        if not hidden:
            people.append(("B", box_b, kp_b))
        if f % 2:
            people.reverse()  # detection order must not matter
        frames.append((f, people))
    return frames


@pytest.mark.parametrize("occlude", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("height, speed", [(180.0, 6.0), (80.0, 4.0), (60.0, 3.0)])
def test_two_people_crossing_keep_their_ids(occlude, seed, height, speed):
    # The small pairs (80 and 60 px tall, surveillance-like) swap ids without the
    # velocity prediction (checked by hand: B's stale box sits where A is when B
    # reappears, and B appears where A's unpredicted box is).
    frames = crossing_frames(occlude, seed, speed=speed, height=height)
    hidden_frames = sum(1 for _, people in frames if len(people) == 1)
    if occlude:
        assert hidden_frames >= 5  # the scenario really hides B for a while
    ids = run_frames(Tracker(TrackerOptions()), frames)
    assert len(set(ids["A"])) == 1, ids["A"]
    assert len(set(ids["B"])) == 1, ids["B"]
    assert ids["A"][0] != ids["B"][0]


def test_long_occlusion_needs_a_longer_memory():
    frames = crossing_frames(True, seed=0, hide_within=1.3)
    assert 16 <= sum(1 for _, people in frames if len(people) == 1) <= 24
    short = run_frames(Tracker(TrackerOptions(max_missing_frames=15)), frames)
    assert len(set(short["B"])) == 2   # B's track ended; B came back as someone new
    long = run_frames(Tracker(TrackerOptions(max_missing_frames=25)), frames)
    assert len(set(long["B"])) == 1 and len(set(long["A"])) == 1
    assert long["A"][0] != long["B"][0]


def test_fast_crossing_with_occlusion_and_a_stride():
    # Every third source frame, 10 px per source frame: 30 px between samples.
    rng = np.random.default_rng(3)
    strided = []
    for i in range(0, 45, 3):
        xa, xb = 100.0 + 10.0 * i, 520.0 - 10.0 * i
        people = [("A", *person(xa, 100.0, 180.0, rng, 1.0))]
        if abs(xa - xb) >= 1.3 * 81.0:
            people.append(("B", *person(xb, 92.0, 165.0, rng, 1.0)))
        strided.append((i, people))
    ids = run_frames(Tracker(), strided)
    assert len(set(ids["A"])) == 1 and len(set(ids["B"])) == 1
    assert ids["A"][0] != ids["B"][0]


def test_missing_for_a_few_frames_keeps_the_id():
    rng = np.random.default_rng(4)
    frames = []
    for f in range(40):
        people = [("C", *person(200.0 + 4.0 * f, 50.0, 200.0, rng, 1.0))]
        if not 12 <= f < 20:   # 8 frames without a detection (the tracker allows 15)
            people.append(("D", *person(600.0 - 3.0 * f, 60.0, 190.0, rng, 1.0)))
        frames.append((f, people))
    ids = run_frames(Tracker(TrackerOptions(max_missing_frames=15)), frames)
    assert len(set(ids["C"])) == 1 and len(set(ids["D"])) == 1
    assert ids["C"][0] != ids["D"][0]


def test_entering_and_leaving_people_get_new_ids():
    rng = np.random.default_rng(5)
    frames = []
    for f in range(60):
        people = []
        if f < 25:
            people.append(("E", *person(150.0 + 2.0 * f, 80.0, 200.0, rng, 1.0)))
        if f >= 10:
            people.append(("F", *person(500.0, 90.0, 150.0 + f, rng, 1.0)))   # walks towards the camera
        if f >= 45:  # someone appears where E was, long after E left
            people.append(("G", *person(200.0, 80.0, 200.0, rng, 1.0)))
        frames.append((f, people))
    frames.insert(30, (frames[29][0] + 0.5, []))  # not an int frame: replaced just below
    frames = [(i, people) for i, (_, people) in enumerate(frames)]  # frame 30 is empty
    tracker = Tracker(TrackerOptions(max_missing_frames=10))
    ids = run_frames(tracker, frames)
    assert len(set(ids["E"])) == len(set(ids["F"])) == len(set(ids["G"])) == 1
    assert len({ids["E"][0], ids["F"][0], ids["G"][0]}) == 3
    assert ids["G"][0] > ids["F"][0] > ids["E"][0]  # ids are handed out in order, never reused
    assert ids["E"][0] not in tracker.active_track_ids  # E's track ended


def test_empty_frames_and_frame_order():
    tracker = Tracker()
    assert tracker.update(0, np.zeros((0, 4)), np.zeros((0, 17, 3)), np.zeros(0)).shape == (0,)
    box, kp = person(100.0, 100.0, 150.0)
    first = tracker.update(1, box[None], kp[None], np.ones(1))
    # no keypoints at all: matched on boxes alone
    again = tracker.update(2, (box + 2.0)[None], np.zeros((1, 0, 3)), np.ones(1))
    assert first.tolist() == again.tolist()
    with pytest.raises(ValueError):
        tracker.update(2, box[None], kp[None], np.ones(1))
    with pytest.raises(ValueError):
        tracker.update(3, box[None], kp[None], np.ones(2))


def test_unconfident_keypoints_are_ignored_even_when_nan():
    tracker = Tracker()
    box, kp = person(100.0, 100.0, 150.0)
    first = tracker.update(0, box[None], kp[None], np.ones(1))
    kp2 = kp.copy()
    kp2[:, 0] += 3.0
    kp2[5:, :2] = np.nan      # lost keypoints, flagged by zero confidence
    kp2[5:, 2] = 0.0
    second = tracker.update(1, (box + 3.0)[None], kp2[None], np.ones(1))
    assert first.tolist() == second.tolist()


def test_far_jump_starts_a_new_track():
    tracker = Tracker()
    box, kp = person(100.0, 100.0, 150.0)
    a = tracker.update(0, box[None], kp[None], np.ones(1))
    box2, kp2 = person(500.0, 100.0, 150.0)
    b = tracker.update(1, box2[None], kp2[None], np.ones(1))
    assert a[0] != b[0]


def test_box_iou_against_hand_computed_values():
    a = np.array([[0.0, 0.0, 10.0, 10.0]])
    b = np.array([[5.0, 0.0, 15.0, 10.0], [20.0, 20.0, 30.0, 30.0], [0.0, 0.0, 10.0, 10.0]])
    np.testing.assert_allclose(box_iou(a, b), [[50.0 / 150.0, 0.0, 1.0]])


@pytest.mark.parametrize("seed", range(4))
def test_crowd_of_small_pedestrians_with_missed_detections(seed):
    """8 pedestrians 60-150 px tall walking across each other at random speeds,
    5 % of detections missed at random: no id switches."""
    rng = np.random.default_rng(100 + seed)
    n, num_frames = 8, 150
    x = rng.uniform(50, 590, n)
    feet = rng.uniform(150, 300, n)
    height = rng.uniform(60, 150, n)
    vx = rng.uniform(-3, 3, n)
    frames = []
    for f in range(num_frames):
        seen = [i for i in range(n) if rng.random() > 0.05]
        frames.append((f, [(f"P{i}", *person(x[i] + vx[i] * f, feet[i] - height[i], height[i], rng,
                                             height[i] / 120.0)) for i in seen]))
    ids = run_frames(Tracker(), frames)
    assert all(len(set(v)) == 1 for v in ids.values()), {k: sorted(set(v)) for k, v in ids.items()}
    assert len({v[0] for v in ids.values()}) == n


def _clothes(shirt_hue_bin: int, trousers_hue_bin: int) -> np.ndarray:
    """A descriptor of one-colour clothes (one hue-saturation bin per part)."""
    from wholebody_core.tracking.appearance import DESCRIPTOR_SIZE, PART_BINS

    desc = np.zeros(DESCRIPTOR_SIZE, np.float32)
    desc[shirt_hue_bin] = 1.0
    desc[PART_BINS + trousers_hue_bin] = 1.0
    return desc


def test_a_near_person_passing_a_far_one_keeps_both_ids_by_their_clothes():
    """The far man stands still, the near man walks in front of him; while they
    overlap, the detector sees the far man only now and then and the boxes land in
    between (what the crowd clip shows). Clothes keep the far man's track off the
    near man."""
    rng = np.random.default_rng(7)
    far_clothes, near_clothes = _clothes(4, 30), _clothes(20, 40)
    tracker = Tracker()
    ids = {"far": [], "near": []}
    for f in range(40):
        far_box, far_kp = person(300.0, 100.0, 75.0, rng, 0.5)
        near_box, near_kp = person(200.0 + 5.0 * f, 60.0, 140.0, rng, 0.5)
        dets = [("near", near_box, near_kp, near_clothes)]
        if abs(200.0 + 5.0 * f - 300.0) > 40.0 or f % 3 == 0:
            dets.append(("far", far_box, far_kp, far_clothes))
        out = tracker.update(f, np.stack([d[1] for d in dets]), np.stack([d[2] for d in dets]),
                             np.full(len(dets), 0.9), np.stack([d[3] for d in dets]))
        for (name, *_), i in zip(dets, out):
            ids[name].append(int(i))
    assert len(set(ids["far"])) == 1 and len(set(ids["near"])) == 1
    assert ids["far"][0] != ids["near"][0]


def test_someone_else_in_the_place_of_a_lost_person_gets_a_new_id():
    """Geometry alone would give the newcomer the lost person's id (same place, same
    size); other clothes refuse it."""
    box, kp = person(200.0, 100.0, 90.0)
    red, yellow = _clothes(0, 30), _clothes(10, 40)   # another shirt and other trousers
    tracker = Tracker()
    first = tracker.update(0, box[None], kp[None], np.ones(1), red[None])
    geometry_only = Tracker()
    geometry_only.update(0, box[None], kp[None], np.ones(1))
    moved, moved_kp = person(203.0, 100.0, 92.0)
    assert geometry_only.update(1, moved[None], moved_kp[None], np.ones(1))[0] == 0
    assert tracker.update(1, moved[None], moved_kp[None], np.ones(1), yellow[None])[0] != first[0]
    # the same clothes (slightly different light) are the same person
    again = Tracker()
    again.update(0, box[None], kp[None], np.ones(1), red[None])
    lighter = 0.9 * red + 0.1 * _clothes(1, 31)
    assert again.update(1, moved[None], moved_kp[None], np.ones(1), lighter[None])[0] == 0


def test_a_box_twice_as_tall_is_not_the_same_person():
    """A near person's box where a far person was (a skeleton mixing both, or the far
    one hidden and the near one taking their place): refused by the size gate."""
    far_box, far_kp = person(300.0, 100.0, 70.0)
    near_box, near_kp = person(300.0, 80.0, 140.0)
    tracker = Tracker()
    a = tracker.update(0, far_box[None], far_kp[None], np.ones(1))
    b = tracker.update(1, near_box[None], near_kp[None], np.ones(1))
    assert a[0] != b[0]
    walking_toward, kp = person(300.0, 98.0, 75.0)    # 7 % taller a frame later: fine
    tracker2 = Tracker()
    tracker2.update(0, far_box[None], far_kp[None], np.ones(1))
    assert tracker2.update(1, walking_toward[None], kp[None], np.ones(1))[0] == 0


def test_detections_without_descriptors_match_on_geometry():
    box, kp = person(200.0, 100.0, 150.0)
    tracker = Tracker()
    first = tracker.update(0, box[None], kp[None], np.ones(1), np.zeros((1, _clothes(0, 0).size)))
    second = tracker.update(1, (box + 2.0)[None], kp[None], np.ones(1), _clothes(3, 30)[None])
    assert first.tolist() == second.tolist()
