"""Exporting one captured person (armature, optionally the body) to FBX, BVH or glTF.

The exporters run on a temporarily prepared scene (``_PreparedScene``), restored
afterwards whatever happens: only the person's objects selected and shown (so a
person hidden on the current frame still exports: their visibility keys muted),
the keys of their actions shifted so the first captured frame is frame 0 (file
time 0), the scene's frame range that clip and its frame rate the capture's. The
user's keys (restored bit for bit from saved arrays), frame, range, frame rate,
selection, active object, visibility and the armature's transform are the same
afterwards. Files are written
to a temporary file in the target folder and renamed (atomic). Settings:
``export_presets``.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
from pathlib import Path

import bpy
import numpy as np
from mathutils import Matrix

from ..wholebody_core.errors import InputError, OutputError
from ..wholebody_core.npz_io import default_file_mode
from ..wholebody_core.skeleton import JOINT_INDEX, JOINT_NAMES, PARENTS
from . import axis_conversion, bvh_format, export_presets
from .anim_keys import action_fcurve_collections, fcurve_points, frame_range_of, keyed_frame_range
from .build_armature import FPS_PROPERTY
from .visibility import HIDE_PATHS

log = logging.getLogger(__name__)
PERSON_ID_PROPERTY = "wholebody_person_id"
CAPTURE_PROPERTY = "wholebody_capture"
_POSE_PATH = 'pose.bones["pelvis"].rotation_quaternion'
_FOOT_JOINTS = [JOINT_INDEX[n] for n in ("left_ankle", "right_ankle", "left_foot", "right_foot")]


@dataclasses.dataclass
class ExportResult:
    filepath: Path
    frame_start: int          # the scene frames exported (the user's timeline)
    frame_end: int
    fps: float
    warnings: list


def capture_armatures(scene: bpy.types.Scene) -> list:
    """The scene's person armatures (built by the import), by name."""
    return sorted((o for o in scene.objects if o.type == "ARMATURE" and PERSON_ID_PROPERTY in o),
                  key=lambda o: o.name)


def body_objects(armature: bpy.types.Object) -> list:
    """Meshes skinned to ``armature`` (its children with an Armature modifier on it)."""
    return [o for o in armature.children if o.type == "MESH"
            and any(m.type == "ARMATURE" and m.object == armature for m in o.modifiers)]


def is_retargeted(armature: bpy.types.Object) -> bool:
    """Whether ``armature`` is a character whose current action a retarget made (any rig, any bone names)."""
    from .retarget import RETARGET_ACTION_PROPERTY

    action = armature.animation_data.action if armature.animation_data else None
    return action is not None and bool(action.get(RETARGET_ACTION_PROPERTY))


def _frame_properties(fcurve) -> tuple[str, ...]:
    """The (frame, value) pairs of ``fcurve``'s points that a retime shifts: its keyframes' and their
    handles, or its baked samples' (on whole frames: the shift is a whole number of frames)."""
    return ("co", "handle_left", "handle_right") if len(fcurve.keyframe_points) else ("co",)


def _action_frame_range(action) -> tuple[float, float] | None:
    return frame_range_of(fcurve for fcurves in action_fcurve_collections(action) for fcurve in fcurves
                          if fcurve.data_path not in HIDE_PATHS)


def person_frame_range(armature: bpy.types.Object) -> tuple[int, int]:
    """First and last keyed scene frame of the person's pose (of every key, for a retargeted character);
    raises InputError without one."""
    action = armature.animation_data.action if armature.animation_data else None
    if action is not None and PERSON_ID_PROPERTY not in armature and is_retargeted(armature):
        keyed = _action_frame_range(action)
    else:
        keyed = keyed_frame_range(action, _POSE_PATH) if action is not None else None
    if keyed is None:
        raise InputError(f"{armature.name!r} has no captured motion (no action keying the pelvis); "
                         "export an armature made by Import capture.")
    return int(round(keyed[0])), int(round(keyed[1]))


def default_filename(armature: bpy.types.Object, target: str) -> str:
    return bpy.path.clean_name(armature.name) + export_presets.SUFFIXES[target]


def _set_fps(scene, fps: float) -> None:
    whole = max(1, int(round(fps)))
    scene.render.fps = whole
    scene.render.fps_base = whole / fps


