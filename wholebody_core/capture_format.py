"""The capture file (``CAPTURE_FORMAT.md``, format version 1): the one reader, writer and validator.

A capture is an ``.npz`` archive written atomically and read with
``allow_pickle=False``. :class:`Capture` holds exactly the file's arrays.

The reader trusts nothing in the file. It first reads only the zip directory and
each array's ``.npy`` header and checks every key's presence, dtype and shape
against P (``person_ids``) and T (``frame_indices``), and the total size, so a
file that declares huge arrays is refused before anything is loaded; then it
loads the arrays and checks their values (:func:`check_arrays`, shared with the
writer): every float finite and of plausible magnitude, ranges (fps, image size,
K, frame indices, confidences), bools stored as 0/1, the SMPL-X joint table.
Every problem is an :class:`InvalidCaptureError` (an ``InputError``) naming the
key and what is wrong. The limits that come from Blender (its last frame, fps
and resolution) are written here as numbers, since the core never imports bpy;
the add-on's tests check them against Blender.
"""
from __future__ import annotations

import dataclasses
import math
import os
import zipfile
from pathlib import Path

import numpy as np

from .errors import InputError
from .npz_io import write_npz_atomically
from .output_path import CAPTURE_SUFFIX as SUFFIX, check_output_path
from .skeleton import JOINT_NAMES, NUM_JOINTS, PARENTS

FORMAT_VERSION = 1

MAX_FRAME_INDEX = 1_048_573      # scene frame = index + 1 <= Blender's MAXFRAME (1,048,574)
MAX_FPS = 32767.0                # Blender's largest scene frame rate
MIN_FPS = 1e-3                   # fps is 0 (a still image) or at least this (Blender's fps_base <= 1e6)
MAX_IMAGE_SIDE = 65536           # Blender's largest render resolution
MAX_PERSON_ID = 2**31 - 1        # the add-on keeps ids in Blender int properties (32-bit)
MAX_PIXEL_ASPECT = 200.0         # fx / fy at most this (or its inverse): Blender's pixel aspect limit
MAX_ABS_VALUE = 1e7              # no pixel, metre, radian or focal length in a capture comes near it
MAX_ARRAY_BYTES = 4 * 2**30      # the reader refuses files whose arrays add up to more (4 GiB)
_MAX_HEADER_BYTES = 10_000

_FIX = ("; re-create the file with the capture tool, or fix the program that wrote it "
        "(the format: CAPTURE_FORMAT.md, version 1).")


class InvalidCaptureError(InputError, ValueError):
    """A capture that breaks the format, found by the reader or the writer."""


@dataclasses.dataclass
class Capture:
    """Everything in one capture file. P people, T frames, K detector keypoints."""

    source: str
    fps: float
    image_size: np.ndarray          # int32 (2,) width, height
    intrinsics: np.ndarray          # float64 (3, 3)
    frame_indices: np.ndarray       # int64 (T,)
    person_ids: np.ndarray          # int64 (P,)
    backend: str
    valid: np.ndarray               # bool (P, T)
    confidence: np.ndarray          # float32 (P, T)
    bbox: np.ndarray                # float32 (P, T, 4) x0 y0 x1 y1 pixels
    global_orient: np.ndarray       # float32 (P, T, 3) model -> camera
    body_pose: np.ndarray           # float32 (P, T, 21, 3)
    jaw_pose: np.ndarray            # float32 (P, T, 3)
    leye_pose: np.ndarray           # float32 (P, T, 3)
    reye_pose: np.ndarray           # float32 (P, T, 3)
    left_hand_pose: np.ndarray      # float32 (P, T, 15, 3)
    right_hand_pose: np.ndarray     # float32 (P, T, 15, 3)
    expression: np.ndarray          # float32 (P, T, 10)
    hand_valid: np.ndarray          # bool (P, T, 2) left, right
    face_valid: np.ndarray          # bool (P, T)
    betas: np.ndarray               # float32 (P, 10)
    rest_joints: np.ndarray         # float32 (P, 55, 3) model frame, pelvis at origin
    root_position: np.ndarray       # float32 (P, T, 3) camera frame, metres
    joints_cam: np.ndarray          # float32 (P, T, 55, 3) camera frame, metres
    keypoints_2d: np.ndarray | None = None   # float32 (P, T, K, 3) optional
    keypoint_names: np.ndarray | None = None  # str (K,) optional
    joint_confidence: np.ndarray | None = None  # float32 (P, T, 55) optional, 0..1
    joint_names: np.ndarray = dataclasses.field(
        default_factory=lambda: np.array(JOINT_NAMES))
    parents: np.ndarray = dataclasses.field(default_factory=lambda: PARENTS.copy())
    format_version: int = FORMAT_VERSION

    @property
    def num_people(self) -> int:
        return int(self.person_ids.shape[0])

    @property
    def num_frames(self) -> int:
        return int(self.frame_indices.shape[0])


