"""Importing a capture through the real operator in bpy from PyPI, read back via the depsgraph."""
from __future__ import annotations

import bpy
import numpy as np
import pytest

from capture_factory import synthetic_capture
from scene_checks import bone_heads_world, expected_joints_world, keyed_frames, project_px
from wholebody_mocap.addon import axis_conversion, bone_frames, floor
from wholebody_mocap.addon.build_armature import CONFIDENCE_PROPERTY
from wholebody_mocap.wholebody_core.maths.rotations import rotmat_to_quat_wxyz, rotvec_to_rotmat
from wholebody_mocap.wholebody_core.skeleton import JOINT_INDEX, JOINT_NAMES

INVALID = {1: [3, 4, 7]}


def _import(path, **kwargs):
    result = bpy.ops.wholebody.import_capture(filepath=str(path), **kwargs)
    assert result == {"FINISHED"}


def _armatures(collection):
    return sorted((o for o in collection.objects if o.type == "ARMATURE"), key=lambda o: o["wholebody_person_id"])


@pytest.fixture
def capture_file(tmp_path):
    return synthetic_capture(tmp_path / "walk.capture.npz", num_people=2, num_frames=12,
                             invalid=INVALID, frame_offset=5, stride=2, source="walk.mp4")


def test_bone_heads_and_pelvis_projection_match_the_capture(clean_scene, capture_file):
    path, capture = capture_file
    _import(path, body="DEFAULT")
    scene = clean_scene
    collection = bpy.data.collections["walk capture"]
    armatures = _armatures(collection)
    assert [a.name for a in armatures] == ["walk_person1", "walk_person4"]
    camera = scene.camera
    assert camera.name == "walk_camera" and camera.users_collection[0] == collection
    assert (scene.render.resolution_x, scene.render.resolution_y) == (640, 480)
    assert scene.frame_start == 6 and scene.frame_end == 6 + 2 * 11
    assert scene.render.fps == 30
    for person, armature in enumerate(armatures):
        assert [b.name for b in armature.data.bones] and set(armature.data.bones.keys()) == set(JOINT_NAMES)
        assert armature.data.bones["left_knee"].parent.name == "left_hip"
        for t in (0, 2, 5, 6, 11):
            if not capture.valid[person, t]:
                continue
            scene.frame_set(int(capture.frame_indices[t]) + 1)
            heads = bone_heads_world(scene, armature)
            np.testing.assert_allclose(heads, expected_joints_world(capture, person, t), atol=1e-3)
            root = capture.root_position[person, t].astype(np.float64)
            pelvis_px = (capture.intrinsics @ root)[:2] / root[2]
            np.testing.assert_allclose(project_px(scene, camera, heads[0]), pelvis_px, atol=1.0)
            # every joint, not just the pelvis, lands on its 2D position
            joints = capture.joints_cam[person, t].astype(np.float64)
            joints_px = (joints @ capture.intrinsics.T)[:, :2] / joints[:, 2:]
            hand_px = project_px(scene, camera, heads[JOINT_INDEX["right_index3"]])
            np.testing.assert_allclose(hand_px, joints_px[JOINT_INDEX["right_index3"]], atol=1.0)


def test_rest_frames_follow_the_bone_layout_and_quaternion_mode(clean_scene, capture_file):
    path, capture = capture_file
    _import(path, body="NONE")
    armature = _armatures(bpy.data.collections["walk capture"])[0]
    layout = bone_frames.rest_layout(capture.rest_joints[0].astype(np.float64))
    rest_arm = axis_conversion.model_frames_to_arm(layout.frames)
    for j, name in enumerate(JOINT_NAMES):
        bone = armature.data.bones[name]
        np.testing.assert_allclose(np.array(bone.matrix_local)[:3, :3], rest_arm[j], atol=1e-5)
        np.testing.assert_allclose(bone.tail_local, axis_conversion.model_to_arm(layout.tails[j]), atol=1e-6)
        assert bone.use_connect == layout.connected[j]
    assert armature.data.bones["left_knee"].use_connect and not armature.data.bones["left_hip"].use_connect
    np.testing.assert_allclose(
        np.array([armature.data.bones[n].head_local for n in JOINT_NAMES]),
        axis_conversion.model_to_arm(capture.rest_joints[0]), atol=1e-6)
    assert all(pb.rotation_mode == "QUATERNION" for pb in armature.pose.bones)
    # a body joint's key is the SMPL-X local rotation written in the bone's rest axes: N^T R N
    scene = bpy.context.scene
    scene.frame_set(int(capture.frame_indices[2]) + 1)
    quat = np.array(armature.pose.bones["left_elbow"].rotation_quaternion)
    frame = layout.frames[JOINT_INDEX["left_elbow"]]
    local = rotvec_to_rotmat(capture.body_pose[0, 2, JOINT_INDEX["left_elbow"] - 1].astype(np.float64))
    expected = rotmat_to_quat_wxyz(frame.T @ local @ frame)
    assert min(np.abs(quat - expected).max(), np.abs(quat + expected).max()) < 1e-5


