"""Photo backgrounds: fitting to the render size and straight-alpha compositing."""
import importlib.util

import numpy as np
import pytest

from bench.media import backgrounds
from bench.media.scenes import SCENES


def test_composite_keeps_opaque_render_and_transparent_photo():
    photo = np.full((2, 3, 3), 200, np.uint8)
    render = np.zeros((2, 3, 4), np.uint8)
    render[..., :3] = (10, 20, 30)
    render[0, 0, 3] = 255          # a person's pixel
    render[0, 1, 3] = 0            # empty film
    render[0, 2, 3] = 128          # an edge, or a shadow on the catcher (black, half opaque)
    render[0, 2, :3] = 0
    out = backgrounds.composite(render, photo)
    assert out[0, 0].tolist() == [10, 20, 30]
    assert out[0, 1].tolist() == [200, 200, 200]
    assert out[0, 2].tolist() == [100, 100, 100]
    with pytest.raises(ValueError):
        backgrounds.composite(render[..., :3], photo)


def test_fit_photo_crops_the_centre_to_the_aspect():
    image = np.zeros((400, 1000), np.uint8)          # grayscale, wider than 4:3
    image[:, 233:767] = 255                          # the centred 4:3 part (533 px wide)
    out = backgrounds.fit_photo(image, 640, 480)
    assert out.shape == (480, 640, 3) and out.dtype == np.uint8
    assert out[:, 5:-5].min() == 255                 # only the centre is kept


def test_every_photo_scene_names_a_known_photo():
    named = {s.background for s in SCENES.values() if s.background is not None}
    assert len(named) >= 2 and named <= set(backgrounds.list_photos())
    with pytest.raises(KeyError):
        backgrounds.photo_path("not-a-photo")


@pytest.mark.skipif(importlib.util.find_spec("skimage") is None,
                    reason="scikit-image (a --dev requirement) ships the photos")
@pytest.mark.parametrize("name", backgrounds.list_photos())
def test_photos_are_in_the_installed_package(name):
    photo = backgrounds.load_photo(name, 640, 480)
    assert photo.shape == (480, 640, 3) and photo.std() > 10      # a real picture, not blank
