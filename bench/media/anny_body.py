"""Posed anny bodies (Apache-2.0 model on CC0 MakeHuman assets): vertices, bones, joints.

No Blender here: this module computes, with torch, everything the renderer and the
ground truth need for one person in one frame, in the *world* frame of the scene
(Blender's: z up, metres).

anny's model frame: z up, the body faces -y, the person's own left is +x, metres.
Poses are given in anny's ``local-ref`` parameterisation: for each bone, a rotation
about *world-aligned* axes of the rest pose, applied at the bone's head (its parent's
rotation is applied on top). See :data:`POSES` and :func:`walk_pose`.
"""
from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from wholebody_core.maths.rotations import rotation_between

from .joint_map import ANNY_TO_SMPLX, COCO_NAMES

# Phenotypes (anny's 0..1 sliders). age: 1/3 child, 2/3 young adult.
ADULT_MALE = {"gender": 0.0, "age": 0.66, "muscle": 0.5, "weight": 0.5, "height": 0.33, "proportions": 0.5}
ADULT_FEMALE = {"gender": 1.0, "age": 0.66, "muscle": 0.5, "weight": 0.45, "height": 0.38, "proportions": 0.5}
CHILD = {"gender": 0.3, "age": 0.2, "muscle": 0.5, "weight": 0.5, "height": 0.45, "proportions": 0.5}

CHILD_AGE_LIMIT = 0.5  # anny age slider below this: a child (age anchors: 1/3 child, 2/3 young)


@functools.lru_cache(maxsize=1)
def load_model():
    """The anny full-body model (float64, CPU), built once per process."""
    import anny
    import torch

    model = anny.Anny()  # rig "anny", topology "anny", local-ref poses
    return model.to(dtype=torch.float64)


@functools.lru_cache(maxsize=1)
def _coco_regressor():
    import anny

    return anny.KeypointsRegressor.coco(load_model(), labels=list(COCO_NAMES))


def rotation(axis: str, degrees: float) -> np.ndarray:
    """(3, 3) rotation about a world axis 'x', 'y' or 'z' (right-handed)."""
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    if axis == "x":
        return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    if axis == "y":
        return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    if axis == "z":
        return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    raise ValueError(f"axis must be x, y or z, not {axis!r}")


def chain(*steps: tuple[str, float]) -> np.ndarray:
    """Rotations applied in the order given (the first is applied first)."""
    out = np.eye(3)
    for axis, deg in steps:
        out = rotation(axis, deg) @ out
    return out


# Conventions in anny's frame (x: the person's left, y: backwards, z: up):
#   about x, negative: a limb hanging down swings forwards (hip/shoulder flexion);
#   about x, positive: a shin swings backwards (knee flexion), the spine leans forwards;
#   about y, positive: the left arm goes down / the right arm goes up (negative: mirrored).
# The rest pose is an A-pose: upper arms about 48 degrees below horizontal, elbows
# slightly bent forwards.
Pose = dict[str, np.ndarray]


def _arms_down(deg: float) -> Pose:
    return {"upperarm01.L": rotation("y", deg), "upperarm01.R": rotation("y", -deg)}


