"""Scene settings of the Mocap panel and the window manager's progress state."""
from __future__ import annotations

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty, StringProperty

from .worker import CaptureRequest


class WHOLEBODY_PG_settings(bpy.types.PropertyGroup):
    """What the **Capture from video** and **Import capture** buttons use (``scene.wholebody``)."""

    input_path: StringProperty(name="Video or image", subtype="FILE_PATH",
                               description="The footage to capture people from")
    capture_path: StringProperty(name="Capture file", subtype="FILE_PATH",
                                 description="A .capture.npz to import (set after a capture)")
    use_range: BoolProperty(name="Frame range", default=False,
                            description="Capture only the frames from Start to End")
    frame_start: IntProperty(name="Start", default=0, min=0,
                             description="First source frame to capture (0-based)")
    frame_end: IntProperty(name="End", default=100, min=0,
                           description="Last source frame to capture (0-based, inclusive)")
    stride: IntProperty(name="Stride", default=1, min=1, max=100,
                        description="Capture every n-th frame")
    max_people: IntProperty(name="Max people", default=10, min=1, max=64,
                            description="Capture at most this many people per frame, the most confident "
                                        "(the command line's --max-people: at least 1, default 10)")
    focal_mode: EnumProperty(
        name="Focal length",
        items=[("AUTO", "Auto", "The focal length in the file's metadata (an image's EXIF, an iPhone "
                          "video's QuickTime keys) when present, else a 60 degree horizontal field of view"),
               ("MM", "Millimetres", "Focal length and sensor width in mm"),
               ("PIXELS", "Pixels", "Focal length in pixels")],
        default="AUTO")
    focal_mm: FloatProperty(name="Focal (mm)", default=35.0, min=1.0, max=2000.0)
    sensor_mm: FloatProperty(name="Sensor width (mm)", default=36.0, min=1.0, max=200.0,
                             description="Sensor width of the camera that shot the footage; also the "
                                         "imported Blender camera's sensor width")
    focal_px: FloatProperty(name="Focal (px)", default=1000.0, min=1.0, max=100000.0)
    use_smoothing: BoolProperty(name="Smoothing", default=True)
    smoothing: FloatProperty(name="Strength", default=0.5, min=0.0, max=1.0,
                             subtype="FACTOR", description="Temporal smoothing of the motion")
    use_floor: BoolProperty(name="Put people on a floor", default=False,
                            description="Fit a ground plane to the feet and make it Z = 0")
    body: EnumProperty(
        name="Body",
        items=[("AUTO", "Auto", "The SMPL-X mesh when its model folder is set, else the default body"),
               ("SMPLX", "SMPL-X mesh", "Needs the SMPL-X model folder in the preferences"),
               ("DEFAULT", "Default body", "Capsules skinned to the armature"),
               ("NONE", "None", "Armatures only")],
        default="AUTO")


class WHOLEBODY_PG_progress(bpy.types.PropertyGroup):
    """A running capture, for the panel (``window_manager.wholebody_progress``)."""

    running: BoolProperty(default=False)
    frames_done: IntProperty(default=0)
    frames_total: IntProperty(default=0)
    fps: FloatProperty(default=0.0)
    eta_s: FloatProperty(default=0.0)
    factor: FloatProperty(default=0.0, min=0.0, max=1.0, subtype="FACTOR", name="Progress")
    message: StringProperty(default="")


# The property groups hold data only; what is computed from them is a function.
# bpy 4.2 as a Python module keeps PropertyGroup classes alive after unregister_class
# (5.0.1 frees them): a method's module globals then keep ``bpy`` alive at shutdown,
# Blender's exit never runs and the process dies with SIGSEGV on exit
# (tests/addon/test_blender_versions.py checks that they have none).


def capture_request(settings: WHOLEBODY_PG_settings, output_path: str, device: str,
                    smplx_model: str) -> CaptureRequest:
    """The panel's settings as the worker's options (paths made absolute)."""
    return CaptureRequest(
        input_path=bpy.path.abspath(settings.input_path), output_path=output_path,
        focal_px=settings.focal_px if settings.focal_mode == "PIXELS" else 0.0,
        focal_mm=settings.focal_mm if settings.focal_mode == "MM" else 0.0,
        sensor_mm=settings.sensor_mm, max_people=settings.max_people,
        start=settings.frame_start if settings.use_range else -1,
        end=settings.frame_end + 1 if settings.use_range else -1,
        stride=settings.stride, device=device, smplx_model=smplx_model,
        smoothing=settings.smoothing if settings.use_smoothing else 0.0,
    )


def status_text(progress: WHOLEBODY_PG_progress) -> str:
    """The status bar's and the panel's line for a running capture."""
    if progress.frames_total:
        return (f"Capturing: {progress.frames_done}/{progress.frames_total} frames, "
                f"{progress.fps:.1f} frames/s, ETA {progress.eta_s:.0f} s")
    return f"Capturing: {progress.frames_done} frames" if progress.frames_done else "Capturing: starting..."


def register_properties() -> None:
    bpy.types.Scene.wholebody = bpy.props.PointerProperty(type=WHOLEBODY_PG_settings)
    bpy.types.WindowManager.wholebody_progress = bpy.props.PointerProperty(type=WHOLEBODY_PG_progress)


def unregister_properties() -> None:
    del bpy.types.WindowManager.wholebody_progress
    del bpy.types.Scene.wholebody
