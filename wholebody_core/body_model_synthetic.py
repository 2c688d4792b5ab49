"""A small synthetic SMPL-X model file for tests: the real file's keys, dtypes and
shapes (except the vertex, face and texture-coordinate counts), and a plausible
tiny body built around the built-in skeleton (:func:`skeleton.default_rest_joints`).

It is not the SMPL-X body and carries none of its data. The body:

* every bone (joint -> child) is a tube of rings of 8 vertices, with triangle faces
  between the rings; a tube is skinned to the bone's joint (blending into the joint's
  parent near its start);
* each joint has 6 marker vertices at +-1 cm along x, y, z, and ``J_regressor``
  averages them, so the regressed joints are exactly the built-in skeleton (shifted so
  the pelvis sits where SMPL-X puts it, about 0.35 m below the model origin);
* shape directions are affine maps about the pelvis (beta 0: overall size, 1: height,
  2: girth, then small random affine maps), so betas change the joints; expression
  directions move only head vertices that are not joint markers; no pose correctives
  (``posedirs`` is zero).

``smplx``'s forward pass picks extra keypoints at fixed SMPL-X vertex ids (up to
9929), so a file that goes through ``SMPLX.forward`` needs ``num_vertices=10475``;
the numpy reader and the ``smplx`` constructor work with any count.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .skeleton import JOINT_INDEX, JOINT_NAMES, NUM_JOINTS, PARENTS, default_rest_joints

SMPLX_NUM_VERTICES = 10475
_AROUND = 8
_MARKER_OFFSET = 0.01
_PELVIS_IN_MODEL = np.array([0.003, -0.351, 0.012])


def _bone_radius(child: int) -> float:
    name = JOINT_NAMES[child]
    if child >= 25:
        return 0.008                                   # fingers
    if "eye" in name or name == "jaw":
        return 0.02
    if name in ("spine1", "spine2", "spine3", "neck", "left_hip", "right_hip"):
        return 0.07 if name != "neck" else 0.05
    if name in ("head",):
        return 0.09
    if "knee" in name or "ankle" in name or "foot" in name:
        return 0.05
    return 0.04                                        # collar, arms, wrists


def _ring_frame(direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors perpendicular to ``direction`` (3,) and to each other."""
    direction = direction / np.linalg.norm(direction)
    helper = np.array([0.0, 0.0, 1.0]) if abs(direction[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    u = np.cross(direction, helper)
    u /= np.linalg.norm(u)
    return u, np.cross(direction, u)


def _build_body(num_vertices: int, rng: np.random.Generator):
    joints = default_rest_joints() + _PELVIS_IN_MODEL
    num_markers = 6 * NUM_JOINTS
    bones = [(int(PARENTS[j]), j) for j in range(1, NUM_JOINTS)]
    lengths = np.array([np.linalg.norm(joints[c] - joints[p]) for p, c in bones])
    budget = num_vertices - num_markers
    if budget < 2 * _AROUND * len(bones):
        raise ValueError(f"num_vertices must be at least {num_markers + 2 * _AROUND * len(bones)}")
    rings = np.maximum(2, np.floor(budget / _AROUND * lengths / lengths.sum())).astype(int)
    while rings.sum() * _AROUND > budget:
        rings[np.argmax(rings)] -= 1

    verts, weights, faces, head_vertices = [], [], [], []
    angles = 2 * np.pi * np.arange(_AROUND) / _AROUND
    for (parent, child), num_rings in zip(bones, rings):
        start, end = joints[parent], joints[child]
        u, w = _ring_frame(end - start)
        radius = _bone_radius(child)
        first = len(verts)
        for r, frac in enumerate(np.linspace(0.1, 0.9, num_rings)):
            centre = start + frac * (end - start)
            blend = np.clip(frac / 0.3, 0.0, 1.0)   # near the start, blend into the parent's parent
            for a in angles:
                verts.append(centre + radius * (np.cos(a) * u + np.sin(a) * w))
                row = np.zeros(NUM_JOINTS)
                grand = PARENTS[parent] if PARENTS[parent] >= 0 else parent
                row[parent] += 0.5 + 0.5 * blend
                row[grand] += 0.5 - 0.5 * blend
                weights.append(row)
                if parent in (JOINT_INDEX["head"], JOINT_INDEX["jaw"]) or child == JOINT_INDEX["head"]:
                    head_vertices.append(len(verts) - 1)
            if r:
                a0, a1 = first + (r - 1) * _AROUND, first + r * _AROUND
                for k in range(_AROUND):
                    k1 = (k + 1) % _AROUND
                    faces.append((a0 + k, a0 + k1, a1 + k))
                    faces.append((a0 + k1, a1 + k1, a1 + k))
    # Leftover vertices (fewer than a ring per bone): scattered on the head, no faces.
    while len(verts) < budget:
        verts.append(joints[JOINT_INDEX["head"]] + rng.normal(0.0, 0.04, 3))
        row = np.zeros(NUM_JOINTS)
        row[JOINT_INDEX["head"]] = 1.0
        weights.append(row)
        head_vertices.append(len(verts) - 1)
    # Joint markers, regressed by J_regressor.
    regressor = np.zeros((NUM_JOINTS, num_vertices))
    for j in range(NUM_JOINTS):
        for axis in range(3):
            for sign in (-1.0, 1.0):
                offset = np.zeros(3)
                offset[axis] = sign * _MARKER_OFFSET
                regressor[j, len(verts)] = 1.0 / 6.0
                verts.append(joints[j] + offset)
                row = np.zeros(NUM_JOINTS)
                row[j] = 1.0
                weights.append(row)
    return np.array(verts), np.array(faces, dtype=np.int64), np.array(weights), regressor, np.array(head_vertices)


def synthetic_smplx_arrays(num_vertices: int = 2000, seed: int = 0, num_shape_dirs: int = 400) -> dict[str, np.ndarray]:
    """The arrays of a synthetic SMPL-X model file (see the module docstring).

    Args:
        num_vertices: vertex count (at least 1194; 10475 to run ``SMPLX.forward``).
        seed: random seed of the small random shape and expression directions.
        num_shape_dirs: 400 (300 shape + 100 expression, as SMPL-X 2020) or 20
            (10 + 10, as older SMPL-X files).
    """
    rng = np.random.default_rng(seed)
    v_template, faces, weights, regressor, head = _build_body(num_vertices, rng)
    pelvis = _PELVIS_IN_MODEL
    rel = v_template - pelvis
    shape_space = 300 if num_shape_dirs >= 400 else 10
    shapedirs = np.zeros((num_vertices, 3, num_shape_dirs))
    shapedirs[:, :, 0] = 0.06 * rel                         # overall size
    shapedirs[:, 1, 1] = 0.05 * rel[:, 1]                   # height
    shapedirs[:, 0, 2] = 0.08 * rel[:, 0]                   # girth
    shapedirs[:, 2, 2] = 0.08 * rel[:, 2]
    for k in range(3, 10):
        shapedirs[:, :, k] = rel @ rng.normal(0.0, 0.01, (3, 3)).T
    is_marker = np.zeros(num_vertices, bool)
    is_marker[np.flatnonzero(regressor.sum(axis=0))] = True
    face_verts = head[~is_marker[head]]
    for k in range(shape_space, shape_space + 10):
        shapedirs[face_verts, :, k] = rng.normal(0.0, 0.003, (face_verts.size, 3))

    kintree = np.stack([PARENTS.astype(np.int64), np.arange(NUM_JOINTS, dtype=np.int64)])
    kintree[0, 0] = 2**32 - 1    # how the SMPL family files store the root's parent
    head_faces = np.flatnonzero(np.isin(faces, face_verts).all(axis=1))
    if head_faces.size == 0:
        head_faces = np.arange(faces.shape[0])
    hands_components = np.linalg.qr(rng.normal(size=(45, 45)))[0]
    bary = rng.dirichlet(np.ones(3), size=51)
    num_uv = num_vertices + num_vertices // 10
    return {
        "v_template": v_template,
        "f": faces.astype(np.uint32),
        "shapedirs": shapedirs,
        "posedirs": np.zeros((num_vertices, 3, 9 * (NUM_JOINTS - 1))),
        "J_regressor": regressor,
        "weights": weights,
        "kintree_table": kintree,
        "hands_componentsl": hands_components,
        "hands_componentsr": hands_components * np.array([1.0, -1.0, -1.0] * 15),
        "hands_meanl": rng.normal(0.0, 0.2, 45),
        "hands_meanr": rng.normal(0.0, 0.2, 45),
        "hands_coeffsl": np.zeros((1554, 45)),
        "hands_coeffsr": np.zeros((1554, 45)),
        "lmk_faces_idx": rng.choice(head_faces, 51).astype(np.uint32),
        "lmk_bary_coords": bary,
        "dynamic_lmk_faces_idx": rng.choice(head_faces, (79, 17)).astype(np.uint32),
        "dynamic_lmk_bary_coords": rng.dirichlet(np.ones(3), size=(79, 17)),
        "vt": rng.uniform(0.0, 1.0, (num_uv, 2)),
        "ft": rng.integers(0, num_uv, faces.shape).astype(np.uint32),
        # object arrays, as in the real file (pickled dicts); the numpy reader never reads them
        "joint2num": np.array({name: i for i, name in enumerate(JOINT_NAMES)}, dtype=object),
        "part2num": np.array({name: i for i, name in enumerate(JOINT_NAMES)}, dtype=object),
    }


def write_synthetic_smplx_model(
    path: str | os.PathLike, num_vertices: int = 2000, seed: int = 0, num_shape_dirs: int = 400
) -> Path:
    """Writes a synthetic SMPL-X ``.npz`` (see :func:`synthetic_smplx_arrays`).

    Args:
        path: the file to write, or a folder (``SMPLX_NEUTRAL.npz`` is written in it).
    Returns:
        The file written.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "SMPLX_NEUTRAL.npz"
    arrays = synthetic_smplx_arrays(num_vertices, seed, num_shape_dirs)
    with open(path, "wb") as handle:   # a file handle: savez would otherwise append .npz
        np.savez_compressed(handle, **arrays)
    return path
