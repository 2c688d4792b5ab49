"""What each export target writes: the exporters' settings, as dataclasses (pure, no bpy).

Blender's exporters with their defaults give wrong files for a capture (all actions
written, keys shifted, an x100 / -90 degree root, a Z-up BVH read as Y-up, frames
retimed by the scene's frame rate). ``export_person`` runs them with these settings
on a scene it has prepared: only the person's armature (and body) selected, their
own action re-timed so the first captured frame is at time 0, the scene's frame
range that clip and its frame rate the capture's (everything restored afterwards).
Each field is the exporter operator's keyword argument of the same name.

Game engines (the reasoning):
- **Units.** FBX files carry ``UnitScaleFactor`` (centimetres per file unit).
  ``apply_scale_options='FBX_SCALE_ALL'`` writes metres (factor 100) with scale 1 on
  every node, so no importer sees an x100 root: Unity shows "1m (File)" and imports
  at scale 1; Unreal's "Convert Scene Unit" turns the metres into its centimetres.
- **Axes.** Unity is Y up, characters face +Z: ``axis_up='Y', axis_forward='-Z'``
  (Blender's -Y front becomes +Z). Blender can only express that as a -90 degree
  rotation on the armature node (``bake_space_transform`` is documented as broken for
  armatures), which Unity's "Bake Axis Conversion" removes. Unreal is Z up like
  Blender: ``axis_up='Z', axis_forward='Y'`` is the identity, so the armature node has
  no rotation at all and Unreal's importer does its own handedness flip
  (the character faces -Y, Unreal's default FBX front; "Force Front XAxis" turns it).
- **Bones.** No leaf bones (``add_leaf_bones=False``: the importers would get 55
  extra ``_end`` bones), bone Y along the bone (``primary_bone_axis='Y'``,
  ``secondary_bone_axis='X'``: Blender's own bone axes, so rolls survive), every
  frame baked (``bake_anim_step=1``, no simplification, start and end keyed) from
  this object's own action only (no NLA, not all actions).
- **Meshes.** The body goes out bound in its rest shape (``use_mesh_modifiers=False``,
  else the armature modifier would be applied and the mesh deformed twice).
"""
from __future__ import annotations

import dataclasses

# Target ids: the operators' enum items and the batch script's --preset.
FBX_UNITY, FBX_UNREAL, BVH, GLB, AMASS = "FBX_UNITY", "FBX_UNREAL", "BVH", "GLB", "AMASS"
SUFFIXES = {FBX_UNITY: ".fbx", FBX_UNREAL: ".fbx", BVH: ".bvh", GLB: ".glb", AMASS: ".npz"}
TARGET_ITEMS = (
    (FBX_UNITY, "FBX for Unity", "Y up, metres with scale 1, only this person's action, baked"),
    (FBX_UNREAL, "FBX for Unreal", "Z up, metres (Unreal converts to cm), no root rotation or scale"),
    (BVH, "BVH", "Y up (the BVH convention), ZXY rotations, the capture's frame time"),
    (GLB, "glTF binary (.glb)", "Y up, metres, one animation sampled on every frame"),
    (AMASS, "SMPL-X / AMASS (.npz)", "The SMPL-X parameters per frame (poses, trans, betas)"),
)


@dataclasses.dataclass(frozen=True)
class FbxSettings:
    """Keyword arguments of ``bpy.ops.export_scene.fbx``."""

    axis_forward: str
    axis_up: str
    apply_scale_options: str = "FBX_SCALE_ALL"
    global_scale: float = 1.0
    apply_unit_scale: bool = True
    bake_space_transform: bool = False
    use_selection: bool = True
    use_visible: bool = False
    use_active_collection: bool = False
    object_types: frozenset = frozenset({"ARMATURE", "MESH"})
    use_mesh_modifiers: bool = False
    use_custom_props: bool = False
    add_leaf_bones: bool = False
    primary_bone_axis: str = "Y"
    secondary_bone_axis: str = "X"
    use_armature_deform_only: bool = False
    armature_nodetype: str = "NULL"
    bake_anim: bool = True
    bake_anim_use_all_bones: bool = True
    bake_anim_use_nla_strips: bool = False
    bake_anim_use_all_actions: bool = False
    bake_anim_force_startend_keying: bool = True
    bake_anim_step: float = 1.0
    bake_anim_simplify_factor: float = 0.0
    path_mode: str = "AUTO"

    def kwargs(self) -> dict:
        values = dataclasses.asdict(self)
        values["object_types"] = set(self.object_types)
        return values


@dataclasses.dataclass(frozen=True)
class GltfSettings:
    """Keyword arguments of ``bpy.ops.export_scene.gltf`` (4.2 to 5.0)."""

    export_format: str = "GLB"
    use_selection: bool = True
    export_yup: bool = True
    export_apply: bool = False
    export_animations: bool = True
    export_animation_mode: str = "SCENE"      # 4.2's ACTIVE_ACTIONS also samples unselected armatures' actions
    export_frame_range: bool = True
    export_frame_step: int = 1
    export_force_sampling: bool = True
    export_optimize_animation_size: bool = False
    export_anim_single_armature: bool = True
    export_anim_slide_to_zero: bool = False
    export_negative_frame: str = "CROP"   # muted visibility keys may sit before the clip: never slide by them
    export_current_frame: bool = False
    export_def_bones: bool = False
    export_leaf_bone: bool = False
    export_rest_position_armature: bool = True
    export_skins: bool = True
    export_morph: bool = True
    export_morph_animation: bool = True
    export_cameras: bool = False
    export_lights: bool = False
    export_extras: bool = False

    def kwargs(self) -> dict:
        return dataclasses.asdict(self)


FBX_PRESETS = {
    FBX_UNITY: FbxSettings(axis_forward="-Z", axis_up="Y"),
    FBX_UNREAL: FbxSettings(axis_forward="Y", axis_up="Z"),
}
GLTF_SETTINGS = GltfSettings()
BVH_ROTATION_ORDER = "ZXY"     # the channel order most BVH readers expect (CMU, MotionBuilder)


@dataclasses.dataclass(frozen=True)
class ExportOptions:
    """One person's export."""

    target: str = FBX_UNITY
    with_body: bool = True         # the person's skinned body mesh (default or SMPL-X) with the skeleton
    at_origin: bool = False        # move the person so the first frame's pelvis is over the origin, feet on Z = 0
    smplx_model_path: str = ""     # AMASS: the SMPL-X model (folder or .npz) for the rest pelvis in ``trans``

    def __post_init__(self):
        if self.target not in SUFFIXES:
            raise ValueError(f"unknown export target {self.target!r}; choose one of {sorted(SUFFIXES)}")
