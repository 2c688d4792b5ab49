"""Atomic writing of ``.npz`` archives and small text files (numpy only: the add-on imports it too)."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np


def default_file_mode() -> int:
    """0o666 less the process umask: what a plain ``open(path, "w")`` would give
    (``mkstemp``'s files are owner-only)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomically(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> Path:
    """Calls ``write`` on a temporary file in ``path``'s folder, then renames it to
    ``path``, so readers never see a partial file and an interrupted write leaves
    nothing behind. The file gets the usual permissions."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, default_file_mode())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path


def write_npz_atomically(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> Path:
    """Writes ``arrays`` compressed to ``path`` atomically (:func:`write_atomically`)."""
    return write_atomically(path, lambda handle: np.savez_compressed(handle, **arrays))


def write_text_atomically(path: str | os.PathLike, text: str) -> Path:
    """Writes ``text`` (UTF-8, newlines as given) to ``path`` atomically."""
    return write_atomically(path, lambda handle: handle.write(text.encode("utf-8")))
