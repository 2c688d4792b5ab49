"""Retargeting a captured person onto any armature: read both rigs, solve, bake to a new action.

The source is an armature with SMPL-X bone names (a person made by Import
capture); its pose is read through Blender on every frame (``frame_set``, so
whatever drives it counts). The solve (``retarget_solve``) makes every mapped
target bone point the way its source bone points in world space, twist
included; the hips follow the source's hips, moved by the ratio of hip heights
(root motion); feet in contact with the ground on the source are held on the
target by a two-bone IK on the leg (lock feet). The keys are then checked and
corrected through Blender's own evaluation of the target (constrained parents,
e.g. a generated Rigify rig's MCH bones). The result is keyed on a NEW action of
the target; the target's previous action stays in ``bpy.data`` (with a fake
user) and its name is kept on the target (``PREVIOUS_ACTION_PROPERTY``) so
**Restore** can put it back. Blender data is touched only here, on the main
thread, inside an operator.
"""
from __future__ import annotations

import dataclasses

import bpy
import numpy as np
from mathutils import Matrix

from ..wholebody_core.errors import InputError
from ..wholebody_core.maths.quaternions import make_quat_continuous
from ..wholebody_core.maths.rotations import rotmat_to_quat_wxyz
from . import retarget_map, retarget_solve as solve
from .anim_keys import ObjectActionWriter

PREVIOUS_ACTION_PROPERTY = "wholebody_previous_action"   # on the target: its action before retargeting
RETARGET_ACTION_PROPERTY = "wholebody_retarget"         # on the actions a retarget made
_BLEND_FRAMES = 3                                       # the foot lock fades in/out over these
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


def run_steps(steps):
    """Runs a step generator (``retarget_steps``, ``prepare_steps``) to its end; returns its value."""
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value


def _scaled(steps, offset: float, scale: float):
    """Re-yields a step generator's counts as ``offset + scale * count``; returns its value. Closing this
    closes ``steps`` (its ``finally`` blocks put the scene back)."""
    try:
        while True:
            try:
                count = next(steps)
            except StopIteration as stop:
                return stop.value
            yield offset + scale * count
    finally:
        steps.close()


def _read_source_steps(context, source, joints: list, frames: np.ndarray):
    """Yields the frames read so far; returns (T, J, 4, 4) world matrices of the source's bones ``joints``
    on each scene frame. The current frame is restored, also when closed early."""
    scene = context.scene
    current = scene.frame_current, scene.frame_subframe
    out = np.empty((len(frames), len(joints), 4, 4))
    try:
        for t, frame in enumerate(frames):
            scene.frame_set(int(frame))
            world = np.array(source.matrix_world)
            out[t] = [world @ np.array(source.pose.bones[j].matrix) for j in joints]
            yield t + 1
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


