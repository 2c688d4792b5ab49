"""The lens of a still image from its EXIF: the 35 mm-equivalent focal length.

Phones and most cameras write ``FocalLengthIn35mmFilm`` (tag 0xA405), the focal
length a full-frame (36 x 24 mm) camera would need for the same field of view.
By the CIPA definition the equivalence is on the diagonal, so it converts to
pixels without knowing the sensor: f_px = f_35 * diagonal_px / 43.27 mm
(:func:`wholebody_core.maths.camera.focal_px_from_35mm_equivalent`). The
physical ``FocalLength`` alone is not enough (it needs the sensor size, which
EXIF rarely states reliably), so it is not used. Videos carry no standard focal
metadata; they use the user's focal or the default field of view.

Pillow reads the tags without decoding the pixels.
"""
from __future__ import annotations

import logging
from pathlib import Path

_EXIF_IFD = 0x8769
_FOCAL_LENGTH_IN_35MM_FILM = 0xA405
_log = logging.getLogger(__name__)


def focal_35mm_equivalent(path: str | Path) -> float | None:
    """The image's 35 mm-equivalent focal length in mm, or None (no EXIF, no tag, not an image)."""
    try:
        from PIL import Image
    except ImportError:       # the core's environment has Pillow; without it, no EXIF
        _log.debug("Pillow is not installed: EXIF focal lengths are not read")
        return None
    try:
        with Image.open(path) as image:
            value = image.getexif().get_ifd(_EXIF_IFD).get(_FOCAL_LENGTH_IN_35MM_FILM)
    except Exception as error:  # a malformed EXIF block must not stop the capture
        _log.debug("no EXIF focal length in %s: %s", path, error)
        return None
    try:
        focal_mm = float(value)
    except (TypeError, ValueError):
        return None
    # 0 means "unknown" in EXIF; beyond 2000 mm is a broken tag, not a lens
    return focal_mm if 1.0 <= focal_mm <= 2000.0 else None
