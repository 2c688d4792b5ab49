"""Add-on preferences: the core's Python environment, model folders, device."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import bpy
from bpy.props import EnumProperty, StringProperty

from ..wholebody_core.backends import DEFAULT_BACKEND, get_backend, list_backends

ROOT_PACKAGE = __package__.rpartition(".")[0]
BACKEND_ITEMS = [(name, name, get_backend(name).summary) for name in list_backends()]
CHECKPOINT_PARTS = ("body", "hand", "face", "hand4whole", "rootnet")
_CHECKPOINT_LABELS = {
    "body": ("Pose2Pose body", "snapshot_6_body.pth.tar (pose2pose backend)"),
    "hand": ("Pose2Pose hand", "snapshot_12_hand.pth.tar (pose2pose; hand4whole's hand integration)"),
    "face": ("Pose2Pose face", "snapshot_12_face.pth.tar (pose2pose backend)"),
    "hand4whole": ("Hand4Whole", "snapshot_6.pth.tar (hand4whole backend)"),
    "rootnet": ("RootNet", "snapshot_18.pth.tar (optional: root depth for the network backends)"),
}


def user_data_dir(create: bool = False) -> Path:
    """The extension's own writable folder (``extension_path_user``), or, when loaded
    as a legacy add-on, a folder in Blender's config directory."""
    try:
        return Path(bpy.utils.extension_path_user(ROOT_PACKAGE, create=create))
    except (AttributeError, ValueError):  # a legacy add-on (tests, Blender < 4.2)
        folder = Path(bpy.utils.user_resource("CONFIG", path=ROOT_PACKAGE.rpartition(".")[2]))
        if create:
            folder.mkdir(parents=True, exist_ok=True)
        return folder


def default_venv_dir(prefs: "WHOLEBODY_AP_preferences | None" = None, create: bool = False) -> Path:
    """Where Install dependencies puts the core's environment: ``venv`` in the folder the user
    picked (Environment folder), else in the extension's user folder."""
    if prefs is not None and prefs.env_dir:
        folder = Path(os.path.normpath(bpy.path.abspath(prefs.env_dir)))
        if create:
            folder.mkdir(parents=True, exist_ok=True)
    else:
        folder = user_data_dir(create=create)
    return folder / "venv"


READY_MARKER = ".wholebody_ready"
"""Written into the environment once Install dependencies succeeded (its import check passed):
an interrupted install leaves a Python but not a working environment."""


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def default_base_python() -> str:
    """A system Python to build the core's environment with (never Blender's own site)."""
    return shutil.which("python3") or shutil.which("python") or sys.executable


