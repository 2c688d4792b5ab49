"""Hostile capture files and failures part-way through the real Import capture operator.

Every bad file must end in ``{'CANCELLED'}`` with an ERROR report naming the problem
(``bpy.ops`` turns it into a ``RuntimeError`` carrying the message), no Python
traceback, no new datablocks and the scene's settings and the user's objects as
they were. A failure while building (injected) must be rolled back the same way.
"""
from __future__ import annotations

import struct
import zlib

import bpy
import numpy as np
import pytest

from capture_factory import synthetic_capture
from wholebody_mocap.addon import import_scene
from wholebody_mocap.wholebody_core import capture_format

_DATA = ("collections", "objects", "armatures", "actions", "cameras", "meshes", "materials", "images",
         "movieclips")


def _state():
    """Everything an import may touch: datablock names, scene settings, the user's objects."""
    scene = bpy.context.scene
    render = scene.render
    return {
        "data": {name: sorted(block.name for block in getattr(bpy.data, name)) for name in _DATA},
        "scene": (scene.camera.name if scene.camera else None, render.resolution_x, render.resolution_y,
                  render.resolution_percentage, render.pixel_aspect_x, render.pixel_aspect_y,
                  scene.frame_start, scene.frame_end, scene.frame_current, render.fps, render.fps_base),
        "active": (bpy.context.view_layer.objects.active.name, bpy.context.mode),
        "user": [(o.name, o.type, tuple(o.location), o.parent) for o in bpy.data.objects],
    }


@pytest.fixture
def user_scene(clean_scene):
    """A scene with the user's own work: a mesh (active), a camera, their settings."""
    scene = clean_scene
    mesh = bpy.data.meshes.new("user_mesh")
    mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    obj = bpy.data.objects.new("user_object", mesh)
    obj.location = (1.0, 2.0, 3.0)
    scene.collection.objects.link(obj)
    camera = bpy.data.objects.new("user_camera", bpy.data.cameras.new("user_camera"))
    scene.collection.objects.link(camera)
    scene.camera = camera
    scene.render.resolution_x, scene.render.resolution_y = 1234, 567
    scene.frame_start, scene.frame_end = 7, 77
    scene.frame_set(9)
    scene.render.fps, scene.render.fps_base = 50, 1.0
    bpy.context.view_layer.objects.active = obj
    return scene


@pytest.fixture(scope="module")
def good_arrays(tmp_path_factory):
    path, _ = synthetic_capture(tmp_path_factory.mktemp("good") / "walk.capture.npz", num_people=2,
                                num_frames=4, source="walk.mp4")
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def _write(tmp_path, arrays, mutate=None):
    arrays = dict(arrays)
    if mutate is not None:
        mutate(arrays)
    path = tmp_path / "bad.capture.npz"
    np.savez(path, **arrays)
    return path


def _expect_refused(path, *words):
    before = _state()
    with pytest.raises(RuntimeError) as info:
        bpy.ops.wholebody.import_capture(filepath=str(path), body="DEFAULT")
    message = str(info.value)
    assert "Traceback" not in message, message
    for word in words:
        assert word in message, message
    assert _state() == before
    return message


def _set(key, value):
    return lambda arrays: arrays.__setitem__(key, value)


def _zero_frames(arrays):
    for key, value in list(arrays.items()):
        if key in capture_format.SPEC and "T" in capture_format.SPEC[key][1]:
            arrays[key] = value[:, :0] if key != "frame_indices" else value[:0]


