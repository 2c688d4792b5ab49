"""The SMPL-X model file: resolving, the numpy reader, the smplx package, and the tie
between SMPL-X's forward pass and our forward kinematics."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from wholebody_core.body_model import (
    load_smplx_model_data,
    load_through_smplx,
    npz_array_headers,
    resolve_smplx_model_path,
    rest_joints_for_betas,
    shaped_vertices,
    smplx_joints,
)
from wholebody_core.body_model_synthetic import SMPLX_NUM_VERTICES, synthetic_smplx_arrays, write_synthetic_smplx_model
from wholebody_core.errors import ModelFileError
from wholebody_core.maths.kinematics import forward_kinematics
from wholebody_core.maths.rotations import rotvec_to_rotmat
from wholebody_core.skeleton import PARENTS, default_rest_joints

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def small_model_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("smplx_small")
    write_synthetic_smplx_model(folder, num_vertices=2000, seed=0)
    return folder


@pytest.fixture(scope="module")
def full_size_model(tmp_path_factory) -> Path:
    """10475 vertices: smplx's forward pass indexes SMPL-X vertex ids up to 9929."""
    path = tmp_path_factory.mktemp("smplx_full") / "SMPLX_MALE.npz"
    write_synthetic_smplx_model(path, num_vertices=SMPLX_NUM_VERTICES, seed=1)
    return path


def test_synthetic_file_has_the_real_keys_dtypes_and_shapes(small_model_dir):
    headers = npz_array_headers(small_model_dir / "SMPLX_NEUTRAL.npz")
    v = 2000
    expected = {
        "v_template": (v, 3), "shapedirs": (v, 3, 400), "posedirs": (v, 3, 486),
        "J_regressor": (55, v), "weights": (v, 55), "kintree_table": (2, 55),
        "hands_componentsl": (45, 45), "hands_componentsr": (45, 45), "hands_meanl": (45,),
        "hands_meanr": (45,), "lmk_faces_idx": (51,), "lmk_bary_coords": (51, 3),
        "dynamic_lmk_faces_idx": (79, 17), "dynamic_lmk_bary_coords": (79, 17, 3),
        "hands_coeffsl": (1554, 45), "hands_coeffsr": (1554, 45),
    }
    for key, shape in expected.items():
        assert headers[key][0] == shape, key
    assert headers["f"][0][1] == 3 and headers["vt"][0][1] == 2
    assert headers["joint2num"][1].hasobject   # an object array, as in the real file
    # ... which plain numpy refuses without pickles, and our reader never touches
    with np.load(small_model_dir / "SMPLX_NEUTRAL.npz", allow_pickle=False) as npz:
        with pytest.raises(ValueError):
            npz["joint2num"]


def test_numpy_reader_gives_the_built_in_skeleton_and_a_plausible_body(small_model_dir):
    model = load_smplx_model_data(resolve_smplx_model_path(small_model_dir))
    assert model.num_vertices == 2000 and model.num_shape_coeffs == 300
    np.testing.assert_array_equal(model.parents, PARENTS)
    np.testing.assert_allclose(model.weights.sum(axis=1), 1.0, atol=1e-12)
    assert model.faces.max() < 2000 and model.faces.shape[0] > 2000
    np.testing.assert_allclose(rest_joints_for_betas(model, np.zeros(10)), default_rest_joints(), atol=1e-12)
    height = np.ptp(model.v_template[:, 1])
    assert 1.4 < height < 2.0   # an adult, in metres
    assert model.posedirs is None
    assert load_smplx_model_data(model.path, load_posedirs=True).posedirs.shape == (2000, 3, 486)


