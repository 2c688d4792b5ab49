"""The repository as a Blender extension: Blender's own validator and builder
(``blender --command extension validate/build`` run the same ``blender_ext.py``),
then an install into a fresh user folder with ``bpy.ops.extensions.package_install_files``
and an import through the installed package."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import bpy

from addon_paths import REPO_ROOT

BLENDER_EXT = Path(bpy.utils.system_resource("SCRIPTS")) / "addons_core" / "bl_pkg" / "cli" / "blender_ext.py"

INSTALL_SCRIPT = r'''
import sys
import bpy
zip_path, capture_path = sys.argv[-2:]
assert bpy.ops.extensions.package_install_files(
    filepath=zip_path, repo="user_default", enable_on_install=True) == {"FINISHED"}
assert "bl_ext.user_default.wholebody_mocap" in bpy.context.preferences.addons
from bl_ext.user_default.wholebody_mocap.addon import preferences
print("USER_DIR", preferences.user_data_dir(create=True))
print("BLENDER", "%d.%d.%d" % bpy.app.version)
assert bpy.ops.wholebody.import_capture(filepath=capture_path, body="DEFAULT") == {"FINISHED"}
print("ARMATURES", sorted(o.name for o in bpy.data.objects if o.type == "ARMATURE"))
# inside Blender there is no scipy, torch or OpenCV: the add-on must not need them
print("HEAVY", sorted({m.split(".")[0] for m in sys.modules} & {"scipy", "torch", "cv2", "smplx", "mediapipe"}))
'''


def _blender_ext(*args, cwd=None):
    return subprocess.run([sys.executable, str(BLENDER_EXT), *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def test_manifest_validates_builds_and_installs(tmp_path):
    from capture_factory import synthetic_capture

    validated = _blender_ext("validate", str(REPO_ROOT))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    built = _blender_ext("build", "--source-dir", str(REPO_ROOT), "--output-dir", str(tmp_path))
    assert built.returncode == 0, built.stdout + built.stderr
    (package,) = tmp_path.glob("wholebody_mocap-*.zip")
    names = zipfile.ZipFile(package).namelist()
    assert "blender_manifest.toml" in names and "addon/import_scene.py" in names
    assert "wholebody_core/capture_format.py" in names
    assert not any(n.startswith((".venv/", "tests/", "bench/", ".git/")) for n in names)

    capture_path, _ = synthetic_capture(tmp_path / "pkg.capture.npz", num_people=2, num_frames=3,
                                        source="pkg.mp4")
    script = tmp_path / "install.py"
    script.write_text(INSTALL_SCRIPT)
    user = tmp_path / "blender_user"
    env = dict(os.environ, BLENDER_USER_RESOURCES=str(user))
    run = subprocess.run([sys.executable, str(script), str(package), str(capture_path)],
                         capture_output=True, text=True, timeout=180, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "BLENDER %d.%d.%d" % bpy.app.version in run.stdout, run.stdout  # this run's Blender (4.2 in the compat run)
    assert f"USER_DIR {user}/extensions/.user/user_default/wholebody_mocap" in run.stdout
    assert "ARMATURES ['pkg_person1', 'pkg_person4']" in run.stdout
    assert "HEAVY []" in run.stdout
    assert (user / "extensions" / "user_default" / "wholebody_mocap" / "blender_manifest.toml").is_file()
