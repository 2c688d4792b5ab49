"""Retargeting a captured person onto any armature: read both rigs, solve, bake to a new action.

The source is an armature with SMPL-X bone names (a person made by Import
capture); its pose is read through Blender on every frame (``frame_set``, so
whatever drives it counts). The solve (``retarget_solve``) makes every mapped
target bone point the way its source bone points in world space, twist
included; the hips follow the source's hips, moved by the leg-length ratio
(``root motion``); feet in contact with the ground on the source are held on
the target by a two-bone IK on the leg (``lock feet``). The result is keyed on a
NEW action of the target; the target's previous action stays in ``bpy.data``
(with a fake user) and its name is kept on the target (``PREVIOUS_ACTION_PROPERTY``)
so **Restore action** can put it back. Blender data is touched only here, on the
main thread, inside an operator.
"""
from __future__ import annotations

import dataclasses
import logging

import bpy
import numpy as np
from mathutils import Matrix

from ..wholebody_core.errors import InputError
from ..wholebody_core.maths.quaternions import make_quat_continuous
from ..wholebody_core.maths.rotations import rotmat_to_quat_wxyz
from . import retarget_map, retarget_solve as solve
from .anim_keys import ObjectActionWriter

log = logging.getLogger(__name__)
PREVIOUS_ACTION_PROPERTY = "wholebody_previous_action"
_FOOT_JOINTS = ("left_ankle", "right_ankle", "left_foot", "right_foot")
_LEG = {"left": ("left_hip", "left_knee", "left_ankle", "left_foot"),
        "right": ("right_hip", "right_knee", "right_ankle", "right_foot")}


@dataclasses.dataclass
class RetargetOptions:
    frame_start: int
    frame_end: int
    scale_root: bool = True            # root motion times the leg-length ratio
    lock_feet: bool = True             # hold feet where the source's feet touch the ground
    placement: str = "TARGET"          # TARGET: start where the target stands; SOURCE: on the source
    contact_height_m: float = 0.05     # source foot at most this high above its floor ...
    contact_speed_mps: float = 0.4     # ... and slower than this (horizontally): in contact
    action_name: str = ""


@dataclasses.dataclass
class RetargetResult:
    action: bpy.types.Action
    previous_action: bpy.types.Action | None
    frames: np.ndarray                 # (T,) scene frames keyed
    ratio: float                       # root-motion scale applied
    contacts: dict                     # "left"/"right" -> (T,) bool, source foot on the ground
    source_floor: float                # world z of the source's floor (lowest foot joints)
    target_floor: float                # world z of the target's lowest mapped foot joint at rest
    warnings: list


def check_inputs(source, target, mapping: dict) -> None:
    """Raises InputError (nothing changed yet) for a bad source, target or bone map."""
    if target is None or target.type != "ARMATURE":
        kind = "nothing" if target is None else f"a {target.type.lower()} object"
        raise InputError(f"the retarget target is {kind}; choose an armature object (your character's rig) "
                         "as the target.")
    if source is None or source.type != "ARMATURE":
        raise InputError("the retarget source must be a captured person's armature; select one made by "
                         "Import capture.")
    if source == target:
        raise InputError("the source and the target are the same armature; choose your character's rig "
                         "as the target.")
    missing = [j for j in mapping if j not in source.data.bones]
    if missing:
        raise InputError(f"the source armature {source.name!r} has no bone {missing[0]!r}; the source must be "
                         "an armature made by Import capture (SMPL-X bone names).")
    retarget_map.check_map(mapping, [b.name for b in target.data.bones])


def _target_rig(target) -> solve.TargetRig:
    bones = target.data.bones
    names = [b.name for b in bones]
    order = solve.parents_first(names, [b.parent.name if b.parent else None for b in bones])
    names = [names[i] for i in order]
    index = {n: i for i, n in enumerate(names)}
    parents = np.array([index[bones[n].parent.name] if bones[n].parent else -1 for n in names])
    rest = np.array([np.array(bones[n].matrix_local) for n in names])
    return solve.TargetRig(names=names, parents=parents, rest=rest)


