"""Hostile capture files against the pure reader and the writer's validator (no bpy).

Every case writes a capture's arrays with one thing broken (``np.savez``, not the
core's writer) and expects ``read_capture`` to raise the core's ``InputError`` with a
message naming the key: never another exception, never a pickle executed.
"""
from __future__ import annotations

import io
import os
import pickle
import tracemalloc
import zipfile

import numpy as np
import pytest

from wholebody_core.capture_format import (MAX_FRAME_INDEX, REQUIRED_KEYS, InvalidCaptureError, _to_arrays,
                                           empty_capture, read_capture, validate_capture, write_capture)
from wholebody_core.errors import CaptureError, InputError
from wholebody_core.skeleton import JOINT_NAMES, default_rest_joints

P, T = 2, 3


def _capture(num_people=P, num_frames=T):
    cap = empty_capture(num_people, num_frames, source="clip.mp4", fps=25.0, image_size=(640, 480),
                        intrinsics=np.array([[500.0, 0, 320], [0, 500, 240], [0, 0, 1]]), backend="test")
    cap.valid[:] = True
    cap.rest_joints[:] = default_rest_joints()
    cap.root_position[:] = [0.0, 0.0, 4.0]
    cap.confidence[:] = 0.9
    return cap


def _arrays(num_people=P, num_frames=T) -> dict:
    arrays = _to_arrays(_capture(num_people, num_frames))
    arrays["joint_confidence"] = np.full((num_people, num_frames, 55), 0.8, np.float32)
    return arrays


def _read(tmp_path, arrays, name="x.capture.npz"):
    path = tmp_path / name
    np.savez(path, **arrays)
    return read_capture(path)


def _expect(tmp_path, arrays, *words):
    with pytest.raises(InputError) as info:
        _read(tmp_path, arrays)
    message = str(info.value)
    for word in words:
        assert word in message, message
    return message


def test_a_valid_file_reads(tmp_path):
    capture = _read(tmp_path, _arrays())
    assert capture.num_people == P and capture.num_frames == T
    assert capture.joint_confidence.shape == (P, T, 55)


@pytest.mark.parametrize("people, frames", [(0, 1), (1, 1), (0, 5)])
def test_extreme_but_valid_sizes_read(tmp_path, people, frames):
    capture = _read(tmp_path, _arrays(people, frames))
    assert capture.body_pose.shape == (people, frames, 21, 3)


@pytest.mark.parametrize("key", REQUIRED_KEYS)
def test_every_missing_key_is_named(tmp_path, key):
    arrays = _arrays()
    del arrays[key]
    _expect(tmp_path, arrays, repr(key), "missing")


def _set(key, value):
    def mutate(arrays):
        arrays[key] = value(arrays[key]) if callable(value) else value
    return mutate


