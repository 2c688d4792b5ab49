"""The skeleton layout (bone_frames) and the rotation conversion onto it (axis_conversion), numpy only:
forward kinematics through Blender's bone frames must equal SMPL-X's forward kinematics."""
from __future__ import annotations

import numpy as np
import pytest

from wholebody_mocap.addon import axis_conversion as ac
from wholebody_mocap.addon import bone_frames
from wholebody_mocap.wholebody_core.maths.kinematics import forward_kinematics, joints_in_camera
from wholebody_mocap.wholebody_core.maths.rotations import quat_wxyz_to_rotmat, rotvec_to_rotmat
from wholebody_mocap.wholebody_core.skeleton import JOINT_INDEX, JOINT_NAMES, NUM_JOINTS, PARENTS, default_rest_joints


def _blender_fk(quats, pelvis_location, rest_arm, heads_arm):
    """Blender's pose evaluation, written out: (T, 55, 4) keys -> (T, 55, 3, 3) pose rotations
    and (T, 55, 3) posed heads in armature space (bones without location keys, scale 1)."""
    q_mat = quat_wxyz_to_rotmat(quats)
    num = quats.shape[0]
    pose_rot = np.empty((num, NUM_JOINTS, 3, 3))
    heads = np.empty((num, NUM_JOINTS, 3))
    pose_rot[:, 0] = rest_arm[0] @ q_mat[:, 0]
    heads[:, 0] = heads_arm[0] + pelvis_location @ rest_arm[0].T
    for j in range(1, NUM_JOINTS):
        p = PARENTS[j]
        parent_to_rest = pose_rot[:, p] @ rest_arm[p].T          # A_p M_p^T
        pose_rot[:, j] = parent_to_rest @ rest_arm[j] @ q_mat[:, j]
        heads[:, j] = heads[:, p] + np.einsum("tab,b->ta", parent_to_rest, heads_arm[j] - heads_arm[p])
    return pose_rot, heads


def _random_rest(rng):
    return default_rest_joints() * rng.uniform(0.7, 1.2) + rng.normal(0.0, 0.004, (NUM_JOINTS, 3))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fk_through_bone_frames_equals_smplx_fk(seed):
    rng = np.random.default_rng(seed)
    rest = _random_rest(rng)
    rest -= rest[0]
    num = 20
    pose = rng.normal(0.0, 0.8, (num, NUM_JOINTS, 3))
    root_cv = rng.normal([0.0, 0.3, 4.0], 0.5, (num, 3))
    joints_cv = joints_in_camera(pose, rest[None], root_cv)                    # (T, 55, 3)
    world_rot_cv, _ = forward_kinematics(rotvec_to_rotmat(pose), rest[None])

    layout = bone_frames.rest_layout(rest)
    rest_arm = ac.model_frames_to_arm(layout.frames)
    quats = ac.bone_quats_wxyz(pose, layout.frames)
    locations = ac.pelvis_locations(root_cv, rest[0], layout.frames[0])
    pose_rot, heads = _blender_fk(quats, locations, rest_arm, ac.model_to_arm(rest))

    np.testing.assert_allclose(heads, ac.cv_to_world(joints_cv), atol=1e-9)
    # and every bone turns its vertices as SMPL-X's skinning does: A_j M_j^T = W G_j B^T
    np.testing.assert_allclose(pose_rot @ np.swapaxes(rest_arm, -1, -2),
                               ac.WORLD_FROM_CV @ world_rot_cv @ ac.ARM_FROM_MODEL.T, atol=1e-9)
    # the keys are unit quaternions, sign-continuous over time
    np.testing.assert_allclose(np.linalg.norm(quats, axis=-1), 1.0, atol=1e-12)
    assert np.all(np.sum(quats[1:] * quats[:-1], axis=-1) >= 0.0)


def test_rest_pose_keys_are_identity_except_the_pelvis():
    layout = bone_frames.rest_layout(default_rest_joints())
    quats = ac.bone_quats_wxyz(np.zeros((1, NUM_JOINTS, 3)), layout.frames)[0]
    np.testing.assert_allclose(np.abs(quats[1:, 0]), 1.0, atol=1e-12)
    facing = np.zeros((1, NUM_JOINTS, 3))
    facing[0, 0] = [np.pi, 0.0, 0.0]               # upright, facing the camera
    np.testing.assert_allclose(abs(ac.bone_quats_wxyz(facing, layout.frames)[0, 0, 0]), 1.0, atol=1e-12)


