"""SMPL-X expression coefficients from the face mesh (needs the user's SMPL-X model).

Method, per face (vectorised over N faces):

1. The model side: the 51 SMPL-X facial landmarks (iBUG-68 points 17..67) are
   barycentric points on the mesh faces ``lmk_faces_idx`` / ``lmk_bary_coords`` of
   the file. On the shaped template (betas, zero pose) they are linear in the
   expression coefficients e: ``L(e) = L0 + A e``. The solved jaw rotation R is
   applied by linear blend skinning with the jaw joint only (the jaw has no child
   joints, and the head's own rotation is removed by step 2):
   ``v' = v + w_jaw(v) (R - I)(v - j_jaw)``, still linear in e.
   Not modelled: pose correctives (posedirs), the small shift of the jaw joint with
   expression, face vertices skinned to the neck.
2. The observed side: the 468 mesh points (camera axes, arbitrary isotropic scale)
   give the 51 iBUG points (:mod:`.mediapipe_to_ibug`); a similarity (Umeyama) on
   the rigid ones (eye corners, nose) brings them into the model frame, metres.
3. The coefficients: ridge-regularised least squares of the aligned observed points
   against ``L0 + A e`` (L0: the neutral face with the jaw pose, i.e. what the
   neutral template and the jaw already explain), jointly with a small correction of
   the similarity (Gauss-Newton, 6 steps, on all fitted points), then clamped to
   ``|e| <= max_abs``. The ridge weight is relative to the mean diagonal of AᵀA.
   Without a jaw rotation the lower lip is left out (its opening would read as
   expression); brows, eyes, nose, upper lip and mouth corners are used.

Known bias: MediaPipe's mesh and the SMPL-X template disagree somewhat on where a
neutral face's landmarks lie, and a person's face differs from the template, so a
neutral face does not give exactly zero. ``neutral_face_points_3d`` (an observation
of the same person's neutral face) removes that offset when given.
Without an SMPL-X model there is no expression basis: the capture keeps zeros.
"""
from __future__ import annotations

import dataclasses
import logging
import zipfile

import numpy as np

from ..body_model import SmplxModelData
from ..errors import ModelFileError
from ..landmarks.types import NUM_FACE_LANDMARKS
from ..skeleton import JOINT_INDEX
from ..maths.rotations import rotvec_to_rotmat
from .geometry import umeyama
from .mediapipe_to_ibug import LOWER_LIP_51, NUM_IBUG51, RIGID_51, ibug51_from_mediapipe

logger = logging.getLogger(__name__)

JAW = JOINT_INDEX["jaw"]
_ROUNDS = 6
_EPS = 1e-12


@dataclasses.dataclass
class ExpressionBasis:
    """The 51 model landmarks as an affine function of the expression (model frame, metres)."""

    neutral: np.ndarray        # (51, 3) landmarks of the shaped template, zero pose and expression
    dirs: np.ndarray           # (51, 3, K) landmark displacement per expression coefficient
    jaw_weight_offset: np.ndarray  # (51, 3): sum_c b_c w_c (v_c - j_jaw), neutral
    jaw_weight_dirs: np.ndarray    # (51, 3, K): sum_c b_c w_c E_c