POSES: dict[str, Pose] = {
    # Arms about 20 degrees away from the body, hands open and visible.
    "standing": {**_arms_down(22.0)},
    "arms_raised": {
        "upperarm01.L": rotation("y", -105.0), "upperarm01.R": rotation("y", 105.0),
        "lowerarm01.L": rotation("y", -15.0), "lowerarm01.R": rotation("y", 15.0),
    },
    "crouching": {
        "spine03": rotation("x", 25.0),
        "upperleg01.L": chain(("x", -100.0), ("y", -12.0)),
        "upperleg01.R": chain(("x", -100.0), ("y", 12.0)),
        "lowerleg01.L": rotation("x", 120.0), "lowerleg01.R": rotation("x", 120.0),
        "foot.L": rotation("x", -25.0), "foot.R": rotation("x", -25.0),
        "upperarm01.L": chain(("y", 25.0), ("x", -40.0)),
        "upperarm01.R": chain(("y", -25.0), ("x", -40.0)),
        "head": rotation("x", -20.0),
    },
    # A football kick (issue 10): the right leg stretched forward and up, the left
    # (standing) leg bent behind, arms out for balance, leaning back.
    "kick": {
        "spine03": rotation("x", -12.0),
        "upperleg01.R": rotation("x", -75.0), "lowerleg01.R": rotation("x", 8.0),
        "upperleg01.L": rotation("x", 25.0), "lowerleg01.L": rotation("x", 70.0),
        "foot.L": rotation("x", -20.0),
        "upperarm01.L": chain(("y", -30.0), ("x", 25.0)),
        "upperarm01.R": chain(("y", 30.0), ("x", -35.0)),
    },
    # A forward lunge: the front (left) thigh level, the back (right) leg stretched behind.
    "lunge": {
        "upperleg01.L": rotation("x", -80.0), "lowerleg01.L": rotation("x", 85.0),
        "upperleg01.R": rotation("x", 35.0), "lowerleg01.R": rotation("x", 15.0),
        "foot.R": rotation("x", 30.0),
        "upperarm01.L": chain(("y", 30.0), ("x", 20.0)),
        "upperarm01.R": chain(("y", -30.0), ("x", -20.0)),
    },
    # A jump with the legs tucked under (the root lifted in the scene), arms up.
    "jump_tucked": {
        "upperleg01.L": chain(("x", -70.0), ("y", -6.0)),
        "upperleg01.R": chain(("x", -70.0), ("y", 6.0)),
        "lowerleg01.L": rotation("x", 110.0), "lowerleg01.R": rotation("x", 110.0),
        "foot.L": rotation("x", 30.0), "foot.R": rotation("x", 30.0),
        "upperarm01.L": rotation("y", -80.0), "upperarm01.R": rotation("y", 80.0),
    },
    "sitting": {
        "upperleg01.L": chain(("x", -88.0), ("y", -4.0)),
        "upperleg01.R": chain(("x", -88.0), ("y", 4.0)),
        "lowerleg01.L": rotation("x", 88.0), "lowerleg01.R": rotation("x", 88.0),
        "upperarm01.L": chain(("y", 30.0), ("x", -25.0)),
        "upperarm01.R": chain(("y", -30.0), ("x", -25.0)),
        "lowerarm01.L": rotation("x", -35.0), "lowerarm01.R": rotation("x", -35.0),
    },
}


@functools.lru_cache(maxsize=1)
def _reference_heads() -> dict[str, np.ndarray]:
    """Bone heads of the identity pose (anny's reference pose), adult male, model frame."""
    import torch

    model = load_model()
    with torch.no_grad():
        out = model(pose_parameters=pose_tensor({}), phenotype_kwargs=ADULT_MALE)
    heads = out["bone_poses"][0, :, :3, 3].numpy()
    return dict(zip(model.bone_labels, heads))


def aimed_pose(aims: list[tuple[str, str, tuple[float, float, float]]], extra: Pose | None = None) -> Pose:
    """A pose that points bones along directions given in the body's frame.

    ``aims``: (bone, end_bone, direction), parents before children: after posing, the
    segment from ``bone``'s head to ``end_bone``'s head points along ``direction``
    (x: the person's left, y: backwards, z: up). ``extra``: further deltas for bones
    not aimed (applied as they are). In anny's local-ref parameterisation a bone's
    world rotation is its parent's times its own delta, so each delta is the smallest
    rotation that takes the reference direction to the parent-relative target.
    """
    model = load_model()
    heads = _reference_heads()
    labels, parents = model.bone_labels, model.bone_parents
    pose: Pose = dict(extra or {})

    def world_rotation(bone: str) -> np.ndarray:
        chain_rot = np.eye(3)
        i = labels.index(bone)
        while i > 0:
            chain_rot = pose.get(labels[i], np.eye(3)) @ chain_rot
            i = parents[i]
        return pose.get(labels[0], np.eye(3)) @ chain_rot

    for bone, end, direction in aims:
        parent = labels[parents[labels.index(bone)]]
        parent_rot = world_rotation(parent)
        ref = heads[end] - heads[bone]
        pose[bone] = rotation_between(ref, parent_rot.T @ np.asarray(direction, float))
    return pose


def _reaching() -> Pose:
    return aimed_pose([("upperarm01.R", "lowerarm01.R", (-0.15, -1.0, 0.05)),
     ("lowerarm01.R", "wrist.R", (-0.05, -1.0, 0.08)),
     ("upperarm01.L", "lowerarm01.L", (0.35, -0.05, -1.0))],
    extra={"spine03": rotation("x", 8.0)})


def _crossed_arms() -> Pose:
    return aimed_pose([("upperarm01.L", "lowerarm01.L", (0.22, -0.30, -1.0)),
     ("lowerarm01.L", "wrist.L", (-1.0, -0.28, 0.12)),
     ("upperarm01.R", "lowerarm01.R", (-0.22, -0.42, -1.0)),
     ("lowerarm01.R", "wrist.R", (1.0, -0.36, 0.22))])


