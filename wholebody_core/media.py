"""Input media: still images and videos, streamed frame by frame with OpenCV.

Memory does not grow with the clip's length: frames are decoded one at a time and
handed on as (H, W, 3) uint8 RGB arrays.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import stat
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .errors import DependencyError, InputError
from .lens_metadata import focal_35mm_equivalent

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg"})
MAX_IMAGE_PIXELS = 150_000_000   # larger frames are refused before decoding (memory)
MAX_ASPECT_RATIO = 10            # long side / short side (the detector's tile count grows with it)
MAX_FRAME_COUNT = 1_000_000      # a container stating more is corrupt or lying; decoding stops at the real end
MAX_FPS = 10_000.0               # beyond: a container time base (90000), not a frame rate
DEFAULT_FPS = 30.0


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
    frame_count: int      # 1 for a still image; the container's count for a video (approximate; capped)
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
        header_size = _image_header_size(path)
        if header_size is not None:
            check_frame_size(path.name, *header_size)
        image = read_image_rgb(path)
        check_frame_size(path.name, image.shape[1], image.shape[0])
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
        if not ok or frame is None or frame.ndim != 3 or frame.shape[2] != 3:
            raise InputError(f"{path.name} holds no decodable video frame (corrupt or truncated file).")
        check_frame_size(path.name, frame.shape[1], frame.shape[0])
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        count = float(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0.0)
        if not (math.isfinite(fps) and 0.0 < fps <= MAX_FPS):
            log.warning("%s states a frame rate of %s; assuming %g frames/s.", path.name, fps, DEFAULT_FPS)
            fps = DEFAULT_FPS
        # a corrupt container may state any count: the frames are decoded until the stream ends anyway
        count = int(min(count, MAX_FRAME_COUNT)) if math.isfinite(count) else MAX_FRAME_COUNT
        return MediaInfo(path, True, frame.shape[1], frame.shape[0], fps, max(count, 1),
                         focal_35mm=focal_35mm_equivalent(path, is_video=True))
    finally:
        capture.release()


def check_frame_size(name: str, width: int, height: int) -> None:
    """Refuses frames that are too large to decode safely or too elongated for the detector,
    whose tiles grow with the ratio of the long side to the short one."""
    if width < 1 or height < 1:
        raise InputError(f"{name} has no pixels ({width} x {height}).")
    if width * height > MAX_IMAGE_PIXELS:
        raise InputError(f"{name} is {width} x {height} pixels ({width * height / 1e6:.0f} megapixels); at most "
                         f"{MAX_IMAGE_PIXELS / 1e6:.0f} megapixels are supported: scale it down (people need only "
                         "about 60 px of height to be found).")
    if max(width, height) > MAX_ASPECT_RATIO * min(width, height):
        raise InputError(f"{name} is {width} x {height} pixels, more than {MAX_ASPECT_RATIO}:1; crop it to the "
                         "part with the people (the detector's tiles grow with the ratio of the sides).")


def _image_header_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from the image's header without decoding its pixels (Pillow), so that a
    small file claiming a huge size is refused before any memory is taken; None if Pillow
    cannot tell (then OpenCV decides)."""
    try:
        from PIL import Image
    except ImportError:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")        # Pillow's DecompressionBombWarning: we check the size ourselves
            with Image.open(path) as image:
                return image.size
    except Image.DecompressionBombError:
        raise InputError(f"{path.name} claims more than {MAX_IMAGE_PIXELS / 1e6:.0f} megapixels; "
                         "scale it down.") from None
    except Exception as error:   # Pillow raises many kinds for files it cannot parse
        log.debug("Pillow cannot read the header of %s: %s", path.name, error)
        return None


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
            landed = float(capture.get(cv2.CAP_PROP_POS_FRAMES))
            index = int(landed) if math.isfinite(landed) and 0 <= landed <= frame_range.start else 0
            while index < frame_range.start:  # the seek may land early: decode forward
                if not capture.grab():
                    return
                index += 1
        end = frame_range.end
        expected = (info.height, info.width, 3)
        odd_frames = 0
        while end is None or index < end:
            if (index - frame_range.start) % frame_range.stride == 0:
                ok, frame_bgr = capture.read()
                if not ok or frame_bgr is None:
                    break
                if frame_bgr.shape == expected:
                    yield index, cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
                else:   # a corrupt stream can change size mid-way: skip such frames
                    odd_frames += 1
                    if odd_frames == 1:
                        log.warning("%s: frame %d is %s, not %s (corrupt stream?); skipping such frames.",
                                    info.path.name, index, frame_bgr.shape, expected)
            elif not capture.grab():
                break
            index += 1
        stated_end = info.frame_count if end is None else min(end, info.frame_count)
        if index < stated_end - 1 and info.frame_count < MAX_FRAME_COUNT:
            log.warning("%s: decoding stopped at frame %d of %d (truncated or corrupt file?).",
                        info.path.name, index, info.frame_count)
    finally:
        capture.release()
