"""The user's SMPL-X model file: finding it, reading it, and its rest skeleton.

We never ship the SMPL-X model; the user gives a folder holding ``SMPLX_NEUTRAL.npz``
/ ``SMPLX_MALE.npz`` / ``SMPLX_FEMALE.npz`` (as in the SMPL-X download), or one such
file. Only ``.npz`` files are read, always with ``allow_pickle=False``: pickles from
users' files are refused (the SMPL-X download has the ``.npz`` next to the ``.pkl``).
The real ``.npz`` also stores two object arrays (``joint2num``, ``part2num``); they are
never read here.

The numpy reader (:func:`load_smplx_model_data`) needs neither torch nor scipy, so
the Blender add-on imports this module inside Blender to build the skinned mesh with
shape keys. :func:`load_through_smplx` builds the ``smplx`` package's model from the
same file (the core uses it when torch is available) and checks the two agree.

Arrays of the file (V = 10475 vertices, F = 20908 faces in the real model):
``v_template`` (V, 3), ``f`` (F, 3), ``shapedirs`` (V, 3, 400) = 300 shape + 100
expression directions (older files: (V, 3, 20) = 10 + 10), ``posedirs`` (V, 3, 486),
``J_regressor`` (55, V), ``weights`` (V, 55), ``kintree_table`` (2, 55),
``hands_componentsl/r`` (45, 45), ``hands_meanl/r`` (45,), ``lmk_faces_idx`` (51,),
``lmk_bary_coords`` (51, 3), and more that only the ``smplx`` package uses.
"""
from __future__ import annotations

import contextlib
import dataclasses
import io
import logging
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from .errors import DependencyError, ModelFileError
from .skeleton import NUM_JOINTS, PARENTS

logger = logging.getLogger(__name__)

GENDERS = ("neutral", "male", "female")
SMPLX_DOWNLOAD_HINT = (
    "Download SMPL-X from https://smpl-x.is.tue.mpg.de (free registration) and give the "
    "folder that holds SMPLX_NEUTRAL.npz, SMPLX_MALE.npz and SMPLX_FEMALE.npz, or one of "
    "those files."
)
# Shape space split, as in the smplx package: a file with 400 directions has 300
# shape + 100 expression; an older file with fewer has 10 shape + 10 expression.
FULL_SHAPE_SPACE = 300
FULL_EXPRESSION_SPACE = 100
_REQUIRED_KEYS = (
    "v_template", "f", "shapedirs", "posedirs", "J_regressor", "weights", "kintree_table",
    "hands_componentsl", "hands_componentsr", "hands_meanl", "hands_meanr",
)


@dataclasses.dataclass
class SmplxModelData:
    """The arrays of one SMPL-X model file that the core and the add-on use.

    All in the SMPL-X model frame (y up, the body faces +z, its own left is +x), metres.
    """

    path: Path
    v_template: np.ndarray          # (V, 3) float64 template vertices
    faces: np.ndarray               # (F, 3) int64 vertex indices
    shapedirs: np.ndarray           # (V, 3, S) float64 all shape + expression directions
    J_regressor: np.ndarray         # (55, V) float64 joints from vertices
    weights: np.ndarray             # (V, 55) float64 skinning weights
    parents: np.ndarray             # (55,) int32, -1 for the pelvis
    hands_components_left: np.ndarray   # (45, 45) float64 hand pose PCA basis (rows)
    hands_components_right: np.ndarray  # (45, 45)
    hands_mean_left: np.ndarray     # (45,) float64 the mean hand pose (axis-angle, 15 joints)
    hands_mean_right: np.ndarray    # (45,)
    posedirs: np.ndarray | None = None  # (V, 3, 486) float64 pose correctives, if loaded

    @property
    def num_vertices(self) -> int:
        return int(self.v_template.shape[0])

    @property
    def num_shape_coeffs(self) -> int:
        """How many shape (beta) directions the file has: 300, or 10 for older files."""
        return FULL_SHAPE_SPACE if self.shapedirs.shape[-1] >= FULL_SHAPE_SPACE + FULL_EXPRESSION_SPACE else 10

    def shape_dirs(self, num_betas: int = 10) -> np.ndarray:
        """(V, 3, min(num_betas, available)) the body shape directions."""
        return self.shapedirs[:, :, : min(num_betas, self.num_shape_coeffs)]

    def expression_dirs(self, num_expression_coeffs: int = 10) -> np.ndarray:
        """(V, 3, n) the expression directions (after the shape ones, as in smplx)."""
        start = self.num_shape_coeffs
        available = FULL_EXPRESSION_SPACE if start == FULL_SHAPE_SPACE else 10
        return self.shapedirs[:, :, start: start + min(num_expression_coeffs, available)]