def test_bones_run_along_the_chain_and_connect():
    rest = default_rest_joints()
    layout = bone_frames.rest_layout(rest)
    i = JOINT_INDEX
    for joint, child in [("pelvis", "spine1"), ("spine3", "neck"), ("left_wrist", "left_middle1"),
                         ("right_wrist", "right_middle1"), ("left_hip", "left_knee"),
                         ("right_elbow", "right_wrist"), ("neck", "head"), ("left_index1", "left_index2")]:
        np.testing.assert_allclose(layout.tails[i[joint]], rest[i[child]])
    connected = {JOINT_NAMES[j] for j in np.flatnonzero(layout.connected)}
    for name in ("spine1", "neck", "head", "left_shoulder", "left_elbow", "right_wrist", "left_knee",
                 "right_ankle", "left_foot", "left_middle1", "right_index2", "left_thumb3"):
        assert name in connected, name
    for name in ("pelvis", "left_hip", "left_collar", "jaw", "left_eye_smplhf", "left_index1", "right_thumb1"):
        assert name not in connected, name
    # a connected bone's head is its parent's tail
    for j in np.flatnonzero(layout.connected):
        np.testing.assert_allclose(layout.heads[j], layout.tails[PARENTS[j]], atol=1e-12)
    # leaves: head up, toes level and forward, eyes forward, fingertips continue the finger
    head = i["head"]
    assert layout.tails[head][1] - rest[head][1] > 0.1 and np.allclose(layout.tails[head][[0, 2]], rest[head][[0, 2]])
    for foot in ("left_foot", "right_foot"):
        toe = layout.tails[i[foot]] - rest[i[foot]]
        assert abs(toe[1]) < 1e-12 and toe[2] > 0.03
    assert np.allclose(layout.frames[i["left_eye_smplhf"]][:, 1], [0.0, 0.0, 1.0])
    tip = layout.tails[i["left_index3"]] - rest[i["left_index3"]]
    along = rest[i["left_index3"]] - rest[i["left_index2"]]
    assert np.dot(tip, along) / np.linalg.norm(tip) / np.linalg.norm(along) > 0.999
    assert layout.lengths.min() >= bone_frames.MIN_BONE_LENGTH_M
    assert layout.lengths.max() < 0.5


def test_roll_rule_frames_are_rotations_and_mirror_left_right():
    rest = default_rest_joints()
    layout = bone_frames.rest_layout(rest)
    frames = layout.frames
    np.testing.assert_allclose(frames @ np.swapaxes(frames, -1, -2), np.broadcast_to(np.eye(3), frames.shape),
                               atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(frames), 1.0, atol=1e-12)
    directions = (layout.tails - layout.heads) / layout.lengths[:, None]
    np.testing.assert_allclose(frames[:, :, 1], directions, atol=1e-12)
    # Z faces forward on limbs and the spine, up on the toes, eyes and jaw
    for name in ("spine2", "left_knee", "right_shoulder", "left_index2", "right_pinky1"):
        assert frames[JOINT_INDEX[name]][2, 2] > 0.9, name
    for name in ("left_foot", "right_eye_smplhf", "jaw"):
        assert frames[JOINT_INDEX[name]][1, 2] > 0.5, name
    # the default skeleton is symmetric: right = mirror(left) with X mirrored and negated
    mirror = np.diag([-1.0, 1.0, 1.0])
    for j, name in enumerate(JOINT_NAMES):
        if name.startswith("left_"):
            right = JOINT_INDEX["right_" + name[len("left_"):]]
            np.testing.assert_allclose(frames[right], mirror @ frames[j] @ mirror, atol=1e-9)
    # and so a mirrored pose gets the same X rotation and negated Y, Z rotations
    rng = np.random.default_rng(4)
    local = rng.normal(0.0, 0.5, 3)
    left, right = JOINT_INDEX["left_elbow"], JOINT_INDEX["right_elbow"]
    pose = np.zeros((1, NUM_JOINTS, 3))
    pose[0, left], pose[0, right] = local, local * [1.0, -1.0, -1.0]   # the SMPL-X mirror of a rotation
    quats = ac.bone_quats_wxyz(pose, frames)[0]
    np.testing.assert_allclose(quats[right], quats[left] * [1.0, 1.0, -1.0, -1.0], atol=1e-12)


def test_degenerate_rest_joints_still_give_bones():
    rest = default_rest_joints()
    rest[JOINT_INDEX["left_knee"]] = rest[JOINT_INDEX["left_hip"]]       # a zero-length thigh
    layout = bone_frames.rest_layout(rest)
    assert layout.lengths.min() >= bone_frames.MIN_BONE_LENGTH_M
    assert np.isfinite(layout.frames).all()
    assert not layout.connected[JOINT_INDEX["left_knee"]]
