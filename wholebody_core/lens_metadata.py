"""The lens of the footage from its file metadata: the 35 mm-equivalent focal length.

Phones and most cameras record the focal length a full-frame (36 x 24 mm) camera
would need for the same field of view:

* still images: EXIF ``FocalLengthIn35mmFilm`` (tag 0xA405), read with Pillow
  without decoding the pixels;
* QuickTime/MP4 videos (iPhones, many Android phones): the metadata key
  ``com.apple.quicktime.camera.focal_length.35mm_equivalent`` in the ``moov``
  box's ``meta`` (``keys`` + ``ilst``), read by :func:`_quicktime_keys` (a few
  boxes, no decoding; OpenCV does not expose container metadata).

By the CIPA definition the equivalence is on the diagonal, so it converts to pixels
without knowing the sensor (:func:`wholebody_core.maths.camera.focal_px_from_35mm_equivalent`).
The physical focal length alone is not used: it needs the sensor size, which files
rarely state reliably. Anything unreadable means "no metadata", never an error.
"""
from __future__ import annotations

import logging
import struct
import warnings
from pathlib import Path
from typing import BinaryIO, Iterator

_EXIF_IFD = 0x8769
_FOCAL_LENGTH_IN_35MM_FILM = 0xA405
QUICKTIME_FOCAL_KEY = "com.apple.quicktime.camera.focal_length.35mm_equivalent"
QUICKTIME_SUFFIXES = frozenset({".mov", ".mp4", ".m4v", ".3gp"})
_log = logging.getLogger(__name__)


def focal_35mm_equivalent(path: str | Path, is_video: bool) -> float | None:
    """The footage's 35 mm-equivalent focal length in mm, or None when its metadata has none
    (always for videos other than QuickTime/MP4: AVI, MKV and WebM have no such key)."""
    path = Path(path)
    try:
        if not is_video:
            value = _exif_focal_35mm(path)
        elif path.suffix.lower() in QUICKTIME_SUFFIXES:
            value = _quicktime_keys(path).get(QUICKTIME_FOCAL_KEY)
        else:
            return None
        focal_mm = float(value)
    except (TypeError, ValueError):
        return None
    except Exception as error:  # malformed metadata must not stop the capture
        _log.debug("no focal length in the metadata of %s: %s", path, error)
        return None
    # 0 means "unknown" in EXIF; beyond 2000 mm is a broken tag, not a lens
    return focal_mm if 1.0 <= focal_mm <= 2000.0 else None


def _exif_focal_35mm(path: Path):
    try:
        from PIL import Image
    except ImportError:       # the core's environment has Pillow; without it, no EXIF
        _log.debug("Pillow is not installed: EXIF focal lengths are not read")
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # DecompressionBombWarning: media.py limits the size, no pixels decoded here
        with Image.open(path) as image:
            return image.getexif().get_ifd(_EXIF_IFD).get(_FOCAL_LENGTH_IN_35MM_FILM)


def _boxes(file: BinaryIO, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the ISO-BMFF boxes between two offsets."""
    position = start
    while position + 8 <= end:
        file.seek(position)
        size, kind = struct.unpack(">I4s", file.read(8))
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", file.read(8))[0], 16
        elif size == 0:
            size = end - position
        if size < header:
            return
        yield kind, position + header, min(position + size, end)
        position += size


def _child(file: BinaryIO, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    return next(((s, e) for k, s, e in _boxes(file, start, end) if k == kind), None)


def _quicktime_keys(path: Path) -> dict[str, object]:
    """The ``mdta`` metadata of a QuickTime/MP4 file: key -> str, int or float."""
    with open(path, "rb") as file:
        file.seek(0, 2)
        moov = _child(file, 0, file.tell(), b"moov")
        if moov is None:
            return {}
        metas = [_child(file, *moov, b"meta")]
        udta = _child(file, *moov, b"udta")
        if udta is not None:
            metas.append(_child(file, *udta, b"meta"))
        values: dict[str, object] = {}
        for meta in filter(None, metas):
            values.update(_meta_values(file, *meta))
        return values


def _meta_values(file: BinaryIO, start: int, end: int) -> dict[str, object]:
    file.seek(start + 4)
    if file.read(4) not in (b"hdlr", b"keys", b"ilst"):
        start += 4                       # the MP4 form of 'meta' is a full box (version, flags)
    keys_box, ilst_box = _child(file, start, end, b"keys"), _child(file, start, end, b"ilst")
    if keys_box is None or ilst_box is None:
        return {}
    file.seek(keys_box[0] + 4)           # version and flags
    (count,) = struct.unpack(">I", file.read(4))
    keys = []
    for _ in range(count):
        size, namespace = struct.unpack(">I4s", file.read(8))
        keys.append(file.read(max(size - 8, 0)).decode("utf-8", "replace") if namespace == b"mdta" else "")
    values: dict[str, object] = {}
    for index_bytes, item_start, item_end in _boxes(file, *ilst_box):
        index = int.from_bytes(index_bytes, "big")
        data = _child(file, item_start, item_end, b"data")
        if not 1 <= index <= len(keys) or data is None:
            continue
        file.seek(data[0])
        (type_code,) = struct.unpack(">I", file.read(4))
        file.read(4)                     # locale
        values[keys[index - 1]] = _decode(type_code, file.read(data[1] - data[0] - 8))
    return values


def _decode(type_code: int, raw: bytes) -> object:
    """A QuickTime well-known data type: UTF-8, big-endian signed/unsigned integers, floats."""
    if type_code == 1:
        return raw.decode("utf-8", "replace")
    if type_code in (21, 22) and len(raw) in (1, 2, 4, 8):
        return int.from_bytes(raw, "big", signed=type_code == 21)
    if type_code == 23 and len(raw) == 4:
        return struct.unpack(">f", raw)[0]
    if type_code == 24 and len(raw) == 8:
        return struct.unpack(">d", raw)[0]
    return None