CASES = {
    # wrong shape
    "fps of shape (1,)": (_set("fps", np.array([25.0])), "'fps'", "shape"),
    "fps of shape (2, 2)": (_set("fps", np.ones((2, 2))), "'fps'", "shape"),
    "image_size (3,)": (_set("image_size", np.array([640, 480, 3], np.int32)), "'image_size'", "shape"),
    "intrinsics (3, 4)": (_set("intrinsics", np.zeros((3, 4))), "'intrinsics'", "shape"),
    "body_pose (P, T, 21, 4)": (_set("body_pose", np.zeros((P, T, 21, 4), np.float32)), "'body_pose'", "shape"),
    "valid (P, T + 1)": (_set("valid", np.ones((P, T + 1), bool)), "'valid'", "shape"),
    "betas (P + 1, 10)": (_set("betas", np.zeros((P + 1, 10), np.float32)), "'betas'", "shape"),
    "frame_indices 2-D": (_set("frame_indices", np.zeros((T, 1), np.int64)), "'frame_indices'", "1-D"),
    "keypoints without names": (_set("keypoints_2d", np.zeros((P, T, 4, 3), np.float32)), "keypoint_names"),
    # wrong dtype
    "format_version a string": (_set("format_version", np.array("1")), "'format_version'", "integer"),
    "fps a string": (_set("fps", np.array("25")), "'fps'", "dtype"),
    "fps an integer": (_set("fps", np.int64(25)), "'fps'", "dtype"),
    "valid as uint8": (_set("valid", lambda a: a.astype(np.uint8)), "'valid'", "dtype"),
    "body_pose float64": (_set("body_pose", lambda a: a.astype(np.float64)), "'body_pose'", "dtype"),
    "frame_indices float": (_set("frame_indices", lambda a: a.astype(np.float64)), "'frame_indices'", "dtype"),
    "joint_names as bytes": (_set("joint_names", lambda a: a.astype(bytes)), "'joint_names'", "dtype"),
    "structured dtype": (_set("betas", np.zeros((P, 10), dtype=[("a", "<f4")])), "'betas'", "dtype"),
    # not finite, implausible
    "NaN intrinsics": (_set("intrinsics", lambda a: np.where(np.eye(3) > 0, np.nan, a)), "'intrinsics'", "NaN"),
    "inf fps": (_set("fps", np.float64(np.inf)), "'fps'", "infinite"),
    "NaN fps": (_set("fps", np.float64(np.nan)), "'fps'", "NaN"),
    "NaN body_pose": (_set("body_pose", lambda a: np.full_like(a, np.nan)), "'body_pose'", "NaN"),
    "-inf root_position": (_set("root_position", lambda a: np.full_like(a, -np.inf)), "'root_position'"),
    "NaN joint_confidence": (_set("joint_confidence", lambda a: np.full_like(a, np.nan)), "'joint_confidence'"),
    "huge root_position": (_set("root_position", lambda a: np.full_like(a, 1e30)), "'root_position'", "magnitude"),
    # out of range
    "negative fps": (_set("fps", np.float64(-24.0)), "'fps'", "-24"),
    "absurd fps": (_set("fps", np.float64(1e6)), "'fps'"),
    "tiny fps": (_set("fps", np.float64(1e-9)), "'fps'"),
    "image_size 0": (_set("image_size", np.array([0, 480], np.int32)), "'image_size'"),
    "image_size negative": (_set("image_size", np.array([640, -1], np.int32)), "'image_size'"),
    "image_size too large": (_set("image_size", np.array([10**6, 480], np.int32)), "'image_size'"),
    "fx zero": (_set("intrinsics", np.array([[0.0, 0, 320], [0, 500, 240], [0, 0, 1]])), "'intrinsics'", "fx"),
    "fy negative": (_set("intrinsics", np.array([[500.0, 0, 320], [0, -5, 240], [0, 0, 1]])), "'intrinsics'"),
    "fx / fy absurd": (_set("intrinsics", np.array([[500.0, 0, 320], [0, 1e-3, 240], [0, 0, 1]])), "fx / fy"),
    "K last row": (_set("intrinsics", np.array([[500.0, 0, 320], [0, 500, 240], [0, 0, 2]])), "'intrinsics'"),
    "format_version 2": (_set("format_version", np.int32(2)), "version 2"),
    "format_version -1": (_set("format_version", np.int32(-1)), "version -1"),
    "negative frame index": (_set("frame_indices", np.array([-1, 0, 1], np.int64)), "'frame_indices'"),
    "frame index near 2**62": (_set("frame_indices", np.array([0, 1, 2**62], np.int64)), "'frame_indices'"),
    "frame index past Blender": (_set("frame_indices", np.array([0, 1, MAX_FRAME_INDEX + 1], np.int64)),
                                 "'frame_indices'"),
    "frames not increasing": (_set("frame_indices", np.array([0, 2, 1], np.int64)), "'frame_indices'",
                              "increasing"),
    "frames repeated": (_set("frame_indices", np.array([0, 1, 1], np.int64)), "'frame_indices'"),
    "zero frames": (lambda a: a.update({k: v[:, :0] if v.ndim >= 2 and v.shape[:2] == (P, T) else v
                                        for k, v in a.items()} | {"frame_indices": np.zeros(0, np.int64)}),
                    "no frames"),
    "person id past 32 bits": (_set("person_ids", np.array([0, 2**40], np.int64)), "'person_ids'"),
    "negative person id": (_set("person_ids", np.array([-1, 0], np.int64)), "'person_ids'"),
    "duplicate person ids": (_set("person_ids", np.array([4, 4], np.int64)), "'person_ids'"),
    "parents altered": (_set("parents", lambda a: np.roll(a, 1)), "'parents'"),
    "joint_names altered": (_set("joint_names", lambda a: a[::-1].copy()), "'joint_names'"),
    "confidence above 1": (_set("confidence", lambda a: np.full_like(a, 1.5)), "'confidence'"),
    "joint_confidence below 0": (_set("joint_confidence", lambda a: np.full_like(a, -0.5)), "'joint_confidence'"),
    "bool bytes of 2": (_set("valid", lambda a: np.full(a.shape, 2, np.uint8).view(bool)), "'valid'", "0 or 1"),
    "source with folders": (_set("source", np.array("../../etc/passwd")), "'source'", "folders"),
    "source with NUL": (_set("source", np.array("clip\0.mp4")), "'source'", "NUL"),
}


@pytest.mark.parametrize("case", CASES)
def test_broken_field_is_named(tmp_path, case):
    mutate, *words = CASES[case]
    arrays = _arrays()
    mutate(arrays)
    message = _expect(tmp_path, arrays, *words)
    assert "capture" in message


