"""Atomic writing of ``.npz`` archives (numpy only: the add-on imports it too)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np


def _default_file_mode() -> int:
    """0o666 less the process umask: what a plain ``open(path, "w")`` would give."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_npz_atomically(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> Path:
    """Writes ``arrays`` compressed to ``path`` through a temporary file in the same
    folder and a rename, so readers never see a partial file and an interrupted write
    leaves nothing behind. The file gets the usual permissions (not the temporary
    file's owner-only ones)."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez_compressed(handle, **arrays)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, _default_file_mode())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path