def resolve_smplx_model_path(path: str | os.PathLike | None, gender: str = "neutral") -> Path | None:
    """Finds the SMPL-X ``.npz`` file the user means.

    Args:
        path: a folder (holding ``SMPLX_<GENDER>.npz``, directly or in a ``smplx``
            subfolder) or an ``.npz`` file; None or "" for no model (the built-in
            skeleton is used then).
        gender: "neutral", "male" or "female", picks the file inside a folder.
    Returns:
        The file's path, or None when ``path`` is None or empty.
    Raises:
        ModelFileError: missing, unreadable, a ``.pkl``, or no matching file in the folder.
    """
    if path is None or str(path) == "":
        return None
    gender = gender.lower()
    if gender not in GENDERS:
        raise ModelFileError(f"Unknown SMPL-X gender {gender!r}; use one of {', '.join(GENDERS)}.")
    path = Path(path).expanduser()
    if not path.exists():
        raise ModelFileError(f"The SMPL-X model path {path} does not exist. {SMPLX_DOWNLOAD_HINT}")
    if path.is_dir():
        path = _find_in_folder(path, gender)
    if path.suffix.lower() == ".pkl":
        raise ModelFileError(
            f"{path} is a pickle (.pkl); pickles from files are never loaded, since they can "
            "run code. Use the .npz file of the same model, which the SMPL-X download "
            f"holds next to the .pkl (e.g. SMPLX_{gender.upper()}.npz)."
        )
    if path.suffix.lower() != ".npz":
        raise ModelFileError(f"{path} is not an SMPL-X .npz model file. {SMPLX_DOWNLOAD_HINT}")
    if not os.access(path, os.R_OK):
        raise ModelFileError(f"The SMPL-X model file {path} cannot be read (permissions); make it readable.")
    return path


def _find_in_folder(folder: Path, gender: str) -> Path:
    names = (f"SMPLX_{gender.upper()}.npz", f"SMPLX_{gender.upper()}_2020.npz")
    for base in (folder, folder / "smplx"):
        for name in names:
            for candidate in base.glob("*"):
                if candidate.name.lower() == name.lower() and candidate.is_file():
                    return candidate
    pickles = sorted(p.name for p in folder.glob("*.pkl")) + sorted(p.name for p in folder.glob("smplx/*.pkl"))
    if pickles:
        raise ModelFileError(
            f"{folder} holds only pickle model files ({', '.join(pickles[:3])}); pickles are "
            f"never loaded. Put the .npz files of the SMPL-X download ({names[0]}) there."
        )
    raise ModelFileError(f"No {names[0]} in {folder} (nor in {folder / 'smplx'}). {SMPLX_DOWNLOAD_HINT}")


