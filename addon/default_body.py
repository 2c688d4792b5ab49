"""The default body (no SMPL-X model given): tapered capsules per bone, skinned rigidly.

Enough volume to judge a pose (limb thickness, which way the head and feet face,
hands with fingers), built from the person's rest skeleton in the SMPL-X model
frame and moved to armature space by ``axis_conversion``.
"""
from __future__ import annotations

import bpy
import numpy as np

from ..wholebody_core.skeleton import JOINT_INDEX, JOINT_NAMES, NUM_JOINTS, PARENTS
from . import axis_conversion

_AROUND = 12     # vertices around a capsule
_CAP_RINGS = 3   # rings per hemispherical end

# Radius (metres) of the body at each joint; fingers by segment number.
_BODY_RADIUS = {
    "pelvis": 0.105, "spine1": 0.10, "spine2": 0.11, "spine3": 0.11, "neck": 0.055,
    "head": 0.06, "hip": 0.085, "knee": 0.055, "ankle": 0.04, "foot": 0.035,
    "collar": 0.055, "shoulder": 0.05, "elbow": 0.04, "wrist": 0.03,
}
_FINGER_RADIUS = {1: 0.0095, 2: 0.0085, 3: 0.0075}
# Children that get no capsule from their parent (covered by the head shape).
_NO_SEGMENT = {"jaw", "left_eye_smplhf", "right_eye_smplhf"}


def joint_radius(joint_name: str) -> float:
    """The body's radius at a joint, metres."""
    if joint_name in _BODY_RADIUS:
        return _BODY_RADIUS[joint_name]
    base = joint_name.split("_", 1)[-1]
    if base in _BODY_RADIUS:
        return _BODY_RADIUS[base]
    if base[-1].isdigit():
        return _FINGER_RADIUS[int(base[-1])] * (1.3 if base.startswith("thumb") else 1.0)
    return 0.02


def _lathe(profile: np.ndarray) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    """A closed surface of revolution about local +z.

    Args:
        profile: (R, 2) (z, radius) from pole to pole; the first and last radius are 0.
    Returns:
        vertices (V, 3) and faces (quads and pole triangles, local indices).
    """
    rings = profile[1:-1]
    angles = np.linspace(0.0, 2.0 * np.pi, _AROUND, endpoint=False)
    ring_verts = np.stack([
        rings[:, 1:2] * np.cos(angles)[None],
        rings[:, 1:2] * np.sin(angles)[None],
        np.repeat(rings[:, 0:1], _AROUND, axis=1),
    ], axis=-1).reshape(-1, 3)
    verts = np.concatenate([[[0.0, 0.0, profile[0, 0]]], ring_verts, [[0.0, 0.0, profile[-1, 0]]]])
    faces: list[tuple[int, ...]] = []
    last = len(verts) - 1
    for k in range(_AROUND):
        k1 = (k + 1) % _AROUND
        faces.append((0, 1 + k1, 1 + k))
        for r in range(len(rings) - 1):
            a, b = 1 + r * _AROUND, 1 + (r + 1) * _AROUND
            faces.append((a + k, a + k1, b + k1, b + k))
        base = 1 + (len(rings) - 1) * _AROUND
        faces.append((base + k, base + k1, last))
    return verts, faces


def _capsule_profile(length: float, r0: float, r1: float) -> np.ndarray:
    alphas = np.linspace(0.0, 0.5 * np.pi, _CAP_RINGS + 1)
    start = np.stack([-r0 * np.cos(alphas), r0 * np.sin(alphas)], axis=-1)
    end = np.stack([length + r1 * np.cos(alphas[::-1]), r1 * np.sin(alphas[::-1])], axis=-1)
    return np.concatenate([start, end])


