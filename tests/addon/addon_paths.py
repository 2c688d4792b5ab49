"""Paths the add-on tests share (a plain module: ``conftest`` names can clash across folders)."""
from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "wholebody_mocap"
EXPECT_BPY = "WHOLEBODY_EXPECT_BPY"
"""Set by ``test_blender_versions.py`` for its inner run: the bpy version ('4.2.0') it must import."""
CORE_PYTHON = REPO_ROOT / ".venv" / "bin" / "python" if (REPO_ROOT / ".venv" / "bin" / "python").exists() \
    else Path(sys.executable)

