"""Where a capture goes: refuse, before any work, an output that would replace the input
or cannot be written, and turn a failed write into a message that names the folder.

The capture is written atomically (``npz_io.write_npz_atomically``: a temporary file
``.<name>.<random>.tmp`` in the output's folder, then a rename), so the up-front check
creates and deletes exactly such a temporary file: what fails then fails before the
long work, and what fails only at the end (a full disk) leaves nothing behind.
"""
from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

from .errors import OutputError

CAPTURE_SUFFIX = ".capture.npz"   # the one definition (capture_format.SUFFIX re-exports it); this module stays numpy-free


def default_output_path(input_path: str | os.PathLike) -> Path:
    """``<input name less its last suffix>.capture.npz`` next to the input
    (``clip.v2.mp4`` -> ``clip.v2.capture.npz``)."""
    input_path = Path(input_path)
    return input_path.with_name(input_path.stem + CAPTURE_SUFFIX)


def is_same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """True when both paths exist and are one file (same device and inode: through
    symbolic links, hard links, ``..`` and case-insensitive names alike)."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):   # either is missing or unreadable: not provably the same
        return False


def _folder_of(path: Path) -> Path:
    """The folder ``path`` goes into, absolute (messages name it; ``.`` says little)."""
    return Path(os.path.abspath(path.parent if str(path.parent) else "."))


def _missing_folder_error(folder: Path) -> OutputError:
    """Says which part of a folder path is missing, or which part is a file."""
    for ancestor in (folder, *folder.parents):
        try:
            mode = ancestor.stat().st_mode
        except OSError:
            continue
        if stat.S_ISDIR(mode):
            break
        if ancestor == folder:
            return OutputError(f"the output folder {folder} is a file, not a folder; choose another output path.")
        return OutputError(f"{ancestor} is a file, not a folder, so the output folder {folder} cannot be there; "
                           "choose another output path.")
    return OutputError(f"the folder {folder} does not exist; create it or choose another output path.")


def write_error(path: str | os.PathLike, error: OSError) -> OutputError:
    """The user's message for an OSError raised while writing ``path`` (temporary file or rename)."""
    path = Path(path)
    folder = _folder_of(path)
    reason = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is used up",
        errno.EROFS: "the folder is on a read-only file system",
        errno.EACCES: "permission denied",
        errno.EPERM: "the operation is not permitted",
        errno.ENAMETOOLONG: "the name is too long for this file system (the temporary file written "
                            "first is 14 characters longer)",
        errno.EISDIR: f"{path} is a folder",
        errno.ENOENT: "the folder does not accept new files (a special or vanished folder)",
    }.get(error.errno, error.strerror or str(error))
    return OutputError(f"cannot write {path.name} in the folder {folder}: {reason}; "
                       "choose another output folder or name (nothing was written).")


def check_output_path(path: str | os.PathLike, *, input_path: str | os.PathLike | None = None,
                      overwrite: bool = False, try_write: bool = True) -> Path:
    """Fails early, with a message saying what to do, if ``path`` must not or cannot be written.

    Refused: the input itself (also through a link; ``--overwrite`` or not), an existing
    file without ``overwrite``, a folder, something that is not a regular file (a device,
    a pipe), a missing folder or one whose path runs through a file, and (``try_write``)
    a folder where the temporary file cannot be created. Returns ``path``.
    """
    path = Path(path)
    if input_path is not None and is_same_file(path, input_path):
        raise OutputError(f"the output {path} is the input file itself; it would be replaced by the capture. "
                          f"Choose another output name, e.g. {default_output_path(input_path)}.")
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    except NotADirectoryError:
        raise _missing_folder_error(_folder_of(path)) from None
    except OSError as error:
        raise write_error(path, error) from error
    if mode is not None:
        if stat.S_ISDIR(mode):
            raise OutputError(f"{path} is a folder; give a file name ending in {CAPTURE_SUFFIX}.")
        if not stat.S_ISREG(mode):
            raise OutputError(f"{path} exists and is not a regular file (a device, pipe or socket); "
                              f"give a file name ending in {CAPTURE_SUFFIX}.")
        if not overwrite:
            raise OutputError(f"{path} already exists; pass --overwrite to replace it or choose another name.")
    folder = _folder_of(path)
    if not folder.is_dir():
        raise _missing_folder_error(folder)
    if try_write:
        _try_temporary_file(path)
    return path


def _try_temporary_file(path: Path) -> None:
    """Creates and deletes the temporary file the final write will need."""
    try:
        fd, name = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=_folder_of(path))
    except OSError as error:
        raise write_error(path, error) from error
    os.close(fd)
    try:
        os.unlink(name)
    except OSError as error:
        raise write_error(path, error) from error