def test_invalid_frames_have_no_keys_and_confidence_is_keyed(clean_scene, capture_file):
    path, capture = capture_file
    _import(path, body="NONE")
    for person, armature in enumerate(_armatures(bpy.data.collections["walk capture"])):
        action = armature.animation_data.action
        expected = set((capture.frame_indices[capture.valid[person]] + 1).astype(float).tolist())
        for name in ("pelvis", "left_wrist", "right_thumb3"):
            assert keyed_frames(action, armature, f'pose.bones["{name}"].rotation_quaternion') == expected
        assert keyed_frames(action, armature, 'pose.bones["pelvis"].location') == expected
        assert keyed_frames(action, armature, 'pose.bones["left_wrist"].location') == set()
        assert keyed_frames(action, armature, f'["{CONFIDENCE_PROPERTY}"]') == expected
        t = int(np.flatnonzero(capture.valid[person])[-1])
        bpy.context.scene.frame_set(int(capture.frame_indices[t]) + 1)
        assert armature[CONFIDENCE_PROPERTY] == pytest.approx(float(capture.confidence[person, t]), abs=1e-6)
    assert len(INVALID[1]) and not capture.valid[1, INVALID[1]].any()


def test_importing_twice_never_clobbers(clean_scene, capture_file):
    path, capture = capture_file
    user_action = bpy.data.actions.new("walk_person1_action")
    user_object = bpy.data.objects.new("walk_person1", None)
    clean_scene.collection.objects.link(user_object)
    _import(path, body="DEFAULT")
    first = {o.name for o in bpy.data.collections["walk capture"].objects}
    first_actions = {a.name for a in bpy.data.actions}
    # the second time as the panel's button does it (invoke with the file already chosen)
    assert bpy.ops.wholebody.import_capture("INVOKE_DEFAULT", filepath=str(path), body="DEFAULT") == {"FINISHED"}
    second_collection = [c for c in bpy.data.collections if c.name.startswith("walk capture.")]
    assert len(second_collection) == 1
    second = {o.name for o in second_collection[0].objects}
    assert not first & second
    assert user_object.name == "walk_person1" and user_object.type == "EMPTY"
    assert user_action.name == "walk_person1_action" and user_action.users == 0
    # two armature actions, and one visibility action for the body of person 4 (missing on some frames)
    assert len(bpy.data.actions) == len(first_actions) + 3
    assert "walk_person4_body_visibility" in first_actions and "walk_person4_body.001_visibility" in {
        a.name for a in bpy.data.actions}
    # the first import still plays its own motion
    armature = _armatures(bpy.data.collections["walk capture"])[0]
    clean_scene.frame_set(int(capture.frame_indices[0]) + 1)
    np.testing.assert_allclose(bone_heads_world(clean_scene, armature),
                               expected_joints_world(capture, 0, 0), atol=1e-3)
    # the default body is skinned to the armature
    body = [o for o in bpy.data.collections["walk capture"].objects if o.type == "MESH"][0]
    assert body.parent.type == "ARMATURE" and body.modifiers[0].object == body.parent
    assert len(body.vertex_groups) >= 50


