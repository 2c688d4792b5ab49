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
from addon_paths import CORE_PYTHON, EXPECT_BPY, PACKAGE, REPO_ROOT, property_groups_with_methods  # noqa: E402

BPY_VERSION = "%d.%d.%d" % bpy.app.version
if os.environ.get(EXPECT_BPY, BPY_VERSION) != BPY_VERSION:
    pytest.exit(f"{EXPECT_BPY}={os.environ[EXPECT_BPY]} but bpy {BPY_VERSION} was imported "
                f"from {bpy.__file__}", returncode=3)

_PACKAGE_PARENT = Path(tempfile.mkdtemp(prefix="wholebody_addon_path_"))
os.symlink(REPO_ROOT, _PACKAGE_PARENT / PACKAGE)
sys.path.insert(0, str(_PACKAGE_PARENT))


def pytest_report_header(config):
    return f"bpy {BPY_VERSION} ({Path(bpy.__file__).parent})"


_exit_status = None


def pytest_sessionfinish(session, exitstatus):
    global _exit_status
    _exit_status = int(exitstatus)
    shutil.rmtree(_PACKAGE_PARENT, ignore_errors=True)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """Ends the process here, with pytest's exit code, while the add-on's property groups
    still have methods on bpy before 5.0.

    bpy 4.2.0 as a Python module keeps PropertyGroup classes alive after ``unregister_class``
    (5.0.1 frees them); a method's module globals then keep ``bpy`` alive at shutdown,
    Blender's exit code never runs, and the process dies with SIGSEGV in Blender's static
    destructors after every test has passed and pytest has reported
    (``addon/properties.py``). Once the property groups hold data only this does nothing.
    """
    addon = sys.modules.get(f"{PACKAGE}.addon")
    if (bpy.app.version < (5, 0, 0) and _exit_status is not None and addon is not None
            and property_groups_with_methods(addon.classes)):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status)


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