@dataclasses.dataclass
class RetargetSetup:
    """Both rigs read and lined up (what the bake and the live constraints share). J source joints read,
    M of them mapped; world = the scene."""

    joints: list                       # source joints read: the mapped ones, then helpers (hips, shoulders, feet)
    mapped: list                       # the mapped joints, in ``joints`` order
    bone_of: dict                      # mapped joint -> target bone index in ``rig``
    feet: list                         # mapped foot joints (ankles, balls) the floor is measured with
    src_world: np.ndarray              # (T, J, 4, 4) source bones on each frame
    src_rest: np.ndarray               # (J, 4, 4) source bones at rest
    rig: solve.TargetRig
    tgt_obj: np.ndarray                # (4, 4) the target's matrix_world
    body_src: np.ndarray               # (3, 3) rest body frames (left, up, forward)
    body_tgt: np.ndarray
    src_rest_rot: np.ndarray           # (M, 3, 3) rest world rotations of the mapped bones
    tgt_rest_rot: np.ndarray
    align: np.ndarray                  # (M, 3, 3) C of retarget_solve
    ratio: float                       # root-motion scale
    source_floor: float
    target_floor: float
    hips_offset: np.ndarray            # (3,) the target's hip midpoint = hips_offset + ratio * the source's

    def src_head(self, joint: str, rest: bool = False) -> np.ndarray:
        """(T, 3), or (3,) at rest: a source bone's head in the world."""
        return (self.src_rest if rest else self.src_world)[..., self.joints.index(joint), :3, 3]

    def tgt_head(self, joint: str) -> np.ndarray:
        """(3,) the rest head of the target bone mapped to ``joint``, in the world."""
        return (self.tgt_obj @ self.rig.rest[self.bone_of[joint]])[:3, 3]

    def above_lowest(self, joint: str, source: bool) -> float:
        """Rest height of ``joint`` (or ``"hips"``, their midpoint) above the lowest foot joint, along the
        rest body's up."""
        head = (lambda j: self.src_head(j, True)) if source else self.tgt_head
        up = (self.body_src if source else self.body_tgt)[:, 1]
        point = 0.5 * (head("left_hip") + head("right_hip")) if joint == "hips" else head(joint)
        return float(max(np.dot(point - head(j), up) for j in self.feet))

    def hips_source(self) -> np.ndarray:
        """(T, 3) the source's hip-joint midpoint on each frame."""
        return 0.5 * (self.src_head("left_hip") + self.src_head("right_hip"))


def prepare(context, source, target, mapping: dict, options: RetargetOptions) -> RetargetSetup:
    """Checks the input, reads the source over the frame range and both rests, lines them up."""
    return run_steps(prepare_steps(context, source, target, mapping, options))


def prepare_steps(context, source, target, mapping: dict, options: RetargetOptions):
    """``prepare`` step by step: raises InputError on its first step (nothing read yet), yields the
    source frames read, returns the RetargetSetup."""
    check_inputs(source, target, mapping)
    if options.frame_end < options.frame_start:
        raise InputError(f"the frame range {options.frame_start}..{options.frame_end} is empty; "
                         "set End at or after Start.")
    joints = list(mapping)
    for j in ("left_hip", "right_hip", "left_shoulder", "right_shoulder") + _FOOT_JOINTS:
        if j not in joints and j in source.data.bones:
            joints.append(j)
    frames = np.arange(options.frame_start, options.frame_end + 1)
    src_world = yield from _read_source_steps(context, source, joints, frames)
    src_rest = np.array([np.array(source.matrix_world) @ np.array(source.data.bones[j].matrix_local)
                         for j in joints])
    rig = _target_rig(target)
    mapped = [j for j in joints if j in mapping]
    setup = RetargetSetup(
        joints=joints, mapped=mapped, bone_of={j: rig.index(mapping[j]) for j in mapped},
        feet=[j for j in _FOOT_JOINTS if j in mapping], src_world=src_world, src_rest=src_rest, rig=rig,
        tgt_obj=np.array(target.matrix_world), body_src=None, body_tgt=None, src_rest_rot=None,
        tgt_rest_rot=None, align=None, ratio=1.0, source_floor=0.0, target_floor=0.0, hips_offset=None)
    torso = ("left_hip", "right_hip", "left_shoulder", "right_shoulder")
    setup.body_src = solve.body_frame(*(setup.src_head(j, True) for j in torso))
    setup.body_tgt = solve.body_frame(*(setup.tgt_head(j) for j in torso))
    setup.src_rest_rot = solve.rotation_part(src_rest[[joints.index(j) for j in mapped]])
    setup.tgt_rest_rot = solve.rotation_part(setup.tgt_obj @ rig.rest[[setup.bone_of[j] for j in mapped]])
    setup.align = solve.rest_alignments(setup.src_rest_rot, setup.tgt_rest_rot, setup.body_src,
                                        setup.body_tgt, np.array([j == "pelvis" for j in mapped]))
    # Root motion: the target's hip joints follow the source's, scaled by the ratio of hip heights.
    src_feet_z = np.stack([setup.src_head(j)[:, 2] for j in setup.feet], axis=1)       # (T, F)
    setup.source_floor = float(np.percentile(src_feet_z.min(axis=1), 5))
    setup.target_floor = float(min(setup.tgt_head(j)[2] for j in setup.feet))
    if options.scale_root:
        setup.ratio = setup.above_lowest("hips", False) / setup.above_lowest("hips", True)
    hips_first = setup.hips_source()[0]
    hips_tgt_rest = 0.5 * (setup.tgt_head("left_hip") + setup.tgt_head("right_hip"))
    anchor = hips_tgt_rest[:2] if options.placement == "TARGET" else hips_first[:2]
    setup.hips_offset = np.array([*(anchor - setup.ratio * hips_first[:2]),
                                  setup.target_floor - setup.ratio * setup.source_floor])
    return setup