class _PreparedScene:
    """Context manager: the scene set up for exporting ``armature`` (and ``bodies``), restored on exit."""

    def __init__(self, context, armature, bodies, frame_range, fps):
        self.context, self.scene, self.view_layer = context, context.scene, context.view_layer
        self.armature, self.parts = armature, [armature] + list(bodies)
        self.first, self.last = frame_range
        self.fps = fps
        self.start = 0                          # the first captured frame moves here (file time 0)
        self.shift = self.first
        self._keys, self._muted = [], []

    def __enter__(self):
        scene, render = self.scene, self.scene.render
        self._scene_state = (scene.frame_current, scene.frame_start, scene.frame_end, render.fps, render.fps_base)
        self._selection = [(o, o.select_get()) for o in self.view_layer.objects]
        self._active = self.view_layer.objects.active
        self._parts_state = [(o, o.hide_viewport, o.hide_render, o.hide_get(), o.matrix_world.copy())
                             for o in self.parts]
        try:
            for owner in self._animated_ids():
                self._retime(owner)
            for obj in self.parts:
                obj.hide_viewport = obj.hide_render = False
                obj.hide_set(False)
            scene.frame_start, scene.frame_end = self.start, self.start + self.last - self.first
            _set_fps(scene, self.fps)
            scene.frame_set(self.start)
            for obj in self.view_layer.objects:
                obj.select_set(False)
            for obj in self.parts:
                obj.select_set(True)
            self.view_layer.objects.active = self.armature
        except BaseException:
            self.__exit__(None, None, None)
            raise
        if not self.armature.select_get():
            self.__exit__(None, None, None)
            raise InputError(f"{self.armature.name!r} cannot be selected; make it selectable and export again.")
        return self

    def _animated_ids(self):
        for obj in self.parts:
            yield obj
            keys = obj.data.shape_keys if obj.type == "MESH" else None
            if keys is not None:
                yield keys

    def _retime(self, owner) -> None:
        """Shifts every key of ``owner``'s action by ``-self.shift`` frames and mutes its visibility
        keys, remembering the exact key arrays (``__exit__`` puts them back bit for bit)."""
        animation = owner.animation_data
        if animation is None or animation.action is None:
            return
        for fcurves in action_fcurve_collections(animation.action):
            for fcurve in fcurves:
                if fcurve.data_path in HIDE_PATHS:
                    self._muted.append((fcurve, fcurve.mute))
                    fcurve.mute = True
                points = fcurve_points(fcurve)
                saved = []
                for name in _frame_properties(fcurve):
                    values = np.empty(2 * len(points), dtype=np.float32)
                    points.foreach_get(name, values)
                    saved.append(values.copy())
                    values[0::2] -= self.shift
                    points.foreach_set(name, values)
                self._keys.append((fcurve, saved))
                fcurve.update()

    def __exit__(self, *exc):
        scene, render = self.scene, self.scene.render
        for fcurve, saved in reversed(self._keys):
            points = fcurve_points(fcurve)
            for name, values in zip(_frame_properties(fcurve), saved):
                points.foreach_set(name, values)
            fcurve.update()
        for fcurve, mute in self._muted:
            fcurve.mute = mute
        self._keys, self._muted = [], []
        for obj, hide_viewport, hide_render, hidden, matrix in self._parts_state:
            obj.hide_viewport, obj.hide_render = hide_viewport, hide_render
            obj.hide_set(hidden)
            obj.matrix_world = matrix
        for obj, selected in self._selection:
            obj.select_set(selected)
        self.view_layer.objects.active = self._active
        frame, scene.frame_start, scene.frame_end, render.fps, render.fps_base = self._scene_state
        scene.frame_set(frame)
        return False


