"""``bpy.ops.wholebody.import_capture``: a .capture.npz into the scene."""
from __future__ import annotations

import logging
import os

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, StringProperty
from bpy_extras.io_utils import ImportHelper

from ..wholebody_core.capture_format import read_capture
from ..wholebody_core.errors import CaptureError
from . import preferences
from .import_rollback import SceneSnapshot
from .motion_storage import STORAGE_ITEMS as MOTION_STORAGE_ITEMS

log = logging.getLogger(__name__)

BODY_ITEMS = [
    ("AUTO", "Auto", "The SMPL-X mesh when its model folder is set, else the default body"),
    ("SMPLX", "SMPL-X mesh", "Needs the SMPL-X model folder in the preferences"),
    ("DEFAULT", "Default body", "Capsules skinned to the armature"),
    ("NONE", "None", "Armatures only"),
]

SCENE_SETTINGS_ITEMS = [
    ("AUTO", "First capture only", "Set them for the first capture in the scene (its camera, resolution, "
                                   "frame range and frame rate); leave them as they are for later captures"),
    ("SET", "Set", "Make this capture's camera the scene camera, use its resolution and extend the frame "
                   "range to include its frames (never shrink it)"),
    ("KEEP", "Keep", "Leave the scene camera, resolution, frame range and frame rate as they are"),
]


def import_capture_file(context, filepath: str, *, use_floor: bool, body: str,
                        sensor_width_mm: float, source_path: str = "", source_hint: str = "",
                        scene_settings: str = "AUTO", footage_in_render: bool = True,
                        key_unsure_joints: bool = True, motion_storage: str = "AUTO"):
    """Reads and checks (pure, may raise CaptureError), then builds (bpy). Returns the ImportResult.

    ``source_path``: footage the user chose; ``source_hint``: the panel's video,
    used only when its file name is the capture's ``source`` (it may belong to
    another capture); else the source is looked for next to the capture. The file
    is checked completely before the scene is touched. The import runs in
    Object mode (switching to it from Pose, Edit or any other mode); if building
    still fails, everything it created is removed and the scene's camera,
    resolution, frame range, frame rate, active object and mode are restored
    before the error propagates.
    """
    from .import_scene import ImportOptions, build_capture_scene

    capture = read_capture(filepath)
    prefs = preferences.get_preferences(context)
    model = preferences.smplx_model_path(prefs)
    if body == "SMPLX" and not model:
        raise CaptureError("the SMPL-X mesh needs your SMPL-X model folder: set it in the add-on "
                           "preferences, or choose the default body.")
    options = ImportOptions(body=body, use_floor=use_floor, sensor_width_mm=sensor_width_mm,
                            source_path=source_path, smplx_model_path=model if body != "DEFAULT" else "",
                            source_hint=source_hint, scene_settings=scene_settings,
                            footage_in_render=footage_in_render, key_unsure_joints=key_unsure_joints,
                            motion_storage=motion_storage)
    snapshot = SceneSnapshot.take(context)
    try:
        _object_mode(context)
        return build_capture_scene(context, capture, filepath, options)
    except BaseException:
        try:
            snapshot.restore(context)
        except Exception:  # noqa: BLE001 - keep the first error; this one goes to the log
            log.error("could not fully roll back the failed import", exc_info=True)
        raise


def _object_mode(context) -> None:
    """Leaves Pose, Edit, Sculpt or any other mode: the import builds in Object mode."""
    active = context.view_layer.objects.active
    if active is None or context.mode == "OBJECT":
        return
    try:
        bpy.ops.object.mode_set(mode="OBJECT")
    except RuntimeError as error:
        raise CaptureError(f"the active object {active.name!r} cannot leave {active.mode.title()} mode "
                           f"({error}); switch to Object mode, then import again.") from None