def walk_pose(phase: float) -> Pose:
    """A simple procedural walk cycle; ``phase`` in cycles (0..1 one full stride pair)."""
    s = math.sin(2 * math.pi * phase)
    hip = 24.0 * s                          # left thigh forwards when s > 0
    knee_l = 8.0 + 30.0 * max(0.0, -math.sin(2 * math.pi * phase - 0.6))
    knee_r = 8.0 + 30.0 * max(0.0, math.sin(2 * math.pi * phase - 0.6))
    arm = 20.0 * s                          # arms swing against the legs
    return {
        "upperleg01.L": rotation("x", -hip), "upperleg01.R": rotation("x", hip),
        "lowerleg01.L": rotation("x", knee_l), "lowerleg01.R": rotation("x", knee_r),
        "upperarm01.L": chain(("y", 32.0), ("x", arm)),
        "upperarm01.R": chain(("y", -32.0), ("x", -arm)),
        "lowerarm01.L": rotation("x", -10.0), "lowerarm01.R": rotation("x", -10.0),
        "spine03": rotation("z", 4.0 * s),
    }


# --- Floor and upside-down poses (issue 10: extreme poses) ---------------------------
# Built with the root bone turned: the root carries every other bone rigidly, so the
# limbs are aimed in the upright body's frame first and the whole body is turned last.
def _handstand() -> Pose:
    """Upside down on straight arms, legs apart (one slightly forward), facing the camera."""
    pose = aimed_pose([("upperarm01.L", "lowerarm01.L", (0.22, -0.05, 1.0)),
                       ("lowerarm01.L", "wrist.L", (0.20, -0.10, 1.0)),
                       ("upperarm01.R", "lowerarm01.R", (-0.22, -0.05, 1.0)),
                       ("lowerarm01.R", "wrist.R", (-0.20, -0.10, 1.0)),
                       ("upperleg01.L", "lowerleg01.L", (0.25, -0.20, -1.0)),
                       ("upperleg01.R", "lowerleg01.R", (-0.20, 0.30, -1.0)),
                       ("lowerleg01.R", "foot.R", (-0.15, 0.55, -1.0))],
                      extra={"head": rotation("x", -25.0)})
    pose["root"] = rotation("y", 180.0)          # upside down, still facing -y
    return pose


def _lying() -> Pose:
    """On the back, the right knee up, the left arm along the body, the right hand by the head."""
    pose = aimed_pose([("upperleg01.R", "lowerleg01.R", (-0.05, -0.75, -0.65)),
                       ("lowerleg01.R", "foot.R", (-0.05, 0.70, -0.72)),
                       ("upperarm01.L", "lowerarm01.L", (0.30, 0.0, -1.0)),
                       ("upperarm01.R", "lowerarm01.R", (-0.45, 0.10, 1.0)),
                       ("lowerarm01.R", "wrist.R", (0.90, 0.20, 0.40))])
    pose["root"] = rotation("x", -90.0)          # head along +y, the front facing up
    return pose


def _cross_legged() -> Pose:
    """Sitting on the floor, legs crossed in front (left shin under the right), hands on the knees."""
    return aimed_pose([("upperleg01.L", "lowerleg01.L", (0.58, -0.80, -0.08)),
                       ("lowerleg01.L", "foot.L", (-0.92, -0.30, -0.14)),
                       ("upperleg01.R", "lowerleg01.R", (-0.58, -0.80, -0.02)),
                       ("lowerleg01.R", "foot.R", (0.92, -0.28, 0.04)),
                       ("upperarm01.L", "lowerarm01.L", (0.30, -0.25, -1.0)),
                       ("lowerarm01.L", "wrist.L", (0.35, -1.0, -0.35)),
                       ("upperarm01.R", "lowerarm01.R", (-0.30, -0.25, -1.0)),
                       ("lowerarm01.R", "wrist.R", (-0.35, -1.0, -0.35))],
                      extra={"spine03": rotation("x", 10.0)})


def _hug(arms_high: bool) -> Pose:
    """Arms around a partner standing face to face, pelvises about 0.30 m apart: the
    elbows beside the partner's ribs, the hands crossing behind the partner's back,
    over the shoulder blades (high) or lower down the back (low)."""
    up, down = (0.35, 0.05) if arms_high else (-0.55, -0.25)
    return aimed_pose([("upperarm01.L", "lowerarm01.L", (0.35, -0.94, up)),
                       ("lowerarm01.L", "wrist.L", (-0.92, -0.40, down)),
                       ("upperarm01.R", "lowerarm01.R", (-0.35, -0.94, up)),
                       ("lowerarm01.R", "wrist.R", (0.92, -0.40, down))],
                      extra={"head": rotation("z", 25.0 if arms_high else -25.0)})


