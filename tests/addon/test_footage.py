"""The footage behind the people: found from the capture's source, and in F12 renders.

Renders one small frame headless (Workbench and Cycles: EEVEE compiles its shaders
for over a minute with software OpenGL) and compares the render, where no person
is, with the footage frame it must show.
"""
from __future__ import annotations

import bpy
import cv2
import numpy as np
import pytest

from capture_factory import IMAGE_SIZE, synthetic_capture

SCALE = 4          # render at 1/SCALE of the footage's size


def _footage_frame(index: int) -> np.ndarray:
    """(h, w, 3) uint8 BGR: smooth gradients, coarse blocks, and a brightness that says the frame."""
    width, height = IMAGE_SIZE
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    blocks = ((x // 80 + y // 80) % 2) * 0.5
    image = np.stack([0.15 + 0.5 * blocks + 0.02 * index, 0.2 + 0.6 * y / height, 0.1 + 0.7 * x / width], -1)
    return (255 * np.clip(image + 0.1 * (index % 3), 0, 1)).astype(np.uint8)


def _write_still(path):
    cv2.imwrite(str(path), _footage_frame(0))
    return path


def _write_movie(path, frames: int):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, IMAGE_SIZE)
    for index in range(frames):
        writer.write(_footage_frame(index))
    writer.release()
    return path


def _render(scene, engine: str, frame: int, path) -> np.ndarray:
    """(h, w, 3) uint8 BGR of scene frame ``frame`` through the scene camera."""
    scene.frame_set(frame)
    scene.render.engine = engine
    scene.render.resolution_percentage = 100 // SCALE
    scene.view_settings.view_transform = "Standard"   # the footage's own colours
    scene.render.image_settings.file_format = "PNG"
    scene.render.filepath = str(path)
    if engine == "BLENDER_WORKBENCH":
        scene.display.shading.color_type = "TEXTURE"
        scene.display.shading.light = "FLAT"
    else:
        scene.cycles.samples = 4
        scene.cycles.use_denoising = False
        scene.cycles.device = "CPU"
    bpy.ops.render.render(write_still=True)
    return cv2.imread(str(path), cv2.IMREAD_COLOR)


def _background_mask(capture, t: int) -> np.ndarray:
    """(h, w) bool at the render's size: pixels far from every captured person's box."""
    width, height = IMAGE_SIZE
    mask = np.ones((height // SCALE, width // SCALE), bool)
    for x0, y0, x1, y1 in capture.bbox[capture.valid[:, t], t]:
        pad = 0.15 * max(x1 - x0, y1 - y0)
        mask[max(0, int((y0 - pad) // SCALE)):int((y1 + pad) // SCALE) + 1,
             max(0, int((x0 - pad) // SCALE)):int((x1 + pad) // SCALE) + 1] = False
    return mask


def _small(frame: np.ndarray) -> np.ndarray:
    return cv2.resize(frame, None, fx=1 / SCALE, fy=1 / SCALE, interpolation=cv2.INTER_AREA)


def _mean_abs_diff(render, frame, mask) -> float:
    return float(np.abs(render.astype(np.float32) - _small(frame).astype(np.float32))[mask].mean() / 255)


@pytest.mark.parametrize("engine", ["BLENDER_WORKBENCH", "CYCLES"])
def test_f12_render_shows_the_still_behind_the_people(clean_scene, tmp_path, engine):
    _write_still(tmp_path / "still.png")
    path, capture = synthetic_capture(tmp_path / "still.capture.npz", num_people=2, num_frames=1, fps=0.0,
                                      source="still.png")
    assert bpy.ops.wholebody.import_capture(filepath=str(path), body="DEFAULT") == {"FINISHED"}
    plane = next(o for o in bpy.data.objects if o.get("wholebody_footage"))
    assert plane.parent == clean_scene.camera and plane.hide_get()     # hidden in the viewport only
    assert not plane.visible_shadow and not plane.visible_diffuse and plane.hide_select
    render = _render(clean_scene, engine, 1, tmp_path / f"{engine}.png")
    mask = _background_mask(capture, 0)
    assert mask.mean() > 0.3
    assert _mean_abs_diff(render, _footage_frame(0), mask) < 0.02
    # the people are rendered in front of it
    assert _mean_abs_diff(render, _footage_frame(0), ~mask) > 0.05


def test_movie_frames_follow_the_scene_frames_and_the_option_can_be_off(clean_scene, tmp_path):
    _write_movie(tmp_path / "clip.mp4", 8)
    path, capture = synthetic_capture(tmp_path / "clip.capture.npz", num_people=1, num_frames=3, frame_offset=2,
                                      stride=2, source="clip.mp4")
    assert bpy.ops.wholebody.import_capture(filepath=str(path), body="NONE") == {"FINISHED"}
    for t, index in enumerate(capture.frame_indices):       # scene frame = source frame + 1
        render = _render(clean_scene, "BLENDER_WORKBENCH", int(index) + 1, tmp_path / f"frame{t}.png")
        mask = _background_mask(capture, t)
        diffs = [_mean_abs_diff(render, _footage_frame(k), mask) for k in range(8)]
        assert int(np.argmin(diffs)) == index and diffs[index] < 0.03, diffs
    assert bpy.ops.wholebody.import_capture(filepath=str(path), body="NONE", footage_in_render=False,
                                            scene_settings="SET") == {"FINISHED"}
    assert len([o for o in bpy.data.objects if o.get("wholebody_footage")]) == 1
    assert clean_scene.camera.data.background_images[0].clip is not None     # the viewport still has it
    clean_scene.render.film_transparent = True
    clean_scene.render.image_settings.color_mode = "RGBA"
    _render(clean_scene, "BLENDER_WORKBENCH", 3, tmp_path / "off.png")
    alpha = cv2.imread(str(tmp_path / "off.png"), cv2.IMREAD_UNCHANGED)[..., 3]
    assert (alpha[_background_mask(capture, 0)] == 0).all()