def load_landmark_embedding(model: SmplxModelData) -> tuple[np.ndarray, np.ndarray]:
    """The SMPL-X facial landmark embedding, read from the model's own file.

    Returns:
        faces_idx (51,) int64 mesh face per landmark; bary (51, 3) float64 weights.
    Raises:
        ModelFileError: the file lacks them or they are malformed.
    """
    try:
        with np.load(model.path, allow_pickle=False) as npz:
            if "lmk_faces_idx" not in npz.files or "lmk_bary_coords" not in npz.files:
                raise ModelFileError(
                    f"{model.path} has no facial landmark embedding (lmk_faces_idx, lmk_bary_coords); "
                    "use the SMPL-X .npz of the official download.")
            faces_idx = np.asarray(npz["lmk_faces_idx"]).astype(np.int64).reshape(-1)
            bary = np.asarray(npz["lmk_bary_coords"], dtype=np.float64)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise ModelFileError(f"{model.path}: the facial landmark embedding could not be read ({error}).") from error
    if faces_idx.shape != (NUM_IBUG51,) or bary.shape != (NUM_IBUG51, 3):
        raise ModelFileError(f"{model.path}: lmk_faces_idx {faces_idx.shape} / lmk_bary_coords {bary.shape}, "
                             "expected (51,) and (51, 3).")
    if faces_idx.min() < 0 or faces_idx.max() >= model.faces.shape[0] or not np.all(np.isfinite(bary)):
        raise ModelFileError(f"{model.path}: lmk_faces_idx does not index its {model.faces.shape[0]} faces.")
    return faces_idx, bary


def expression_basis(model: SmplxModelData, betas: np.ndarray | None = None, num_coeffs: int = 10
                     ) -> ExpressionBasis:
    """The landmark basis of :func:`fit_expression` for one body shape.

    Args:
        betas: (B,) shape coefficients, or None for the template.
        num_coeffs: K expression coefficients; directions the file lacks are zero.
    """
    faces_idx, bary = load_landmark_embedding(model)
    verts = model.v_template
    if betas is not None:
        betas = np.asarray(betas, dtype=np.float64)
        verts = verts + np.einsum("vcb,b->vc", model.shape_dirs(betas.shape[-1]), betas)
    tri = model.faces[faces_idx]                                   # (51, 3 corners)
    exp_dirs = model.expression_dirs(num_coeffs)                   # (V, 3, k)
    dirs_corner = np.zeros(tri.shape + (3, num_coeffs))
    dirs_corner[..., : exp_dirs.shape[-1]] = exp_dirs[tri]         # (51, 3c, 3, K)
    jaw_centre = model.J_regressor[JAW] @ verts                    # (3,)
    w = model.weights[tri, JAW]                                    # (51, 3c)
    return ExpressionBasis(
        neutral=np.einsum("lc,lci->li", bary, verts[tri]),
        dirs=np.einsum("lc,lcik->lik", bary, dirs_corner),
        jaw_weight_offset=np.einsum("lc,lci->li", bary * w, verts[tri] - jaw_centre),
        jaw_weight_dirs=np.einsum("lc,lcik->lik", bary * w, dirs_corner),
    )