class WHOLEBODY_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = ROOT_PACKAGE

    core_python: StringProperty(
        name="Core Python", subtype="FILE_PATH",
        description="Python of the core's environment (empty: the one Install dependencies creates)")
    env_dir: StringProperty(
        name="Environment folder", subtype="DIR_PATH",
        description="Where Install dependencies creates the core's environment, about 1.5 GB "
                    "(empty: the extension's user folder)")
    base_python: StringProperty(
        name="Python for installing", subtype="FILE_PATH",
        description="A Python 3.11+ used to create the core's environment (empty: python3 on PATH)")
    smplx_model_dir: StringProperty(
        name="SMPL-X model", subtype="DIR_PATH",
        description="Folder with your SMPL-X model files (optional; gives the SMPL-X mesh)")
    device: EnumProperty(
        name="Device",
        items=[("auto", "Auto", "The GPU when there is one, else the CPU"),
               ("cpu", "CPU", ""), ("cuda", "GPU (CUDA)", "")],
        default="auto")
    backend: EnumProperty(
        name="Backend",
        description="What turns each person into SMPL-X; the network backends need released checkpoints "
                    "(set below) and the SMPL-X model",
        items=BACKEND_ITEMS,
        default=DEFAULT_BACKEND)
    precision: EnumProperty(
        name="Precision", description="Network precision on a CUDA GPU (the CPU always runs fp32)",
        items=[("fp32", "fp32", ""), ("fp16", "fp16", "Half precision on CUDA"),
               ("bf16", "bf16", "bfloat16 on CUDA")],
        default="fp32")
    checkpoint_body: StringProperty(name=_CHECKPOINT_LABELS["body"][0], subtype="FILE_PATH",
                                    description=_CHECKPOINT_LABELS["body"][1])
    checkpoint_hand: StringProperty(name=_CHECKPOINT_LABELS["hand"][0], subtype="FILE_PATH",
                                    description=_CHECKPOINT_LABELS["hand"][1])
    checkpoint_face: StringProperty(name=_CHECKPOINT_LABELS["face"][0], subtype="FILE_PATH",
                                    description=_CHECKPOINT_LABELS["face"][1])
    checkpoint_hand4whole: StringProperty(name=_CHECKPOINT_LABELS["hand4whole"][0], subtype="FILE_PATH",
                                          description=_CHECKPOINT_LABELS["hand4whole"][1])
    checkpoint_rootnet: StringProperty(name=_CHECKPOINT_LABELS["rootnet"][0], subtype="FILE_PATH",
                                       description=_CHECKPOINT_LABELS["rootnet"][1])

    def draw(self, context):
        from .operators_install import install_state

        layout = self.layout
        python = resolve_core_python(self)
        box = layout.box()
        if python and Path(python).is_file():
            box.label(text=f"Core environment: {python}", icon="CHECKMARK")
        else:
            box.label(text="Core environment not installed: press Install dependencies", icon="ERROR")
        row = box.row()
        if install_state.worker is None:
            row.operator("wholebody.install_dependencies", icon="IMPORT")
        else:
            row.operator("wholebody.cancel_install", icon="CANCEL")
        if install_state.lines or install_state.worker is not None:
            log_box = box.box()
            status = "Installing..." if install_state.worker is not None else install_state.status
            log_box.label(text=status)
            if install_state.worker is not None and hasattr(log_box, "progress"):
                log_box.progress(factor=install_state.factor,
                                 text=f"step {install_state.step}/{install_state.total}")
            for line in install_state.lines[-8:]:
                log_box.label(text=line[:160])
        layout.prop(self, "core_python")
        layout.prop(self, "env_dir")
        layout.prop(self, "base_python")
        layout.prop(self, "smplx_model_dir")
        layout.prop(self, "device")
        nets = layout.box()
        nets.prop(self, "backend")
        if get_backend(self.backend).uses_networks:
            nets.label(text=f"Files: {get_backend(self.backend).files}")
            nets.prop(self, "precision")
            for part in CHECKPOINT_PARTS:
                nets.prop(self, f"checkpoint_{part}")


def get_preferences(context=None) -> WHOLEBODY_AP_preferences | None:
    context = context or bpy.context
    addon = context.preferences.addons.get(ROOT_PACKAGE)
    return addon.preferences if addon is not None else None


def resolve_core_python(prefs: WHOLEBODY_AP_preferences | None) -> str:
    """The core's Python: the preference, else the environment Install dependencies completed ("" if none)."""
    if prefs is not None and prefs.core_python:
        return bpy.path.abspath(prefs.core_python)
    venv = default_venv_dir(prefs)
    candidate = venv_python(venv)
    return str(candidate) if candidate.is_file() and (venv / READY_MARKER).is_file() else ""


def smplx_model_path(prefs: WHOLEBODY_AP_preferences | None) -> str:
    if prefs is None or not prefs.smplx_model_dir:
        return ""
    return os.path.normpath(bpy.path.abspath(prefs.smplx_model_dir))


def backend_request_fields(prefs: WHOLEBODY_AP_preferences | None) -> dict[str, str]:
    """The backend, precision and checkpoint paths for ``worker.CaptureRequest`` (absolute paths;
    nothing for the default backend, whose command line stays as before)."""
    if prefs is None or prefs.backend == DEFAULT_BACKEND:
        return {}
    fields = {"backend": prefs.backend, "precision": prefs.precision}
    for part in CHECKPOINT_PARTS:
        path = getattr(prefs, f"checkpoint_{part}")
        fields[f"checkpoint_{part}"] = os.path.normpath(bpy.path.abspath(path)) if path else ""
    return fields
