"""The retarget operators: the bone-map list, presets, bad input, the user's action kept and restorable."""
from __future__ import annotations

import json

import bpy
import numpy as np
import pytest

from retarget_rigs import hand_made_rig, rigify_metarig
from test_retarget import _retarget, foot_errors, import_walker, sample_pose, walk_file  # noqa: F401
from wholebody_mocap.addon.anim_keys import ObjectActionWriter, action_fcurve_collections


def _setup(scene, path, target):
    settings = scene.wholebody_retarget
    settings.source = import_walker(path)
    settings.target = target
    return settings


def _user_action(target):
    """An action of the user's: a key on every bone's rotation on frames 1 and 5."""
    writer = ObjectActionWriter(target, "users_own_action")
    for bone in target.pose.bones:
        bone.rotation_mode = "QUATERNION"
        writer.write(f'pose.bones["{bone.name}"].rotation_quaternion', np.array([1.0, 5.0]),
                     np.array([[1.0, 0.0, 0.0, 0.0], [0.9, 0.1, 0.2, 0.3]]), bone.name)
    return writer.action


def _keys(action):
    return {(fc.data_path, fc.array_index): [tuple(p.co) for p in fc.keyframe_points]
            for fcurves in action_fcurve_collections(action) for fc in fcurves}


def test_operators_map_bake_and_restore_the_users_action(clean_scene, walk_file):
    target = hand_made_rig("generic", a_pose_deg=30.0)
    users = _user_action(target)
    before = _keys(users)
    settings = _setup(clean_scene, walk_file, target)
    assert bpy.ops.wholebody.retarget_propose_map() == {"FINISHED"}
    assert settings.rig_profile == "generic" and len(settings.bones) == 55
    rows = {item.joint: item.bone for item in settings.bones}
    assert rows["left_shoulder"] == "UpperArm.L" and rows["right_knee"] == "Shin.R" and rows["jaw"] == ""
    assert bpy.ops.wholebody.retarget() == {"FINISHED"}
    new = target.animation_data.action
    assert new != users and new.name.startswith(f"{target.name}_retarget_")
    assert users.name in bpy.data.actions and users.use_fake_user and _keys(users) == before
    frames = {p.co[0] for fcurves in action_fcurve_collections(new) for fc in fcurves
              if fc.data_path == 'pose.bones["UpperArm.L"].rotation_quaternion' for p in fc.keyframe_points}
    assert frames == set(range(clean_scene.frame_start, clean_scene.frame_end + 1))
    assert bpy.ops.wholebody.retarget_restore_action() == {"FINISHED"}
    assert target.animation_data.action == users and _keys(users) == before
    with pytest.raises(RuntimeError, match="no action from before a retarget"):
        bpy.ops.wholebody.retarget_restore_action()


def test_a_target_that_is_not_an_armature_is_an_error(clean_scene, walk_file):
    settings = _setup(clean_scene, walk_file, None)
    bpy.ops.mesh.primitive_cube_add()
    cube = bpy.context.active_object
    from wholebody_mocap.addon.retarget import RetargetOptions, retarget
    with pytest.raises(Exception, match="a mesh object; choose an armature"):
        retarget(bpy.context, settings.source, cube, {}, RetargetOptions(1, 2))
    with pytest.raises(RuntimeError, match="set the Target to your character's armature"):
        bpy.ops.wholebody.retarget_propose_map()
    with pytest.raises(RuntimeError, match="the retarget target is nothing"):
        bpy.ops.wholebody.retarget()


def test_a_required_bone_left_unmapped_is_named_and_nothing_changes(clean_scene, walk_file):
    target = hand_made_rig("generic")
    users = _user_action(target)
    settings = _setup(clean_scene, walk_file, target)
    bpy.ops.wholebody.retarget_propose_map()
    for item in settings.bones:
        if item.joint == "left_knee":
            item.bone = ""
    actions = set(bpy.data.actions)
    with pytest.raises(RuntimeError, match="required bone 'left_knee' is not mapped"):
        bpy.ops.wholebody.retarget()
    assert set(bpy.data.actions) == actions and target.animation_data.action == users


def test_presets_save_and_load(clean_scene, walk_file, tmp_path):
    settings = _setup(clean_scene, walk_file, rigify_metarig())
    bpy.ops.wholebody.retarget_propose_map()
    proposed = {item.joint: item.bone for item in settings.bones}
    path = tmp_path / "metarig.json"
    assert bpy.ops.wholebody.retarget_save_preset(filepath=str(path)) == {"FINISHED"}
    saved = json.loads(path.read_text())
    assert saved["format"] == "wholebody_retarget_map" and saved["map"]["left_hip"] == "thigh.L"
    settings.bones.clear()
    assert bpy.ops.wholebody.retarget_load_preset(filepath=str(path)) == {"FINISHED"}
    assert {item.joint: item.bone for item in settings.bones} == proposed
    bad = tmp_path / "bad.json"
    bad.write_text('{"map": {}}')
    with pytest.raises(RuntimeError, match="not a retarget preset"):
        bpy.ops.wholebody.retarget_load_preset(filepath=str(bad))


