"""The landmark solve over a clip: (track, observation) pairs buffered and solved in
batches, each person's skeleton fitted from their first frames, and the user's SMPL-X
model (shape and expression bases) read once before the first frame."""
from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

import numpy as np

from .capture_assembly import TrackRecord
from .errors import ModelFileError
from .landmarks.types import PersonObservation
from .skeleton import JOINT_INDEX

if TYPE_CHECKING:
    from .pipeline import CaptureOptions

log = logging.getLogger(__name__)

REST_FIT_FRAMES = 30   # frames of a person banked for their skeleton fit, then it is fixed
_PELVIS, _LEFT_HIP, _RIGHT_HIP = JOINT_INDEX["pelvis"], JOINT_INDEX["left_hip"], JOINT_INDEX["right_hip"]


@dataclasses.dataclass
class UserBodyModel:
    """The user's SMPL-X model, read once before the first frame."""

    rest_joints: np.ndarray                 # (55, 3) zero betas, pelvis at the origin
    data: object                            # SmplxModelData
    shape_basis: object                     # solve.shape_fit.ShapeBasis
    expression_basis: object | None         # solve.expression.ExpressionBasis; None: no embedding


def load_user_body_model(options: CaptureOptions) -> UserBodyModel | None:
    """Reads the user's SMPL-X model (None without one) and everything derived from it.

    The model is also built through the ``smplx`` package, which checks it against
    our numpy reader. A file without the facial landmark embedding still works, with
    a warning: no expression.
    """
    if options.smplx_model is None:
        return None
    from .body_model import load_smplx_model_data, load_through_smplx, resolve_smplx_model_path, rest_joints_for_betas
    from .solve.expression import expression_basis
    from .solve.shape_fit import shape_basis

    path = resolve_smplx_model_path(options.smplx_model)
    data = load_smplx_model_data(path)
    load_through_smplx(path, data=data)
    basis = None
    if options.face:
        try:
            basis = expression_basis(data)
        except ModelFileError as error:
            log.warning("no facial expression: %s", error)
    return UserBodyModel(rest_joints_for_betas(data, np.zeros(10)), data, shape_basis(data), basis)


EXPRESSION_REGULARISATION = 0.1
"""Ridge weight of the expression fit on real face meshes (solve/expression.py: the
MediaPipe mesh and the SMPL-X template differ, so a little more than on exact data)."""


class LandmarkSolver:
    """Buffers (track, observation) pairs and solves them in batches."""

    def __init__(self, body_model: UserBodyModel | None, options: CaptureOptions, intrinsics: np.ndarray):
        from .solve.solver import SolveOptions

        self._body_model = body_model
        self._solve_options = SolveOptions(use_hands=options.hands, use_face=options.face)
        self._pending: list[tuple[int, int, PersonObservation, np.ndarray, float]] = []
        self.tracks: dict[int, TrackRecord] = {}
        self._intrinsics = intrinsics

    def add(self, slot: int, track_id: int, obs: PersonObservation, origin_cam: np.ndarray,
            size_scale: float, image_rgb: np.ndarray | None = None) -> None:  # noqa: ARG002 - networks' solver only
        self._pending.append((slot, track_id, obs, origin_cam, size_scale))

    def flush(self) -> None:
        if not self._pending:
            return
        from .solve.image_alignment import align_to_image
        from .solve.solver import solve_poses

        for _, track_id, obs, _, _ in self._pending:
            record = self.tracks.setdefault(track_id, TrackRecord())
            if not record.rest_locked and len(record.rest_bank) < REST_FIT_FRAMES:
                record.rest_bank.append(obs)
        for track_id in {p[1] for p in self._pending}:
            record = self.tracks[track_id]
            if not record.rest_locked:
                record.rest_joints = self._rest_joints(record)
                if len(record.rest_bank) >= REST_FIT_FRAMES:
                    record.rest_locked, record.rest_bank = True, []
        observations = [p[2] for p in self._pending]
        # the solve fits the 3D landmarks moved onto the 2D keypoints; the rest fit above keeps the metric 3D
        observations = [dataclasses.replace(obs, body_3d=align_to_image(
            np.asarray(obs.body_3d, dtype=np.float64), np.asarray(obs.body_2d, dtype=np.float64),
            origin_cam, self._intrinsics)) for _, _, obs, origin_cam, _ in self._pending]
        rest = np.stack([self.tracks[p[1]].rest_joints for p in self._pending])
        solved = solve_poses(observations, rest, self._solve_options)
        expression = self._expression(observations, solved)
        for i, (slot, track_id, obs, origin_cam, size_scale) in enumerate(self._pending):
            record = self.tracks[track_id]
            joints_rel = solved.joints_rel_cam[i]
            # The landmark origin is the mid-hip point; the capture's root is the pelvis joint.
            pelvis_from_midhip = joints_rel[_PELVIS] - 0.5 * (joints_rel[_LEFT_HIP] + joints_rel[_RIGHT_HIP])
            record.frame_slots.append(slot)
            record.full_pose.append(solved.full_pose_rotvec[i])
            record.root.append(origin_cam + pelvis_from_midhip)
            record.bbox.append(np.asarray(obs.bbox_xyxy, dtype=np.float64))
            record.score.append(float(obs.score))
            record.hand_valid.append(solved.hand_valid[i])
            record.face_valid.append(bool(solved.face_valid[i]))
            record.expression.append(expression[i])
            record.keypoints.append(np.asarray(obs.body_2d, dtype=np.float64))
            record.size_scale.append(size_scale)
        self._pending = []

    def _rest_joints(self, record: TrackRecord) -> np.ndarray:
        """The person's skeleton from the frames banked so far; with the user's SMPL-X model,
        the skeleton of the betas fitted to it (kept in ``record.betas``)."""
        from .solve.rest_fit import fit_rest_joints

        if self._body_model is None:
            return fit_rest_joints(record.rest_bank)
        from .body_model import rest_joints_for_betas
        from .solve.shape_fit import fit_betas

        scaled = fit_rest_joints(record.rest_bank, self._body_model.rest_joints)
        record.betas = fit_betas(scaled, self._body_model.shape_basis)
        return rest_joints_for_betas(self._body_model.data, record.betas)

    def _expression(self, observations: list[PersonObservation], solved) -> np.ndarray:
        """(N, 10) SMPL-X expression from the face mesh where the user's model gives a basis."""
        if self._body_model is None or self._body_model.expression_basis is None:
            return solved.expression
        from .solve.expression import expression_from_observations

        return expression_from_observations(
            observations, self._body_model.data, solved.full_pose_rotvec,
            basis=self._body_model.expression_basis, regularisation=EXPRESSION_REGULARISATION)
