"""Retargeting a captured walk onto real rigs: limb directions, twist, locked feet (real bpy, headless)."""
from __future__ import annotations

import bpy
import numpy as np
import pytest

from retarget_rigs import bone_world, hand_made_rig, mpfb_rig, rigify_metarig
from walk_factory import walking_capture
from wholebody_mocap.addon import retarget_map
from wholebody_mocap.addon.retarget import RetargetOptions, retarget

MIN_COSINE = 0.98
FOOT_TOLERANCE_M = 0.02

RIGS = {
    "rigify_metarig": lambda: rigify_metarig(location=(1.0, 0.5, 0.0)),
    "mpfb_game_engine": lambda: mpfb_rig("game_engine"),
    "mpfb_mixamo": lambda: mpfb_rig("mixamo"),
    "mpfb_makehuman": lambda: mpfb_rig("makehuman"),
    "generic_apose_rolled_x100": lambda: hand_made_rig("generic", a_pose_deg=45.0, roll_deg=90.0,
                                                       unit_scale=100.0, leg_scale=1.2),
    "vrm_euler": lambda: hand_made_rig("vrm", leg_scale=0.9, location=(0.0, -1.0, 0.0)),
}
EXPECTED_PROFILE = {"rigify_metarig": "rigify", "mpfb_game_engine": "unreal", "mpfb_mixamo": "mixamo",
                    "mpfb_makehuman": "makehuman", "generic_apose_rolled_x100": "generic", "vrm_euler": "vrm"}


@pytest.fixture(scope="module")
def walk_file(tmp_path_factory):
    return walking_capture(tmp_path_factory.mktemp("walk") / "walk.capture.npz")[0]


def import_walker(path):
    bpy.ops.wholebody.import_capture(filepath=str(path), body="NONE", use_floor=True)
    return next(o for o in bpy.context.scene.objects if o.type == "ARMATURE" and "wholebody_person_id" in o)


def _unit(v):
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


def _axes(obj, name):
    m = np.array(bone_world(obj, name))
    return _unit(m[:3, 0]), _unit(m[:3, 1]), m[:3, 3]


def _twist_angle(x_target, x_source, axis):
    """Angle (radians) from the source's X axis to the target's about the shared bone axis."""
    a = _unit(x_source - axis * np.dot(x_source, axis))
    b = _unit(x_target - axis * np.dot(x_target, axis))
    return np.arctan2(np.dot(np.cross(a, b), axis), np.dot(a, b))


def sample_pose(scene, source, target, mapping, frames):
    """Per frame: {joint: (target axes, source axes)} of the evaluated armatures."""
    out = []
    for frame in frames:
        scene.frame_set(int(frame))
        out.append({j: (_axes(target, b), _axes(source, j)) for j, b in mapping.items()})
    return out


def foot_errors(result, samples, source, target, mapping):
    """Largest horizontal-drift and lift errors (m) of the target's ankles against the source's, scaled,
    over the contact frames."""
    worst_drift, worst_lift = 0.0, 0.0
    feet = [j for j in ("left_ankle", "right_ankle", "left_foot", "right_foot") if j in mapping]

    def standing_heights(obj, names):   # rest heights above the lowest foot joint (armatures stand up along Z)
        z = {j: obj.data.bones[n].head_local.z * obj.matrix_world.to_scale().z for j, n in names.items()}
        return {j: z[j] - min(z.values()) for j in z}
    src_standing = standing_heights(source, {j: j for j in feet})
    tgt_standing = standing_heights(target, {j: mapping[j] for j in feet})
    for side, contact in result.contacts.items():
        ankle = f"{side}_ankle"
        src_lift0, tgt_lift0 = src_standing[ankle], tgt_standing[ankle]
        for start, end in _runs(contact):
            t0, s0 = samples[start][ankle][0][2], samples[start][ankle][1][2]
            for t in range(start, end + 1):
                tgt, src = samples[t][ankle][0][2], samples[t][ankle][1][2]
                drift = (tgt - t0)[:2] - result.ratio * (src - s0)[:2]
                lift = (tgt[2] - result.target_floor - tgt_lift0) - result.ratio * (
                    src[2] - result.source_floor - src_lift0)
                worst_drift = max(worst_drift, float(np.linalg.norm(drift)))
                worst_lift = max(worst_lift, abs(float(lift)))
    return worst_drift, worst_lift


def _runs(contact):
    edges = np.flatnonzero(np.diff(np.concatenate([[0], contact.astype(int), [0]])))
    return list(zip(edges[::2], edges[1::2] - 1))


def _retarget(scene, source, target, **options):
    mapping, profile = retarget_map.propose_map([b.name for b in target.data.bones])
    result = retarget(bpy.context, source, target, mapping,
                      RetargetOptions(frame_start=scene.frame_start, frame_end=scene.frame_end, **options))
    return mapping, profile, result


