"""Paths the add-on tests share (a plain module: ``conftest`` names can clash across folders)."""
from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "wholebody_mocap"
CORE_PYTHON = REPO_ROOT / ".venv" / "bin" / "python" if (REPO_ROOT / ".venv" / "bin" / "python").exists() \
    else Path(sys.executable)
