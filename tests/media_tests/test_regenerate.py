"""The checked-in ground truth is what the generator computes today (needs anny, not Blender)."""
import dataclasses
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("anny")
pytest.importorskip("torch")

from bench.media.ground_truth import read_ground_truth, to_arrays  # noqa: E402
from bench.media.render_scenes import ground_truth, pose_scene  # noqa: E402
from bench.media.scenes import CHECKED_IN, SCENES  # noqa: E402

MEDIA = Path(__file__).resolve().parents[1] / "media"
# the slowest to recompute in full (several people over many frames: the occlusion
# rasterising dominates) are checked on their first frames only
SLOW = ("clip_crossing", "clip_crowd", "clip_tilted_35")
FAST = [n for n in CHECKED_IN if n not in SLOW]
FIRST_FRAMES = 3


@pytest.mark.parametrize("name", FAST)
def test_ground_truth_is_reproducible(name):
    path = MEDIA / f"{name}.gt.npz"
    if not path.is_file():
        pytest.fail(f"{path.name} is missing from tests/media: regenerate it with python -m bench.media.render_scenes --checked-in")
    scene = SCENES[name]
    _assert_same(to_arrays(ground_truth(scene, pose_scene(scene))), to_arrays(read_ground_truth(path)))


@pytest.mark.parametrize("name", SLOW)
def test_first_frames_of_the_slow_clips_are_reproducible(name):
    path = MEDIA / f"{name}.gt.npz"
    if not path.is_file():
        pytest.fail(f"{path.name} is missing from tests/media: regenerate it with python -m bench.media.render_scenes --checked-in")
    scene = dataclasses.replace(SCENES[name], num_frames=FIRST_FRAMES)
    fresh = to_arrays(ground_truth(scene, pose_scene(scene)))
    stored = to_arrays(read_ground_truth(path))
    per_frame = (int(stored["num_people"]), SCENES[name].num_frames)   # (P, T, ...) arrays
    for key, value in stored.items():
        if key == "frame_indices":
            stored[key] = value[:FIRST_FRAMES]
        elif value.shape[:2] == per_frame:
            stored[key] = value[:, :FIRST_FRAMES]
    _assert_same(fresh, stored)


def _assert_same(fresh, stored):
    assert fresh.keys() == stored.keys()
    for key in fresh:
        if fresh[key].dtype.kind in "fc":
            np.testing.assert_allclose(fresh[key], stored[key], atol=2e-5, err_msg=key)
        else:
            np.testing.assert_array_equal(fresh[key], stored[key], err_msg=key)


def test_every_checked_in_scene_is_in_the_catalogue():
    assert set(CHECKED_IN) <= set(SCENES)
    for path in MEDIA.glob("*.gt.npz"):
        assert path.name[: -len(".gt.npz")] in SCENES