# key -> (dtype, shape with "P", "T", "K" symbols)
_PER_PERSON_SPEC: dict[str, tuple[type, tuple]] = {
    "valid": (np.bool_, ("P", "T")),
    "confidence": (np.float32, ("P", "T")),
    "bbox": (np.float32, ("P", "T", 4)),
    "global_orient": (np.float32, ("P", "T", 3)),
    "body_pose": (np.float32, ("P", "T", 21, 3)),
    "jaw_pose": (np.float32, ("P", "T", 3)),
    "leye_pose": (np.float32, ("P", "T", 3)),
    "reye_pose": (np.float32, ("P", "T", 3)),
    "left_hand_pose": (np.float32, ("P", "T", 15, 3)),
    "right_hand_pose": (np.float32, ("P", "T", 15, 3)),
    "expression": (np.float32, ("P", "T", 10)),
    "hand_valid": (np.bool_, ("P", "T", 2)),
    "face_valid": (np.bool_, ("P", "T")),
    "betas": (np.float32, ("P", 10)),
    "rest_joints": (np.float32, ("P", NUM_JOINTS, 3)),
    "root_position": (np.float32, ("P", "T", 3)),
    "joints_cam": (np.float32, ("P", "T", NUM_JOINTS, 3)),
}
_WHOLE_SPEC: dict[str, tuple[type, tuple]] = {
    "format_version": (np.int32, ()),
    "source": (np.str_, ()),
    "fps": (np.float64, ()),
    "image_size": (np.int32, (2,)),
    "intrinsics": (np.float64, (3, 3)),
    "frame_indices": (np.int64, ("T",)),
    "person_ids": (np.int64, ("P",)),
    "backend": (np.str_, ()),
    "joint_names": (np.str_, (NUM_JOINTS,)),
    "parents": (np.int32, (NUM_JOINTS,)),
}
_OPTIONAL_SPEC: dict[str, tuple[type, tuple]] = {
    "keypoints_2d": (np.float32, ("P", "T", "K", 3)),
    "keypoint_names": (np.str_, ("K",)),
    "joint_confidence": (np.float32, ("P", "T", NUM_JOINTS)),
}
SPEC = {**_WHOLE_SPEC, **_PER_PERSON_SPEC, **_OPTIONAL_SPEC}
"""Every key of format version 1 -> (dtype, shape); strings: any length."""
REQUIRED_KEYS = tuple(_WHOLE_SPEC) + tuple(_PER_PERSON_SPEC)


def empty_capture(
    num_people: int, num_frames: int, *, source: str, fps: float,
    image_size: tuple[int, int], intrinsics: np.ndarray, backend: str,
) -> Capture:
    """A capture filled with harmless fillers (invalid frames, zero rotations)."""
    dims = {"P": num_people, "T": num_frames}
    arrays = {
        key: np.zeros(tuple(dims.get(d, d) for d in shape), dtype=dtype)
        for key, (dtype, shape) in _PER_PERSON_SPEC.items()
    }
    return Capture(
        source=source, fps=float(fps),
        image_size=np.asarray(image_size, dtype=np.int32),
        intrinsics=np.asarray(intrinsics, dtype=np.float64),
        frame_indices=np.arange(num_frames, dtype=np.int64),
        person_ids=np.arange(num_people, dtype=np.int64),
        backend=backend, **arrays,
    )


def _same_dtype(dtype: np.dtype, want: type) -> bool:
    """Kind and size as the format says (either byte order; no structured or sub-array dtypes)."""
    if dtype.fields is not None or dtype.subdtype is not None:
        return False
    if want is np.str_:
        return dtype.kind == "U"
    return dtype.kind == np.dtype(want).kind and dtype.itemsize == np.dtype(want).itemsize


def _dtype_name(want: type) -> str:
    return "str" if want is np.str_ else np.dtype(want).name