def test_floor_puts_feet_on_z0_and_keeps_the_view(clean_scene, tmp_path):
    path, capture = synthetic_capture(tmp_path / "tilted.capture.npz", num_people=3, num_frames=10,
                                      floor_tilt_deg=15.0, seed=3, source="tilted.mov",
                                      pose_noise=0.05)
    _import(path, body="NONE", use_floor=True)
    scene = clean_scene
    camera = scene.camera
    armature = _armatures(bpy.data.collections["tilted capture"])[0]
    transform = np.array(armature.matrix_world)
    # the true floor normal (camera up, tilted) becomes +Z
    tilt = np.radians(15.0)
    up_cv = np.array([0.0, -np.cos(tilt), -np.sin(tilt)])
    up_scene = transform[:3, :3] @ axis_conversion.WORLD_FROM_CV @ up_cv
    assert np.degrees(np.arccos(np.clip(up_scene[2], -1, 1))) < 5.0
    camera_pose = np.eye(4)
    camera_pose[:3, :3] = axis_conversion.WORLD_FROM_CAMERA_OBJECT
    np.testing.assert_allclose(np.array(camera.matrix_world), transform @ camera_pose, atol=1e-6)
    assert abs(camera.matrix_world.translation.x) < 1e-6 and abs(camera.matrix_world.translation.y) < 1e-6
    heights = []
    for t in range(capture.num_frames):
        scene.frame_set(int(capture.frame_indices[t]) + 1)
        for person, arm in enumerate(_armatures(bpy.data.collections["tilted capture"])):
            heads = bone_heads_world(scene, arm)
            np.testing.assert_allclose(heads, expected_joints_world(capture, person, t, transform), atol=1e-3)
            root = capture.root_position[person, t].astype(np.float64)
            np.testing.assert_allclose(project_px(scene, camera, heads[0]),
                                       (capture.intrinsics @ root)[:2] / root[2], atol=1.0)
            heights.append(heads[list(floor.FOOT_JOINTS)][:, 2].min())
    assert np.percentile(heights, 5) == pytest.approx(floor.FOOT_JOINT_HEIGHT_M, abs=0.01)


@pytest.mark.parametrize("focal_y, size, principal", [
    (900.0, (480, 640), (250.0, 300.0)),     # portrait image
    (850.0, (640, 480), (300.0, 260.0)),     # non-square pixels (fy < fx)
    (960.0, (640, 360), (330.0, 170.0)),     # non-square pixels (fy > fx)
])
def test_every_joint_projects_onto_its_pixel(clean_scene, tmp_path, focal_y, size, principal):
    path, capture = synthetic_capture(tmp_path / "cam.capture.npz", num_people=2, num_frames=2,
                                      focal_y_px=focal_y, image_size=size, principal=principal, source="cam.mp4")
    _import(path, body="NONE")
    scene = clean_scene
    assert (scene.render.resolution_x, scene.render.resolution_y) == size
    for person, armature in enumerate(_armatures(bpy.data.collections["cam capture"])):
        scene.frame_set(int(capture.frame_indices[1]) + 1)
        heads = bone_heads_world(scene, armature)
        joints = capture.joints_cam[person, 1].astype(np.float64)
        joints_px = (joints @ capture.intrinsics.T)[:, :2] / joints[:, 2:]
        projected = np.array([project_px(scene, scene.camera, h) for h in heads])
        np.testing.assert_allclose(projected, joints_px, atol=1.0)


def test_default_body_follows_the_bones_rigidly(clean_scene, capture_file):
    from wholebody_mocap.addon.default_body import body_geometry
    from wholebody_mocap.wholebody_core.maths.kinematics import forward_kinematics, full_pose_rotvec

    path, capture = capture_file
    _import(path, body="DEFAULT")
    armature = _armatures(bpy.data.collections["walk capture"])[0]
    body = [o for o in armature.children if o.type == "MESH"][0]
    rest = capture.rest_joints[0].astype(np.float64)
    verts_model, _, owners = body_geometry(rest)
    t = 6
    clean_scene.frame_set(int(capture.frame_indices[t]) + 1)
    evaluated = body.evaluated_get(bpy.context.evaluated_depsgraph_get())
    mesh = evaluated.to_mesh()
    coords = np.empty(len(mesh.vertices) * 3, dtype=np.float32)
    mesh.vertices.foreach_get("co", coords)
    evaluated.to_mesh_clear()
    pose = full_pose_rotvec(*(getattr(capture, k)[0, t].astype(np.float64) for k in (
        "global_orient", "body_pose", "jaw_pose", "leye_pose", "reye_pose", "left_hand_pose", "right_hand_pose")))
    world_rot, _ = forward_kinematics(rotvec_to_rotmat(pose), rest)
    joints = capture.joints_cam[0, t].astype(np.float64)
    posed_cv = np.einsum("vab,vb->va", world_rot[owners], verts_model - rest[owners]) + joints[owners]
    np.testing.assert_allclose(coords.reshape(-1, 3), axis_conversion.cv_to_world(posed_cv), atol=1e-3)
