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
from bpy_extras.object_utils import world_to_camera_view

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


def _import(path, **kwargs):
    assert bpy.ops.wholebody.import_capture(filepath=str(path), body="NONE", **kwargs) == {"FINISHED"}
    return bpy.data.collections[sorted(c.name for c in bpy.data.collections)[-1]]


def _footage_file(collection) -> str | None:
    camera = next(o for o in collection.objects if o.type == "CAMERA")
    if not camera.data.background_images:
        return None
    return bpy.path.abspath(camera.data.background_images[0].image.filepath)


def test_footage_is_the_captures_own_source_unless_the_panels_video_is_that_file(clean_scene, tmp_path, capfd):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "c").mkdir()
    own = _write_still(tmp_path / "a" / "walk.png")
    other = tmp_path / "b" / "other.png"
    cv2.imwrite(str(other), _footage_frame(1)[:200, :300])
    path, _ = synthetic_capture(tmp_path / "a" / "walk.capture.npz", num_people=1, num_frames=1, fps=0.0,
                                source="walk.png")
    # the panel passes its "Video or image" field as a hint: another capture's video is not this one's footage
    collection = _import(path, source_hint=str(other))
    assert _footage_file(collection) == str(own)
    image = collection.objects["walk_footage"].data.materials[0].node_tree.nodes["Image Texture"].image
    assert tuple(image.size) == IMAGE_SIZE and bpy.path.abspath(image.filepath) == str(own)
    # the panel's field naming the capture's source file (same name) is taken
    same_name = _write_still(tmp_path / "b" / "walk.png")
    assert _footage_file(_import(path, source_hint=str(same_name))) == str(same_name)
    # a capture moved away from its footage: found in the folder of the panel's video
    moved, _ = synthetic_capture(tmp_path / "c" / "walk.capture.npz", num_people=1, num_frames=1, fps=0.0,
                                 source="walk.png")
    assert _footage_file(_import(moved, source_hint=str(other))) == str(same_name)
    # footage the user chose in the import's Footage field is taken as it is
    assert _footage_file(_import(path, source_path=str(other))) == str(other)
    capfd.readouterr()
    # nowhere to be found: a warning, and the import goes on without footage
    collection = _import(moved, source_hint=str(tmp_path / "c" / "unrelated.png"),
                         source_path=str(tmp_path / "missing.mp4"))
    out = capfd.readouterr().out
    assert "missing.mp4' does not exist" in out and "'walk.png' not found" in out
    assert _footage_file(collection) is None
    assert not [o for o in collection.objects if o.get("wholebody_footage")]
    assert len([o for o in collection.objects if o.type == "ARMATURE"]) == 1


def test_only_the_scene_cameras_footage_renders(clean_scene, tmp_path, capfd):
    _write_still(tmp_path / "first.png")
    _write_still(tmp_path / "second.png")
    first, _ = synthetic_capture(tmp_path / "first.capture.npz", num_people=1, num_frames=1, fps=0.0,
                                 source="first.png")
    second, _ = synthetic_capture(tmp_path / "second.capture.npz", num_people=1, num_frames=1, fps=0.0,
                                  source="second.png")
    _import(first)
    first_plane = bpy.data.objects["first_footage"]
    _import(second)                                     # a second capture: the scene camera is kept
    second_plane = bpy.data.objects["second_footage"]
    assert clean_scene.camera.name == "first_camera"
    assert not first_plane.hide_render and second_plane.hide_render
    assert "make it the scene camera and enable 'second_footage' in renders" in capfd.readouterr().out
    _import(second, scene_settings="SET")               # asked: its camera, and only its footage renders
    third_plane = bpy.data.objects["second_footage.001"]
    assert clean_scene.camera == third_plane.parent
    assert first_plane.hide_render and second_plane.hide_render and not third_plane.hide_render
    assert "'first_footage' hidden in renders" in capfd.readouterr().out


@pytest.mark.parametrize("focal_y, size, principal, use_floor", [
    (900.0, (480, 640), (250.0, 300.0), False),     # portrait, principal point off centre
    (850.0, (640, 480), (300.0, 260.0), True),      # non-square pixels, on a floor
])
def test_the_footage_plane_fills_the_camera_view(clean_scene, tmp_path, focal_y, size, principal, use_floor):
    cv2.imwrite(str(tmp_path / "cam.png"), np.zeros((size[1], size[0], 3), np.uint8))
    path, capture = synthetic_capture(tmp_path / "cam.capture.npz", num_people=2, num_frames=2, focal_y_px=focal_y,
                                      image_size=size, principal=principal, source="cam.png", floor_tilt_deg=10.0)
    _import(path, use_floor=use_floor)
    plane = bpy.data.objects["cam_footage"]
    world = [plane.matrix_world @ v.co for v in plane.data.vertices]
    camera_inv = clean_scene.camera.matrix_world.inverted()
    depths = [-(camera_inv @ point).z for point in world]
    assert min(depths) > 2 * capture.joints_cam[..., 2].max() - 1e-3
    corners = [world_to_camera_view(clean_scene, clean_scene.camera, point).xy for point in world]
    np.testing.assert_allclose(corners, [(0, 1), (1, 1), (1, 0), (0, 0)], atol=1e-4)   # the frame's corners