def _posed_basis(basis: ExpressionBasis, jaw_rotmat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, 51, 3) neutral landmarks and (N, 51, 3, K) directions with the jaw rotated."""
    delta = jaw_rotmat - np.eye(3)                                 # (N, 3, 3)
    neutral = basis.neutral + np.einsum("nij,lj->nli", delta, basis.jaw_weight_offset)
    dirs = basis.dirs + np.einsum("nij,ljk->nlik", delta, basis.jaw_weight_dirs)
    return neutral, dirs


def _fit(obs51: np.ndarray, neutral: np.ndarray, dirs: np.ndarray, fit_mask: np.ndarray,
         regularisation: float) -> np.ndarray:
    """Similarity and expression jointly by Gauss-Newton; (N, K) unclamped.

    Starts from a similarity (Umeyama) on the rigid points, then minimises
    ``|e^sigma exp(omega) x + dt - L0 - A e|^2 + lam |e|^2`` over the fitted points
    (x: the observed points as aligned so far), updating the alignment each step.
    """
    n, _, _, k = dirs.shape
    rigid_w = np.zeros(NUM_IBUG51)
    rigid_w[RIGID_51] = 1.0
    rot, scale, trans = umeyama(neutral, obs51, np.broadcast_to(rigid_w, (n, NUM_IBUG51)))  # obs ~ s R L0 + t
    scale = np.where(np.abs(scale) > _EPS, scale, 1.0)
    aligned = np.einsum("nji,nlj->nli", rot, obs51 - trans[:, None])[:, fit_mask] / scale[:, None, None]
    a = dirs[:, fit_mask]                                          # (N, M, 3, K)
    m = a.shape[1]
    a_flat = a.reshape(n, 3 * m, k)
    base = neutral[:, fit_mask]
    ata_diag = np.einsum("nmik,nmik->nk", a, a)
    lam = regularisation * np.maximum(ata_diag.mean(-1), _EPS)     # (N,)
    damping = np.zeros((n, 7 + k))
    damping[:, 7:] = lam[:, None]
    coeffs = np.zeros((n, k))
    eye3 = np.broadcast_to(np.eye(3), (n, m, 3, 3))
    for _ in range(_ROUNDS):
        centre = aligned.mean(1, keepdims=True)
        y = aligned - centre                                       # rotate and scale about the centroid
        cross = np.zeros((n, m, 3, 3))                             # d(omega x y)/d omega = -[y]x
        cross[..., 0, 1], cross[..., 0, 2] = y[..., 2], -y[..., 1]
        cross[..., 1, 0], cross[..., 1, 2] = -y[..., 2], y[..., 0]
        cross[..., 2, 0], cross[..., 2, 1] = y[..., 1], -y[..., 0]
        jac = np.concatenate([cross, y[..., None], eye3, -a], -1).reshape(n, 3 * m, 7 + k)
        resid = (aligned - base).reshape(n, 3 * m) - (a_flat @ coeffs[..., None])[..., 0]
        jac_t = np.swapaxes(jac, 1, 2)
        lhs = jac_t @ jac + damping[..., None] * np.eye(7 + k)
        rhs = -(jac_t @ resid[..., None])[..., 0]
        rhs[:, 7:] -= lam[:, None] * coeffs
        lhs[:, :7, :7] += 1e-12 * np.eye(7)
        step = np.linalg.solve(lhs, rhs[..., None])[..., 0]
        rot_step = rotvec_to_rotmat(step[:, :3])
        aligned = (np.exp(step[:, 3])[:, None, None] * np.einsum("nij,nmj->nmi", rot_step, y)
                   + centre + step[:, None, 4:7])
        coeffs = coeffs + step[:, 7:]
    return coeffs


def fit_expression(face_points_3d: np.ndarray, model: SmplxModelData, jaw_pose_rotvec: np.ndarray | None = None,
                   num_coeffs: int = 10, regularisation: float = 0.01, max_abs: float = 3.0,
                   betas: np.ndarray | None = None, neutral_face_points_3d: np.ndarray | None = None,
                   basis: ExpressionBasis | None = None) -> np.ndarray:
    """SMPL-X expression coefficients from MediaPipe face meshes.

    Args:
        face_points_3d: (N, 468, 3) face-mesh points, camera-aligned axes, any origin
            and isotropic scale (``FaceObservation.points_3d``). Rows with NaN, or collapsed to a point, give zeros.
        model: the user's SMPL-X model (its file must hold the landmark embedding).
        jaw_pose_rotvec: (N, 3) the solved local jaw rotation (SMPL-X row 22), or None
            (then the lower lip is not used).
        num_coeffs: K, 10 in the capture file.
        regularisation: ridge weight, relative to the mean diagonal of AᵀA.
        max_abs: the coefficients are clamped to [-max_abs, max_abs].
        betas: (B,) the person's shape coefficients, or None for the template.
        neutral_face_points_3d: (468, 3) or (N, 468, 3) the same person's neutral
            face; its coefficients are subtracted (removes the mesh-vs-template bias).
        basis: :func:`expression_basis` of ``model`` computed once by the caller (it
            reads the model file); None computes it here from ``betas``.
    Returns:
        (N, K) float64 expression coefficients.
    Raises:
        ModelFileError: the model file lacks the landmark embedding.
    """
    points = np.asarray(face_points_3d, dtype=np.float64)
    if points.ndim != 3 or points.shape[1:] != (NUM_FACE_LANDMARKS, 3):
        raise ValueError(f"face_points_3d has shape {points.shape}, expected (N, {NUM_FACE_LANDMARKS}, 3)")
    n = points.shape[0]
    if n == 0:
        return np.zeros((0, num_coeffs))
    if basis is None:
        basis = expression_basis(model, betas, num_coeffs)
    elif basis.dirs.shape[-1] != num_coeffs:
        raise ValueError(f"the basis has {basis.dirs.shape[-1]} coefficients, not num_coeffs={num_coeffs}")
    if jaw_pose_rotvec is None:
        jaw = np.broadcast_to(np.eye(3), (n, 3, 3))
        fit_mask = np.ones(NUM_IBUG51, bool)
        fit_mask[LOWER_LIP_51] = False
    else:
        jaw = rotvec_to_rotmat(np.asarray(jaw_pose_rotvec, dtype=np.float64).reshape(n, 3))
        fit_mask = np.ones(NUM_IBUG51, bool)
    obs51 = ibug51_from_mediapipe(points)
    valid = np.all(np.isfinite(obs51), axis=(1, 2)) & np.all(np.isfinite(jaw), axis=(1, 2))
    rigid = np.nan_to_num(obs51[:, RIGID_51])
    spread = np.sqrt(np.mean(np.sum((rigid - rigid.mean(1, keepdims=True)) ** 2, -1), -1))
    valid &= spread > 1e-9 * np.maximum(1.0, np.abs(rigid).max(axis=(1, 2)))   # a collapsed mesh says nothing
    coeffs = np.zeros((n, num_coeffs))
    if np.any(valid):
        neutral, dirs = _posed_basis(basis, jaw[valid])
        coeffs[valid] = _fit(obs51[valid], neutral, dirs, fit_mask, regularisation)
    if not np.all(valid):
        logger.debug("expression: %d of %d faces non-finite or collapsed; zeros for them", n - valid.sum(), n)
    if neutral_face_points_3d is not None:
        ref = np.asarray(neutral_face_points_3d, dtype=np.float64)
        ref = np.broadcast_to(ref, (n,) + ref.shape[-2:]) if ref.ndim == 2 else ref
        if ref.shape != points.shape:
            raise ValueError(f"neutral_face_points_3d has shape {ref.shape}, expected (468, 3) or {points.shape}")
        ref51 = ibug51_from_mediapipe(ref)
        ref_valid = valid & np.all(np.isfinite(ref51), axis=(1, 2))
        neutral, dirs = _posed_basis(basis, np.broadcast_to(np.eye(3), (int(ref_valid.sum()), 3, 3)))
        if np.any(ref_valid):
            coeffs[ref_valid] -= _fit(ref51[ref_valid], neutral, dirs, fit_mask, regularisation)
    return np.clip(coeffs, -max_abs, max_abs)


def expression_from_observations(observations: list, model: SmplxModelData, full_pose_rotvec: np.ndarray,
                                 num_coeffs: int = 10, **kwargs) -> np.ndarray:
    """:func:`fit_expression` for a list of ``PersonObservation``; zeros where ``.face`` is None.

    Args:
        observations: N ``PersonObservation`` (their ``.face`` may be None).
        full_pose_rotvec: (N, 55, 3) the solved pose (jaw at row 22).
        kwargs: passed to :func:`fit_expression` (``betas``, ``regularisation``, ...).
    Returns:
        (N, K) float64.
    """
    full_pose_rotvec = np.asarray(full_pose_rotvec, dtype=np.float64)
    if full_pose_rotvec.shape != (len(observations), 55, 3):
        raise ValueError(f"full_pose_rotvec has shape {full_pose_rotvec.shape}, expected ({len(observations)}, 55, 3)")
    out = np.zeros((len(observations), num_coeffs))
    rows = [i for i, obs in enumerate(observations) if obs.face is not None]
    if rows:
        faces = np.stack([observations[i].face.points_3d for i in rows]).astype(np.float64)
        out[rows] = fit_expression(faces, model, full_pose_rotvec[rows, JAW], num_coeffs=num_coeffs, **kwargs)
    return out
