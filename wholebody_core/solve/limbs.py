"""Closed-form solve of a three-joint chain A -> B (a hinge) -> C: arms, legs, fingers.

Positions alone fix A's swing (the bone A->B), B's bend angle and, when B is
bent, A's twist (the plane of the bend, with B bending one way about its hinge
axis). When the chain is nearly straight, A's twist comes from a fallback: the
end segment's observed orientation (the hand or the foot) or, for fingers, zero
twist. B's roll about its own bone and C's rotation then follow from the end's
orientation (:func:`distal_from_end`), or C is a swing only.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..maths.rotations import axis_angle_rotmat, cross, normalize, rotation_between
from .geometry import swing_twist, twist_angle_fit
from .limits import LOWER_RAD, TWIST_AXIS, UPPER_RAD, clamp_to_limits

_STRAIGHT_SIN = np.sin(np.radians(20.0))  # below this bend the fallback takes over the twist
_AGREE_WEIGHT = 0.1  # radians of limit violation worth one radian of twist disagreement


@dataclasses.dataclass
class ChainPose:
    """A solved chain."""

    local_a: np.ndarray        # (N, 3, 3) A's local rotation
    world_a: np.ndarray        # (N, 3, 3) A's world rotation
    local_b_swing: np.ndarray  # (N, 3, 3) B's swing only (no roll about its bone)
    bend_rad: np.ndarray       # (N,) B's bend angle, positive = the way it bends


def _hinge_roots(u: np.ndarray, v: np.ndarray, k: np.ndarray, cos_alpha: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The two angles phi with u . R(k, phi) v = cos_alpha (all (..., 3) unit, (...))."""
    uk = np.sum(u * k, -1)
    kv = np.sum(k * v, -1)
    a = np.sum(u * v, -1) - uk * kv
    b = np.sum(u * cross(k, v), -1)
    c = uk * kv
    r = np.maximum(np.hypot(a, b), 1e-12)
    base = np.arctan2(b, a)
    d = np.arccos(np.clip((cos_alpha - c) / r, -1.0, 1.0))
    return base + d, base - d