def test_without_scaled_root_motion_and_foot_locking_feet_slide(clean_scene, walk_file):
    """The foot check of test_retarget fails on the (27 % taller) metarig when the root motion is not
    scaled and the feet are not locked (the issue's 10-18 cm), so it measures something."""
    source = import_walker(walk_file)
    target = rigify_metarig()
    mapping, _, locked = _retarget(clean_scene, source, target)
    _, _, free = _retarget(clean_scene, source, target, lock_feet=False, scale_root=False)
    free.contacts, free.ratio = locked.contacts, locked.ratio
    samples = sample_pose(clean_scene, source, target, mapping, free.frames)
    drift, lift = foot_errors(free, samples, source, target, mapping)
    print(f"metarig, root motion not scaled, feet not locked: foot drift {drift * 1000:.0f} mm, "
          f"lift {lift * 1000:.0f} mm")
    assert drift > 0.05, (drift, lift)


def test_retargeting_twice_still_restores_the_users_action(clean_scene, walk_file):
    target = hand_made_rig("vrm")
    users = _user_action(target)
    settings = _setup(clean_scene, walk_file, target)
    bpy.ops.wholebody.retarget_propose_map()
    bpy.ops.wholebody.retarget()
    bpy.ops.wholebody.retarget()
    assert target.animation_data.action not in (users, None)
    bpy.ops.wholebody.retarget_restore_action()
    assert target.animation_data.action == users


def _heads_and_axes(scene, target, frames):
    out = []
    for frame in frames:
        scene.frame_set(int(frame))
        evaluated = target.evaluated_get(bpy.context.evaluated_depsgraph_get())
        out.append([(np.array(evaluated.matrix_world @ b.matrix)) for b in evaluated.pose.bones])
    return np.array(out)


@pytest.mark.parametrize("rig", ["metarig", "generic_x100"])
def test_live_constraints_pose_the_target_as_the_bake_does(clean_scene, walk_file, rig):
    """Live mode = the bake without foot locking: same heads (1 mm) and bone axes on sampled frames."""
    target = rigify_metarig() if rig == "metarig" else hand_made_rig(
        "generic", a_pose_deg=40.0, roll_deg=90.0, unit_scale=100.0, leg_scale=1.2)
    settings = _setup(clean_scene, walk_file, target)
    settings.lock_feet = False
    bpy.ops.wholebody.retarget_propose_map()
    bpy.ops.wholebody.retarget()
    frames = range(clean_scene.frame_start, clean_scene.frame_end + 1, 7)
    baked = _heads_and_axes(clean_scene, target, frames)
    assert bpy.ops.wholebody.retarget_restore_action() == {"FINISHED"}
    assert target.animation_data.action is None
    for bone in target.pose.bones:
        bone.matrix_basis = bone.matrix_basis.Identity(4)
    settings.use_live = True
    assert bpy.ops.wholebody.retarget() == {"FINISHED"}
    live = _heads_and_axes(clean_scene, target, frames)
    heads_mm = np.linalg.norm(live[..., :3, 3] - baked[..., :3, 3], axis=-1).max() * 1000
    y_live, y_baked = live[..., :3, 1], baked[..., :3, 1]
    cos = np.sum(y_live * y_baked, -1) / np.linalg.norm(y_live, axis=-1) / np.linalg.norm(y_baked, axis=-1)
    assert heads_mm < 1.0 and cos.min() > 0.9999, (heads_mm, cos.min())
    print(f"live {rig}: heads within {heads_mm:.3f} mm of the bake, min axis cosine {cos.min():.6f}")
    assert f"{target.name}_retarget_helper" in bpy.data.objects
    assert bpy.ops.wholebody.retarget_restore_action() == {"FINISHED"}
    assert f"{target.name}_retarget_helper" not in bpy.data.objects
    assert not any(c.name.startswith("Wholebody retarget") for b in target.pose.bones for c in b.constraints)


def test_the_bone_list_draws_each_row_against_the_target(clean_scene, walk_file):
    from test_registration import _RecordingLayout
    from wholebody_mocap.addon.retarget_ui import WHOLEBODY_UL_retarget_bones

    settings = _setup(clean_scene, walk_file, rigify_metarig())
    bpy.ops.wholebody.retarget_propose_map()
    log = []
    for item in settings.bones[:3]:
        WHOLEBODY_UL_retarget_bones.draw_item(None, bpy.context, _RecordingLayout(log), settings, item, 0,
                                              settings, "active_bone")
    assert ("label", "pelvis*") in log and ("prop_search", "bone") in log


def test_a_bone_held_by_its_own_constraint_is_reported(clean_scene, walk_file):
    source = import_walker(walk_file)
    target = hand_made_rig("generic")
    limit = target.pose.bones["LowerArm.L"].constraints.new("LIMIT_ROTATION")
    limit.use_limit_x = limit.use_limit_y = limit.use_limit_z = True
    _, _, result = _retarget(clean_scene, source, target)
    assert any("LowerArm.L has constraints" in w for w in result.warnings)
    assert any("do not follow their keys exactly" in w and "LowerArm.L" in w for w in result.warnings)