def root_head_world(setup: RetargetSetup, world_rot: np.ndarray) -> np.ndarray:
    """(T, 3) where the target's hips bone head goes so that its hip joints' midpoint lands on
    ``hips_offset + ratio * source hips`` (``world_rot``: (T, M, 3, 3) the mapped bones' rotations)."""
    k = setup.mapped.index("pelvis")
    root = setup.bone_of["pelvis"]
    hips_tgt_rest = 0.5 * (setup.tgt_head("left_hip") + setup.tgt_head("right_hip"))
    delta = world_rot[:, k] @ setup.tgt_rest_rot[k].T
    goal = setup.hips_offset + setup.ratio * setup.hips_source()
    return goal - np.einsum("tij,j->ti", delta, hips_tgt_rest - (setup.tgt_obj @ setup.rig.rest[root])[:3, 3])


def retarget(context, source, target, mapping: dict, options: RetargetOptions) -> RetargetResult:
    """Bakes the source's motion onto ``target`` (a new action); see the module docstring."""
    return run_steps(retarget_steps(context, source, target, mapping, options))


def retarget_steps(context, source, target, mapping: dict, options: RetargetOptions):
    """``retarget`` step by step (the modal operator runs it a few steps per timer event): raises
    InputError on its first step, before anything changes; yields the fraction done (0..1: reading the
    source, then matching the keys through Blender, a step per frame); returns the RetargetResult.
    Closed early (``close()``: the user cancelled), it leaves the target, its action and the scene's
    frame as they were: the new action is removed."""
    frames = np.arange(options.frame_start, options.frame_end + 1)
    per_frame = 0.5 / max(1, len(frames))
    setup = yield from _scaled(prepare_steps(context, source, target, mapping, options), 0.0, per_frame)
    rig, tgt_obj, bone_of = setup.rig, setup.tgt_obj, setup.bone_of
    world_rot = solve.target_world_rotations(
        solve.rotation_part(setup.src_world[:, [setup.joints.index(j) for j in setup.mapped]]),
        setup.src_rest_rot, setup.align, setup.tgt_rest_rot)                          # (T, M, 3, 3)
    obj_rot = solve.rotation_part(tgt_obj)
    rot_arm = {bone_of[j]: obj_rot.T @ world_rot[:, k] for k, j in enumerate(setup.mapped)}
    inv_obj = np.linalg.inv(tgt_obj)
    root_head_arm = root_head_world(setup, world_rot) @ inv_obj[:3, :3].T + inv_obj[:3, 3]
    root = bone_of["pelvis"]
    pose = solve.pose_matrices(rig, rot_arm, root, root_head_arm)

    contacts = {}
    fps = _fps(context.scene)
    lowest = np.stack([setup.src_head(j)[:, 2] for j in setup.feet], axis=1).min(axis=1)
    floor_near = solve.local_floor(lowest, max(2, int(round(0.5 * fps))))
    if options.lock_feet:
        for side, (hip, knee, ankle, ball) in _LEG.items():
            low = setup.src_head(ankle) if ball not in setup.joints else np.where(
                (setup.src_head(ball)[:, 2] < setup.src_head(ankle)[:, 2])[:, None],
                setup.src_head(ball), setup.src_head(ankle))
            contacts[side] = solve.foot_contacts(low, floor_near, fps,
                                                 options.contact_height_m, options.contact_speed_mps)
            _lock_foot(rig, pose, rot_arm, tgt_obj, bone_of, (hip, knee, ankle), contacts[side],
                       setup.src_head(ankle), setup.above_lowest(ankle, True), setup.above_lowest(ankle, False),
                       setup.source_floor, setup.target_floor, setup.ratio)
        pose = solve.pose_matrices(rig, rot_arm, root, root_head_arm)

    warnings = [f"{mapping[j]} has constraints, which may override the retargeted keys"
                for j in setup.mapped if len(target.pose.bones[mapping[j]].constraints)]
    action, previous, stuck = yield from _scaled(
        _bake_steps(target, rig, pose, sorted(rot_arm), root, frames,
                    options.action_name or f"{target.name}_retarget_{source.name}", context), 0.5, per_frame)
    if stuck:
        warnings.append(f"{len(stuck)} bones do not follow their keys exactly (constraints or drivers on the "
                        f"rig: {', '.join(stuck[:4])}{'...' if len(stuck) > 4 else ''}); check them or map others")
    return RetargetResult(action, previous, frames, float(setup.ratio), contacts, setup.source_floor,
                          setup.target_floor, warnings)


