"""The person's SMPL-X body shape (betas) from the skeleton seen in the landmarks.

SMPL-X joints are linear in the shape coefficients: J(b) = J_regressor (T + S b)
for the template T and shape directions S. :func:`.rest_fit.fit_rest_joints`
scales the model's own mean skeleton per segment to the limb lengths the
landmarks show; the betas are the maximum a posteriori fit of J(b) to that
skeleton on the body joints, with the model's prior b ~ N(0, I) (SMPL-X's shape
space is whitened) and an observation noise of :data:`JOINT_NOISE_M` per
coordinate. The capture then writes J(b) itself as the rest skeleton, so the
skeleton and the mesh the add-on builds from the same betas are one body.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..skeleton import NUM_BODY_JOINTS

NUM_BETAS = 10
JOINT_NOISE_M = 0.02
"""How far (metres, per coordinate) a rest joint from landmark limb lengths may be from the truth."""
_BODY = 1 + NUM_BODY_JOINTS   # the pelvis and the 21 body joints (not hands, jaw, eyes)
MAX_ABS_BETA = 3.0
"""Three standard deviations of the population: beyond this the mesh stops looking human."""


@dataclasses.dataclass(frozen=True)
class ShapeBasis:
    """The body joints' dependence on the betas, pelvis-relative, flattened."""

    mean_joints: np.ndarray    # (J * 3,) zero-beta body joints minus the pelvis, metres
    joints_per_beta: np.ndarray  # (J * 3, B)


def shape_basis(model, num_betas: int = NUM_BETAS) -> ShapeBasis:
    """From a :class:`wholebody_core.body_model.SmplxModelData`: the pelvis and the 21 body joints."""
    regressor = model.J_regressor[:_BODY]                          # (J, V)
    mean = regressor @ model.v_template                                        # (J, 3)
    per_beta = np.einsum("jv,vcb->jcb", regressor, model.shape_dirs(num_betas))  # (J, 3, B)
    mean, per_beta = mean - mean[:1], per_beta - per_beta[:1]
    return ShapeBasis(mean.reshape(-1), per_beta.reshape(-1, per_beta.shape[-1]))


def fit_betas(target_rest_joints: np.ndarray, basis: ShapeBasis) -> np.ndarray:
    """(B,) betas whose body joints best match ``target_rest_joints`` ((55, 3), pelvis at the origin)."""
    target = np.asarray(target_rest_joints, dtype=np.float64)[:_BODY]
    residual = (target - target[:1]).reshape(-1) - basis.mean_joints
    a = basis.joints_per_beta
    normal = a.T @ a + JOINT_NOISE_M ** 2 * np.eye(a.shape[1])
    betas = np.linalg.solve(normal, a.T @ residual)
    return np.clip(betas, -MAX_ABS_BETA, MAX_ABS_BETA)