def report_import(report, result) -> None:
    """Tells the user what an import built (``report``: an operator's ``report``)."""
    for warning in result.warnings:
        report({"WARNING"}, warning)
    scene = ("; set " + ", ".join(result.scene_changes) if result.scene_changes
             else "; the scene camera, resolution and frame range were left as they were")
    if result.footage_plane is not None and result.footage_plane.hide_render:
        scene += (f" (to render through {result.camera.name!r}, make it the scene camera and enable "
                  f"{result.footage_plane.name!r} in renders)")
    report({"INFO"}, f"Imported {len(result.armatures)} people into collection {result.collection.name!r}"
                     + scene)
    if result.motion_as_samples:
        report({"INFO"}, "The motion is stored as baked samples, to save memory (a long capture); it plays and "
                         "exports the same. To edit curves by hand, select their channels in the Graph Editor: "
                         "Channel > Samples to Keys.")


class WHOLEBODY_OT_import_capture(bpy.types.Operator, ImportHelper):
    """Import a capture file: one SMPL-X armature per person, a camera with the footage"""

    bl_idname = "wholebody.import_capture"
    bl_label = "Import capture"
    bl_options = {"REGISTER", "UNDO"}

    filename_ext = ".npz"
    filter_glob: StringProperty(default="*.capture.npz", options={"HIDDEN"})
    use_floor: BoolProperty(name="Put people on a floor", default=False,
                            description="Fit a ground plane to the feet and make it Z = 0")
    body: EnumProperty(name="Body", items=BODY_ITEMS, default="AUTO")
    sensor_width: FloatProperty(name="Sensor width (mm)", default=36.0, min=1.0, max=200.0)
    source_path: StringProperty(name="Footage", subtype="FILE_PATH", options={"SKIP_SAVE"},
                                description="The source video/image (empty: the capture's own source, "
                                            "found next to the capture)")
    source_hint: StringProperty(options={"HIDDEN", "SKIP_SAVE"},
                                description="The Mocap panel's video: used only if it is the capture's source")
    scene_settings: EnumProperty(name="Scene camera, resolution, frame range", items=SCENE_SETTINGS_ITEMS,
                                 default="AUTO")
    footage_in_render: BoolProperty(name="Footage in renders", default=True,
                                    description="Put the footage on a plane behind the people, filling the "
                                                "camera's view, so that renders (F12) show it")
    key_unsure_joints: BoolProperty(
        name="Key unsure joints", default=True,
        description="Key bones also where their rotation was not really seen (its joint or a joint it moves "
                    "below 0.5 confidence: outside the frame, hidden, hand or face not found), with the "
                    "held pose the capture gives them. Off: no rotation keys there, so the curves "
                    "interpolate between the sure keys")
    motion_storage: EnumProperty(name="Store motion as", items=MOTION_STORAGE_ITEMS, default="AUTO")

    @classmethod
    def poll(cls, context):
        return context.scene is not None

    def invoke(self, context, event):
        # the panel's button passes the capture it just made: import it without asking
        if self.filepath and os.path.isfile(bpy.path.abspath(self.filepath)):
            return self.execute(context)
        return ImportHelper.invoke(self, context, event)

    def execute(self, context):
        filepath = bpy.path.abspath(self.filepath)
        if not os.path.isfile(filepath):
            self.report({"ERROR"}, f"capture file {filepath!r} does not exist; choose a .capture.npz file.")
            return {"CANCELLED"}
        try:
            result = import_capture_file(context, filepath, use_floor=self.use_floor, body=self.body,
                                         sensor_width_mm=self.sensor_width, source_path=self.source_path,
                                         source_hint=self.source_hint, scene_settings=self.scene_settings,
                                         footage_in_render=self.footage_in_render,
                                         key_unsure_joints=self.key_unsure_joints,
                                         motion_storage=self.motion_storage)
        except CaptureError as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        except Exception as error:  # noqa: BLE001 - a bug: the scene is already rolled back; report, don't crash
            log.error("importing %s failed", filepath, exc_info=True)
            self.report({"ERROR"}, f"Import failed ({type(error).__name__}: {error}); the scene was left as it "
                                   "was. This is a bug: please report it with the capture file.")
            return {"CANCELLED"}
        report_import(self.report, result)
        return {"FINISHED"}