BAD_FIELDS = {
    "fps of shape (1,)": (_set("fps", np.array([30.0])), "'fps'"),
    "format_version a string": (_set("format_version", np.array("1")), "'format_version'"),
    "fps inf": (_set("fps", np.float64(np.inf)), "'fps'"),
    "fps negative": (_set("fps", np.float64(-30.0)), "'fps'"),
    "frame index near 2**62": (_set("frame_indices", np.array([0, 1, 2, 2**62], np.int64)), "'frame_indices'"),
    "image_size 0": (_set("image_size", np.array([0, 0], np.int32)), "'image_size'"),
    "zero frames": (_zero_frames, "no frames"),
    "person id past 32 bits": (_set("person_ids", np.array([1, 2**40], np.int64)), "'person_ids'"),
    "NaN intrinsics": (_set("intrinsics", np.full((3, 3), np.nan)), "'intrinsics'"),
    "missing joints_cam": (lambda arrays: arrays.pop("joints_cam"), "'joints_cam'", "missing"),
    "body_pose of another shape": (_set("body_pose", np.zeros((2, 4, 21, 4), np.float32)), "'body_pose'"),
    "valid as integers": (lambda arrays: arrays.__setitem__("valid", arrays["valid"].astype(np.int8)), "'valid'"),
}


@pytest.mark.parametrize("case", BAD_FIELDS)
def test_bad_fields_are_reported_and_change_nothing(user_scene, tmp_path, good_arrays, case):
    mutate, *words = BAD_FIELDS[case]
    _expect_refused(_write(tmp_path, good_arrays, mutate), *words)


def test_pickles_are_reported_and_never_run(user_scene, tmp_path, good_arrays):
    sentinel = tmp_path / "pickle_ran"
    payload = np.empty((), dtype=object)
    payload[()] = _OpenOnUnpickle(str(sentinel))
    _expect_refused(_write(tmp_path, good_arrays, _set("source", payload)), "pickle")
    assert not sentinel.exists()


class _OpenOnUnpickle:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.mark.parametrize("content", ["empty", "text", "truncated"])
def test_broken_archives_are_reported(user_scene, tmp_path, good_arrays, content):
    path = tmp_path / "broken.capture.npz"
    if content == "truncated":
        data = _write(tmp_path, good_arrays).read_bytes()
        path.write_bytes(data[: len(data) // 2])
    else:
        path.write_bytes(b"" if content == "empty" else b"hello, not a zip")
    _expect_refused(path, "broken.capture.npz")


def test_huge_declared_shapes_are_refused(user_scene, tmp_path, good_arrays):
    import io
    import zipfile

    path = tmp_path / "huge.capture.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for key, value in good_arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, value)
            data = buffer.getvalue()
            if key == "joints_cam":
                header = io.BytesIO()
                np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                                              "shape": (2, 10**9, 55, 3)})
                data = header.getvalue() + value.tobytes()
            archive.writestr(key + ".npy", data)
    _expect_refused(path, "'joints_cam'")


def _png(path, width=4, height=3):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\0" + b"\x80\x80\x80" * width for _ in range(height))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("fail_after, error", [(0, RuntimeError), (2, ValueError), (3, MemoryError)])
def test_a_failure_part_way_is_rolled_back(user_scene, tmp_path, monkeypatch, fail_after, error):
    """The capture is valid; building fails after ``fail_after`` people (an injected bug)."""
    _png(tmp_path / "still.png")
    path, _ = synthetic_capture(tmp_path / "still.capture.npz", num_people=4, num_frames=5, source="still.png",
                                invalid={2: [1, 2]})
    real = import_scene.write_person_action
    calls = []

    def failing(*args, **kwargs):
        if len(calls) == fail_after:
            raise error("injected failure")
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(import_scene, "write_person_action", failing)
    message = _expect_refused(path, "injected failure", "left as it was")
    assert len(calls) == fail_after
    assert "still.png" not in bpy.data.images
    monkeypatch.undo()
    assert bpy.ops.wholebody.import_capture(filepath=str(path), body="DEFAULT") == {"FINISHED"}
    assert "still.png" in bpy.data.images and message


