"""The repository as the Blender extension package ``wholebody_mocap``, for bench scripts.

The add-on imports its core relatively (``from ..wholebody_core``), so scripts
reach it the way Blender does: under the package name, through a symlink to the
repository in a temporary folder put on ``sys.path``.

A bench script run as a plain file (``python bench/render_import.py``) has
``bench/`` rather than the repository on ``sys.path``; it imports this module
after putting the repository first (see the scripts' imports).
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "wholebody_mocap"


def put_package_on_path(prefix: str = "wholebody_bench_", with_test_helpers: bool = False) -> Path:
    """Makes ``import wholebody_mocap`` work (without bpy); returns the temporary parent folder.
    ``with_test_helpers`` also puts ``tests/addon`` (the capture factories) on the path."""
    parent = Path(tempfile.mkdtemp(prefix=prefix))
    os.symlink(REPO_ROOT, parent / PACKAGE)
    sys.path.insert(0, str(parent))
    if with_test_helpers:
        sys.path.insert(0, str(REPO_ROOT / "tests" / "addon"))
    return parent


def load_addon(prefix: str = "wholebody_bench_", with_test_helpers: bool = False) -> Path:
    """The package on the path and enabled in Blender (needs bpy); returns the temporary parent."""
    import addon_utils

    parent = put_package_on_path(prefix, with_test_helpers)
    addon_utils.enable(PACKAGE, default_set=True, handle_error=None)
    return parent
