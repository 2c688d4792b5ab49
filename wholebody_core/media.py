"""Input media: still images and videos, streamed frame by frame with OpenCV.

Memory does not grow with the clip's length: frames are decoded one at a time and
handed on as (H, W, 3) uint8 RGB arrays.
"""
from __future__ import annotations

import dataclasses
import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .errors import DependencyError, InputError
from .lens_metadata import focal_35mm_equivalent

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg"})


def _cv2():
    try:
        import cv2
    except ImportError as error:
        raise DependencyError(
            "OpenCV is not installed in the core's environment; run "
            "`python3 install_deps/install.py` to (re)create it."
        ) from error
    return cv2


@dataclasses.dataclass(frozen=True)
class MediaInfo:
    """What we know about an input before decoding it."""

    path: Path
    is_video: bool
    width: int
    height: int
    fps: float            # 0 for a still image
    frame_count: int      # 1 for a still image; the container's count for a video (may be approximate)
    focal_35mm: float | None = None   # the 35 mm-equivalent focal length in the file's metadata, if any


@dataclasses.dataclass(frozen=True)
class FrameRange:
    """Which frames to capture: start (inclusive), end (exclusive, None = to the end), stride."""

    start: int = 0
    end: int | None = None
    stride: int = 1

    def __post_init__(self):
        if self.stride < 1:
            raise InputError(f"--stride must be at least 1 (got {self.stride}).")
        if self.start < 0:
            raise InputError(f"--start must be at least 0 (got {self.start}).")
        if self.end is not None and self.end <= self.start:
            raise InputError(f"--end must be greater than --start ({self.start}), got {self.end}.")

    def indices(self, frame_count: int) -> range:
        end = frame_count if self.end is None else min(self.end, frame_count)
        return range(self.start, max(end, self.start), self.stride)


def probe(path: str | Path) -> MediaInfo:
    """Opens ``path`` and reads its size, rate and length; raises InputError on bad input."""
    path = Path(path)
    try:
        mode = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise InputError(f"input file {path} does not exist; check the path.") from None
    except OSError as error:   # name too long, symlink loop, permission denied on a folder
        raise InputError(f"input file {path} cannot be read: {error.strerror or error}; check the path.") from None
    if stat.S_ISDIR(mode.st_mode):
        raise InputError(f"{path} is a folder; give an image or video file.")
    if not stat.S_ISREG(mode.st_mode):
        raise InputError(f"{path} is not a regular file (a device, pipe or socket); give an image or video file.")
    if mode.st_size == 0:
        raise InputError(f"input file {path} is empty (0 bytes).")
    try:
        with open(path, "rb"):
            pass
    except OSError as error:
        raise InputError(f"input file {path} cannot be read: {error.strerror or error}.") from None
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        image = read_image_rgb(path)
        return MediaInfo(path, False, image.shape[1], image.shape[0], 0.0, 1,
                         focal_35mm=focal_35mm_equivalent(path, is_video=False))
    if suffix not in VIDEO_SUFFIXES:
        known = ", ".join(sorted(IMAGE_SUFFIXES | VIDEO_SUFFIXES))
        raise InputError(f"{path.name}: unsupported file type {suffix or '(none)'}; use one of {known}.")
    cv2 = _cv2()
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise InputError(
                f"{path.name} cannot be opened as a video (corrupt file or unknown codec); "
                "re-encode it to H.264 MP4, e.g. `ffmpeg -i IN -c:v libx264 OUT.mp4`."
            )
        ok, frame = capture.read()
        if not ok or frame is None:
            raise InputError(f"{path.name} holds no decodable video frame (corrupt or truncated file).")
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        return MediaInfo(path, True, frame.shape[1], frame.shape[0], fps if fps > 0 else 30.0, max(count, 1),
                         focal_35mm=focal_35mm_equivalent(path, is_video=True))
    finally:
        capture.release()


def read_image_rgb(path: str | Path) -> np.ndarray:
    """Reads a still image as (H, W, 3) uint8 RGB (grayscale, alpha, 16-bit and CMYK converted)."""
    cv2 = _cv2()
    name = Path(path).name
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as error:
        raise InputError(f"{name} cannot be read: {error.strerror or error}.") from None
    try:
        image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    except cv2.error as error:   # e.g. dimensions beyond OpenCV's pixel limit
        log.debug("OpenCV could not decode %s: %s", name, error)
        image = None
    if image is None:
        raise InputError(f"{name} is not a readable image (corrupt, truncated or unsupported format); "
                         "re-save it as PNG or JPEG.")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def iter_frames(info: MediaInfo, frame_range: FrameRange) -> Iterator[tuple[int, np.ndarray]]:
    """Yields (frame index in the source, (H, W, 3) uint8 RGB) for the chosen frames.

    Decodes sequentially (seeking once to ``start``), so the cost is one decode per
    source frame and memory stays constant. A video that ends early (truncated, or a
    container whose frame count was wrong) simply stops; a truncated file that yields
    no frame at all raises InputError.
    """
    if not info.is_video:
        if frame_range.start == 0:
            yield 0, read_image_rgb(info.path)
        return
    cv2 = _cv2()
    capture = cv2.VideoCapture(str(info.path))
    if not capture.isOpened():
        raise InputError(f"{info.path.name} cannot be opened as a video.")
    try:
        index = 0
        if frame_range.start > 0:
            capture.set(cv2.CAP_PROP_POS_FRAMES, frame_range.start)
            index = int(capture.get(cv2.CAP_PROP_POS_FRAMES))
            while index < frame_range.start:  # the seek may land early: decode forward
                if not capture.grab():
                    return
                index += 1
        end = frame_range.end
        while end is None or index < end:
            if (index - frame_range.start) % frame_range.stride == 0:
                ok, frame_bgr = capture.read()
                if not ok or frame_bgr is None:
                    break
                yield index, cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
            elif not capture.grab():
                break
            index += 1
    finally:
        capture.release()
