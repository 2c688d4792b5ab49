"""Export a person with our settings, re-import the file with Blender's own importers into an
empty scene, and compare world-space joints, frame range and rate with the capture."""
from __future__ import annotations

import bpy
import numpy as np
import pytest

from capture_factory import synthetic_capture
from scene_checks import bone_heads_world, expected_joints_world
from wholebody_mocap.addon import export_presets as presets
from wholebody_mocap.addon.anim_keys import action_fcurve_collections
from wholebody_mocap.addon.export_person import capture_armatures, export_person
from wholebody_mocap.wholebody_core.errors import InputError, OutputError

INVALID = {1: [0, 1, 6]}       # person 4 appears on the 3rd captured frame and leaves for one frame
FPS = 25.0
# file frame 0 (the person's first captured frame) lands on this frame with the importer's defaults
IMPORTS = {
    presets.FBX_UNITY: (lambda path: bpy.ops.import_scene.fbx(filepath=path), 1e-4, 1),
    presets.FBX_UNREAL: (lambda path: bpy.ops.import_scene.fbx(filepath=path), 1e-4, 1),
    presets.GLB: (lambda path: bpy.ops.import_scene.gltf(filepath=path), 1e-4, 0),
    presets.BVH: (lambda path: bpy.ops.import_anim.bvh(filepath=path, update_scene_fps=True,
                                                       update_scene_duration=True), 1e-3, 1),
}


@pytest.fixture
def imported(clean_scene, tmp_path):
    path, capture = synthetic_capture(tmp_path / "duo.capture.npz", num_people=2, num_frames=8, invalid=INVALID,
                                      frame_offset=3, stride=2, fps=FPS, source="duo.mp4")
    assert bpy.ops.wholebody.import_capture(filepath=str(path), body="DEFAULT") == {"FINISHED"}
    clean_scene.render.fps, clean_scene.render.fps_base = 24, 1.0      # a user's scene at another rate
    return capture, capture_armatures(clean_scene)


def _keys(action):
    """Every key of ``action``, exactly: [(data path, index, mute, co and handles as bytes)]."""
    snapshot = []
    for fcurves in action_fcurve_collections(action):
        for fcurve in fcurves:
            parts = []
            for name in ("co", "handle_left", "handle_right"):
                part = np.empty(2 * len(fcurve.keyframe_points), dtype=np.float32)
                fcurve.keyframe_points.foreach_get(name, part)
                parts.append(part)
            snapshot.append((fcurve.data_path, fcurve.array_index, fcurve.mute, np.concatenate(parts).tobytes()))
    return snapshot


def _reimport(target, path):
    bpy.ops.wm.read_homefile(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = int(FPS), 1.0    # glTF keys are seconds: read them at the clip's rate
    load, tolerance, first_frame = IMPORTS[target]
    assert load(str(path)) == {"FINISHED"}
    armatures = [o for o in scene.objects if o.type == "ARMATURE"]
    assert len(armatures) == 1, [o.name for o in scene.objects]
    return scene, armatures[0], tolerance, first_frame


# bpy 4.2 as a module dies with SIGSEGV at exit after any glTF operator (import or export), which
# would fail test_blender_versions' whole 4.2 run; the glTF round trip runs on 4.5 and 5.0.
GLTF_CRASHES_AT_EXIT = bpy.app.version < (4, 3, 0)
TARGETS = [presets.FBX_UNITY, presets.FBX_UNREAL, presets.BVH,
           pytest.param(presets.GLB, marks=pytest.mark.skipif(
               GLTF_CRASHES_AT_EXIT, reason="bpy 4.2 segfaults at exit after a glTF operator"))]


@pytest.mark.parametrize("target", TARGETS)
def test_round_trip_puts_each_persons_joints_back(imported, tmp_path, target):
    capture, armatures = imported
    scene = bpy.context.scene
    hidden_frame = int(capture.frame_indices[0]) + 1          # person 4 is hidden here
    scene.frame_set(hidden_frame)
    state = (scene.frame_current, scene.frame_start, scene.frame_end, scene.render.fps)
    results = []
    for person, armature in enumerate(armatures):
        action = armature.animation_data.action
        keys, hidden = _keys(action), (armature.hide_viewport, armature.hide_render)
        out = tmp_path / f"person{person}{presets.SUFFIXES[target]}"
        result = export_person(bpy.context, armature, out, presets.ExportOptions(target=target, with_body=False))
        results.append(result)
        assert (scene.frame_current, scene.frame_start, scene.frame_end, scene.render.fps) == state
        assert armature.animation_data.action == action and armature.select_get() is False
        assert _keys(action) == keys and (armature.hide_viewport, armature.hide_render) == hidden
        assert hidden[0] == (person == 1)
        assert bool(result.warnings) == (person == 1)            # hidden on the current frame: a warning ...
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == presets.SUFFIXES[target]) == [
        f"person{p}{presets.SUFFIXES[target]}" for p in range(2)]
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]
    errors = []
    for person, result in enumerate(results):                   # ... and a correct file
        valid = np.flatnonzero(capture.valid[person])
        assert result.frame_start == capture.frame_indices[valid[0]] + 1
        assert result.frame_end == capture.frame_indices[valid[-1]] + 1 and result.fps == FPS
        scene, armature, tolerance, first_frame = _reimport(target, result.filepath)
        if target == presets.BVH:
            assert scene.render.fps / scene.render.fps_base == pytest.approx(FPS)
            assert tuple(armature.animation_data.action.frame_range) == (1, result.frame_end - result.frame_start + 1)
        for t in valid:
            scene.frame_set(int(capture.frame_indices[t]) + 1 - result.frame_start + first_frame)
            error = np.abs(bone_heads_world(scene, armature) - expected_joints_world(capture, person, t)).max()
            errors.append(error)
            assert error < tolerance, f"person {person} captured frame {t}: {error * 1000:.3f} mm"
        # nothing keyed past the clip (only this person's motion, not the other's longer one)
        action = armature.animation_data.action
        assert action.frame_range[1] - action.frame_range[0] <= result.frame_end - result.frame_start + 1e-3
    print(f"{target}: max joint error {max(errors) * 1000:.4f} mm")