def test_betas_change_the_rest_joints(small_model_dir):
    model = load_smplx_model_data(small_model_dir / "SMPLX_NEUTRAL.npz")
    base = rest_joints_for_betas(model, np.zeros(10))
    bigger = rest_joints_for_betas(model, np.r_[1.0, np.zeros(9)])
    np.testing.assert_allclose(bigger, base * 1.06, atol=1e-12)   # beta 0 scales the body by 6 %
    batch = rest_joints_for_betas(model, np.random.default_rng(0).normal(size=(4, 2, 10)))
    assert batch.shape == (4, 2, 55, 3)
    np.testing.assert_allclose(batch[..., 0, :], 0.0, atol=1e-12)
    assert np.abs(batch - base).max() > 0.01
    # expression moves face vertices only, not the skeleton
    expr = shaped_vertices(model, np.zeros(10), np.ones(10))
    assert np.abs(expr - model.v_template).max() > 1e-3
    np.testing.assert_allclose(model.J_regressor @ expr, model.J_regressor @ model.v_template, atol=1e-12)


@pytest.mark.parametrize("num_shape_dirs", [400, 20])
def test_loads_through_smplx_and_agrees_with_the_numpy_reader(tmp_path, num_shape_dirs):
    import torch

    path = write_synthetic_smplx_model(tmp_path / "SMPLX_FEMALE.npz", num_vertices=1500, seed=2,
                                       num_shape_dirs=num_shape_dirs)
    data = load_smplx_model_data(path)
    model = load_through_smplx(tmp_path, gender="female")
    assert model.v_template.shape == (1500, 3) and not model.use_pca and model.flat_hand_mean
    assert model.shapedirs.shape[-1] == 10 and model.expr_dirs.shape[-1] == 10
    np.testing.assert_allclose(model.expr_dirs.numpy(), data.expression_dirs(10), atol=1e-6)
    betas = np.random.default_rng(3).normal(size=(3, 10))
    with torch.no_grad():
        out = model.forward_shape(betas=torch.as_tensor(betas, dtype=torch.float32))
        theirs = torch.einsum("jv,nvc->njc", model.J_regressor, out.v_shaped).numpy()
    np.testing.assert_allclose(theirs - theirs[:, :1], rest_joints_for_betas(data, betas), atol=1e-5)


def test_smplx_forward_pass_matches_our_forward_kinematics(full_size_model):
    """Ties our FK convention (and the capture file's) to SMPL-X's."""
    model = load_through_smplx(full_size_model, gender="male", dtype="float64")
    data = load_smplx_model_data(full_size_model)
    rng = np.random.default_rng(4)
    num = 6
    pose = rng.normal(0.0, 0.4, (num, 55, 3))
    # upright and facing the camera: near 180 degrees about x
    pose[:, 0] = (Rotation.from_rotvec([np.pi, 0, 0]) * Rotation.from_rotvec(rng.normal(0, 0.3, (num, 3)))).as_rotvec()
    pose[0] = 0.0
    betas = rng.normal(0.0, 1.0, (num, 10))
    theirs = smplx_joints(model, pose, betas)
    rest = rest_joints_for_betas(data, betas)
    _, ours = forward_kinematics(rotvec_to_rotmat(pose), rest)
    assert np.abs(ours[0] - rest[0]).max() < 1e-12      # zero pose is the rest pose
    np.testing.assert_allclose(theirs - theirs[:, :1], ours, atol=1e-4)
    assert np.abs(ours[1:] - rest[1:]).max() > 0.1      # the poses really move the joints