def _sample_pose(scene, armature, num_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """(T, 4, 4) world matrix and (T, 55, 4, 4) armature-space pose matrices on frames start..start+T-1."""
    start = scene.frame_start
    bones = [armature.pose.bones[name] for name in JOINT_NAMES]
    world = np.empty((num_frames, 4, 4))
    pose = np.empty((num_frames, len(bones), 4, 4))
    for t in range(num_frames):
        scene.frame_set(start + t)
        world[t] = np.array(armature.matrix_world)
        for j, bone in enumerate(bones):
            pose[t, j] = np.array(bone.matrix)
    scene.frame_set(start)
    return world, pose


def _move_to_origin(scene, armature, num_frames: int) -> None:
    """Puts the first frame's pelvis over the world origin and the lowest foot joint on Z = 0."""
    world, pose = _sample_pose(scene, armature, num_frames)
    heads = np.einsum("tab,tjb->tja", world, pose[:, :, :, 3])[..., :3]
    shift = np.array([-heads[0, 0, 0], -heads[0, 0, 1], -heads[:, _FOOT_JOINTS, 2].min()])
    armature.matrix_world = Matrix.Translation(shift.tolist()) @ armature.matrix_world
    scene.frame_set(scene.frame_start)


def _write_bvh(path: Path, scene, armature, num_frames: int, fps: float) -> None:
    world, pose = _sample_pose(scene, armature, num_frames)
    rest = np.array([np.array(armature.data.bones[name].matrix_local) for name in JOINT_NAMES])
    heads = rest[:, :3, 3]
    tails = np.array([tuple(armature.data.bones[name].tail_local) for name in JOINT_NAMES])
    yup = axis_conversion.YUP_FROM_ZUP
    rot_world = world[:, None, :3, :3] / np.cbrt(np.linalg.det(world[:, :3, :3]))[:, None, None, None]
    deform = rot_world @ pose[..., :3, :3] @ np.swapaxes(rest[:, :3, :3], -1, -2)     # (T, 55, 3, 3)
    offsets = heads - np.where(PARENTS[:, None] >= 0, heads[np.maximum(PARENTS, 0)], 0.0)
    root = np.einsum("tab,tb->ta", world, pose[:, 0, :, 3])[:, :3]
    text = bvh_format.bvh_text(JOINT_NAMES, PARENTS, offsets @ yup.T, (tails - heads) @ yup.T, root @ yup.T,
                               yup @ deform @ yup.T, 1.0 / fps)
    path.write_text(text, encoding="utf-8", newline="\n")


def _run_exporter(target: str, path: Path, scene, armature, num_frames: int, fps: float) -> None:
    if target == export_presets.BVH:
        _write_bvh(path, scene, armature, num_frames, fps)
    elif target == export_presets.GLB:
        bpy.ops.export_scene.gltf(filepath=str(path), **export_presets.GLTF_SETTINGS.kwargs())
    else:
        bpy.ops.export_scene.fbx(filepath=str(path), **export_presets.FBX_PRESETS[target].kwargs())


def _temporary_path(final: Path) -> Path:
    folder = final.parent
    if not folder.is_dir():
        raise OutputError(f"cannot write {final}: the folder {folder} does not exist; choose an existing folder.")
    try:
        handle, name = tempfile.mkstemp(prefix=f".{final.stem}.", suffix=".tmp" + final.suffix, dir=folder)
    except OSError as error:
        raise OutputError(f"cannot write into {folder} ({error.strerror}); choose a folder you can write to.") \
            from error
    os.close(handle)
    return Path(name)


def export_amass(armature: bpy.types.Object, filepath: str | os.PathLike, smplx_model_path: str = "") -> ExportResult:
    """The person's SMPL-X / AMASS ``.npz`` (``amass_export``), from the capture file the armature was
    imported from, in the scene's world (the armature's transform). With ``smplx_model_path``
    ``trans`` is SMPL-X's ``transl``; without, the pelvis position (and a warning says so)."""
    from ..wholebody_core.capture_format import read_capture
    from . import amass_export

    source = armature.get(CAPTURE_PROPERTY, "")
    person_id = armature.get(PERSON_ID_PROPERTY)
    if not source or person_id is None:
        raise InputError(f"{armature.name!r} was not made by Import capture; the SMPL-X export needs its capture.")
    source = bpy.path.abspath(source)
    if not os.path.isfile(source):
        raise InputError(f"the capture file {source} of {armature.name!r} is gone; put it back to export SMPL-X.")
    capture = read_capture(source)
    matches = np.flatnonzero(capture.person_ids == int(person_id))
    if matches.size != 1:
        raise InputError(f"{source} has no person {person_id}; was the file replaced since the import?")
    person = int(matches[0])
    warnings, rest_pelvis = [], None
    if smplx_model_path:
        from . import smplx_body
        from ..wholebody_core import body_model

        model = smplx_body.load_model(smplx_model_path)
        betas = capture.betas[person].astype(np.float64)[: model.num_shape_coeffs]
        rest_pelvis = (model.J_regressor @ body_model.shaped_vertices(model, betas))[0]
    else:
        warnings.append("no SMPL-X model folder set: 'trans' is the pelvis position, not SMPL-X's transl "
                        "(set the model folder in the preferences for exact trans)")
    arrays = amass_export.amass_arrays(capture, person, np.array(armature.matrix_world), rest_pelvis)
    final = Path(bpy.path.abspath(str(filepath)))
    _temporary_path(final).unlink()       # the same checks and messages as the other formats
    try:
        amass_export.write_amass_npz(final, arrays)
    except OSError as error:
        raise OutputError(f"cannot write {final} ({error.strerror or error}); choose a folder you can write to.") \
            from error
    first, last = (int(f) + 1 for f in arrays["frame_indices"][[0, -1]])
    return ExportResult(final, first, last, float(arrays["mocap_frame_rate"]), warnings)


def export_person(context, armature: bpy.types.Object, filepath: str | os.PathLike,
                  options: export_presets.ExportOptions) -> ExportResult:
    """Writes ``armature``'s person to ``filepath`` (FBX, BVH or glTF; see ``export_presets``).

    Raises InputError (not a capture armature, nothing keyed) or OutputError (cannot
    write there); the scene is unchanged either way.
    """
    if armature is None or armature.type != "ARMATURE":
        raise InputError("select a person's armature (made by Import capture) or a retargeted character "
                         "to export.")
    if options.target == export_presets.AMASS:
        return export_amass(armature, filepath, options.smplx_model_path)
    if PERSON_ID_PROPERTY not in armature and (options.target == export_presets.BVH or options.at_origin):
        what = "BVH" if options.target == export_presets.BVH else "'At the origin'"
        raise InputError(f"{what} needs a captured person's SMPL-X skeleton; export the retargeted character "
                         f"{armature.name!r} as FBX or glTF (without 'At the origin'), or its source person.")
    context.view_layer.update()          # the view layer's objects follow collection changes lazily
    if armature.name not in context.view_layer.objects:
        raise InputError(f"{armature.name!r} is not in the view layer (is its collection excluded?); "
                         "include it and export again.")
    first, last = person_frame_range(armature)
    fps = float(armature.get(FPS_PROPERTY, 0.0)) or context.scene.render.fps / context.scene.render.fps_base
    final = Path(bpy.path.abspath(str(filepath)))
    warnings = []
    if armature.hide_viewport or not armature.visible_get():
        warnings.append(f"{armature.name} is hidden on frame {context.scene.frame_current}; exported anyway "
                        f"(frames {first}-{last})")
    bodies = [b for b in body_objects(armature) if b.name in context.view_layer.objects] \
        if options.with_body else []
    temporary = _temporary_path(final)
    try:
        with _PreparedScene(context, armature, bodies, (first, last), fps) as prepared:
            if options.at_origin:
                _move_to_origin(prepared.scene, armature, last - first + 1)
            _run_exporter(options.target, temporary, prepared.scene, armature, last - first + 1, fps)
        if not temporary.is_file() or temporary.stat().st_size == 0:
            raise OutputError(f"the exporter wrote nothing for {armature.name}; nothing was saved to {final}.")
        os.chmod(temporary, default_file_mode())
        os.replace(temporary, final)
    except RuntimeError as error:      # bpy.ops reports
        raise OutputError(f"exporting {armature.name} to {final} failed: {error}") from error
    except OSError as error:
        raise OutputError(f"cannot write {final} ({error.strerror or error}); choose a folder you can write to.") \
            from error
    finally:
        if temporary.exists():
            temporary.unlink()
    log.info("exported %s frames %d-%d at %.3f fps to %s", armature.name, first, last, fps, final)
    return ExportResult(final, first, last, fps, warnings)
