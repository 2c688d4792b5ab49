"""The checked-in ground truth is what the generator computes today (needs anny, not Blender)."""
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("anny")
pytest.importorskip("torch")

from bench.media.ground_truth import read_ground_truth, to_arrays  # noqa: E402
from bench.media.render_scenes import ground_truth, pose_scene  # noqa: E402
from bench.media.scenes import CHECKED_IN, SCENES  # noqa: E402

MEDIA = Path(__file__).resolve().parents[1] / "media"
# the slowest to recompute (two people over 30 frames) is left to the generator itself
FAST = [n for n in CHECKED_IN if n != "clip_crossing"]


@pytest.mark.parametrize("name", FAST)
def test_ground_truth_is_reproducible(name):
    path = MEDIA / f"{name}.gt.npz"
    if not path.is_file():
        pytest.skip(f"{path.name} is not checked in")
    scene = SCENES[name]
    fresh = to_arrays(ground_truth(scene, pose_scene(scene)))
    stored = to_arrays(read_ground_truth(path))
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
