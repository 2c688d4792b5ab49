"""A person not captured on some frames disappears there, and their keys do not interpolate across the gap."""
from __future__ import annotations

import bpy
import numpy as np
import pytest

from capture_factory import synthetic_capture
from scene_checks import bone_heads_world, expected_joints_world, keyed_frames
from wholebody_mocap.addon import visibility
from wholebody_mocap.addon.anim_keys import action_fcurve_collections

# person 0 always valid; person 1 (id 4) missing on captured frames 3, 4 and 7
INVALID = {1: [3, 4, 7]}
STRIDE = 2


def _objects(collection, person_id):
    armature = next(o for o in collection.objects if o.type == "ARMATURE" and o["wholebody_person_id"] == person_id)
    body = next(o for o in collection.objects if o.type == "MESH" and o.parent == armature)
    return armature, body


def _shown(obj) -> tuple[bool, bool]:
    """(visible in the viewport, visible in renders) of the evaluated object at the current frame."""
    evaluated = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
    return (not obj.hide_viewport and not evaluated.hide_viewport, not obj.hide_render and not evaluated.hide_render)


def _fcurve(action, path):
    for fcurves in action_fcurve_collections(action):     # layered (4.4+: not the legacy proxy too) or legacy
        for fcurve in fcurves:
            if fcurve.data_path == path:
                yield fcurve


@pytest.fixture
def imported(clean_scene, tmp_path):
    path, capture = synthetic_capture(tmp_path / "gap.capture.npz", num_people=2, num_frames=10,
                                      invalid=INVALID, frame_offset=3, stride=STRIDE, source="gap.mp4")
    assert bpy.ops.wholebody.import_capture(filepath=str(path), body="DEFAULT") == {"FINISHED"}
    return clean_scene, capture, bpy.data.collections["gap capture"]


def test_person_is_hidden_on_gap_frames_and_shown_on_valid_frames(imported):
    scene, capture, collection = imported
    armature, body = _objects(collection, int(capture.person_ids[1]))
    frames = capture.frame_indices + 1
    checked_hidden = 0
    for t in range(capture.num_frames):
        scene.frame_set(int(frames[t]))
        expected = bool(capture.valid[1, t])
        for obj in (armature, body):
            assert _shown(obj) == (expected, expected), (obj.name, t)
        if expected:   # shown where captured, and in the captured pose
            np.testing.assert_allclose(bone_heads_world(scene, armature),
                                       expected_joints_world(capture, 1, t), atol=1e-3)
        checked_hidden += not expected
    assert checked_hidden == 3
    # between captured frames (stride 2): hidden right after the last valid frame before a gap,
    # shown between two valid frames
    scene.frame_set(int(frames[2]) + 1)
    assert _shown(armature) == (False, False) and _shown(body) == (False, False)
    scene.frame_set(int(frames[5]) + 1)
    assert _shown(armature) == (True, True) and _shown(body) == (True, True)
    # the other person, valid throughout, is shown everywhere and has no visibility keys
    other, other_body = _objects(collection, int(capture.person_ids[0]))
    for path in visibility.HIDE_PATHS:
        assert keyed_frames(other.animation_data.action, other, path) == set()
        assert other_body.animation_data is None or other_body.animation_data.action is None
    scene.frame_set(int(frames[3]))
    assert _shown(other) == (True, True) and _shown(other_body) == (True, True)


def test_visibility_keys_are_constant_and_bulk_written_on_run_edges(imported):
    scene, capture, collection = imported
    armature, body = _objects(collection, int(capture.person_ids[1]))
    frames = (capture.frame_indices + 1).astype(float)
    # runs: captured frames 0-2, 5-6, 8-9
    expected_keys = {frames[0]: 0.0, frames[2] + 1: 1.0, frames[5]: 0.0, frames[6] + 1: 1.0, frames[8]: 0.0}
    for obj in (armature, body):
        for path in visibility.HIDE_PATHS:
            (fcurve,) = _fcurve(obj.animation_data.action, path)
            keys = {p.co[0]: p.co[1] for p in fcurve.keyframe_points}
            assert keys == expected_keys
            assert {p.interpolation for p in fcurve.keyframe_points} == {"CONSTANT"}


def test_pose_keys_hold_before_a_gap_instead_of_interpolating(imported):
    scene, capture, collection = imported
    armature, _ = _objects(collection, int(capture.person_ids[1]))
    frames = capture.frame_indices + 1
    action = armature.animation_data.action
    (location_x,) = [f for f in _fcurve(action, 'pose.bones["pelvis"].location') if f.array_index == 0]
    interpolation = {p.co[0]: p.interpolation for p in location_x.keyframe_points}
    assert interpolation[float(frames[2])] == "CONSTANT" and interpolation[float(frames[6])] == "CONSTANT"
    assert interpolation[float(frames[1])] == "LINEAR" and interpolation[float(frames[5])] == "LINEAR"
    # inside the gap the pelvis stays where it was last seen (not halfway to where it reappears)
    scene.frame_set(int(frames[2]))
    last_seen = bone_heads_world(scene, armature)[0]
    scene.frame_set(int(frames[4]))
    np.testing.assert_allclose(bone_heads_world(scene, armature)[0], last_seen, atol=1e-6)
    scene.frame_set(int(frames[5]))
    np.testing.assert_allclose(bone_heads_world(scene, armature)[0], expected_joints_world(capture, 1, 5)[0],
                               atol=1e-3)


def test_always_valid_people_get_no_visibility_keys(clean_scene, tmp_path):
    path, capture = synthetic_capture(tmp_path / "full.capture.npz", num_people=2, num_frames=6, source="full.mp4")
    assert bpy.ops.wholebody.import_capture(filepath=str(path), body="DEFAULT") == {"FINISHED"}
    collection = bpy.data.collections["full capture"]
    assert len(bpy.data.actions) == 2
    for obj in collection.objects:
        if obj.type == "ARMATURE":
            action = obj.animation_data.action
            for path in visibility.HIDE_PATHS:
                assert keyed_frames(action, obj, path) == set()
            # no key holds: every pose key interpolates linearly
            (fcurve,) = [f for f in _fcurve(action, 'pose.bones["pelvis"].location') if f.array_index == 0]
            assert {p.interpolation for p in fcurve.keyframe_points} == {"LINEAR"}
        elif obj.type == "MESH":
            assert obj.animation_data is None or obj.animation_data.action is None
    for frame in (1, 6):
        clean_scene.frame_set(frame)
        assert all(_shown(o) == (True, True) for o in collection.objects if o.type in {"ARMATURE", "MESH"})


@pytest.mark.parametrize("valid, keys, hidden", [
    ([1, 1, 1], [], []),
    ([0, 1, 1, 0], [1, 3, 6], [1, 0, 1]),
    ([1, 0, 0, 1], [1, 2, 7], [0, 1, 0]),
    ([0, 0], [1], [1]),
])
def test_visibility_keys_rule(valid, keys, hidden):
    frames = 1.0 + 2.0 * np.arange(len(valid))
    key_frames, values = visibility.visibility_keys(np.array(valid, bool), frames)
    np.testing.assert_array_equal(key_frames, keys)
    np.testing.assert_array_equal(values, hidden)
