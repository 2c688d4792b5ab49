"""Batch export: capture files -> one file per person, headless.

    blender --background --python scripts/captures_to_fbx.py -- captures/*.capture.npz --out DIR --preset unity
    python scripts/captures_to_fbx.py captures/*.capture.npz --out DIR --preset unreal   # bpy from PyPI

Each capture is imported into an empty scene with the add-on's own import
(``bpy.ops.wholebody.import_capture``) and every person is written with the
add-on's export (the same settings as the Mocap panel's **Export**):
``DIR/<capture>_<armature>.<ext>``. Presets: unity, unreal (FBX), bvh, glb, smplx
(the SMPL-X / AMASS .npz). Uses the installed extension when Blender has it
enabled or installed (``bl_ext.<repository>.wholebody_mocap``), else this
checkout. Exits with 1 when any capture failed (the others are still written),
2 on bad arguments.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "wholebody_mocap"
PRESETS = {"unity": "FBX_UNITY", "unreal": "FBX_UNREAL", "bvh": "BVH", "glb": "GLB", "smplx": "AMASS"}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("captures", nargs="+", type=Path, help=".capture.npz files")
    parser.add_argument("--out", type=Path, required=True, help="folder for the exported files (created)")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="unity")
    parser.add_argument("--body", choices=("none", "default", "smplx"), default="none",
                        help="the body mesh exported with each skeleton (smplx needs --smplx-model)")
    parser.add_argument("--smplx-model", default="", help="SMPL-X model folder or .npz")
    parser.add_argument("--floor", action="store_true", help="fit a floor at import (Z = 0, up +Z)")
    parser.add_argument("--at-origin", action="store_true",
                        help="move each person so the first frame's pelvis is over the origin, feet on Z = 0")
    return parser.parse_args(argv)


def enable_addon() -> str:
    """Enables the add-on; returns its module name."""
    import bpy
    import addon_utils  # after bpy: bpy from PyPI puts Blender's modules on sys.path

    for name in bpy.context.preferences.addons.keys():
        if name.split(".")[-1] == PACKAGE:
            return name
    for module in addon_utils.modules():
        if module.__name__.split(".")[-1] == PACKAGE and module.__name__.startswith("bl_ext."):
            addon_utils.enable(module.__name__, default_set=False, handle_error=None)
            return module.__name__
    parent = Path(tempfile.mkdtemp(prefix="wholebody_batch_"))
    os.symlink(REPO_ROOT, parent / PACKAGE)
    sys.path.insert(0, str(parent))
    if addon_utils.enable(PACKAGE, default_set=False, handle_error=None) is None:
        raise SystemExit(f"could not enable the add-on from {REPO_ROOT}")
    return PACKAGE


def export_capture(module: str, capture: Path, args: argparse.Namespace) -> list[Path]:
    """Imports one capture into an empty scene and writes every person; returns the files."""
    import bpy

    presets = importlib.import_module(f"{module}.addon.export_presets")
    exporter = importlib.import_module(f"{module}.addon.export_person")
    bpy.ops.wm.read_homefile(use_empty=True)
    if args.smplx_model:
        bpy.context.preferences.addons[module].preferences.smplx_model_dir = args.smplx_model
    bpy.ops.wholebody.import_capture(filepath=str(capture), body=args.body.upper(), use_floor=args.floor,
                                     footage_in_render=False)
    target = PRESETS[args.preset]
    options = presets.ExportOptions(target=target, with_body=args.body != "none", at_origin=args.at_origin,
                                    smplx_model_path=args.smplx_model)
    stem = capture.name[: -len(".capture.npz")] if capture.name.endswith(".capture.npz") else capture.stem
    written = []
    for armature in exporter.capture_armatures(bpy.context.scene):
        path = args.out / f"{stem}_{bpy.path.clean_name(armature.name)}{presets.SUFFIXES[target]}"
        result = exporter.export_person(bpy.context, armature, path, options)
        for warning in result.warnings:
            print(f"warning: {armature.name}: {warning}")
        written.append(result.filepath)
    return written


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:]
    args = parse_args(argv)
    if args.body == "smplx" and not args.smplx_model:
        print("error: --body smplx needs --smplx-model (the SMPL-X model folder)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    module = enable_addon()
    errors = importlib.import_module(f"{module}.wholebody_core.errors")
    failed = 0
    for capture in args.captures:
        try:
            written = export_capture(module, capture, args)
        except (errors.CaptureError, RuntimeError) as error:     # RuntimeError: a bpy.ops report
            print(f"error: {capture}: {error}", file=sys.stderr)
            failed += 1
            continue
        print(f"{capture}: {len(written)} people -> " + ", ".join(p.name for p in written))
    return 1 if failed else 0


if __name__ == "__main__":
    code = main()
    if "bpy" in sys.modules and sys.modules["bpy"].app.background and "--" in sys.argv:
        sys.stdout.flush()
        os._exit(code)          # inside Blender: end with the status (sys.exit only ends the script)
    sys.exit(code)