def _read_source(context, source, joints: list, frames: np.ndarray) -> np.ndarray:
    """(T, J, 4, 4) world matrices of the source's bones ``joints`` on each scene frame."""
    scene = context.scene
    current = scene.frame_current, scene.frame_subframe
    out = np.empty((len(frames), len(joints), 4, 4))
    try:
        for t, frame in enumerate(frames):
            scene.frame_set(int(frame))
            world = np.array(source.matrix_world)
            out[t] = [world @ np.array(source.pose.bones[j].matrix) for j in joints]
    finally:
        scene.frame_set(current[0], subframe=current[1])
    return out


def _ancestors(rig: solve.TargetRig, bones) -> list:
    """Unmapped bones that lie above a mapped bone (their pose is keyed to rest)."""
    found = set()
    for i in bones:
        p = int(rig.parents[i])
        while p >= 0:
            found.add(p)
            p = int(rig.parents[p])
    return sorted(found - set(bones))


def _fps(scene) -> float:
    return scene.render.fps / scene.render.fps_base


def retarget(context, source, target, mapping: dict, options: RetargetOptions) -> RetargetResult:
    """Bakes the source's motion onto ``target`` (a new action); see the module docstring."""
    check_inputs(source, target, mapping)
    if options.frame_end < options.frame_start:
        raise InputError(f"the frame range {options.frame_start}..{options.frame_end} is empty; "
                         "set End at or after Start.")
    warnings = []
    frames = np.arange(options.frame_start, options.frame_end + 1)
    joints = list(mapping)
    for j in ("left_hip", "right_hip", "left_shoulder", "right_shoulder") + _FOOT_JOINTS:
        if j not in joints and j in source.data.bones:
            joints.append(j)
    jidx = {j: k for k, j in enumerate(joints)}
    src_world = _read_source(context, source, joints, frames)                         # (T, J, 4, 4)
    src_rest = np.array([np.array(source.matrix_world) @ np.array(source.data.bones[j].matrix_local)
                         for j in joints])
    rig = _target_rig(target)
    tgt_obj = np.array(target.matrix_world)
    tgt_rest_world = tgt_obj @ rig.rest
    mapped = [j for j in joints if j in mapping]
    bone_of = {j: rig.index(mapping[j]) for j in mapped}

    def src_head(j, rest=False):
        return (src_rest if rest else src_world)[..., jidx[j], :3, 3]

    def tgt_head(j):
        return tgt_rest_world[bone_of[j], :3, 3]

    body_src = solve.body_frame(*(src_head(j, True) for j in ("left_hip", "right_hip",
                                                               "left_shoulder", "right_shoulder")))
    body_tgt = solve.body_frame(*(tgt_head(j) for j in ("left_hip", "right_hip",
                                                        "left_shoulder", "right_shoulder")))
    src_rest_rot = solve.rotation_part(src_rest[[jidx[j] for j in mapped]])
    tgt_rest_rot = solve.rotation_part(tgt_rest_world[[bone_of[j] for j in mapped]])
    align = solve.rest_alignments(src_rest_rot, tgt_rest_rot, body_src, body_tgt,
                                  np.array([j == "pelvis" for j in mapped]))
    world_rot = solve.target_world_rotations(solve.rotation_part(src_world[:, [jidx[j] for j in mapped]]),
                                             src_rest_rot, align, tgt_rest_rot)       # (T, M, 3, 3)
    obj_rot = solve.rotation_part(tgt_obj)
    rot_arm = {bone_of[j]: obj_rot.T @ world_rot[:, k] for k, j in enumerate(mapped)}

    # Root motion: the target's hip joints follow the source's, scaled by the ratio of hip heights
    # (hip joints above the lowest foot joint, along each rest body's up).
    feet = [j for j in _FOOT_JOINTS if j in mapping and j in jidx]
    src_feet_z = np.stack([src_head(j)[:, 2] for j in feet], axis=1)                  # (T, F)
    source_floor = float(np.percentile(src_feet_z.min(axis=1), 5))
    target_floor = float(min(tgt_head(j)[2] for j in feet))

    def above_lowest(head, up, joint):
        """Rest height of ``joint`` (or the hips' midpoint) above the lowest foot joint, along the body's up."""
        point = 0.5 * (head("left_hip") + head("right_hip")) if joint == "hips" else head(joint)
        return float(max(np.dot(point - head(j), up) for j in feet))
    ratio = (above_lowest(tgt_head, body_tgt[:, 1], "hips") /
             above_lowest(lambda j: src_head(j, True), body_src[:, 1], "hips") if options.scale_root else 1.0)
    hips_src = 0.5 * (src_head("left_hip") + src_head("right_hip"))                   # (T, 3)
    hips_tgt_rest = 0.5 * (tgt_head("left_hip") + tgt_head("right_hip"))
    anchor = hips_tgt_rest[:2] if options.placement == "TARGET" else hips_src[0, :2]
    hips_goal = np.empty_like(hips_src)
    hips_goal[:, :2] = anchor + ratio * (hips_src[:, :2] - hips_src[0, :2])
    hips_goal[:, 2] = target_floor + ratio * (hips_src[:, 2] - source_floor)
    root = bone_of["pelvis"]
    k_root = mapped.index("pelvis")
    root_delta = world_rot[:, k_root] @ tgt_rest_rot[k_root].T                         # world rotation change
    root_head = hips_goal - np.einsum("tij,j->ti", root_delta, hips_tgt_rest - tgt_rest_world[root, :3, 3])
    inv_obj = np.linalg.inv(tgt_obj)
    root_head_arm = root_head @ inv_obj[:3, :3].T + inv_obj[:3, 3]
    pose = solve.pose_matrices(rig, rot_arm, root, root_head_arm)

    contacts = {}
    fps = _fps(context.scene)
    floor_near = solve.local_floor(src_feet_z.min(axis=1), max(2, int(round(0.5 * fps))))
    if options.lock_feet:
        for side, (hip, knee, ankle, ball) in _LEG.items():
            low = src_head(ankle) if ball not in jidx else np.where(
                (src_head(ball)[:, 2] < src_head(ankle)[:, 2])[:, None], src_head(ball), src_head(ankle))
            contacts[side] = solve.foot_contacts(low, floor_near, fps,
                                                 options.contact_height_m, options.contact_speed_mps)
            _lock_foot(rig, pose, rot_arm, tgt_obj, bone_of, (hip, knee, ankle), contacts[side],
                       src_head(ankle), above_lowest(lambda j: src_head(j, True), body_src[:, 1], ankle),
                       above_lowest(tgt_head, body_tgt[:, 1], ankle), source_floor, target_floor, ratio)
        pose = solve.pose_matrices(rig, rot_arm, root, root_head_arm)

    for j in mapped:
        if len(target.pose.bones[mapping[j]].constraints):
            warnings.append(f"{mapping[j]} has constraints, which may override the retargeted keys")
    action, previous = _bake(target, rig, pose, sorted(rot_arm), root, frames,
                             options.action_name or f"{target.name}_retarget_{source.name}")
    return RetargetResult(action, previous, frames, float(ratio), contacts, source_floor, target_floor, warnings)


