"""Expression fit: synthetic SMPL-X file (real loader) -> posed landmarks -> mesh -> fit."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from wholebody_core.body_model import load_smplx_model_data, shaped_vertices
from wholebody_core.body_model_synthetic import synthetic_smplx_arrays, write_synthetic_smplx_model
from wholebody_core.errors import ModelFileError
from wholebody_core.landmarks.types import FaceObservation, PersonObservation
from wholebody_core.maths.rotations import rotvec_to_rotmat
from wholebody_core.solve.expression import expression_basis, expression_from_observations, fit_expression
from wholebody_core.solve.mediapipe_to_ibug import IBUG_FIRST, IBUG51_TO_MEDIAPIPE, ibug51_from_mediapipe

JAW = 22
MEDIA = Path(__file__).resolve().parents[2] / "media"


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = write_synthetic_smplx_model(tmp_path_factory.mktemp("smplx") / "SMPLX_NEUTRAL.npz", num_vertices=2000)
    return load_smplx_model_data(path)


def _jaw_weighted_model(tmp_path):
    """A synthetic file whose landmark vertices are partly skinned to the jaw."""
    arrays = synthetic_smplx_arrays(num_vertices=2000, seed=3)
    tri = arrays["f"][arrays["lmk_faces_idx"]].astype(np.int64)
    verts = np.unique(tri)
    w = np.random.default_rng(5).uniform(0.0, 0.9, verts.size)
    arrays["weights"][verts] *= (1.0 - w)[:, None]
    arrays["weights"][verts, JAW] += w
    path = tmp_path / "SMPLX_NEUTRAL.npz"
    with open(path, "wb") as handle:
        np.savez_compressed(handle, **arrays)
    return load_smplx_model_data(path)


def _observe(model, expression, jaw_rotvec, rng, noise=0.0):
    """Model landmarks (expression, jaw by skinning) -> a 468-point mesh, similarity-moved."""
    n = expression.shape[0]
    with np.load(model.path, allow_pickle=False) as npz:
        faces_idx = npz["lmk_faces_idx"].astype(np.int64)
        bary = npz["lmk_bary_coords"]
    verts = shaped_vertices(model, np.zeros(10), expression)                  # (N, V, 3)
    jaw_centre = np.einsum("v,nvc->nc", model.J_regressor[JAW], verts)
    rot_jaw = rotvec_to_rotmat(jaw_rotvec)
    local = verts - jaw_centre[:, None]
    posed = verts + model.weights[:, JAW][None, :, None] * (
        np.einsum("nij,nvj->nvi", rot_jaw, local) - local)
    lmk = np.einsum("lc,nlci->nli", bary, posed[:, model.faces[faces_idx]])   # (N, 51, 3)
    size = np.ptp(lmk, axis=1).max()
    lmk = lmk + rng.normal(0.0, noise * size, lmk.shape)
    rot = rotvec_to_rotmat(rng.normal(0.0, 0.4, (n, 3)) + np.array([np.pi, 0.0, 0.0]))  # roughly facing the camera
    scale = rng.uniform(200.0, 800.0, n)
    trans = rng.normal(0.0, 50.0, (n, 3))
    moved = scale[:, None, None] * np.einsum("nij,nlj->nli", rot, lmk) + trans[:, None]
    mesh = rng.normal(0.0, 100.0, (n, 468, 3))                               # other points: anything
    for row, idx in enumerate(IBUG51_TO_MEDIAPIPE):
        mesh[:, list(idx)] = moved[:, row, None]
    return mesh


def test_table_has_51_distinct_valid_rows():
    assert len(IBUG51_TO_MEDIAPIPE) == 51
    assert len(set(IBUG51_TO_MEDIAPIPE)) == 51
    flat = [i for row in IBUG51_TO_MEDIAPIPE for i in row]
    assert len(set(flat)) == len(flat)
    assert all(0 <= i < 468 for i in flat)
    points = np.arange(468 * 3, dtype=float).reshape(468, 3)
    assert np.allclose(ibug51_from_mediapipe(points)[10], points[[168, 6]].mean(0))


def test_table_gives_the_ibug_layout_on_a_real_face_mesh():
    """The real face model on a rendered frontal face: the 51 points fall where iBUG puts them."""
    from wholebody_core.landmarks.backend import LandmarkOptions
    from wholebody_core.models import create_landmark_backend

    image_path = MEDIA / "single_person.png"
    if not image_path.is_file():
        pytest.fail(f"single_person.png is missing from tests/media: regenerate it with python -m bench.media.render_scenes --checked-in")
    image = cv2.cvtColor(cv2.imread(str(image_path)), cv2.COLOR_BGR2RGB)
    people = create_landmark_backend("mediapipe-tflite", LandmarkOptions()).process_frame(image)
    assert people and people[0].face is not None
    pts = ibug51_from_mediapipe(people[0].face.points_2d)            # pixels, x right, y down

    def x(*ibug):
        return pts[np.asarray(ibug) - IBUG_FIRST, 0]

    def y(*ibug):
        return pts[np.asarray(ibug) - IBUG_FIRST, 1]

    # The person faces the camera: their right side is on the image's left.
    assert np.all(np.diff(x(17, 18, 19, 20, 21, 22, 23, 24, 25, 26)) > 0)   # brows, right to left
    assert np.all(np.diff(x(36, 39, 42, 45)) > 0)                         # eye corners
    assert np.all(np.diff(x(31, 32, 33, 34, 35)) > 0)                     # nostrils
    assert np.all(np.diff(x(48, 49, 50, 51, 52, 53, 54)) > 0)             # outer upper lip
    assert np.all(np.diff(x(54, 55, 56, 57, 58, 59)) < 0)                 # outer lower lip, back
    assert np.all(np.diff(x(60, 61, 62, 63, 64)) > 0) and np.all(np.diff(x(64, 65, 66, 67)) < 0)
    assert np.all(np.diff(y(27, 28, 29, 30)) > 0)                         # nose bridge downwards
    assert y(17, 18, 19, 20, 21, 22, 23, 24, 25, 26).max() < y(*range(36, 48)).min()   # brows above eyes
    assert y(*range(36, 48)).max() < y(30) < y(33) < y(*range(48, 68)).min()           # eyes, nose, mouth
    assert y(37, 38).mean() < y(41, 40).mean() and y(43, 44).mean() < y(47, 46).mean()  # upper lids
    assert y(51) < y(62) <= y(66) < y(57)                                 # lips, top to bottom


def test_recovers_expression_without_noise(model):
    rng = np.random.default_rng(0)
    expression = rng.uniform(-2.5, 2.5, (40, 10))
    jaw = np.zeros((40, 3))
    jaw[:, 0] = rng.uniform(0.0, 0.35, 40)
    mesh = _observe(model, expression, jaw, rng)
    fitted = fit_expression(mesh, model, jaw, regularisation=1e-6)
    assert fitted.shape == (40, 10)
    assert np.abs(fitted - expression).max() < 0.02
    # The default regularisation only shrinks a little.
    fitted = fit_expression(mesh, model, jaw)
    assert np.abs(fitted - expression).max() < 0.1
    # A basis computed once by the caller gives the same result.
    np.testing.assert_array_equal(fit_expression(mesh, model, jaw, basis=expression_basis(model)), fitted)


def test_jaw_opening_is_not_read_as_expression(tmp_path):
    model = _jaw_weighted_model(tmp_path)
    rng = np.random.default_rng(1)
    expression = rng.uniform(-2.0, 2.0, (30, 10))
    jaw = np.zeros((30, 3))
    jaw[:, 0] = rng.uniform(0.1, 0.4, 30)
    mesh = _observe(model, expression, jaw, rng)
    assert np.abs(fit_expression(mesh, model, jaw, regularisation=1e-6) - expression).max() < 0.02
    # Ignoring the jaw misreads the opening; without a jaw the lower lip is left out.
    assert np.abs(fit_expression(mesh, model, np.zeros((30, 3)), regularisation=1e-6) - expression).max() > 0.1
    assert np.abs(fit_expression(mesh, model, None, regularisation=1e-6) - expression).max() < 0.5


def test_zero_expression_gives_near_zero(model):
    rng = np.random.default_rng(2)
    mesh = _observe(model, np.zeros((20, 10)), np.zeros((20, 3)), rng)
    assert np.abs(fit_expression(mesh, model, np.zeros((20, 3)))).max() < 1e-6


def test_noise_gives_bounded_error(model):
    rng = np.random.default_rng(3)
    expression = rng.uniform(-2.0, 2.0, (200, 10))
    mesh = _observe(model, expression, np.zeros((200, 3)), rng, noise=0.002)
    fitted = fit_expression(mesh, model, np.zeros((200, 3)), regularisation=0.05)
    rmse = np.sqrt(np.mean((fitted - expression) ** 2))
    assert rmse < 0.5
    assert np.abs(fitted).max() <= 3.0
    # Better than guessing zero by far, and clamping holds on wild input.
    assert rmse < 0.3 * np.sqrt(np.mean(expression ** 2))
    wild = _observe(model, np.full((2, 10), 40.0), np.zeros((2, 3)), rng)
    assert np.abs(fit_expression(wild, model, None)).max() == pytest.approx(3.0)


def test_neutral_reference_removes_a_constant_offset(model):
    rng = np.random.default_rng(4)
    offset = rng.normal(0.0, 1.0, 10)        # the person's "neutral" is not the template's
    expression = rng.uniform(-1.5, 1.5, (10, 10))
    state = rng.bit_generator.state
    mesh = _observe(model, expression + offset, np.zeros((10, 3)), rng)
    rng.bit_generator.state = state
    neutral = _observe(model, np.tile(offset, (10, 1)), np.zeros((10, 3)), rng)
    fitted = fit_expression(mesh, model, None, neutral_face_points_3d=neutral, regularisation=1e-6)
    assert np.abs(fitted - expression).max() < 0.02


def test_observations_without_face_and_nan_rows(model):
    rng = np.random.default_rng(5)
    expression = rng.uniform(-2.0, 2.0, (3, 10))
    mesh = _observe(model, expression, np.zeros((3, 3)), rng)
    mesh[1, 5] = np.nan
    people = []
    for i in range(4):
        face = None if i == 3 else FaceObservation(points_2d=np.zeros((468, 2)), points_3d=mesh[i].astype(np.float32),
                                                   score=0.9, bbox_xyxy=np.zeros(4))
        people.append(PersonObservation(bbox_xyxy=np.zeros(4), score=1.0, body_2d=np.zeros((33, 3)),
                                        body_3d=np.zeros((33, 3)), face=face))
    out = expression_from_observations(people, model, np.zeros((4, 55, 3)))
    assert out.shape == (4, 10)
    assert np.all(out[3] == 0.0) and np.all(out[1] == 0.0)      # no face; a NaN mesh point (iBUG 29)
    assert np.abs(out[[0, 2]] - expression[[0, 2]]).max() < 0.1     # float32 mesh, default ridge
    assert np.all(np.isfinite(out))
    assert np.all(fit_expression(np.zeros((2, 468, 3)), model, np.zeros((2, 3))) == 0.0)   # collapsed mesh


def test_missing_embedding_is_a_model_error(tmp_path):
    arrays = synthetic_smplx_arrays(num_vertices=2000)
    del arrays["lmk_faces_idx"]
    path = tmp_path / "SMPLX_NEUTRAL.npz"
    with open(path, "wb") as handle:
        np.savez_compressed(handle, **arrays)
    with pytest.raises(ModelFileError):
        fit_expression(np.zeros((1, 468, 3)), load_smplx_model_data(path))
