"""Writing BVH motion (pure numpy, no bpy).

BVH joints have no rest rotation: every joint's frame is the file's axes, its
``OFFSET`` the rest offset from its parent, its rotation channels the joint's
rotation relative to its parent in those axes (``L_j = W_parent^T W_j`` with ``W``
the joints' world rotations away from the rest pose). The file is Y up (the BVH
convention, and what Blender's BVH importer assumes by default); the caller gives
Y-up data (``axis_conversion.YUP_FROM_ZUP``). Rotation channels are
``Zrotation Xrotation Yrotation`` (R = Rz Rx Ry, degrees), positions only on the root.
"""
from __future__ import annotations

import numpy as np


def rotmat_to_zxy_degrees(rotmat: np.ndarray) -> np.ndarray:
    """(..., 3, 3) -> (..., 3) angles (z, x, y) in degrees with R = Rz(z) Rx(x) Ry(y)."""
    m = np.asarray(rotmat, dtype=np.float64)
    x = np.arcsin(np.clip(m[..., 2, 1], -1.0, 1.0))
    cos_x = np.cos(x)
    regular = np.abs(cos_x) > 1e-9
    y = np.where(regular, np.arctan2(-m[..., 2, 0], m[..., 2, 2]), np.arctan2(m[..., 0, 2], m[..., 0, 0]))
    z = np.where(regular, np.arctan2(-m[..., 0, 1], m[..., 1, 1]), 0.0)
    return np.degrees(np.stack([z, x, y], axis=-1))


def zxy_degrees_to_rotmat(angles: np.ndarray) -> np.ndarray:
    """Inverse of :func:`rotmat_to_zxy_degrees`: (..., 3) (z, x, y) degrees -> (..., 3, 3)."""
    z, x, y = np.moveaxis(np.radians(np.asarray(angles, dtype=np.float64)), -1, 0)
    one, zero = np.ones_like(z), np.zeros_like(z)
    rz = np.stack([np.stack([np.cos(z), -np.sin(z), zero], -1), np.stack([np.sin(z), np.cos(z), zero], -1),
                   np.stack([zero, zero, one], -1)], -2)
    rx = np.stack([np.stack([one, zero, zero], -1), np.stack([zero, np.cos(x), -np.sin(x)], -1),
                   np.stack([zero, np.sin(x), np.cos(x)], -1)], -2)
    ry = np.stack([np.stack([np.cos(y), zero, np.sin(y)], -1), np.stack([zero, one, zero], -1),
                   np.stack([-np.sin(y), zero, np.cos(y)], -1)], -2)
    return rz @ rx @ ry


def _depth_first(parents: np.ndarray) -> list[int]:
    order, stack = [], [int(np.flatnonzero(parents < 0)[0])]
    while stack:
        j = stack.pop()
        order.append(j)
        stack.extend(reversed(np.flatnonzero(parents == j).tolist()))
    return order


def bvh_text(names, parents: np.ndarray, offsets: np.ndarray, end_offsets: np.ndarray,
             root_positions: np.ndarray, world_rotmats: np.ndarray, frame_time: float) -> str:
    """The BVH file of one skeleton.

    Args:
        names: (J,) joint names (no spaces).
        parents: (J,) parent index, -1 for the one root.
        offsets: (J, 3) rest offset of each joint from its parent (the root's: its rest position).
        end_offsets: (J, 3) the ``End Site`` offset of each leaf joint (others ignored).
        root_positions: (T, 3) the root joint's position per frame.
        world_rotmats: (T, J, 3, 3) each joint's world rotation away from the rest pose.
        frame_time: seconds per frame.
    Returns:
        The file's text (``\\n`` line ends).
    """
    parents = np.asarray(parents)
    if (parents < 0).sum() != 1:
        raise ValueError("a BVH skeleton needs exactly one root joint")
    order = _depth_first(parents)
    world = np.asarray(world_rotmats, dtype=np.float64)
    local = world.copy()
    has_parent = parents >= 0
    local[:, has_parent] = np.swapaxes(world[:, parents[has_parent]], -1, -2) @ world[:, has_parent]
    angles = rotmat_to_zxy_degrees(local)                                  # (T, J, 3)
    lines = ["HIERARCHY"]
    depth = {}
    closing = []
    for j in order:
        parent = int(parents[j])
        d = 0 if parent < 0 else depth[parent] + 1
        depth[j] = d
        while closing and closing[-1] >= d:
            lines.append("\t" * closing.pop() + "}")
        tab = "\t" * d
        lines.append(f"{tab}{'ROOT' if parent < 0 else 'JOINT'} {names[j]}")
        lines.append(tab + "{")
        lines.append(f"{tab}\tOFFSET " + " ".join(f"{v:.6f}" for v in offsets[j]))
        channels = "Xposition Yposition Zposition " if parent < 0 else ""
        lines.append(f"{tab}\tCHANNELS {6 if parent < 0 else 3} {channels}Zrotation Xrotation Yrotation")
        if not (parents == j).any():
            lines += [f"{tab}\tEnd Site", f"{tab}\t{{",
                      f"{tab}\t\tOFFSET " + " ".join(f"{v:.6f}" for v in end_offsets[j]), f"{tab}\t}}"]
        closing.append(d)
    while closing:
        lines.append("\t" * closing.pop() + "}")
    lines += ["MOTION", f"Frames: {len(world)}", f"Frame Time: {frame_time:.8f}"]
    for t in range(len(world)):
        values = list(root_positions[t]) + [a for j in order for a in angles[t, j]]
        lines.append(" ".join(f"{v:.6f}" for v in values))
    return "\n".join(lines) + "\n"