def check_layout(layout: dict[str, tuple[np.dtype, tuple]]) -> dict[str, int]:
    """Checks which keys there are and every key's dtype and shape; returns {"P", "T", "K"}.

    Args:
        layout: key -> (dtype, shape), from the arrays or from the file's headers.
    Raises:
        InvalidCaptureError naming the first key that is wrong.
    """
    for key in REQUIRED_KEYS:
        if key not in layout:
            raise InvalidCaptureError(f"the key {key!r} is missing")
    for key in ("keypoint_names", "keypoints_2d"):
        other = "keypoints_2d" if key == "keypoint_names" else "keypoint_names"
        if key in layout and other not in layout:
            raise InvalidCaptureError(f"{key!r} is there without {other!r}")
    dims = {"P": _first_dim(layout, "person_ids"), "T": _first_dim(layout, "frame_indices")}
    if "keypoints_2d" in layout:
        dims["K"] = _first_dim(layout, "keypoint_names")
    for key, (want_dtype, want_symbols) in SPEC.items():
        if key not in layout:
            continue
        dtype, shape = layout[key]
        if not _same_dtype(dtype, want_dtype):
            raise InvalidCaptureError(f"{key!r} has dtype {dtype}; the format needs {_dtype_name(want_dtype)}")
        want = tuple(dims.get(d, d) for d in want_symbols)
        if tuple(shape) != want:
            symbols = "(" + ", ".join(str(d) for d in want_symbols) + ("," if len(want) == 1 else "") + ")"
            needs = f"{symbols} = {want} (P = {dims['P']} people, T = {dims['T']} frames)" if symbols != str(
                want) else symbols
            raise InvalidCaptureError(f"{key!r} has shape {tuple(shape)}; the format needs {needs}")
    if dims["T"] == 0:
        raise InvalidCaptureError("the capture has no frames ('frame_indices' is empty); "
                                  "a capture needs at least one frame")
    return dims


def _first_dim(layout, key: str) -> int:
    dtype, shape = layout[key]
    if len(shape) != 1:
        raise InvalidCaptureError(f"{key!r} has shape {tuple(shape)}; the format needs a 1-D array")
    return int(shape[0])


