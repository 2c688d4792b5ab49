"""Importing a capture made by the real core from the rendered test clip (two people crossing)."""
from __future__ import annotations

import subprocess
import sys

import bpy
import numpy as np
import pytest

from addon_paths import REPO_ROOT
from scene_checks import bone_heads_world, expected_joints_world, keyed_frames, project_px
from wholebody_mocap.addon import visibility
from wholebody_mocap.wholebody_core.capture_format import read_capture

CLIP = REPO_ROOT / "tests" / "media" / "clip_crossing.mp4"
SAMPLED = (0, 7, 14, 15, 16, 22, 29)   # includes the frames where the people cross


@pytest.fixture(scope="module")
def real_capture(tmp_path_factory):
    """(path, capture) made once per module by the core's command line on the rendered clip."""
    if not CLIP.is_file():
        pytest.fail(f"missing test media {CLIP}")
    path = tmp_path_factory.mktemp("real_capture") / "c.capture.npz"
    subprocess.run([sys.executable, "-m", "wholebody_core", str(CLIP.relative_to(REPO_ROOT)), "-o", str(path),
                    "--focal", "600", "--quiet"], cwd=REPO_ROOT, check=True, timeout=300)
    return path, read_capture(path)


@pytest.fixture
def imported(clean_scene, real_capture):
    path, capture = real_capture
    result = bpy.ops.wholebody.import_capture(filepath=str(path), body="DEFAULT", source_path=str(CLIP))
    assert result == {"FINISHED"}
    collection = bpy.data.collections["clip_crossing capture"]
    armatures = sorted((o for o in collection.objects if o.type == "ARMATURE"),
                       key=lambda o: o["wholebody_person_id"])
    return clean_scene, capture, collection, armatures


def test_two_people_two_armatures_with_distinct_names(imported):
    scene, capture, collection, armatures = imported
    assert capture.num_people == 2 and capture.source == "clip_crossing.mp4"
    assert [a.name for a in armatures] == [f"clip_crossing_person{int(i)}" for i in capture.person_ids]
    assert len({a.name for a in armatures}) == 2
    assert [a["wholebody_person_id"] for a in armatures] == [int(i) for i in capture.person_ids]
    bodies = [o for o in collection.objects if o.type == "MESH" and not o.get("wholebody_footage")]
    assert sorted(b.parent.name for b in bodies) == sorted(a.name for a in armatures)
    assert scene.camera.name == "clip_crossing_camera"
    assert scene.camera.data.background_images[0].clip is not None   # the footage behind the camera


def test_bone_heads_and_pelvis_projection_match_the_real_capture(imported):
    scene, capture, _, armatures = imported
    camera = scene.camera
    checked = 0
    for t in SAMPLED:
        scene.frame_set(int(capture.frame_indices[t]) + 1)
        for person, armature in enumerate(armatures):
            if not capture.valid[person, t]:
                continue
            heads = bone_heads_world(scene, armature)
            np.testing.assert_allclose(heads, expected_joints_world(capture, person, t), atol=1e-3)
            root = capture.root_position[person, t].astype(np.float64)
            pelvis_px = (capture.intrinsics @ root)[:2] / root[2]
            np.testing.assert_allclose(project_px(scene, camera, heads[0]), pelvis_px, atol=1.0)
            checked += 1
    assert checked >= 2 * len(SAMPLED) - 2


def test_invalid_frames_have_no_keys_and_hide_the_person(imported):
    scene, capture, _, armatures = imported
    frames = capture.frame_indices + 1
    for person, armature in enumerate(armatures):
        action = armature.animation_data.action
        expected = set(frames[capture.valid[person]].astype(float).tolist())
        for name in ("pelvis", "left_wrist", "head"):
            assert keyed_frames(action, armature, f'pose.bones["{name}"].rotation_quaternion') == expected
        assert keyed_frames(action, armature, 'pose.bones["pelvis"].location') == expected
        has_visibility_keys = bool(keyed_frames(action, armature, visibility.HIDE_PATHS[0]))
        assert has_visibility_keys == (not capture.valid[person].all())
        for t in np.flatnonzero(~capture.valid[person]):
            scene.frame_set(int(frames[t]))
            depsgraph = bpy.context.evaluated_depsgraph_get()
            assert armature.evaluated_get(depsgraph).hide_render and armature.evaluated_get(depsgraph).hide_viewport
            body = next(o for o in armature.children if o.type == "MESH")
            assert body.evaluated_get(depsgraph).hide_render