def _lock_foot(rig, pose, rot_arm, tgt_obj, bone_of, leg, contact, src_ankle, src_ankle_rest_height,
               tgt_ankle_rest_height, source_floor, target_floor, ratio) -> None:
    """Moves the target's ankle, on contact frames, to where the contact began plus the source's own
    (scaled) drift, at the source's scaled lift above standing height; edits ``rot_arm`` in place."""
    hip, knee, ankle = (bone_of.get(j) for j in leg)
    if None in (hip, knee, ankle) or not contact.any():
        return
    inv_obj = np.linalg.inv(tgt_obj)
    heads_world = {i: pose[:, i, :3, 3] @ tgt_obj[:3, :3].T + tgt_obj[:3, 3] for i in (hip, knee, ankle)}
    fk = heads_world[ankle]
    goal = fk.copy()
    corrected = contact.copy()
    for start, end in solve.contact_runs(contact):
        span = slice(start, end + 1)
        goal[span, :2] = fk[start, :2] + ratio * (src_ankle[span, :2] - src_ankle[start, :2])
        lift = src_ankle[span, 2] - source_floor - src_ankle_rest_height
        goal[span, 2] = target_floor + tgt_ankle_rest_height + ratio * lift
        # fade the correction in and out over a few frames either side, so the foot does not pop
        for edge, step in ((start, -1), (end, 1)):
            for k in range(1, _BLEND_FRAMES + 1):
                t = edge + step * k
                if not 0 <= t < len(contact) or contact[t]:
                    break
                goal[t] = fk[t] + (1.0 - k / (_BLEND_FRAMES + 1)) * (goal[edge] - fk[edge])
                corrected[t] = True
    frames = np.flatnonzero(corrected)
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


