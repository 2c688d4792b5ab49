"""Loads the repository as the add-on package ``wholebody_mocap`` into bpy from PyPI.

The repository root is the extension root, so a symlink named ``wholebody_mocap``
in a temporary folder on ``sys.path`` makes ``wholebody_mocap.addon`` and
``wholebody_mocap.wholebody_core`` importable exactly as inside Blender.

The same tests run on older Blenders (``test_blender_versions.py``): a second pytest
whose ``PYTHONPATH`` starts with ``<venv>/blender-X.Y`` and whose ``WHOLEBODY_EXPECT_BPY``
names the version it must import.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

bpy = pytest.importorskip("bpy")

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the test helpers next to this file
from addon_paths import CORE_PYTHON, EXPECT_BPY, PACKAGE, REPO_ROOT  # noqa: E402

BPY_VERSION = "%d.%d.%d" % bpy.app.version
if os.environ.get(EXPECT_BPY, BPY_VERSION) != BPY_VERSION:
    pytest.exit(f"{EXPECT_BPY}={os.environ[EXPECT_BPY]} but bpy {BPY_VERSION} was imported "
                f"from {bpy.__file__}", returncode=3)

_PACKAGE_PARENT = Path(tempfile.mkdtemp(prefix="wholebody_addon_path_"))
os.symlink(REPO_ROOT, _PACKAGE_PARENT / PACKAGE)
sys.path.insert(0, str(_PACKAGE_PARENT))


def pytest_report_header(config):
    return f"bpy {BPY_VERSION} ({Path(bpy.__file__).parent})"


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_PACKAGE_PARENT, ignore_errors=True)


@pytest.fixture(scope="session")
def addon_package():
    """The add-on enabled through Blender's own ``addon_utils`` (preferences included)."""
    import addon_utils

    module = addon_utils.enable(PACKAGE, default_set=True, handle_error=None)
    if module is None:
        pytest.fail("addon_utils.enable could not load the add-on")
    yield module
    addon_utils.disable(PACKAGE, default_set=True, handle_error=None)


@pytest.fixture
def clean_scene(addon_package):
    """An empty scene with the add-on still enabled."""
    bpy.ops.wm.read_homefile(use_empty=True)
    addon = bpy.context.preferences.addons.get(PACKAGE)
    assert addon is not None
    # the core's Python: this repository's environment (re-enabling the add-on resets it)
    addon.preferences.core_python = str(CORE_PYTHON)
    yield bpy.context.scene