def test_export_with_body_and_at_origin(imported, tmp_path):
    capture, armatures = imported
    out = tmp_path / "person0.fbx"
    export_person(bpy.context, armatures[0], out, presets.ExportOptions(target=presets.FBX_UNITY, at_origin=True))
    matrix = np.array(armatures[0].matrix_world)
    np.testing.assert_allclose(matrix, np.eye(4))                 # the move was temporary
    scene, armature, _, first_frame = _reimport(presets.FBX_UNITY, out)
    meshes = [o for o in scene.objects if o.type == "MESH"]
    assert len(meshes) == 1 and meshes[0].find_armature() == armature
    heads = []
    for k in range(int(capture.frame_indices[-1] - capture.frame_indices[0]) + 1):
        scene.frame_set(k + first_frame)
        heads.append(bone_heads_world(scene, armature))
    heads = np.array(heads)
    np.testing.assert_allclose(heads[0, 0, :2], 0.0, atol=1e-4)
    assert heads[:, [7, 8, 10, 11], 2].min() == pytest.approx(0.0, abs=1e-4)
    # the skinned body follows the skeleton: its vertices stay near the bones
    scene.frame_set(first_frame + 4)
    evaluated = meshes[0].evaluated_get(bpy.context.evaluated_depsgraph_get())
    verts = np.array([tuple(meshes[0].matrix_world @ v.co) for v in evaluated.to_mesh().vertices])
    evaluated.to_mesh_clear()
    joints = bone_heads_world(scene, armature)
    nearest = np.linalg.norm(verts[:, None] - joints[None], axis=-1).min(axis=1)
    assert np.percentile(nearest, 95) < 0.25


@pytest.mark.parametrize("bad", ["under_a_file", "proc"])
def test_unwritable_path_is_a_clear_error_and_changes_nothing(imported, tmp_path, bad):
    _, armatures = imported
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    path = blocker / "person.fbx" if bad == "under_a_file" else "/proc/wholebody_person.fbx"
    names = {o.name for o in bpy.data.objects}
    with pytest.raises(OutputError, match="choose"):
        export_person(bpy.context, armatures[0], path, presets.ExportOptions(target=presets.FBX_UNITY))
    assert {o.name for o in bpy.data.objects} == names
    assert armatures[0].animation_data.action.name.endswith("_action")
    assert len([a for a in bpy.data.actions if a.users == 0]) == 0


def test_operators_export_the_selected_person_and_everyone(imported, tmp_path):
    capture, armatures = imported
    view_layer = bpy.context.view_layer
    view_layer.objects.active = armatures[1]
    assert bpy.ops.wholebody.export_person.poll() and bpy.ops.wholebody.export_people.poll()
    assert bpy.ops.wholebody.export_person(filepath=str(tmp_path / "one.bvh"), target="BVH") == {"FINISHED"}
    text = (tmp_path / "one.bvh").read_text()
    valid = np.flatnonzero(capture.valid[1])
    frames = int(capture.frame_indices[valid[-1]] - capture.frame_indices[valid[0]]) + 1
    assert f"Frames: {frames}\n" in text and f"Frame Time: {1 / FPS:.8f}" in text
    # the active body selects its armature
    view_layer.objects.active = [o for o in armatures[0].children if o.type == "MESH"][0]
    assert bpy.ops.wholebody.export_person(filepath=str(tmp_path / "body.fbx"), target="FBX_UNITY") == {"FINISHED"}
    assert (tmp_path / "body.fbx").stat().st_size > 0
    assert bpy.ops.wholebody.export_people(filepath=str(tmp_path / "all.fbx"), target="FBX_UNREAL") == {"FINISHED"}
    assert sorted(p.name for p in tmp_path.glob("all_*.fbx")) == sorted(f"all_{a.name}.fbx" for a in armatures)
    assert bpy.ops.wholebody.export_people(filepath=str(tmp_path / "smplx.npz"), target="AMASS") == {"FINISHED"}
    for person, armature in enumerate(armatures):
        with np.load(tmp_path / f"smplx_{armature.name}.npz", allow_pickle=False) as data:
            assert bool(data["trans_is_pelvis"]) and data["poses"].shape[1] == 165
            np.testing.assert_array_equal(data["valid"][[0, -1]], True)
    with pytest.raises(RuntimeError, match="choose"):
        bpy.ops.wholebody.export_person(filepath="/proc/nope/person.fbx", target="FBX_UNITY")


def test_a_person_outside_the_view_layer_is_a_clear_error(imported, tmp_path):
    _, armatures = imported
    collection = armatures[0].users_collection[0]
    bpy.context.view_layer.layer_collection.children[collection.name].exclude = True
    with pytest.raises(InputError, match="view layer"):
        export_person(bpy.context, armatures[0], tmp_path / "p.fbx", presets.ExportOptions())
    assert not (tmp_path / "p.fbx").exists() and not list(tmp_path.glob(".p.*"))