def _match_in_blender(context, target, rig, pose, bones: list, root: int, basis: np.ndarray, switches: list,
                      iterations: int = 5):
    """Corrects ``basis`` (T, B, 4, 4) in place through Blender's own evaluation of the target, so that
    what the numpy FK does not model (constraints on parents, e.g. Rigify's MCH bones, inherit options)
    is accounted for: per frame, pose the bones, evaluate, and set each basis ``B <- B A^T D^T G`` (A the
    evaluated rotation, G the wanted one, D = G A^T of its nearest listed ancestor, which turns it
    along; from the third round on D = I, so a bone whose ancestor cannot turn, held by a constraint,
    still ends up right), the root's location likewise, until within 0.01 degrees.
    ``switches``: pose bones whose ``IK_FK`` is held at 1 (FK) meanwhile. The pose is restored after.
    Yields the frames done; returns the bones still more than 1 degree off on some frame (their own
    constraints win)."""
    pose_bones = [target.pose.bones[rig.names[i]] for i in bones]
    ancestors = [target.pose.bones[rig.names[i]] for i in _ancestors(rig, bones)]
    saved = {pb.name: pb.matrix_basis.copy() for pb in pose_bones + ancestors}
    saved_switches = {pb.name: pb["IK_FK"] for pb in switches}
    stuck = set()
    position = {i: k for k, i in enumerate(bones)}
    above = np.full(len(bones), -1)                 # each bone's nearest listed ancestor (index into bones)
    for k, i in enumerate(bones):
        p = int(rig.parents[i])
        while p >= 0 and p not in position:
            p = int(rig.parents[p])
        above[k] = position.get(p, -1)
    try:
        for pb in ancestors:
            pb.matrix_basis = Matrix.Identity(4)
        for pb in switches:
            pb["IK_FK"] = 1.0
        for t in range(len(basis)):
            for iteration in range(iterations):
                for k, pb in enumerate(pose_bones):
                    pb.matrix_basis = Matrix(basis[t, k].tolist())
                context.view_layer.update()
                evaluated = target.evaluated_get(context.evaluated_depsgraph_get()).pose.bones
                actual = np.array([np.array(evaluated[pb.name].matrix) for pb in pose_bones])   # (B, 4, 4)
                rot = solve.rotation_part(actual)
                wanted = pose[t, bones, :3, :3]
                cos = (np.trace(np.swapaxes(rot, -1, -2) @ wanted, axis1=-2, axis2=-1) - 1) / 2
                k_root = bones.index(root)
                offset = pose[t, root, :3, 3] - actual[k_root, :3, 3]
                scale = 1.0 + np.linalg.norm(actual[k_root, :3, 3])
                if cos.min() > np.cos(np.radians(0.01)) and np.linalg.norm(offset) < 1e-5 * scale:
                    break
                if iteration == iterations - 1:
                    for k in np.flatnonzero(cos < np.cos(np.radians(1.0))):
                        stuck.add(pose_bones[k].name)
                current = basis[t, :, :3, :3].copy()
                # the nearest posed ancestor turns by G A^T this round: its children move with it
                turn = wanted @ np.swapaxes(rot, -1, -2)
                turn_above = np.where((above >= 0)[:, None, None] & (iteration < 2), turn[above], np.eye(3))
                rot_t = np.swapaxes(rot, -1, -2)
                basis[t, :, :3, :3] = current @ rot_t @ np.swapaxes(turn_above, -1, -2) @ wanted
                basis[t, k_root, :3, 3] += current[k_root] @ rot_t[k_root] @ offset
            yield t + 1
    finally:
        for pb in pose_bones + ancestors:
            pb.matrix_basis = saved[pb.name]
        for pb in switches:
            pb["IK_FK"] = saved_switches[pb.name]
        context.view_layer.update()
    return sorted(stuck)