def _outside(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.maximum(lo - x, 0.0) + np.maximum(x - hi, 0.0)


def solve_chain(parent_world: np.ndarray, off_b: np.ndarray, off_c: np.ndarray, hinge_axis: np.ndarray,
                joint_a: int, d_ab: np.ndarray, d_bc: np.ndarray, end_world: np.ndarray | None,
                twist_from_bend: bool = True, enforce_limits: bool = True) -> ChainPose:
    """A's rotation and B's swing from the observed bone directions.

    Args:
        parent_world: (N, 3, 3) world rotation of A's parent.
        off_b: (N, 3) rest offset of B from A (A's frame); off_c: (N, 3) of C from B.
        hinge_axis: (3,) B's bend axis in B's frame, positive angle = the way B bends.
        joint_a: A's joint index (for its twist limit).
        d_ab, d_bc: (N, 3) observed bone vectors A->B and B->C, camera axes.
        end_world: (N, 3, 3) observed world rotation of the chain's end (hand,
            foot): when the chain is straight, A takes all of the end's twist about
            A's bone. None: A's twist is zero when straight.
        twist_from_bend: False for chains whose bend plane is not trusted (thumb):
            A's twist then comes from the fallback alone.
    Returns:
        :class:`ChainPose`.
    """
    n = off_b.shape[0]
    u = normalize(off_b)
    v = normalize(off_c)
    k = np.broadcast_to(hinge_axis, u.shape)
    cos_alpha = np.sum(normalize(d_ab) * normalize(d_bc), -1)
    par_t = np.swapaxes(parent_world, -1, -2)
    swing = rotation_between(u, np.einsum("nij,nj->ni", par_t, d_ab))
    frame0 = parent_world @ swing
    q_bc = np.einsum("nji,nj->ni", frame0, normalize(d_bc))
    if end_world is None:
        theta_end = np.zeros(n)
    else:
        _, theta_end = swing_twist(np.swapaxes(frame0, -1, -2) @ end_world, u)
    phi1, phi2 = _hinge_roots(u, v, k, cos_alpha)
    twist_lo, twist_hi = LOWER_RAD[joint_a, TWIST_AXIS[joint_a]], UPPER_RAD[joint_a, TWIST_AXIS[joint_a]]
    thetas, scores = [], []
    for phi in (phi1, phi2):
        # The bend plane decides the twist when bent, the end when straight.
        sin_bend = np.abs(np.sin(phi))
        w_end = np.clip(1.0 - sin_bend / _STRAIGHT_SIN, 0.0, 1.0) if twist_from_bend else np.ones(n)
        w_bend = sin_bend if twist_from_bend else np.zeros(n)
        s_rest = np.einsum("nij,nj->ni", axis_angle_rotmat(k, phi), v)
        theta_bend = twist_angle_fit(u, s_rest[:, None], q_bc[:, None], np.ones((n, 1)))
        theta = np.arctan2(w_bend * np.sin(theta_bend) + w_end * np.sin(theta_end),
                           w_bend * np.cos(theta_bend) + w_end * np.cos(theta_end))
        thetas.append(theta)
        # Prefer the root that bends the right way with A's twist in range, then
        # the one that agrees with the end's twist.
        disagree = np.abs((theta - theta_end + np.pi) % (2 * np.pi) - np.pi)
        scores.append(_outside(theta, twist_lo, twist_hi) + np.maximum(-phi, 0.0) + _AGREE_WEIGHT * disagree)
    use2 = scores[1] < scores[0] - 1e-6
    theta = np.where(use2, thetas[1], thetas[0])
    bend = np.where(use2, phi2, phi1)
    w_end = np.clip(1.0 - np.abs(np.sin(bend)) / _STRAIGHT_SIN, 0.0, 1.0) if twist_from_bend else np.ones(n)
    for step in range(3 if end_world is not None else 1):
        if step:
            # Straight chains: move the roll left over at B (the end's twist about
            # B's bone that A did not take) into A, as the straight model says.
            _, roll = swing_twist(np.swapaxes(world_a @ local_b_swing, -1, -2) @ end_world, v)
            theta = theta + w_end * roll
        local_a = swing @ axis_angle_rotmat(u, theta)
        if enforce_limits:
            local_a = clamp_to_limits(local_a, joint_a)
        world_a = parent_world @ local_a
        local_b_swing = rotation_between(v, np.einsum("nji,nj->ni", world_a, d_bc))
    return ChainPose(local_a, world_a, local_b_swing, bend)


def distal_from_end(world_a: np.ndarray, local_b_swing: np.ndarray, off_c: np.ndarray,
                    end_world: np.ndarray, joint_b: int, joint_c: int, enforce_limits: bool
                    ) -> tuple[np.ndarray, np.ndarray]:
    """B's roll about its bone and C's rotation from C's observed world rotation.

    The twist of the end's orientation about B's bone goes into B (forearm or
    shin roll); C keeps the rest (the wrist's or ankle's swing).

    Args:
        world_a: (N, 3, 3); local_b_swing (N, 3, 3); off_c (N, 3) rest offset of C
        from B; end_world (N, 3, 3) observed world rotation of C.
    Returns:
        local_b, local_c (N, 3, 3), each clamped in turn if ``enforce_limits``.
    """
    v = normalize(off_c)
    world_b0 = world_a @ local_b_swing
    rel = np.swapaxes(world_b0, -1, -2) @ end_world
    _, roll = swing_twist(rel, v)
    local_b = local_b_swing @ axis_angle_rotmat(v, roll)
    if enforce_limits:
        local_b = clamp_to_limits(local_b, joint_b)
    local_c = np.swapaxes(world_a @ local_b, -1, -2) @ end_world
    if enforce_limits:
        local_c = clamp_to_limits(local_c, joint_c)
    return local_b, local_c


def end_swing(world_b: np.ndarray, off_d: np.ndarray, d_cd: np.ndarray, joint_c: int,
              enforce_limits: bool) -> np.ndarray:
    """C's local rotation as a pure swing turning its rest bone onto the observed one.

    Args:
        world_b: (N, 3, 3) world rotation of C's parent; off_d (N, 3) rest offset
        of C's child (or tip); d_cd (N, 3) observed bone.
    Returns:
        (N, 3, 3).
    """
    local_c = rotation_between(off_d, np.einsum("nji,nj->ni", world_b, d_cd))
    return clamp_to_limits(local_c, joint_c) if enforce_limits else local_c