def _lock_foot(rig, pose, rot_arm, tgt_obj, bone_of, leg, contact, src_ankle, src_ankle_rest_height,
               tgt_ankle_rest_height, source_floor, target_floor, ratio) -> None:
    """Moves the target's ankle, on contact frames, to where the contact began plus the source's own
    (scaled) drift, at the source's scaled lift above standing height; edits ``rot_arm`` in place."""
    hip, knee, ankle = (bone_of.get(j) for j in leg)
    if None in (hip, knee, ankle) or not contact.any():
        return
    inv_obj = np.linalg.inv(tgt_obj)
    heads_world = {i: pose[:, i, :3, 3] @ tgt_obj[:3, :3].T + tgt_obj[:3, 3] for i in (hip, knee, ankle)}
    goal = heads_world[ankle].copy()
    for start, end in solve.contact_runs(contact):
        span = slice(start, end + 1)
        goal[span, :2] = heads_world[ankle][start, :2] + ratio * (src_ankle[span, :2] - src_ankle[start, :2])
        lift = src_ankle[span, 2] - source_floor - src_ankle_rest_height
        goal[span, 2] = target_floor + tgt_ankle_rest_height + ratio * lift
    frames = np.flatnonzero(contact)
    to_arm = lambda p: p @ inv_obj[:3, :3].T + inv_obj[:3, 3]   # noqa: E731
    hint = pose[frames, hip, :3, 0]                             # the thigh's X axis: the usual knee hinge
    r_hip, r_knee = solve.two_bone_ik(to_arm(heads_world[hip][frames]), to_arm(heads_world[knee][frames]),
                                      to_arm(heads_world[ankle][frames]), to_arm(goal[frames]), hint)
    for bone, extra in ((hip, None), (knee, r_knee)):
        rot = rot_arm[bone] if bone in rot_arm else pose[:, bone, :3, :3].copy()
        update = r_hip if extra is None else r_hip @ extra
        rot = rot.copy()
        rot[frames] = update @ rot[frames]
        rot_arm[bone] = rot