def npz_array_headers(path: str | os.PathLike) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Shape and dtype of every array in an ``.npz`` without reading the data.

    Raises:
        ModelFileError: not a zip archive of ``.npy`` arrays.
    """
    headers: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not info.filename.endswith(".npy"):
                    continue
                with archive.open(info) as member:
                    version = np.lib.format.read_magic(member)
                    if version == (1, 0):
                        shape, _, dtype = np.lib.format.read_array_header_1_0(member)
                    else:
                        shape, _, dtype = np.lib.format.read_array_header_2_0(member)
                headers[info.filename[: -len(".npy")]] = (shape, dtype)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise ModelFileError(
            f"{path} is not a valid .npz model file ({error}); the file may be corrupt or "
            f"truncated. {SMPLX_DOWNLOAD_HINT}"
        ) from error
    return headers


def load_smplx_model_data(path: str | os.PathLike, load_posedirs: bool = False) -> SmplxModelData:
    """Reads an SMPL-X ``.npz`` with numpy only (``allow_pickle=False``).

    Args:
        path: the ``.npz`` file (see :func:`resolve_smplx_model_path`).
        load_posedirs: also read the (V, 3, 486) pose correctives (about 120 MB for
            the real model; the skeleton does not need them).
    Raises:
        ModelFileError: unreadable, corrupt, or arrays missing or of the wrong shape.
    """
    path = Path(path)
    headers = npz_array_headers(path)
    missing = [k for k in _REQUIRED_KEYS if k not in headers]
    if missing:
        raise ModelFileError(
            f"{path} is not an SMPL-X model: it lacks {', '.join(missing)}. {SMPLX_DOWNLOAD_HINT}"
        )
    for key in _REQUIRED_KEYS:
        if headers[key][1].hasobject:
            raise ModelFileError(f"{path}: array {key!r} holds Python objects; not an SMPL-X .npz model.")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: np.asarray(npz[k]) for k in _REQUIRED_KEYS if k != "posedirs" or load_posedirs}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise ModelFileError(f"{path} could not be read ({error}); the file may be corrupt.") from error

    v_template = arrays["v_template"].astype(np.float64, copy=False)
    num_vertices = v_template.shape[0]
    expected = {
        "v_template": (num_vertices, 3),
        "J_regressor": (NUM_JOINTS, num_vertices),
        "weights": (num_vertices, NUM_JOINTS),
        "kintree_table": (2, NUM_JOINTS),
        "hands_componentsl": (45, 45),
        "hands_componentsr": (45, 45),
        "hands_meanl": (45,),
        "hands_meanr": (45,),
    }
    for key, shape in expected.items():
        if arrays[key].shape != shape:
            raise ModelFileError(f"{path}: {key} has shape {arrays[key].shape}, expected {shape} for SMPL-X.")
    shapedirs = arrays["shapedirs"]
    if shapedirs.ndim != 3 or shapedirs.shape[:2] != (num_vertices, 3) or shapedirs.shape[2] < 20:
        raise ModelFileError(
            f"{path}: shapedirs has shape {shapedirs.shape}, expected ({num_vertices}, 3, 400) or (…, 20)."
        )
    posedirs_shape = headers["posedirs"][0]
    if posedirs_shape != (num_vertices, 3, 9 * (NUM_JOINTS - 1)):
        raise ModelFileError(f"{path}: posedirs has shape {posedirs_shape}, expected ({num_vertices}, 3, 486).")
    faces = arrays["f"].astype(np.int64)
    if faces.ndim != 2 or faces.shape[1] != 3 or (faces.size and (faces.min() < 0 or faces.max() >= num_vertices)):
        raise ModelFileError(f"{path}: faces (f) of shape {faces.shape} do not index its {num_vertices} vertices.")
    kintree = arrays["kintree_table"].astype(np.int64)
    parents = kintree[0].copy()
    parents[0] = -1   # the file stores 2**32 - 1 (or -1) for the root
    if not np.array_equal(kintree[1], np.arange(NUM_JOINTS)) or not np.array_equal(parents, PARENTS):
        raise ModelFileError(f"{path}: its kinematic tree is not the SMPL-X one; is this an SMPL-X model?")
    data = SmplxModelData(
        path=path,
        v_template=v_template,
        faces=faces,
        shapedirs=shapedirs.astype(np.float64, copy=False),
        J_regressor=arrays["J_regressor"].astype(np.float64, copy=False),
        weights=arrays["weights"].astype(np.float64, copy=False),
        parents=parents.astype(np.int32),
        hands_components_left=arrays["hands_componentsl"].astype(np.float64),
        hands_components_right=arrays["hands_componentsr"].astype(np.float64),
        hands_mean_left=arrays["hands_meanl"].astype(np.float64),
        hands_mean_right=arrays["hands_meanr"].astype(np.float64),
        posedirs=arrays["posedirs"].astype(np.float64, copy=False) if load_posedirs else None,
    )
    for name in ("v_template", "shapedirs", "J_regressor", "weights"):
        if not np.all(np.isfinite(getattr(data, name))):
            raise ModelFileError(f"{path}: {name} holds NaN or infinite values; the file is corrupt.")
    return data


def shaped_vertices(model: SmplxModelData, betas: np.ndarray, expression: np.ndarray | None = None) -> np.ndarray:
    """Template plus shape (and expression) offsets.

    Args:
        betas: (..., B) shape coefficients (B <= the file's shape directions).
        expression: (..., E) expression coefficients, or None for none.
    Returns:
        (..., V, 3) metres, model frame.
    """
    betas = np.asarray(betas, dtype=np.float64)
    verts = model.v_template + np.einsum("vcb,...b->...vc", model.shape_dirs(betas.shape[-1]), betas)
    if expression is not None:
        expression = np.asarray(expression, dtype=np.float64)
        verts = verts + np.einsum("vce,...e->...vc", model.expression_dirs(expression.shape[-1]), expression)
    return verts


def rest_joints_for_betas(model: SmplxModelData, betas: np.ndarray) -> np.ndarray:
    """The zero-pose skeleton of a body shape, as in the capture file's ``rest_joints``.

    Args:
        betas: (..., B) shape coefficients (10 in the capture file).
    Returns:
        (..., 55, 3) metres, SMPL-X model frame, pelvis at the origin
        (``J_regressor`` on the shaped template, minus the pelvis).
    """
    betas = np.asarray(betas, dtype=np.float64)
    if betas.shape[-1] > model.num_shape_coeffs:
        raise ValueError(f"{betas.shape[-1]} betas given; {model.path} has {model.num_shape_coeffs}")
    joints = np.einsum("jv,...vc->...jc", model.J_regressor, shaped_vertices(model, betas))
    return joints - joints[..., :1, :]


def load_through_smplx(
    path: str | os.PathLike,
    num_betas: int = 10,
    num_expression_coeffs: int = 10,
    gender: str = "neutral",
    dtype: str = "float32",
    data: SmplxModelData | None = None,
):
    """Builds the ``smplx`` package's SMPL-X model from the file and checks it.

    The model uses full hand poses relative to the flat hand (``use_pca=False``,
    ``flat_hand_mean=True``), as the capture file does. smplx itself would unpickle
    the file's object arrays, so it is given a temporary copy without them. The rest joints it regresses
    (zero betas and a few random ones) must match :func:`rest_joints_for_betas` on
    the numpy reader within 1e-5 m.

    Args:
        path: a folder or ``.npz`` file (resolved with :func:`resolve_smplx_model_path`).
        dtype: "float32" or "float64", the model's torch dtype.
        data: the numpy reader's data of the same file, when the caller has it
            (saves reading the file again).
    Returns:
        An ``smplx.SMPLX`` module (torch, on the CPU).
    Raises:
        DependencyError: torch or smplx missing. ModelFileError: bad file, or the two
        readers disagree.
    """
    resolved = resolve_smplx_model_path(path, gender)
    if resolved is None:
        raise ModelFileError(f"No SMPL-X model path given. {SMPLX_DOWNLOAD_HINT}")
    try:
        import smplx
        import torch
    except ImportError as error:
        raise DependencyError(
            f"Loading the SMPL-X model through the smplx package needs torch and smplx ({error}); "
            "run install_deps/install.py to create the core's environment."
        ) from error
    if data is None:
        data = load_smplx_model_data(resolved)
    kwargs = dict(
        gender=gender, ext="npz", num_betas=num_betas, num_expression_coeffs=num_expression_coeffs,
        use_pca=False, flat_hand_mean=True, dtype=getattr(torch, dtype),
    )
    # smplx reads .npz files with pickles allowed and unpickles every object array
    # in them (the real file has two). It gets a copy holding only the plain arrays.
    printed = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="wholebody_smplx_") as folder:
        safe_copy = Path(folder) / "SMPLX_NEUTRAL.npz"
        _write_plain_arrays_copy(resolved, safe_copy)
        try:
            with contextlib.redirect_stdout(printed):  # smplx print()s warnings; stdout carries progress records
                model = smplx.create(str(safe_copy), model_type="smplx", **kwargs)
        except (KeyError, AttributeError, ValueError, RuntimeError, TypeError) as error:
            raise ModelFileError(f"The smplx package could not build a model from {resolved}: {error}") from error
    for line in printed.getvalue().splitlines():
        logger.info("smplx: %s", line)

    rng = np.random.default_rng(0)
    used_betas = min(num_betas, data.num_shape_coeffs)
    test_betas = np.concatenate([np.zeros((1, used_betas)), rng.normal(0.0, 1.0, (2, used_betas))])
    with torch.no_grad():
        betas_t = torch.as_tensor(test_betas, dtype=model.shapedirs.dtype)
        v_shaped = model.v_template + torch.einsum("vcb,nb->nvc", model.shapedirs, betas_t)
        joints = torch.einsum("jv,nvc->njc", model.J_regressor, v_shaped).double().numpy()
    joints = joints - joints[:, :1]
    ours = rest_joints_for_betas(data, test_betas)
    error = float(np.abs(joints - ours).max())
    if error > 1e-5:
        raise ModelFileError(
            f"{resolved}: the smplx package and the numpy reader disagree on the rest joints by "
            f"{error:.2e} m; the file is not a standard SMPL-X model."
        )
    logger.info("SMPL-X model %s loaded through smplx (%d vertices)", resolved, data.num_vertices)
    return model


def _write_plain_arrays_copy(source: Path, target: Path) -> None:
    """Copies every array of ``source`` except object arrays (pickles) to ``target``."""
    headers = npz_array_headers(source)
    plain = [key for key, (_, dtype) in headers.items() if not dtype.hasobject]
    try:
        with np.load(source, allow_pickle=False) as npz, open(target, "wb") as handle:
            np.savez(handle, **{key: npz[key] for key in plain})
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise ModelFileError(f"{source} could not be read ({error}); the file may be corrupt.") from error


def smplx_joints(model, full_pose_rotvec: np.ndarray, betas: np.ndarray | None = None) -> np.ndarray:
    """The 55 posed joints from the ``smplx`` package's own forward pass.

    Args:
        model: from :func:`load_through_smplx`.
        full_pose_rotvec: (N, 55, 3) axis-angle in joint order (row 0: global orientation).
        betas: (N, B) or None for zeros.
    Returns:
        (N, 55, 3) metres; the pelvis where SMPL-X puts it (not at the origin: subtract
        joint 0 to compare with :mod:`wholebody_core.maths.kinematics`).
    """
    import torch

    pose = np.asarray(full_pose_rotvec, dtype=np.float64)
    num = pose.shape[0]
    dtype = model.shapedirs.dtype
    if betas is None:
        betas = np.zeros((num, model.num_betas))
    t = lambda a: torch.as_tensor(np.ascontiguousarray(a), dtype=dtype)  # noqa: E731
    with torch.no_grad():
        out = model(
            betas=t(betas), global_orient=t(pose[:, 0]), body_pose=t(pose[:, 1:22].reshape(num, -1)),
            jaw_pose=t(pose[:, 22]), leye_pose=t(pose[:, 23]), reye_pose=t(pose[:, 24]),
            left_hand_pose=t(pose[:, 25:40].reshape(num, -1)), right_hand_pose=t(pose[:, 40:55].reshape(num, -1)),
            expression=torch.zeros((num, model.num_expression_coeffs), dtype=dtype),
            transl=torch.zeros((num, 3), dtype=dtype), return_verts=False,
        )
    return out.joints[:, :NUM_JOINTS].double().numpy()
