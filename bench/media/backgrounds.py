"""Real photographs without people, as backgrounds for renders (numpy + OpenCV; no Blender).

The photos come inside a registry package (scikit-image's wheel ships them in
``skimage/data/``; a dev-only requirement, ``install_deps/requirements-dev.txt``), so
nothing is downloaded and nothing is checked in. Each entry states its source and
licence (from scikit-image's ``skimage/data/_fetchers.py`` docstrings); only public
domain and CC0 photos are used.

A scene on a photo is rendered on a transparent film (people and their shadows on a
shadow-catcher floor, straight alpha) and laid over the photo, cropped to the render's
aspect and resized to its size (:func:`fit_photo`). The compositing moves no pixel of
the people, so the ground truth stays exact.
"""
from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import cv2
import numpy as np


@dataclasses.dataclass(frozen=True)
class Photo:
    package: str          # the registry package that ships the file
    path: str             # relative to the package's folder
    what: str
    licence: str
    source: str


PHOTOS: dict[str, Photo] = {
    "rocket": Photo("skimage", "data/rocket.jpg", "a Falcon 9 on its launch pad at dusk, towers and floodlights",
                    "public domain (released by SpaceX)", "SpaceX, via scikit-image 0.26.0"),
    "chelsea": Photo("skimage", "data/chelsea.png", "a cat's face filling the frame",
                     "CC0 (Stefan van der Walt)", "scikit-image 0.26.0"),
    "grass": Photo("skimage", "data/grass.png", "a lawn seen from above (grayscale)",
                   "CC0 (linolafett, Grass-01)", "scikit-image 0.26.0"),
}
"""Backgrounds by name."""


def list_photos() -> list[str]:
    return list(PHOTOS)


def photo_path(name: str) -> Path:
    """The photo's file inside its installed package (no import of the package)."""
    if name not in PHOTOS:
        raise KeyError(f"unknown background {name!r}; known: {list_photos()}")
    photo = PHOTOS[name]
    spec = importlib.util.find_spec(photo.package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"background {name!r} needs the package {photo.package!r}: "
                                "install the dev requirements (python3 install_deps/install.py --dev)")
    path = Path(list(spec.submodule_search_locations)[0]) / photo.path
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the installed {photo.package}")
    return path


def fit_photo(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """(height, width, 3) uint8 BGR: the largest centred crop of ``image`` (H, W) or
    (H, W, 3) with the target's aspect, resized (area interpolation when shrinking)."""
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    h, w = image.shape[:2]
    scale = min(w / width, h / height)
    cw, ch = round(width * scale), round(height * scale)
    x0, y0 = (w - cw) // 2, (h - ch) // 2
    crop = image[y0:y0 + ch, x0:x0 + cw]
    interp = cv2.INTER_AREA if scale > 1 else cv2.INTER_CUBIC
    return cv2.resize(crop, (width, height), interpolation=interp)


def load_photo(name: str, width: int, height: int) -> np.ndarray:
    """(height, width, 3) uint8 BGR background ``name`` fitted to the render size."""
    path = photo_path(name)
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise OSError(f"cannot read {path}")
    return fit_photo(image, width, height)


def composite(render_bgra: np.ndarray, photo_bgr: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8: a straight-alpha BGRA render (H, W, 4) over a BGR photo (H, W, 3).

    out = a * render + (1 - a) * photo; a shadow catcher's pixels are black with the
    shadow's opacity as alpha, so they darken the photo."""
    if render_bgra.shape[:2] != photo_bgr.shape[:2] or render_bgra.shape[2] != 4:
        raise ValueError(f"render {render_bgra.shape} and photo {photo_bgr.shape} do not fit")
    alpha = render_bgra[..., 3:].astype(np.float32) / 255.0
    out = alpha * render_bgra[..., :3].astype(np.float32) + (1.0 - alpha) * photo_bgr.astype(np.float32)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)
