"""Per-joint confidence on import: the keyed property per bone, unsure joints left unkeyed, bone colours."""
from __future__ import annotations

import bpy
import numpy as np
import pytest

from capture_factory import synthetic_capture
from scene_checks import bone_heads_world, expected_joints_world, keyed_frames
from wholebody_mocap.addon.joint_confidence import BONE_CONFIDENCE_PROPERTY, holds_before_missing
from wholebody_mocap.wholebody_core.capture_format import write_capture
from wholebody_mocap.wholebody_core.skeleton import JOINT_INDEX, JOINT_NAMES

KNEE, WRIST = JOINT_INDEX["left_knee"], JOINT_INDEX["left_wrist"]
UNSURE_KNEE = [3, 4, 5]            # person 0: the knee unsure on these frames
INVALID = {1: [3, 4, 7]}


def _armatures(collection):
    return sorted((o for o in collection.objects if o.type == "ARMATURE"), key=lambda o: o["wholebody_person_id"])


@pytest.fixture
def confident_capture(tmp_path):
    _, capture = synthetic_capture(tmp_path / "plain.capture.npz", num_people=2, num_frames=10,
                                   invalid=INVALID, frame_offset=2, source="conf.mp4")
    rng = np.random.default_rng(2)
    conf = rng.uniform(0.6, 1.0, (2, 10, 55)).astype(np.float32)
    conf[0, UNSURE_KNEE, KNEE] = 0.2
    conf[0, :, WRIST] = 0.1                       # never sure
    conf[1, :8, KNEE] = 0.3                       # person 1: unsure, then sure (with frames missing)
    conf[~capture.valid] = 0.0
    capture.joint_confidence = conf
    path = tmp_path / "conf.capture.npz"
    write_capture(path, capture)
    return path, capture


def _scene_frames(capture, mask):
    return set((capture.frame_indices[mask] + 1).astype(float).tolist())


def test_bone_confidence_is_keyed_and_unsure_joints_keyed_by_default(clean_scene, confident_capture):
    path, capture = confident_capture
    assert bpy.ops.wholebody.import_capture(filepath=str(path), body="NONE") == {"FINISHED"}
    armatures = _armatures(bpy.data.collections["conf capture"])
    for person, armature in enumerate(armatures):
        action = armature.animation_data.action
        valid = _scene_frames(capture, capture.valid[person])
        for name in ("left_knee", "left_wrist", "pelvis"):
            assert keyed_frames(action, armature, f'pose.bones["{name}"].rotation_quaternion') == valid
            assert keyed_frames(action, armature, f'pose.bones["{name}"]["{BONE_CONFIDENCE_PROPERTY}"]') == valid
    armature = armatures[0]
    for t in (0, 4, 9):
        clean_scene.frame_set(int(capture.frame_indices[t]) + 1)
        for name in ("left_knee", "left_wrist", "right_thumb2"):
            value = armature.pose.bones[name][BONE_CONFIDENCE_PROPERTY]
            assert value == pytest.approx(float(capture.joint_confidence[0, t, JOINT_INDEX[name]]), abs=1e-6)
        # keyed holds reproduce the capture's joints within 1 mm
        np.testing.assert_allclose(bone_heads_world(clean_scene, armature), expected_joints_world(capture, 0, t),
                                   atol=1e-3)
    # colours: the never-sure wrist red, the knee sure on 7 of 10 frames orange, the rest default
    bones = armature.data.bones
    assert bones["left_wrist"].color.palette == "CUSTOM" and bones["left_wrist"].color.custom.normal[0] > 0.8
    assert bones["left_wrist"].color.custom.normal[1] < 0.2
    assert bones["left_knee"].color.palette == "CUSTOM" and bones["left_knee"].color.custom.normal[1] > 0.4
    assert bones["right_knee"].color.palette == "DEFAULT"