def _bake_steps(target, rig, pose, bones: list, root: int, frames: np.ndarray, name: str, context):
    """Keys the listed bones (rotation; the root's location too) and their unmapped ancestors (rest)
    on a new action assigned to ``target``; yields the frames matched; returns (action, previous
    action, bones that do not follow their keys). Stopped early (closed, or an error), the target
    gets its previous action back and the new one is removed."""
    animation_data = target.animation_data
    previous = animation_data.action if animation_data is not None else None
    saved = (previous.use_fake_user if previous is not None else None, target.get(PREVIOUS_ACTION_PROPERTY),
             getattr(animation_data, "action_slot", None) if animation_data is not None else None)
    if previous is not None:
        previous.use_fake_user = True
    if previous is None or RETARGET_ACTION_PROPERTY not in previous or PREVIOUS_ACTION_PROPERTY not in target:
        target[PREVIOUS_ACTION_PROPERTY] = previous.name if previous is not None else ""   # the user's, not ours
    basis = solve.basis_matrices(rig, pose, bones)
    writer = None
    try:
        writer = ObjectActionWriter(target, name)
        writer.action[RETARGET_ACTION_PROPERTY] = True
        use_fk = any(rig.names[i].endswith(("_fk.L", "_fk.R")) for i in bones)   # a generated Rigify rig: its FK
        switches = [pb for pb in target.pose.bones if use_fk and "IK_FK" in pb.keys()]
        stuck = yield from _match_in_blender(context, target, rig, pose, bones, root, basis, switches)
    except BaseException:
        _undo_bake(target, writer.action if writer is not None else None, previous, saved)
        raise
    frames_f = frames.astype(np.float64)
    for k, i in enumerate(bones):
        name_i = rig.names[i]
        _write_rotation(writer, target.pose.bones[name_i], frames_f, basis[:, k, :3, :3])
        if i == root:
            writer.write(f'pose.bones["{name_i}"].location', frames_f, basis[:, k, :3, 3], name_i)
    ends = frames_f[[0, -1]]
    for pose_bone in switches:
        writer.write(f'pose.bones["{pose_bone.name}"]["IK_FK"]', ends, np.ones((2, 1)), pose_bone.name)
    for i in _ancestors(rig, bones):
        _write_rotation(writer, target.pose.bones[rig.names[i]], ends, np.broadcast_to(np.eye(3), (2, 3, 3)))
        writer.write(f'pose.bones["{rig.names[i]}"].location', ends, np.zeros((2, 3)), rig.names[i])
    return writer.action, previous, stuck


def _undo_bake(target, action, previous, saved) -> None:
    """Puts back what ``_bake_steps`` changed before its keys were written: the target's action (and
    slot), the previous action's fake user, the stored previous-action name; removes ``action``."""
    fake_user, stored, slot = saved
    if target.animation_data is not None:
        target.animation_data.action = previous
        if previous is not None and slot is not None and hasattr(target.animation_data, "action_slot"):
            try:
                target.animation_data.action_slot = slot
            except (RuntimeError, TypeError):     # the slot Blender picked itself stays
                pass
    if previous is not None:
        previous.use_fake_user = fake_user
    if stored is None:
        target.pop(PREVIOUS_ACTION_PROPERTY, None)
    else:
        target[PREVIOUS_ACTION_PROPERTY] = stored
    if action is not None:
        bpy.data.actions.remove(action)


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
            euler = Matrix(m.tolist()).to_euler(mode, *([] if previous is None else [previous]))
            values.append(tuple(euler))
            previous = euler
        writer.write(path + ".rotation_euler", frames, np.array(values), pose_bone.name)


def restore_previous_action(target) -> bpy.types.Action | None:
    """Puts back the action the target had before it was first retargeted (None: it had none);
    InputError when it was never retargeted or that action is gone."""
    name = target.get(PREVIOUS_ACTION_PROPERTY) if target is not None else None
    action = bpy.data.actions.get(name) if name else None
    if name is None or (name and action is None):
        raise InputError("this armature has no action from before a retarget to restore; select the "
                         "retargeted character.")
    if target.animation_data is None:
        target.animation_data_create()
    target.animation_data.action = action
    if action is not None and hasattr(target.animation_data, "action_slot") and action.slots:
        slots = [s for s in action.slots if s.target_id_type == "OBJECT"]
        if slots and target.animation_data.action_slot is None:
            target.animation_data.action_slot = slots[0]
    del target[PREVIOUS_ACTION_PROPERTY]
    return action