def test_reader_runs_without_torch_or_scipy(small_model_dir):
    code = (
        "import sys\n"
        "for name in ('torch', 'scipy', 'smplx'):\n"
        "    sys.modules[name] = None\n"
        "import numpy as np\n"
        "from wholebody_core.body_model import load_smplx_model_data, resolve_smplx_model_path, rest_joints_for_betas\n"
        f"m = load_smplx_model_data(resolve_smplx_model_path({str(small_model_dir)!r}))\n"
        "print(rest_joints_for_betas(m, np.zeros(10)).shape)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(55, 3)"


def test_resolve_paths(small_model_dir, tmp_path):
    assert resolve_smplx_model_path(None) is None
    assert resolve_smplx_model_path("") is None
    file = small_model_dir / "SMPLX_NEUTRAL.npz"
    assert resolve_smplx_model_path(file) == file
    assert resolve_smplx_model_path(str(small_model_dir)) == file
    # the models/smplx/SMPLX_*.npz layout of the smplx package
    (tmp_path / "smplx").mkdir()
    nested = write_synthetic_smplx_model(tmp_path / "smplx" / "SMPLX_NEUTRAL.npz", num_vertices=1200)
    assert resolve_smplx_model_path(tmp_path) == nested
    with pytest.raises(ModelFileError, match="SMPLX_MALE.npz"):
        resolve_smplx_model_path(small_model_dir, gender="male")
    with pytest.raises(ModelFileError, match="gender"):
        resolve_smplx_model_path(small_model_dir, gender="robot")


def test_errors_say_what_to_do(tmp_path):
    with pytest.raises(ModelFileError, match="does not exist.*smpl-x.is.tue.mpg.de"):
        resolve_smplx_model_path(tmp_path / "nowhere")
    pkl = tmp_path / "SMPLX_NEUTRAL.pkl"
    pkl.write_bytes(b"\x80\x04not really a pickle")
    with pytest.raises(ModelFileError, match=r"pickle.*\.npz"):
        resolve_smplx_model_path(pkl)
    with pytest.raises(ModelFileError, match="only pickle"):
        resolve_smplx_model_path(tmp_path)        # a folder with only the .pkl
    other = tmp_path / "model.obj"
    other.write_text("v 0 0 0\n")
    with pytest.raises(ModelFileError, match="not an SMPL-X .npz"):
        resolve_smplx_model_path(other)

    corrupt = tmp_path / "corrupt" / "SMPLX_NEUTRAL.npz"
    corrupt.parent.mkdir()
    corrupt.write_bytes(os.urandom(4096))
    with pytest.raises(ModelFileError, match="corrupt"):
        load_smplx_model_data(resolve_smplx_model_path(corrupt.parent))
    with pytest.raises(ModelFileError, match="corrupt"):
        load_through_smplx(corrupt)

    good = write_synthetic_smplx_model(tmp_path / "good.npz", num_vertices=1200)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ModelFileError):
        load_smplx_model_data(truncated)

    arrays = synthetic_smplx_arrays(num_vertices=1200)
    del arrays["J_regressor"]
    np.savez(tmp_path / "no_regressor.npz", **arrays)
    with pytest.raises(ModelFileError, match="lacks J_regressor"):
        load_smplx_model_data(tmp_path / "no_regressor.npz")

    arrays = synthetic_smplx_arrays(num_vertices=1200)
    arrays["kintree_table"] = arrays["kintree_table"][:, ::-1].copy()
    np.savez(tmp_path / "wrong_tree.npz", **arrays)
    with pytest.raises(ModelFileError, match="kinematic tree"):
        load_smplx_model_data(tmp_path / "wrong_tree.npz")

    arrays = synthetic_smplx_arrays(num_vertices=1200)
    arrays["weights"] = arrays["weights"][:, :52]   # an SMPL-H file, say
    np.savez(tmp_path / "smplh_like.npz", **arrays)
    with pytest.raises(ModelFileError, match="weights has shape"):
        load_smplx_model_data(tmp_path / "smplh_like.npz")


class _TouchOnUnpickle:
    """An object whose unpickling creates a file: shows whether a pickle was loaded."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_no_pickle_from_the_users_file_is_ever_loaded(tmp_path):
    marker = tmp_path / "unpickled"
    arrays = synthetic_smplx_arrays(num_vertices=1200)
    arrays["joint2num"] = np.array(_TouchOnUnpickle(marker), dtype=object)
    path = tmp_path / "SMPLX_NEUTRAL.npz"
    np.savez(path, **arrays)
    load_smplx_model_data(path)
    load_through_smplx(path)
    assert not marker.exists()
    # the control: loading it the way smplx does runs the pickle
    with np.load(path, allow_pickle=True) as npz:
        npz["joint2num"]
    assert marker.exists()


def test_smplx_warnings_do_not_reach_stdout(tmp_path, capfd):
    # an older file (10 + 10 directions) makes smplx print a warning
    path = write_synthetic_smplx_model(tmp_path / "SMPLX_NEUTRAL.npz", num_vertices=1200, num_shape_dirs=20)
    load_through_smplx(path)
    assert capfd.readouterr().out == ""