class _Payload:
    """Unpickling this would create the file named by ``path``."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_pickles_are_refused_and_never_run(tmp_path):
    sentinel = tmp_path / "pickle_ran"
    arrays = _arrays()
    payload = np.empty((), dtype=object)
    payload[()] = _Payload(str(sentinel))
    arrays["source"] = payload
    np.savez(tmp_path / "evil.capture.npz", **arrays)
    with pytest.raises(InputError, match="pickle"):
        read_capture(tmp_path / "evil.capture.npz")
    assert not sentinel.exists()
    pickle.loads(pickle.dumps(_Payload(str(sentinel)))).close()   # the payload does work when unpickled
    assert sentinel.exists()


def _valid_file(tmp_path, name="ok.capture.npz", **kwargs):
    path = tmp_path / name
    np.savez_compressed(path, **_arrays(**kwargs))
    return path


@pytest.mark.parametrize("fraction", [0.02, 0.5, 0.9, 0.999])
def test_truncated_archives(tmp_path, fraction):
    data = _valid_file(tmp_path).read_bytes()
    path = tmp_path / "cut.capture.npz"
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(InputError, match="cut.capture.npz"):
        read_capture(path)


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04" + b"\0" * 100,
                                     b"\x93NUMPY\x01\x00v\x00{'descr': '<f8'}"])
def test_not_a_capture_archive(tmp_path, content):
    path = tmp_path / "junk.capture.npz"
    path.write_bytes(content)
    with pytest.raises(InputError, match="junk.capture.npz"):
        read_capture(path)


def test_a_folder_or_missing_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_capture(tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        read_capture(tmp_path / "missing.capture.npz")


def _npy_bytes(array: np.ndarray, declared_shape) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": np.lib.format.dtype_to_descr(array.dtype),
                                                  "fortran_order": False, "shape": declared_shape})
    return buffer.getvalue() + array.tobytes()


def _archive(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name + ".npy", data)


@pytest.mark.parametrize("declared", [(10**12, 55, 3), (P, T, 55, -3), (P, 2**40, 55, 3)])
def test_declared_shapes_that_lie_are_refused_without_loading(tmp_path, declared):
    arrays = _arrays()
    members = {key: _npy_bytes(value, value.shape) for key, value in arrays.items()}
    members["joints_cam"] = _npy_bytes(arrays["joints_cam"], declared)
    path = tmp_path / "liar.capture.npz"
    _archive(path, members)
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match="'joints_cam'"):
            read_capture(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20


def test_huge_consistent_captures_are_refused_before_loading(tmp_path):
    path = _valid_file(tmp_path, num_people=1, num_frames=20_000)       # about 60 MB of arrays, 0.3 MB on disk
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match="GiB"):
            read_capture(path, max_bytes=10 * 2**20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20
    assert read_capture(path).num_frames == 20_000


def test_unknown_members_are_ignored_and_big_endian_arrays_read(tmp_path):
    arrays = _arrays()
    arrays["body_pose"] = arrays["body_pose"].astype(">f4")
    arrays["future_key"] = np.zeros(3)
    capture = _read(tmp_path, arrays)
    assert capture.body_pose.dtype == np.float32 and capture.body_pose.dtype.isnative


# The writer never writes a file the format forbids.
WRITER_CASES = {
    "NaN intrinsics": lambda c: c.intrinsics.__setitem__((0, 0), np.nan),
    "inf fps": lambda c: setattr(c, "fps", float("inf")),
    "NaN fps": lambda c: setattr(c, "fps", float("nan")),
    "negative fps": lambda c: setattr(c, "fps", -1.0),
    "image_size 0": lambda c: setattr(c, "image_size", np.array([0, 480], np.int32)),
    "frames decreasing": lambda c: setattr(c, "frame_indices", np.array([2, 1, 0], np.int64)),
    "NaN betas": lambda c: c.betas.__setitem__((0, 0), np.nan),
    "inf keypoints": lambda c: (setattr(c, "keypoints_2d", np.full((P, T, 2, 3), np.inf, np.float32)),
                                setattr(c, "keypoint_names", np.array(["a", "b"]))),
    "joint_confidence above 1": lambda c: setattr(c, "joint_confidence", np.full((P, T, 55), 2.0, np.float32)),
    "wrong joint names": lambda c: setattr(c, "joint_names", np.array(JOINT_NAMES[::-1])),
}


@pytest.mark.parametrize("case", WRITER_CASES)
def test_writer_refuses_what_the_format_forbids(tmp_path, case):
    capture = _capture()
    WRITER_CASES[case](capture)
    with pytest.raises(InvalidCaptureError):
        validate_capture(capture)
    with pytest.raises(CaptureError):
        write_capture(tmp_path / "bad.capture.npz", capture)
    assert os.listdir(tmp_path) == []