def _frame_along(direction: np.ndarray) -> np.ndarray:
    """(3, 3) rotation whose third column is ``direction`` (normalised)."""
    z = direction / np.linalg.norm(direction)
    helper = np.array([1.0, 0.0, 0.0]) if abs(z[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    x = np.cross(helper, z)
    x /= np.linalg.norm(x)
    return np.stack([x, np.cross(z, x), z], axis=-1)


def _parts(rest: np.ndarray):
    """Yields (joint index, vertices (V, 3) model frame, faces) for every body part."""
    names = JOINT_NAMES
    for child in range(1, NUM_JOINTS):
        parent = int(PARENTS[child])
        if names[child] in _NO_SEGMENT:
            continue
        p0, p1 = rest[parent], rest[child]
        r0 = joint_radius(names[parent])
        if names[parent].endswith("wrist"):
            r0 = 0.02   # the palm fans out from the wrist
        yield parent, p0, p1, r0, joint_radius(names[child])
    up, front = np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0])
    for side in ("left", "right"):
        foot = rest[JOINT_INDEX[f"{side}_foot"]]
        yield JOINT_INDEX[f"{side}_foot"], foot, foot + 0.09 * front - 0.02 * up, 0.035, 0.028
        for finger in ("index", "middle", "pinky", "ring", "thumb"):
            tip, before = rest[JOINT_INDEX[f"{side}_{finger}3"]], rest[JOINT_INDEX[f"{side}_{finger}2"]]
            direction = (tip - before) / max(np.linalg.norm(tip - before), 1e-6)
            yield JOINT_INDEX[f"{side}_{finger}3"], tip, tip + 0.02 * direction, 0.0075, 0.0065
    jaw = rest[JOINT_INDEX["jaw"]]
    yield JOINT_INDEX["jaw"], jaw, jaw + 0.045 * front - 0.035 * up, 0.032, 0.022


def _head(rest: np.ndarray) -> tuple[np.ndarray, list]:
    """An ellipsoid head (model frame), centred above the head joint."""
    alphas = np.linspace(0.0, np.pi, 2 * _CAP_RINGS + 3)
    verts, faces = _lathe(np.stack([-np.cos(alphas), np.sin(alphas)], axis=-1))
    # lathe axis (local z) -> model y (up); semi-axes x 0.078, y 0.11, z 0.095
    to_model = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])
    scaled = verts * np.array([0.078, 0.095, 0.11])
    centre = rest[JOINT_INDEX["head"]] + np.array([0.0, 0.075, 0.015])
    return scaled @ to_model.T + centre, faces


def body_geometry(rest_joints_model: np.ndarray) -> tuple[np.ndarray, list, np.ndarray]:
    """The default body in the model frame.

    Args:
        rest_joints_model: (55, 3) metres.
    Returns:
        vertices (V, 3), faces (list of index tuples), joint index of each vertex (V,).
    """
    all_verts, all_faces, owners = [], [], []
    offset = 0

    def add(verts, faces, joint):
        nonlocal offset
        all_verts.append(verts)
        all_faces.extend(tuple(i + offset for i in f) for f in faces)
        owners.append(np.full(len(verts), joint))
        offset += len(verts)

    for joint, p0, p1, r0, r1 in _parts(np.asarray(rest_joints_model, dtype=np.float64)):
        length = float(np.linalg.norm(p1 - p0))
        if length < 1e-6:
            continue
        verts, faces = _lathe(_capsule_profile(length, r0, r1))
        add(verts @ _frame_along(p1 - p0).T + p0, faces, joint)
    verts, faces = _head(rest_joints_model)
    add(verts, faces, JOINT_INDEX["head"])
    for eye in ("left_eye_smplhf", "right_eye_smplhf"):
        centre = rest_joints_model[JOINT_INDEX[eye]]
        verts, faces = _lathe(_capsule_profile(0.0, 0.013, 0.013))
        add(verts + centre, faces, JOINT_INDEX[eye])
    return np.concatenate(all_verts), all_faces, np.concatenate(owners)


def build_default_body(name: str, armature_obj: bpy.types.Object, rest_joints_model: np.ndarray,
                       collection: bpy.types.Collection,
                       color: tuple[float, float, float, float]) -> bpy.types.Object:
    """A mesh object parented to ``armature_obj`` with one vertex group per bone."""
    verts_model, faces, owners = body_geometry(rest_joints_model)
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata(axis_conversion.model_to_arm(verts_model).tolist(), [], faces)
    mesh.polygons.foreach_set("use_smooth", np.ones(len(mesh.polygons), dtype=bool))
    mesh.update()
    material = bpy.data.materials.new(name)
    material.diffuse_color = color
    mesh.materials.append(material)
    obj = bpy.data.objects.new(name, mesh)
    collection.objects.link(obj)
    obj.parent = armature_obj
    for joint in np.unique(owners):
        group = obj.vertex_groups.new(name=JOINT_NAMES[joint])
        group.add(np.flatnonzero(owners == joint).tolist(), 1.0, "REPLACE")
    modifier = obj.modifiers.new("Armature", "ARMATURE")
    modifier.object = armature_obj
    return obj
