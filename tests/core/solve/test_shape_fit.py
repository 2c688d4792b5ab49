"""fit_betas: SMPL-X shape coefficients back from a skeleton, through the real model reader."""
import numpy as np
import pytest

from wholebody_core.body_model import load_smplx_model_data, rest_joints_for_betas
from wholebody_core.body_model_synthetic import write_synthetic_smplx_model
from wholebody_core.solve.rest_fit import fit_rest_joints
from wholebody_core.solve.shape_fit import MAX_ABS_BETA, fit_betas, shape_basis
from wholebody_core.solve.synthetic import random_local_rotmat, synthetic_observations


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return load_smplx_model_data(write_synthetic_smplx_model(tmp_path_factory.mktemp("m"), seed=5))


def test_the_mean_skeleton_gives_zero_betas(model):
    betas = fit_betas(rest_joints_for_betas(model, np.zeros(10)), shape_basis(model))
    np.testing.assert_allclose(betas, 0.0, atol=1e-9)


def test_the_skeleton_of_other_betas_comes_back(model):
    basis = shape_basis(model)
    truth = np.array([1.5, -1.0, 0.8, 0, 0, 0, 0, 0, 0, 0])      # size, height, girth in the synthetic model
    target = rest_joints_for_betas(model, truth)
    betas = fit_betas(target, basis)
    # (size, height and girth overlap on the joints: the skeleton, not each beta, is determined)
    body = slice(0, 22)
    fitted = rest_joints_for_betas(model, betas)
    assert np.abs(fitted[body] - target[body]).max() < 0.01                 # metres
    assert np.abs(rest_joints_for_betas(model, np.zeros(10))[body] - target[body]).max() > 0.05


def test_an_impossible_skeleton_stays_within_the_population(model):
    huge = 3.0 * rest_joints_for_betas(model, np.zeros(10))
    assert np.abs(fit_betas(huge, shape_basis(model))).max() <= MAX_ABS_BETA


def test_observed_limb_lengths_give_a_matching_model_skeleton(model):
    """The pipeline's path: landmarks of a long-legged person -> scaled model skeleton -> betas."""
    mean = rest_joints_for_betas(model, np.zeros(10))
    person = rest_joints_for_betas(model, np.r_[1.2, 1.0, np.zeros(8)])
    obs = synthetic_observations(random_local_rotmat(np.random.default_rng(2), 12, person), person)
    scaled = fit_rest_joints(obs, mean)
    betas = fit_betas(scaled, shape_basis(model))
    fitted = rest_joints_for_betas(model, betas)
    legs = [1, 2, 4, 5, 7, 8]
    error_fitted = np.abs(fitted[legs] - person[legs]).max()
    error_mean = np.abs(mean[legs] - person[legs]).max()
    assert error_fitted < 0.5 * error_mean, (error_fitted, error_mean)