def test_unsure_joints_left_unkeyed_when_asked(clean_scene, confident_capture):
    path, capture = confident_capture
    assert bpy.ops.wholebody.import_capture(filepath=str(path), body="NONE", key_unsure_joints=False) == {"FINISHED"}
    armatures = _armatures(bpy.data.collections["conf capture"])
    first, second = (armature.animation_data.action for armature in armatures)
    sure_knee = capture.valid[0].copy()
    sure_knee[UNSURE_KNEE] = False
    # a bone's rotation is sure where its joint and its children are: the unsure knee also leaves the hip
    # (the thigh ends at the knee) unkeyed; the never-sure wrist leaves the elbow (the forearm ends there)
    # and the wrist unkeyed
    for bone in ("left_hip", "left_knee"):
        assert keyed_frames(first, armatures[0], f'pose.bones["{bone}"].rotation_quaternion') == _scene_frames(
            capture, sure_knee), bone
    assert keyed_frames(first, armatures[0], 'pose.bones["left_ankle"].rotation_quaternion') == _scene_frames(
        capture, capture.valid[0])
    for bone in ("left_elbow", "left_wrist"):
        assert keyed_frames(first, armatures[0], f'pose.bones["{bone}"].rotation_quaternion') == set(), bone
    assert keyed_frames(first, armatures[0], 'pose.bones["left_shoulder"].rotation_quaternion') == _scene_frames(
        capture, capture.valid[0])
    assert keyed_frames(first, armatures[0], 'pose.bones["right_knee"].rotation_quaternion') == _scene_frames(
        capture, capture.valid[0])
    # the confidence stays keyed on every valid frame
    assert keyed_frames(first, armatures[0], f'pose.bones["left_wrist"]["{BONE_CONFIDENCE_PROPERTY}"]') == \
        _scene_frames(capture, capture.valid[0])
    sure_second = capture.valid[1].copy()
    sure_second[:8] = False
    assert keyed_frames(second, armatures[1], 'pose.bones["left_knee"].rotation_quaternion') == _scene_frames(
        capture, sure_second)
    # where the joints above are sure the pose is the capture's (the left wrist and fingers hang on the
    # never-keyed elbow); the unkeyed knee interpolates between its sure keys (frames 2 and 6), not the
    # capture's values
    scene = clean_scene
    scene.frame_set(int(capture.frame_indices[1]) + 1)
    heads = bone_heads_world(scene, armatures[0])
    below_elbow = [JOINT_INDEX["left_wrist"]] + [j for j, name in enumerate(JOINT_NAMES)
                                                 if name.startswith("left_") and j >= 25]
    others = np.setdiff1d(np.arange(55), below_elbow)
    np.testing.assert_allclose(heads[others], expected_joints_world(capture, 0, 1)[others], atol=1e-3)
    knee_quats = []
    for t in (2, 4, 6):
        scene.frame_set(int(capture.frame_indices[t]) + 1)
        knee_quats.append(np.array(armatures[0].pose.bones["left_knee"].rotation_quaternion))
    np.testing.assert_allclose(knee_quats[1], 0.5 * (knee_quats[0] + knee_quats[2]), atol=1e-5)


def test_older_captures_import_as_fully_sure(clean_scene, tmp_path):
    path, capture = synthetic_capture(tmp_path / "old.capture.npz", num_people=1, num_frames=6,
                                      source="old.mp4")
    assert capture.joint_confidence is None
    assert bpy.ops.wholebody.import_capture(filepath=str(path), body="NONE", key_unsure_joints=False) == {"FINISHED"}
    armature = _armatures(bpy.data.collections["old capture"])[0]
    action = armature.animation_data.action
    every = _scene_frames(capture, capture.valid[0])
    for name in JOINT_NAMES[::9]:
        assert keyed_frames(action, armature, f'pose.bones["{name}"].rotation_quaternion') == every
    clean_scene.frame_set(int(capture.frame_indices[3]) + 1)
    assert armature.pose.bones["left_knee"][BONE_CONFIDENCE_PROPERTY] == pytest.approx(1.0)
    assert keyed_frames(action, armature, f'pose.bones["left_knee"]["{BONE_CONFIDENCE_PROPERTY}"]') == set()
    assert all(bone.color.palette == "DEFAULT" for bone in armature.data.bones)
    np.testing.assert_allclose(bone_heads_world(clean_scene, armature), expected_joints_world(capture, 0, 3),
                               atol=1e-3)


def test_keys_hold_only_before_frames_without_the_person():
    valid = np.array([1, 1, 1, 0, 1, 1, 0, 0, 1, 1], bool)
    keyed = valid & np.array([1, 0, 1, 1, 0, 1, 1, 1, 1, 0], bool)     # keyed: 0, 2, 5, 8
    np.testing.assert_array_equal(holds_before_missing(keyed, valid), [False, True, True, False])
    np.testing.assert_array_equal(holds_before_missing(valid, valid), [False, False, True, False, True, False, False])
