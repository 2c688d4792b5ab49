"""Motion stored as baked samples (long captures): the same motion as keyframes, for a
fraction of the memory; AUTO picks samples only where keyframes would not fit."""
from __future__ import annotations

import bpy
import numpy as np
import pytest

from capture_factory import synthetic_capture
from wholebody_mocap.addon import export_presets as presets
from wholebody_mocap.addon import motion_storage
from wholebody_mocap.addon.anim_keys import action_fcurve_collections
from wholebody_mocap.addon.export_person import capture_armatures, export_person
from wholebody_mocap.addon.joint_confidence import BONE_CONFIDENCE_PROPERTY
from wholebody_mocap.addon.operators_import import import_capture_file, report_import
from wholebody_mocap.addon.visibility import HIDE_PATHS
from wholebody_mocap.wholebody_core.capture_format import write_capture
from wholebody_mocap.wholebody_core.skeleton import JOINT_INDEX, JOINT_NAMES

INVALID = {1: [0, 1, 6]}        # person 1 appears on the 3rd captured frame and leaves for one frame
KNEE = JOINT_INDEX["left_knee"]


@pytest.fixture
def strided_capture(tmp_path):
    """Two people on every 2nd source frame (samples fill the frames between keys), with gaps,
    holds and per-joint confidence (unsure knees)."""
    _, capture = synthetic_capture(tmp_path / "plain.capture.npz", num_people=2, num_frames=9, invalid=INVALID,
                                   frame_offset=3, stride=2, pose_noise=0.8, source="stride.mp4")
    conf = np.random.default_rng(5).uniform(0.6, 1.0, (2, 9, 55)).astype(np.float32)
    conf[0, 3:6, KNEE] = 0.2
    conf[~capture.valid] = 0.0
    capture.joint_confidence = conf
    path = tmp_path / "stride.capture.npz"
    write_capture(path, capture)
    return path, capture


def _import(path, storage, key_unsure_joints=True):
    bpy.ops.wm.read_homefile(use_empty=True)
    result = import_capture_file(bpy.context, str(path), use_floor=False, body="NONE", sensor_width_mm=36.0,
                                 key_unsure_joints=key_unsure_joints, motion_storage=storage)
    return result, capture_armatures(bpy.context.scene)


def _played(armatures, frames):
    """What playback shows on each scene frame: every bone's local transform, the pelvis
    location, the visibility and the keyed confidences, per armature."""
    scene = bpy.context.scene
    shown = []
    for frame in frames:
        scene.frame_set(int(frame))
        for armature in armatures:
            bones = armature.pose.bones
            shown.append(np.concatenate(
                [np.array([list(bones[name].rotation_quaternion) for name in JOINT_NAMES]).ravel(),
                 list(bones[JOINT_NAMES[0]].location),
                 [armature.hide_viewport, armature.hide_render, armature["wholebody_confidence"]],
                 [bones[name][BONE_CONFIDENCE_PROPERTY] for name in JOINT_NAMES]]))
    return np.array(shown)


def _fcurves(armature):
    return [fc for fcurves in action_fcurve_collections(armature.animation_data.action) for fc in fcurves]


@pytest.mark.parametrize("key_unsure_joints", [True, False])
def test_samples_play_exactly_like_keyframes(clean_scene, strided_capture, key_unsure_joints):
    path, capture = strided_capture
    first, last = int(capture.frame_indices[0]) + 1, int(capture.frame_indices[-1]) + 1
    frames = range(first - 2, last + 3)              # before, between the strided keys, in the gap, after
    keyed_result, keyed = _import(path, "KEYFRAMES", key_unsure_joints)
    assert not keyed_result.motion_as_samples
    expected = _played(keyed, frames)
    sampled_result, sampled = _import(path, "SAMPLES", key_unsure_joints)
    assert sampled_result.motion_as_samples
    np.testing.assert_allclose(_played(sampled, frames), expected, rtol=0, atol=1e-6)
    # the hidden frames and the holds are really exercised
    assert expected[:, -58].min() == 0 and expected[:, -58].max() == 1
    for armature in sampled:
        valid = capture.valid[int(armature["wholebody_person_id"]) // 3]
        span = capture.frame_indices[valid][[0, -1]] + 1
        for fcurve in _fcurves(armature):
            if fcurve.data_path in HIDE_PATHS:        # a few keys at the gaps' ends stay keyframes
                assert len(fcurve.keyframe_points) and not len(fcurve.sampled_points)
                continue
            assert len(fcurve.keyframe_points) == 0, fcurve.data_path
            co = np.empty(2 * len(fcurve.sampled_points), dtype=np.float32)
            fcurve.sampled_points.foreach_get("co", co)
            assert co[0] == span[0] and co[-2] >= span[1], fcurve.data_path
            np.testing.assert_array_equal(np.diff(co[0::2]), 1.0)     # one sample per whole frame


def _export_bvh(armatures, folder):
    texts = []
    for n, armature in enumerate(armatures):
        samples = [(fc.data_path, len(fc.sampled_points), len(fc.keyframe_points)) for fc in _fcurves(armature)]
        out = folder / f"person{n}.bvh"
        export_person(bpy.context, armature, out, presets.ExportOptions(target=presets.BVH, with_body=False))
        texts.append(out.read_text())
        # the export's retime (every point moved to file frame 0, then back) left the samples as they were
        assert [(fc.data_path, len(fc.sampled_points), len(fc.keyframe_points)) for fc in _fcurves(armature)] \
            == samples
    return texts


def test_exports_of_samples_equal_exports_of_keyframes(clean_scene, strided_capture, tmp_path):
    path, capture = strided_capture
    (tmp_path / "keys").mkdir()
    (tmp_path / "samples").mkdir()
    _, keyed = _import(path, "KEYFRAMES")
    keyed_texts = _export_bvh(keyed, tmp_path / "keys")
    _, sampled = _import(path, "SAMPLES")
    before = _played(sampled, range(1, 25))
    sampled_texts = _export_bvh(sampled, tmp_path / "samples")
    np.testing.assert_array_equal(_played(sampled, range(1, 25)), before)
    assert all("MOTION" in text for text in keyed_texts)
    assert sampled_texts == keyed_texts


def test_auto_bakes_only_captures_whose_keyframes_would_not_fit(clean_scene, strided_capture, monkeypatch):
    path, capture = strided_capture
    keys = motion_storage.keyframe_count(capture)
    assert keys == int(capture.valid.sum()) * (55 * 4 + 3 + 1 + 55)
    result, _ = _import(path, "AUTO")
    assert not result.motion_as_samples
    monkeypatch.setattr(motion_storage, "AUTO_KEYFRAME_BUDGET_BYTES", keys * motion_storage.BYTES_PER_KEYFRAME - 1)
    result, _ = _import(path, "AUTO")
    assert result.motion_as_samples
    reports = []
    report_import(lambda kind, text: reports.append((kind, text)), result)
    assert any("Samples to Keys" in text for _, text in reports)
    with pytest.raises(ValueError, match="unknown motion storage"):
        motion_storage.use_samples("BAKED", capture)


def test_the_operator_offers_the_choice(clean_scene, strided_capture):
    path, _ = strided_capture
    assert bpy.ops.wholebody.import_capture(filepath=str(path), body="NONE", motion_storage="SAMPLES") \
        == {"FINISHED"}
    armature = capture_armatures(bpy.context.scene)[0]
    assert all(len(fc.sampled_points) for fc in _fcurves(armature) if fc.data_path not in HIDE_PATHS)
