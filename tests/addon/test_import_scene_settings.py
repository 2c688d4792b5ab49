"""What an import does to the scene's camera, resolution, frame range and frame rate."""
from __future__ import annotations

import bpy
import pytest

from capture_factory import synthetic_capture


def _import(path, **kwargs):
    assert bpy.ops.wholebody.import_capture(filepath=str(path), body="NONE", **kwargs) == {"FINISHED"}


def _settings(scene):
    render = scene.render
    return (scene.camera, render.resolution_x, render.resolution_y, scene.frame_start, scene.frame_end,
            render.fps / render.fps_base)


@pytest.fixture
def clip(tmp_path):   # scene frames 6, 8, ..., 28 at 30 fps, 640 x 480
    return synthetic_capture(tmp_path / "clip.capture.npz", num_people=1, num_frames=12, frame_offset=5,
                             stride=2, source="clip.mp4")[0]


@pytest.fixture
def still(tmp_path):  # scene frame 1, no frame rate, 320 x 240
    return synthetic_capture(tmp_path / "still.capture.npz", num_people=1, num_frames=1, fps=0.0,
                             source="still.png", image_size=(320, 240), principal=(160.0, 120.0))[0]


def test_the_first_capture_sets_them_and_a_second_one_keeps_them(clean_scene, clip, still, capfd):
    clean_scene.render.fps = 24
    _import(clip)
    camera = bpy.data.objects["clip_camera"]
    assert _settings(clean_scene) == (camera, 640, 480, 6, 28, pytest.approx(30.0))
    assert clean_scene.frame_current == 6
    out = capfd.readouterr().out
    assert "set scene camera 'clip_camera', resolution 640x480, frame range 6-28, 30 fps" in out
    clean_scene.frame_set(10)
    before = _settings(clean_scene)
    _import(still)                                      # a still after a clip: nothing changes (not 1-1)
    assert _settings(clean_scene) == before and clean_scene.frame_current == 10
    assert "left as they were" in capfd.readouterr().out
    _import(clip)                                       # nor does the same clip again
    assert _settings(clean_scene) == before


def test_asked_the_range_is_extended_never_shrunk(clean_scene, clip, still, tmp_path, capfd):
    _import(clip)
    _import(still, scene_settings="SET")                # the still's camera and size; the range only grows
    assert _settings(clean_scene) == (bpy.data.objects["still_camera"], 320, 240, 1, 28, pytest.approx(30.0))
    out = capfd.readouterr().out
    assert "set scene camera 'still_camera', resolution 320x240, frame range 1-28" in out
    later, _ = synthetic_capture(tmp_path / "later.capture.npz", num_people=1, num_frames=4, frame_offset=40,
                                 fps=25.0, source="later.mp4")
    _import(later, scene_settings="SET")                # extends the end; the scene keeps its frame rate
    assert _settings(clean_scene)[1:] == (640, 480, 1, 44, pytest.approx(30.0))
    out = capfd.readouterr().out
    assert "frame range 1-44" in out and "made at 25 fps, the scene plays at 30 fps" in out
    _import(clip, scene_settings="SET")                 # inside the range: the range stays
    assert clean_scene.frame_start == 1 and clean_scene.frame_end == 44


def test_keep_leaves_even_an_empty_scene_alone(clean_scene, clip, capfd):
    before = _settings(clean_scene)
    _import(clip, scene_settings="KEEP")
    assert _settings(clean_scene) == before and clean_scene.camera is None
    assert "left as they were" in capfd.readouterr().out
    _import(clip)                                       # a capture is in the scene now: AUTO keeps them too
    assert _settings(clean_scene) == before
