"""The capture file (``CAPTURE_FORMAT.md``, format version 1): the one reader and writer.

A capture is an ``.npz`` archive written atomically and read with
``allow_pickle=False``. :class:`Capture` holds exactly the file's arrays.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from .errors import InputError, OutputError
from .npz_io import write_npz_atomically
from .skeleton import JOINT_NAMES, NUM_JOINTS, PARENTS

FORMAT_VERSION = 1
SUFFIX = ".capture.npz"


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


def validate_capture(capture: Capture) -> None:
    """Checks dtypes, shapes and finiteness against the format; raises ValueError."""
    P, T = capture.num_people, capture.num_frames
    dims = {"P": P, "T": T}
    if capture.keypoints_2d is not None:
        dims["K"] = capture.keypoints_2d.shape[2]
    for key, (dtype, shape) in _PER_PERSON_SPEC.items():
        value = getattr(capture, key)
        want = tuple(dims.get(d, d) for d in shape)
        if value.shape != want:
            raise ValueError(f"capture field {key!r} has shape {value.shape}, expected {want}")
        if value.dtype != dtype:
            raise ValueError(f"capture field {key!r} has dtype {value.dtype}, expected {np.dtype(dtype)}")
        if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            raise ValueError(f"capture field {key!r} holds NaN or infinite values")
    if capture.keypoints_2d is not None:
        kp = capture.keypoints_2d
        if kp.shape[:2] != (P, T) or kp.shape[3] != 3 or kp.dtype != np.float32:
            raise ValueError(f"keypoints_2d has shape {kp.shape} {kp.dtype}, expected (P, T, K, 3) float32")
        if capture.keypoint_names is None or capture.keypoint_names.shape != (kp.shape[2],):
            raise ValueError("keypoints_2d needs keypoint_names of shape (K,)")
        if not np.all(np.isfinite(kp)):
            raise ValueError("keypoints_2d holds NaN or infinite values")
    if capture.intrinsics.shape != (3, 3) or capture.image_size.shape != (2,):
        raise ValueError("intrinsics must be (3, 3) and image_size (2,)")
    if capture.person_ids.shape != (P,) or capture.frame_indices.ndim != 1:
        raise ValueError("person_ids must be (P,) and frame_indices (T,)")
    if tuple(capture.joint_names.tolist()) != JOINT_NAMES or not np.array_equal(capture.parents, PARENTS):
        raise ValueError("joint_names/parents differ from the SMPL-X joint table")


def _to_arrays(capture: Capture) -> dict[str, np.ndarray]:
    arrays = {
        "format_version": np.int32(capture.format_version),
        "source": np.array(capture.source),
        "fps": np.float64(capture.fps),
        "image_size": capture.image_size.astype(np.int32),
        "intrinsics": capture.intrinsics.astype(np.float64),
        "frame_indices": capture.frame_indices.astype(np.int64),
        "person_ids": capture.person_ids.astype(np.int64),
        "backend": np.array(capture.backend),
        "joint_names": np.array(JOINT_NAMES),
        "parents": PARENTS.astype(np.int32),
    }
    for key in _PER_PERSON_SPEC:
        arrays[key] = getattr(capture, key)
    if capture.keypoints_2d is not None:
        arrays["keypoints_2d"] = capture.keypoints_2d
        arrays["keypoint_names"] = np.asarray(capture.keypoint_names).astype(str)
    return arrays


def check_output_path(path: str | os.PathLike, overwrite: bool) -> Path:
    """Fails early (before any work) if ``path`` cannot be written."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputError(f"{path} already exists; pass --overwrite to replace it or choose another name.")
    if path.exists() and path.is_dir():
        raise OutputError(f"{path} is a folder; give a file name ending in {SUFFIX}.")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"the folder {folder} does not exist; create it or choose another output path.")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"the folder {folder} is not writable; choose another output path.")
    return path


def write_capture(path: str | os.PathLike, capture: Capture, *, overwrite: bool = False) -> Path:
    """Validates and writes ``capture`` atomically (temporary file, then rename)."""
    validate_capture(capture)
    path = check_output_path(path, overwrite)
    return write_npz_atomically(path, _to_arrays(capture))


def read_capture(path: str | os.PathLike) -> Capture:
    """Reads and validates a capture file; raises InputError with a clear message."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"capture file {path} does not exist.")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except Exception as error:  # zipfile/numpy raise many kinds for corrupt files
        raise InputError(f"{path} is not a readable capture file ({error}).") from error
    version = int(arrays.get("format_version", -1))
    if version != FORMAT_VERSION:
        raise InputError(f"{path} has capture format version {version}; this reader knows version {FORMAT_VERSION}.")
    try:
        capture = Capture(
            source=str(arrays["source"]), fps=float(arrays["fps"]),
            image_size=arrays["image_size"], intrinsics=arrays["intrinsics"],
            frame_indices=arrays["frame_indices"], person_ids=arrays["person_ids"],
            backend=str(arrays["backend"]),
            keypoints_2d=arrays.get("keypoints_2d"), keypoint_names=arrays.get("keypoint_names"),
            joint_names=arrays["joint_names"], parents=arrays["parents"],
            **{key: arrays[key] for key in _PER_PERSON_SPEC},
        )
        validate_capture(capture)
    except (KeyError, ValueError) as error:
        raise InputError(f"{path} is not a valid capture file: {error}") from error
    return capture