def _bake(target, rig, pose, bones: list, root: int, frames: np.ndarray, name: str):
    """Keys the listed bones (rotation; the root's location too) and their unmapped ancestors (rest)
    on a new action assigned to ``target``; returns (action, previous action)."""
    animation_data = target.animation_data
    previous = animation_data.action if animation_data is not None else None
    if previous is not None:
        previous.use_fake_user = True
        target[PREVIOUS_ACTION_PROPERTY] = previous.name
    basis = solve.basis_matrices(rig, pose, bones)
    writer = ObjectActionWriter(target, name)
    frames_f = frames.astype(np.float64)
    for k, i in enumerate(bones):
        name_i = rig.names[i]
        _write_rotation(writer, target.pose.bones[name_i], frames_f, basis[:, k, :3, :3])
        if i == root:
            writer.write(f'pose.bones["{name_i}"].location', frames_f, basis[:, k, :3, 3], name_i)
    ends = frames_f[[0, -1]]
    for i in _ancestors(rig, bones):
        _write_rotation(writer, target.pose.bones[rig.names[i]], ends, np.broadcast_to(np.eye(3), (2, 3, 3)))
        writer.write(f'pose.bones["{rig.names[i]}"].location', ends, np.zeros((2, 3)), rig.names[i])
    return writer.action, previous


def _write_rotation(writer, pose_bone, frames: np.ndarray, rot: np.ndarray) -> None:
    """Keys (T, 3, 3) basis rotations in the bone's own rotation mode."""
    path = f'pose.bones["{pose_bone.name}"]'
    mode = pose_bone.rotation_mode
    if mode == "QUATERNION":
        writer.write(path + ".rotation_quaternion", frames, make_quat_continuous(rotmat_to_quat_wxyz(rot)),
                     pose_bone.name)
    elif mode == "AXIS_ANGLE":
        values = []
        for m in rot:
            axis, angle = Matrix(m.tolist()).to_quaternion().to_axis_angle()
            values.append((angle, *axis))
        writer.write(path + ".rotation_axis_angle", frames, np.array(values), pose_bone.name)
    else:
        values, previous = [], None
        for m in rot:
            euler = Matrix(m.tolist()).to_euler(mode, previous) if previous else Matrix(m.tolist()).to_euler(mode)
            values.append(tuple(euler))
            previous = euler
        writer.write(path + ".rotation_euler", frames, np.array(values), pose_bone.name)


def restore_previous_action(target) -> bpy.types.Action:
    """Puts the action the target had before its last retarget back; InputError when there is none."""
    name = target.get(PREVIOUS_ACTION_PROPERTY) if target is not None else None
    action = bpy.data.actions.get(name) if name else None
    if action is None:
        raise InputError("this armature has no action from before a retarget to restore; select the "
                         "retargeted character.")
    target.animation_data.action = action
    if hasattr(target.animation_data, "action_slot") and action.slots:
        slots = [s for s in action.slots if s.target_id_type == "OBJECT"]
        if slots and target.animation_data.action_slot is None:
            target.animation_data.action_slot = slots[0]
    del target[PREVIOUS_ACTION_PROPERTY]
    return action