def test_a_failure_in_pose_mode_restores_pose_mode(user_scene, tmp_path, monkeypatch):
    armature = bpy.data.objects.new("user_rig", bpy.data.armatures.new("user_rig"))
    user_scene.collection.objects.link(armature)
    bpy.context.view_layer.objects.active = armature
    bpy.ops.object.mode_set(mode="EDIT")
    bone = armature.data.edit_bones.new("bone")
    bone.tail = (0.0, 0.0, 1.0)
    bpy.ops.object.mode_set(mode="POSE")
    path, _ = synthetic_capture(tmp_path / "walk.capture.npz", num_people=2, num_frames=3)
    monkeypatch.setattr(import_scene, "_set_scene_settings", lambda *args: 1 / 0)
    _expect_refused(path, "ZeroDivisionError")
    assert bpy.context.mode == "POSE" and armature.mode == "POSE"


@pytest.mark.parametrize("mode", ["POSE", "EDIT"])
def test_importing_from_pose_or_edit_mode_works(clean_scene, tmp_path, mode):
    armature = bpy.data.objects.new("user_rig", bpy.data.armatures.new("user_rig"))
    clean_scene.collection.objects.link(armature)
    bpy.context.view_layer.objects.active = armature
    bpy.ops.object.mode_set(mode="EDIT")
    armature.data.edit_bones.new("bone").tail = (0.0, 0.0, 1.0)
    bpy.ops.object.mode_set(mode=mode)
    path, _ = synthetic_capture(tmp_path / "walk.capture.npz", num_people=2, num_frames=3)
    assert bpy.ops.wholebody.import_capture(filepath=str(path), body="NONE") == {"FINISHED"}
    assert len([o for o in bpy.data.objects if o.type == "ARMATURE"]) == 3


def test_the_readers_limits_are_blenders(clean_scene, tmp_path):
    scene_props = bpy.types.Scene.bl_rna.properties
    render_props = bpy.types.RenderSettings.bl_rna.properties
    assert scene_props["frame_end"].hard_max == capture_format.MAX_FRAME_INDEX + 1
    assert render_props["fps"].hard_max == capture_format.MAX_FPS
    assert render_props["resolution_x"].hard_max == capture_format.MAX_IMAGE_SIDE
    assert render_props["fps_base"].hard_max >= 1.0 / capture_format.MIN_FPS
    assert render_props["pixel_aspect_y"].hard_max == capture_format.MAX_PIXEL_ASPECT
    # the extremes the reader accepts import exactly
    path, capture = synthetic_capture(tmp_path / "edge.capture.npz", num_people=1, num_frames=2,
                                      stride=capture_format.MAX_FRAME_INDEX, fps=capture_format.MIN_FPS)
    assert bpy.ops.wholebody.import_capture(filepath=str(path), body="NONE") == {"FINISHED"}
    assert clean_scene.frame_end == capture_format.MAX_FRAME_INDEX + 1
    assert clean_scene.render.fps / clean_scene.render.fps_base == pytest.approx(capture_format.MIN_FPS)


@pytest.mark.parametrize("people, frames", [(0, 1), (1, 1)])
def test_extreme_valid_sizes_import(clean_scene, tmp_path, people, frames):
    path, _ = synthetic_capture(tmp_path / "tiny.capture.npz", num_people=people, num_frames=frames, fps=0.0)
    assert bpy.ops.wholebody.import_capture(filepath=str(path), body="DEFAULT") == {"FINISHED"}
    assert len([o for o in bpy.data.objects if o.type == "ARMATURE"]) == people
    assert clean_scene.camera is not None


def test_a_person_never_captured_imports_hidden(clean_scene, tmp_path):
    """Valid by the format (a track with no valid frame); its keys are empty (found by the fuzz target)."""
    path, capture = synthetic_capture(tmp_path / "ghost.capture.npz", num_people=2, num_frames=4,
                                      invalid={1: [0, 1, 2, 3]})
    assert bpy.ops.wholebody.import_capture(filepath=str(path), body="DEFAULT") == {"FINISHED"}
    ghost = bpy.data.objects["clip_person4"]
    clean_scene.frame_set(int(capture.frame_indices[2]) + 1)
    assert ghost.hide_viewport and ghost.hide_render
