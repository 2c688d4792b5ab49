"""The SMPL-X body on an imported armature, with a synthetic SMPL-X model file
(the real file's keys and shapes; the SMPL-X model itself is never bundled)."""
from __future__ import annotations

import bpy
import numpy as np
import pytest

from capture_factory import synthetic_capture
from addon_paths import PACKAGE
from scene_checks import keyed_frames
from wholebody_mocap.addon import axis_conversion
from wholebody_mocap.wholebody_core import body_model
from wholebody_mocap.wholebody_core.body_model_synthetic import write_synthetic_smplx_model
from wholebody_mocap.wholebody_core.capture_format import read_capture, write_capture
from wholebody_mocap.wholebody_core.maths.kinematics import forward_kinematics, full_pose_rotvec
from wholebody_mocap.wholebody_core.maths.rotations import rotvec_to_rotmat


@pytest.fixture
def smplx_setup(clean_scene, tmp_path):
    model_path = write_synthetic_smplx_model(tmp_path / "SMPLX_NEUTRAL.npz", num_vertices=1500)
    model = body_model.load_smplx_model_data(model_path)
    path, capture = synthetic_capture(tmp_path / "raw.capture.npz", num_people=2, num_frames=6,
                                      invalid={0: [2]}, source="dance.mp4")
    # the core writes rest_joints from the model and the betas: do the same
    capture.betas[:] = np.random.default_rng(1).normal(0, 0.8, capture.betas.shape)
    capture.rest_joints[:] = body_model.rest_joints_for_betas(model, capture.betas.astype(np.float64))
    pose = full_pose_rotvec(capture.global_orient, capture.body_pose, capture.jaw_pose, capture.leye_pose,
                            capture.reye_pose, capture.left_hand_pose, capture.right_hand_pose)
    _, joints = forward_kinematics(rotvec_to_rotmat(pose), capture.rest_joints[:, None])
    capture.joints_cam[:] = joints - joints[..., :1, :] + capture.root_position[..., None, :]
    final = tmp_path / "dance.capture.npz"
    write_capture(final, capture)
    prefs = bpy.context.preferences.addons[PACKAGE].preferences
    prefs.smplx_model_dir = str(tmp_path)
    yield final, read_capture(final), model
    prefs.smplx_model_dir = ""


def _lbs_world(model, capture, person, t):
    """Reference linear blend skinning in numpy, mapped into the scene: (V, 3)."""
    betas = capture.betas[person].astype(np.float64)
    verts = body_model.shaped_vertices(model, betas, capture.expression[person, t].astype(np.float64))
    rest = capture.rest_joints[person].astype(np.float64)
    pelvis = (model.J_regressor @ body_model.shaped_vertices(model, betas))[0]
    verts = verts - pelvis
    pose = full_pose_rotvec(*(getattr(capture, k)[person, t] for k in (
        "global_orient", "body_pose", "jaw_pose", "leye_pose", "reye_pose", "left_hand_pose", "right_hand_pose")))
    world_rot, _ = forward_kinematics(rotvec_to_rotmat(pose), rest)
    joints_cam = capture.joints_cam[person, t].astype(np.float64)
    weights = np.where(model.weights > 1e-4, model.weights, 0.0)
    weights /= weights.sum(axis=1, keepdims=True)
    per_joint = np.einsum("jab,vjb->vja", world_rot, verts[:, None] - rest[None]) + joints_cam[None]
    posed_cam = np.einsum("vj,vja->va", weights, per_joint)
    return axis_conversion.cv_to_world(posed_cam)


def test_smplx_mesh_follows_the_capture(smplx_setup):
    path, capture, model = smplx_setup
    assert bpy.ops.wholebody.import_capture(filepath=str(path), body="AUTO") == {"FINISHED"}
    collection = bpy.data.collections["dance capture"]
    bodies = sorted((o for o in collection.objects if o.type == "MESH"), key=lambda o: o.parent["wholebody_person_id"])
    assert len(bodies) == 2
    body = bodies[0]
    keys = body.data.shape_keys.key_blocks
    assert [k.name for k in keys][:3] == ["Basis", "beta_00", "beta_01"] and "expr_09" in keys
    np.testing.assert_allclose([keys[f"beta_{i:02d}"].value for i in range(10)], capture.betas[0], atol=1e-6)
    expected = set((capture.frame_indices[capture.valid[0]] + 1).astype(float).tolist())
    assert keyed_frames(body.data.shape_keys.animation_data.action, body, 'key_blocks["expr_03"].value') == expected
    scene = bpy.context.scene
    for person, obj in enumerate(bodies):
        for t in (0, 3, 5):
            if not capture.valid[person, t]:
                continue
            scene.frame_set(int(capture.frame_indices[t]) + 1)
            evaluated = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
            mesh = evaluated.to_mesh()
            coords = np.empty(len(mesh.vertices) * 3, dtype=np.float32)
            mesh.vertices.foreach_get("co", coords)
            evaluated.to_mesh_clear()
            matrix = np.array(obj.matrix_world)
            world = coords.reshape(-1, 3) @ matrix[:3, :3].T + matrix[:3, 3]
            np.testing.assert_allclose(world, _lbs_world(model, capture, person, t), atol=1e-3)


def test_bad_model_folder_is_a_report_and_leaves_the_scene(smplx_setup, tmp_path):
    path, _, _ = smplx_setup
    empty = tmp_path / "empty_models"
    empty.mkdir()
    bpy.context.preferences.addons[PACKAGE].preferences.smplx_model_dir = str(empty)
    with pytest.raises(RuntimeError, match="SMPL"):
        bpy.ops.wholebody.import_capture(filepath=str(path), body="SMPLX")
    assert len(bpy.data.objects) == 0 and len(bpy.data.collections) == 0