@pytest.mark.parametrize("rig", list(RIGS))
def test_limbs_point_like_the_source_and_feet_stay_locked(clean_scene, walk_file, rig):
    source = import_walker(walk_file)
    target = RIGS[rig]()
    mapping, profile, result = _retarget(clean_scene, source, target)
    assert profile == EXPECTED_PROFILE[rig]
    assert not retarget_map.missing_required(mapping)
    frames = result.frames
    samples = sample_pose(clean_scene, source, target, mapping, frames)
    limbs = [j for j in mapping if j != "pelvis"]
    cosines = np.array([[np.dot(s[j][0][1], s[j][1][1]) for j in limbs] for s in samples])
    worst = np.unravel_index(np.argmin(cosines), cosines.shape)
    assert cosines.min() > MIN_COSINE, (rig, limbs[worst[1]], int(frames[worst[0]]), cosines.min())
    # twist: the angle between the two bones' X axes about the shared bone axis stays what it was at rest
    twist = np.array([[_twist_angle(s[j][0][0], s[j][1][0], s[j][1][1]) for j in limbs] for s in samples])
    change = np.abs(np.angle(np.exp(1j * (twist - twist[:1]))))
    assert np.cos(change.max()) > MIN_COSINE, (rig, limbs[int(np.argmax(change.max(axis=0)))])
    # feet: both feet have stance phases, and on them the target's ankle follows the source's, scaled
    for side in ("left", "right"):
        assert result.contacts[side].mean() > 0.15, (side, result.contacts[side].astype(int))
    drift, lift = foot_errors(result, samples, source, target, mapping)
    assert drift < FOOT_TOLERANCE_M and lift < FOOT_TOLERANCE_M, (rig, drift, lift)
    print(f"{rig}: min cosine {cosines.min():.4f}, twist change {np.degrees(change.max()):.2f} deg, "
          f"foot drift {drift * 1000:.1f} mm, lift {lift * 1000:.1f} mm, ratio {result.ratio:.3f}")


# bpy 4.5 as a module hangs at interpreter exit after Rigify has generated a rig (every test passes,
# then the process never ends), which would time out the 4.5 rerun; 4.2 is skipped by rigify_metarig.
@pytest.mark.skipif(bpy.app.version < (5, 0, 0),
                    reason="bpy 4.5 as a module hangs at exit after rigify_generate; tested on 5.0")
def test_a_generated_rigify_rig_deforms_with_the_source(clean_scene, walk_file):
    """Keys go on a generated Rigify rig's FK controls (its IK/FK switches keyed to FK); its deform
    bones, fingers included, driven through Rigify's constrained and driven MCH bones, point like the
    source's."""
    source = import_walker(walk_file)
    rigify_metarig()
    bpy.ops.pose.rigify_generate()
    target = bpy.context.active_object
    mapping, profile, result = _retarget(clean_scene, source, target)
    assert profile == "rigify" and mapping["left_shoulder"] == "upper_arm_fk.L" and mapping["pelvis"] == "torso"
    deform = {"spine3": "DEF-spine.003", "head": "DEF-spine.006"}
    for s, S in (("left", "L"), ("right", "R")):
        deform.update({f"{s}_collar": f"DEF-shoulder.{S}", f"{s}_shoulder": f"DEF-upper_arm.{S}",
                       f"{s}_elbow": f"DEF-forearm.{S}", f"{s}_wrist": f"DEF-hand.{S}",
                       f"{s}_hip": f"DEF-thigh.{S}", f"{s}_knee": f"DEF-shin.{S}", f"{s}_ankle": f"DEF-foot.{S}"})
        deform.update({f"{s}_{f}{k}": f"DEF-f_{f}.0{k}.{S}" for f in ("index", "middle", "ring", "pinky")
                       for k in (1, 2, 3)})
        deform.update({f"{s}_thumb{k}": f"DEF-thumb.0{k}.{S}" for k in (1, 2, 3)})
    assert mapping["left_index2"] == "f_index.02.L"
    samples = sample_pose(clean_scene, source, target, deform, result.frames[::4])
    cosines = {j: min(np.dot(s[j][0][1], s[j][1][1]) for s in samples) for j in deform}
    worst = min(cosines, key=cosines.get)
    assert cosines[worst] > MIN_COSINE, (worst, cosines[worst])
    drift, lift = foot_errors(result, sample_pose(clean_scene, source, target, mapping, result.frames),
                              source, target, mapping)
    assert drift < FOOT_TOLERANCE_M and lift < FOOT_TOLERANCE_M, (drift, lift)
    print(f"generated rigify: min deform-bone cosine {cosines[worst]:.4f} ({worst}), foot drift "
          f"{drift * 1000:.1f} mm, lift {lift * 1000:.1f} mm")