_BUILT_POSES = {"reaching": _reaching, "crossed_arms": _crossed_arms,
                "walking": lambda: walk_pose(0.25),  # walking: mid-stride, left leg forwards
                "handstand": _handstand, "lying": _lying, "cross_legged": _cross_legged,
                "hug_low": lambda: _hug(False), "hug_high": lambda: _hug(True)}
POSE_NAMES = tuple(POSES) + tuple(_BUILT_POSES)


def named_pose(name: str) -> Pose:
    """A pose of :data:`POSE_NAMES` by name."""
    if name in POSES:
        return POSES[name]
    if name in _BUILT_POSES:
        return _BUILT_POSES[name]()
    raise KeyError(f"unknown pose {name!r}; known: {POSE_NAMES}")


@dataclasses.dataclass
class PosedBody:
    """One person in one frame, world frame (z up, metres)."""

    vertices: np.ndarray        # (V, 3)
    bone_heads: np.ndarray      # (B, 3) anny bone heads
    smplx_joints: np.ndarray    # (J, 3) in the order of joint_map.SMPLX_NAMES
    coco: np.ndarray            # (17, 3) anny's COCO keypoint regressor
    stature_m: float            # rest-pose height (top of head to sole)


def pose_tensor(pose: Pose):
    """(1, B, 4, 4) delta transforms for anny from a {bone: (3,3)} pose."""
    import torch

    model = load_model()
    deltas = torch.eye(4, dtype=torch.float64).repeat(1, model.bone_count, 1, 1)
    for bone, rot in pose.items():
        deltas[0, model.bone_labels.index(bone), :3, :3] = torch.as_tensor(rot)
    return deltas


def posed_body(
    phenotype: dict[str, float], pose: Pose, yaw_deg: float, position_xy: tuple[float, float],
    floor_z: float = 0.0, lift: float | None = None,
) -> PosedBody:
    """Poses a body and places it in the world.

    The body is turned by ``yaw_deg`` about the vertical (0: facing -y, i.e. a camera
    looking along +y sees the front), its root is put at ``position_xy`` and it is
    lowered or raised so that its lowest vertex touches ``floor_z`` (or, when ``lift``
    is given, so that the root is ``lift`` metres above the floor: used for sitting).
    """
    import torch

    from .joint_map import smplx_from_bones

    model = load_model()
    with torch.no_grad():
        out = model(pose_parameters=pose_tensor(pose), phenotype_kwargs=phenotype)
        coco = _coco_regressor()(out)[0].numpy()
    verts = out["vertices"][0].numpy()
    heads = out["bone_poses"][0, :, :3, 3].numpy()
    rest = out["rest_vertices"][0].numpy()
    stature = float(rest[:, 2].max() - rest[:, 2].min())

    rot = rotation("z", yaw_deg)
    root = heads[0]

    def place(points: np.ndarray) -> np.ndarray:
        return (points - root) @ rot.T

    verts_w, heads_w, coco_w = place(verts), place(heads), place(coco)
    dz = floor_z - verts_w[:, 2].min() if lift is None else floor_z + lift
    offset = np.array([position_xy[0], position_xy[1], dz])
    verts_w += offset
    heads_w += offset
    coco_w += offset
    return PosedBody(
        vertices=verts_w, bone_heads=heads_w,
        smplx_joints=smplx_from_bones(heads_w, model.bone_labels),
        coco=coco_w, stature_m=stature,
    )


def bone_labels() -> list[str]:
    return list(load_model().bone_labels)


def triangles() -> np.ndarray:
    """(F, 3) int64 vertex indices of anny's triangles."""
    return load_model().faces.numpy().astype(np.int64)


def face_uvs() -> np.ndarray:
    """(F, 3, 2) texture coordinates of each triangle corner."""
    model = load_model()
    return model.texture_coordinates[model.face_texture_coordinate_indices].numpy()


def dominant_bone_per_vertex() -> np.ndarray:
    """(V,) index of the bone with the largest skinning weight on each vertex."""
    model = load_model()
    weights = model.vertex_bone_weights.numpy()
    indices = model.vertex_bone_indices.numpy()
    return indices[np.arange(len(indices)), weights.argmax(axis=1)]


def is_child(phenotype: dict[str, float]) -> bool:
    return phenotype.get("age", 0.5) < CHILD_AGE_LIMIT


__all__ = [
    "ADULT_MALE", "ADULT_FEMALE", "CHILD", "POSES", "PosedBody", "posed_body", "walk_pose",
    "rotation", "chain", "bone_labels", "triangles", "face_uvs", "dominant_bone_per_vertex",
    "is_child", "ANNY_TO_SMPLX",
]
