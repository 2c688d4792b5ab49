"""The SMPL-X mesh (from the user's model file) skinned to a capture armature.

Shape keys: ``beta_00..`` (the person's betas, constant) and ``expr_00..``
(keyframed from the capture's ``expression`` on valid frames), all in the model
frame moved to armature space by ``axis_conversion``. The mesh is translated so
that the shaped body's pelvis joint is at the origin, like ``rest_joints``.
Pose correctives (``posedirs``) are not applied: plain linear blend skinning.
"""
from __future__ import annotations

import logging

import bpy
import numpy as np

from ..wholebody_core import body_model
from ..wholebody_core.capture_format import Capture
from ..wholebody_core.skeleton import JOINT_NAMES
from . import axis_conversion
from .anim_keys import ObjectActionWriter
from .build_armature import capture_frame_numbers

log = logging.getLogger(__name__)
_MIN_WEIGHT = 1e-4
_SLIDER_LIMIT = 10.0
_models: dict[str, body_model.SmplxModelData] = {}


def load_model(path: str) -> body_model.SmplxModelData:
    """The user's SMPL-X model (cached per resolved file); raises ModelFileError."""
    resolved = body_model.resolve_smplx_model_path(path)
    key = str(resolved)
    if key not in _models:
        _models.clear()
        _models[key] = body_model.load_smplx_model_data(resolved)
    return _models[key]


def _add_shape_keys(obj, base_model: np.ndarray, directions: np.ndarray, prefix: str,
                    values: np.ndarray | None) -> list:
    """One shape key per direction (V, 3, n) (model frame); returns the key blocks."""
    blocks = []
    for i in range(directions.shape[-1]):
        block = obj.shape_key_add(name=f"{prefix}{i:02d}", from_mix=False)
        block.slider_min, block.slider_max = -_SLIDER_LIMIT, _SLIDER_LIMIT
        block.data.foreach_set("co", axis_conversion.model_to_arm(base_model + directions[..., i]).astype(np.float32).ravel())
        if values is not None:
            block.value = float(np.clip(values[i], -_SLIDER_LIMIT, _SLIDER_LIMIT))
        blocks.append(block)
    return blocks


def build_smplx_body(name: str, armature_obj: bpy.types.Object, capture: Capture, person: int,
                     model_path: str, collection: bpy.types.Collection,
                     as_samples: bool = False) -> bpy.types.Object:
    """The SMPL-X mesh of ``person`` with betas and expression shape keys (keyed, or baked
    into samples with ``as_samples``), skinned."""
    model = load_model(model_path)
    betas = capture.betas[person].astype(np.float64)[: model.num_shape_coeffs]
    shape_dirs = model.shape_dirs(len(betas))
    expression_dirs = model.expression_dirs(capture.expression.shape[-1])
    shaped = model.v_template + np.einsum("vcb,b->vc", shape_dirs, betas)
    joints = model.J_regressor @ shaped                                       # (55, 3)
    gap = np.abs((joints - joints[0]) - capture.rest_joints[person]).max()
    if gap > 0.02:
        log.warning("%s: the capture's rest skeleton differs from the SMPL-X model's by %.3f m; "
                    "the mesh follows the armature only approximately", name, gap)
    base_model = model.v_template - joints[0]

    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata(axis_conversion.model_to_arm(base_model).tolist(), [], model.faces.tolist())
    mesh.polygons.foreach_set("use_smooth", np.ones(len(mesh.polygons), dtype=bool))
    mesh.update()
    obj = bpy.data.objects.new(name, mesh)
    collection.objects.link(obj)
    obj.parent = armature_obj
    obj.shape_key_add(name="Basis", from_mix=False)
    _add_shape_keys(obj, base_model, shape_dirs, "beta_", betas)
    _add_shape_keys(obj, base_model, expression_dirs, "expr_", None)

    for joint, joint_name in enumerate(JOINT_NAMES):
        group = obj.vertex_groups.new(name=joint_name)
        column = model.weights[:, joint]
        for vertex in np.flatnonzero(column > _MIN_WEIGHT).tolist():
            group.add([vertex], float(column[vertex]), "REPLACE")
    modifier = obj.modifiers.new("Armature", "ARMATURE")
    modifier.object = armature_obj

    valid = capture.valid[person]
    if valid.any() and expression_dirs.shape[-1]:
        writer = ObjectActionWriter(mesh.shape_keys, f"{name}_expression", id_type="KEY",
                                    as_samples=as_samples)
        frames = capture_frame_numbers(capture.frame_indices)[valid]
        values = capture.expression[person][valid][:, : expression_dirs.shape[-1]]
        for i in range(values.shape[1]):
            writer.write(f'key_blocks["expr_{i:02d}"].value', frames, values[:, i:i + 1], "Expression")
    return obj
