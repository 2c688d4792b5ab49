"""Importing many people or long clips: no per-person mode switches, keys computed in chunks."""
from __future__ import annotations

import bpy
import numpy as np

from capture_factory import synthetic_capture
from wholebody_mocap.addon import axis_conversion, bone_frames, build_armature
from wholebody_mocap.wholebody_core.maths.kinematics import full_pose_rotvec


def test_all_armatures_share_one_edit_mode_session(clean_scene, tmp_path, monkeypatch):
    """Every ``bpy.ops`` call updates the whole view layer: a mode switch per person made
    importing 200 people take a minute (quadratic)."""
    calls = []
    real = bpy.ops.object

    class CountingObjectOps:
        def __getattr__(self, name):
            return getattr(real, name)

        def mode_set(self, *args, **kwargs):
            calls.append(kwargs.get("mode"))
            return real.mode_set(*args, **kwargs)

    monkeypatch.setattr(bpy.ops, "object", CountingObjectOps(), raising=False)
    user = bpy.data.objects.new("user_object", None)
    clean_scene.collection.objects.link(user)
    user.select_set(True)
    bpy.context.view_layer.objects.active = user
    path, _ = synthetic_capture(tmp_path / "crowd.capture.npz", num_people=6, num_frames=3)
    assert bpy.ops.wholebody.import_capture(filepath=str(path), body="NONE") == {"FINISHED"}
    assert calls == ["EDIT", "OBJECT"]
    armatures = [o for o in bpy.data.objects if o.type == "ARMATURE"]
    assert len(armatures) == 6 and all(len(a.data.bones) == 55 for a in armatures)
    assert all(pb.rotation_mode == "QUATERNION" for a in armatures for pb in a.pose.bones)
    # the user's selection and active object are as they were
    assert user.select_get() and bpy.context.view_layer.objects.active == user
    assert not any(a.select_get() for a in armatures)


def test_quaternions_one_joint_at_a_time_equal_the_whole(clean_scene, tmp_path):
    """The import computes each bone's keys on its own (to hold one bone's keys in memory at a
    time): they equal every bone's keys computed together, signs included."""
    _, capture = synthetic_capture(tmp_path / "long.capture.npz", num_people=1, num_frames=23,
                                   invalid={0: [4, 5, 17]}, pose_noise=1.5)
    valid = capture.valid[0]
    pose = full_pose_rotvec(capture.global_orient, capture.body_pose, capture.jaw_pose, capture.leye_pose,
                            capture.reye_pose, capture.left_hand_pose, capture.right_hand_pose)[0][valid]
    frames_model = bone_frames.rest_layout(capture.rest_joints[0].astype(np.float64)).frames
    whole = axis_conversion.bone_quats_wxyz(pose, frames_model)
    for joint in range(55):
        one = build_armature.joint_quats_of_person(capture, 0, valid, frames_model, joint)
        assert one.dtype == np.float32 and one.shape == (valid.sum(), 4)
        np.testing.assert_allclose(one, whole[:, joint], atol=1e-6)
    assert (np.sum(whole[1:] * whole[:-1], axis=-1) < 0).sum() == 0      # continuous over time
    # the pelvis (joint 0) carries the axis fix, the others do not: both were really compared
    assert not np.allclose(whole[:, 0], axis_conversion.joint_quats_wxyz(pose[:, 0], frames_model[0], 1))