def _num(value) -> str:
    value = float(value) if not isinstance(value, (int, np.integer)) else int(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def _check_range(key: str, values: np.ndarray, low: float, high: float, what: str) -> None:
    if values.size and (values.min() < low or values.max() > high):
        raise InvalidCaptureError(f"{key!r} holds values from {_num(values.min())} to {_num(values.max())}; "
                                  f"{what} must lie in [{_num(low)}, {_num(high)}]")


def check_arrays(arrays: dict[str, np.ndarray]) -> None:
    """Checks the values of a capture's arrays (layout already checked by :func:`check_layout`)."""
    _check_version(arrays["format_version"])
    for key, value in arrays.items():
        if value.dtype.kind == "f":
            finite = np.isfinite(value)
            if not finite.all():
                raise InvalidCaptureError(f"{key!r} holds NaN or infinite values "
                                          f"({int(value.size - finite.sum())} of {value.size})")
            largest = max(float(value.max()), -float(value.min())) if value.size else 0.0
            if largest > MAX_ABS_VALUE:
                raise InvalidCaptureError(f"{key!r} holds a value of magnitude {largest:g}; "
                                          f"no value in a capture exceeds {MAX_ABS_VALUE:g} in magnitude")
        elif value.dtype.kind == "b" and value.size and value.view(np.uint8).max() > 1:
            raise InvalidCaptureError(f"{key!r} is a bool array whose bytes are not 0 or 1")
        elif value.dtype.kind == "U" and SPEC.get(key, (None,))[0] is np.str_ and "\0" in "".join(
                value.ravel().tolist()):
            raise InvalidCaptureError(f"{key!r} holds a NUL character")
    source = str(arrays["source"])
    if "/" in source or "\\" in source or source in (".", ".."):
        raise InvalidCaptureError(f"'source' is {source[:80]!r}; it must be a file name without folders")
    fps = float(arrays["fps"])
    if fps != 0.0 and not MIN_FPS <= fps <= MAX_FPS:
        raise InvalidCaptureError(f"'fps' is {fps:g}; the frame rate must be 0 (a still image) or "
                                  f"between {MIN_FPS:g} and {MAX_FPS:g}")
    _check_range("image_size", arrays["image_size"], 1, MAX_IMAGE_SIDE, "width and height in pixels")
    K = arrays["intrinsics"]
    if not (K[0, 0] > 0 and K[1, 1] > 0):
        raise InvalidCaptureError(f"'intrinsics' has focal lengths fx = {K[0, 0]:g}, fy = {K[1, 1]:g}; "
                                  "both must be positive pixels")
    if not 1.0 / MAX_PIXEL_ASPECT <= K[0, 0] / K[1, 1] <= MAX_PIXEL_ASPECT:
        raise InvalidCaptureError(f"'intrinsics' has fx / fy = {K[0, 0] / K[1, 1]:g}; pixels more than "
                                  f"{MAX_PIXEL_ASPECT:g} times as wide as tall (or tall as wide) do not exist")
    if K[1, 0] != 0 or K[2, 0] != 0 or K[2, 1] != 0 or K[2, 2] != 1:
        raise InvalidCaptureError(f"'intrinsics' is not a camera matrix (K = {K.tolist()}); "
                                  "its last row must be (0, 0, 1) and K[1, 0] zero")
    frames = arrays["frame_indices"]
    _check_range("frame_indices", frames, 0, MAX_FRAME_INDEX, "source frame indices")
    if frames.size > 1 and not (np.diff(frames) > 0).all():
        raise InvalidCaptureError("'frame_indices' is not strictly increasing")
    _check_range("person_ids", arrays["person_ids"], 0, MAX_PERSON_ID, "track ids")
    if np.unique(arrays["person_ids"]).size != arrays["person_ids"].size:
        raise InvalidCaptureError("'person_ids' holds the same id twice; every person needs their own id")
    if tuple(arrays["joint_names"].tolist()) != JOINT_NAMES:
        raise InvalidCaptureError("'joint_names' differ from the SMPL-X joint order")
    if not np.array_equal(arrays["parents"], PARENTS):
        raise InvalidCaptureError("'parents' differ from the SMPL-X joint hierarchy")
    for key in ("confidence", "joint_confidence"):
        if key in arrays:
            _check_range(key, arrays[key], 0.0, 1.0, "confidences")


def _to_arrays(capture: Capture) -> dict[str, np.ndarray]:
    arrays = {
        "format_version": np.int32(capture.format_version),
        "source": np.array(capture.source),
        "fps": np.float64(capture.fps),
        "image_size": np.asarray(capture.image_size).astype(np.int32),
        "intrinsics": np.asarray(capture.intrinsics).astype(np.float64),
        "frame_indices": np.asarray(capture.frame_indices).astype(np.int64),
        "person_ids": np.asarray(capture.person_ids).astype(np.int64),
        "backend": np.array(capture.backend),
        "joint_names": np.asarray(capture.joint_names),
        "parents": np.asarray(capture.parents).astype(np.int32),
    }
    for key in _PER_PERSON_SPEC:
        arrays[key] = np.asarray(getattr(capture, key))
    if capture.keypoints_2d is not None:
        arrays["keypoints_2d"] = np.asarray(capture.keypoints_2d)
    if capture.keypoint_names is not None:
        arrays["keypoint_names"] = np.asarray(capture.keypoint_names).astype(str)
    if capture.joint_confidence is not None:
        arrays["joint_confidence"] = np.asarray(capture.joint_confidence)
    return arrays


def validate_capture(capture: Capture) -> None:
    """Checks a capture against the format (keys, dtypes, shapes, values); raises InvalidCaptureError."""
    arrays = _to_arrays(capture)
    try:
        check_layout({key: (value.dtype, value.shape) for key, value in arrays.items()})
        check_arrays(arrays)
    except InvalidCaptureError as error:
        raise InvalidCaptureError(f"refusing to write a capture that breaks the format: {error}; this is a "
                                  "bug in the program that made it, please report it.") from None


def write_capture(path: str | os.PathLike, capture: Capture, *, overwrite: bool = False) -> Path:
    """Validates and writes ``capture`` atomically (temporary file, then rename)."""
    validate_capture(capture)
    path = check_output_path(path, overwrite=overwrite, try_write=False)
    return write_npz_atomically(path, _to_arrays(capture))


def _read_headers(archive: zipfile.ZipFile) -> dict[str, tuple[zipfile.ZipInfo, np.dtype, tuple]]:
    """key -> (zip member, dtype, shape) of every ``.npy`` member, reading only the headers."""
    headers = {}
    for info in archive.infolist():
        if not info.filename.endswith(".npy") or info.is_dir():
            continue   # npz archives hold only .npy members; anything else is not ours
        key = info.filename[:-4]
        with archive.open(info) as member:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(member, max_header_size=_MAX_HEADER_BYTES)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(member, max_header_size=_MAX_HEADER_BYTES)
            else:
                raise InvalidCaptureError(f"{key!r} is stored as .npy version {version}, not 1.0 or 2.0")
            header_bytes = member.tell()
        if dtype.hasobject:
            raise InvalidCaptureError(f"{key!r} holds Python objects (a pickle); capture files never do, "
                                      "and this reader does not load pickles")
        if any(d < 0 for d in shape):
            raise InvalidCaptureError(f"{key!r} declares the shape {shape}")
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes != info.file_size - header_bytes:
            raise InvalidCaptureError(f"{key!r} declares {nbytes:,} bytes of data but its archive member "
                                      f"holds {info.file_size - header_bytes:,} (a truncated or altered file)")
        headers[key] = (info, dtype, tuple(shape))
    return headers


def _load(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    with archive.open(info) as member:
        array = np.lib.format.read_array(member, allow_pickle=False, max_header_size=_MAX_HEADER_BYTES)
    return array if array.dtype.isnative else array.astype(array.dtype.newbyteorder("="))


def read_capture(path: str | os.PathLike, *, max_bytes: int = MAX_ARRAY_BYTES) -> Capture:
    """Reads and validates a capture file; raises InputError with a clear message.

    Refuses (before loading any array) a file whose arrays add up to more than
    ``max_bytes``. Never loads pickles.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"capture file {path} does not exist.")
    if path.stat().st_size == 0:
        raise InputError(f"{path} is empty (0 bytes), not a capture file; capture again or choose another file.")
    try:
        with zipfile.ZipFile(path) as archive:
            headers = _read_headers(archive)
            layout = {key: (dtype, shape) for key, (_, dtype, shape) in headers.items()}
            if "format_version" in layout and not _same_dtype(layout["format_version"][0], np.int32):
                raise InvalidCaptureError(f"'format_version' has dtype {layout['format_version'][0]}, "
                                          "not an integer")
            if "format_version" in layout and layout["format_version"][1] == ():
                _check_version(_load(archive, headers["format_version"][0]))
            check_layout(layout)
            total = sum(math.prod(shape) * dtype.itemsize for dtype, shape in layout.values())
            if total > max_bytes:
                raise InvalidCaptureError(f"its arrays add up to {total / 2**30:.1f} GiB, more than this "
                                          f"reader loads ({max_bytes / 2**30:.1f} GiB); split the capture "
                                          "into shorter frame ranges")
            arrays = {key: _load(archive, headers[key][0]) for key in SPEC if key in headers}
    except InvalidCaptureError as error:
        raise InvalidCaptureError(f"{path} is not a valid capture file: {error}{_FIX}") from None
    except Exception as error:  # noqa: BLE001 - zipfile, zlib and numpy raise many kinds for corrupt files
        raise InvalidCaptureError(f"{path} is not a readable capture file ({type(error).__name__}: {error}); "
                                  "it may be truncated or damaged: capture again or choose another "
                                  "file.") from error
    try:
        check_arrays(arrays)
    except InvalidCaptureError as error:
        raise InvalidCaptureError(f"{path} is not a valid capture file: {error}{_FIX}") from None
    return Capture(
        source=str(arrays["source"]), fps=float(arrays["fps"]),
        image_size=arrays["image_size"], intrinsics=arrays["intrinsics"],
        frame_indices=arrays["frame_indices"], person_ids=arrays["person_ids"],
        backend=str(arrays["backend"]), keypoints_2d=arrays.get("keypoints_2d"),
        keypoint_names=arrays.get("keypoint_names"), joint_confidence=arrays.get("joint_confidence"),
        joint_names=arrays["joint_names"], parents=arrays["parents"],
        **{key: arrays[key] for key in _PER_PERSON_SPEC},
    )


def _check_version(version: np.ndarray) -> None:
    """The format version first, so a newer or older file says so rather than listing missing keys."""
    if int(version) != FORMAT_VERSION:
        raise InvalidCaptureError(f"it has capture format version {int(version)}; this reader knows version "
                                  f"{FORMAT_VERSION}: update the add-on (or the core) to read it")
