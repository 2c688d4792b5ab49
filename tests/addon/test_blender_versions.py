"""The add-on's tests again on each older Blender in ``install_deps/requirements-blender-compat.txt``
(4.2.0, the manifest's ``blender_version_min``, and the 4.5 LTS): bpy from PyPI, installed by
``install.py --dev`` without dependencies into ``<venv>/blender-X.Y``, first on the
``PYTHONPATH`` of a second pytest over ``tests/addon``; everything else comes from this
environment. The conftest makes that run stop unless it imported exactly that version.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from addon_paths import EXPECT_BPY, REPO_ROOT
from install_deps.install import blender_compat_dir, blender_compat_versions

REQUIRE_COMPAT = "WHOLEBODY_REQUIRE_BLENDER_COMPAT"
"""Set (CI does) to fail instead of skip when an older Blender is not installed."""


@pytest.mark.skipif(EXPECT_BPY in os.environ, reason="inside a run on an older Blender: no recursion")
@pytest.mark.parametrize("version", blender_compat_versions())
def test_addon_tests_pass_on_older_blender(version, tmp_path):
    folder = blender_compat_dir(Path(sys.prefix), version)
    if not (folder / "bpy").is_dir():
        message = (f"bpy {version} is not in {folder}; install it with "
                   f"`python3 install_deps/install.py --dev` (about 520 MB from PyPI, 1.4 GB installed)")
        if os.environ.get(REQUIRE_COMPAT):
            pytest.fail(f"{REQUIRE_COMPAT} is set but {message}")
        pytest.skip(message)
    env = dict(os.environ, **{EXPECT_BPY: version})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))
    env.pop("PYTEST_ADDOPTS", None)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "inner"),
         "--ignore", str(Path(__file__).resolve()), str(REPO_ROOT / "tests" / "addon")],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1800)
    output = (run.stdout + run.stderr)[-20000:]
    assert run.returncode == 0, f"tests/addon on bpy {version} failed (exit code {run.returncode}):\n{output}"
    # the conftest's report header (shown at the default verbosity)
    assert f"\nbpy {version} ({folder}" in run.stdout, f"the run did not report bpy {version}:\n{output}"
    print(run.stdout.strip().splitlines()[-1])


def test_property_groups_hold_data_only(addon_package):
    """bpy 4.2 as a module keeps PropertyGroup classes alive after ``unregister_class``; a method's
    module globals then keep ``bpy`` alive at shutdown and the process dies with SIGSEGV on exit
    (``addon/properties.py``). The 4.2 run shows the crash as a failed run; this names the cause."""
    import bpy
    from wholebody_mocap.addon import classes

    with_methods = [cls.__name__ for cls in classes if issubclass(cls, bpy.types.PropertyGroup)
                    and any(callable(value) and not isinstance(value, type)
                            for name, value in vars(cls).items() if not name.startswith("__"))]
    assert with_methods == [], "make these methods functions in their module"
