"""The core's exception hierarchy. Messages say what went wrong and what to do.

The CLI prints ``str(error)`` and exits with ``error.exit_code``; the add-on turns
the same message into a Blender report.
"""
from __future__ import annotations


class CaptureError(Exception):
    """Base class of every error the core raises on purpose."""

    exit_code = 1


class InputError(CaptureError):
    """Bad input or usage: missing, unreadable or unsupported files, bad options."""

    exit_code = 2


class OutputError(CaptureError):
    """The output cannot be written (exists without --overwrite, folder not writable)."""

    exit_code = 2


class ModelFileError(CaptureError):
    """A model file (landmark network, SMPL-X model, checkpoint) is missing or invalid."""

    exit_code = 2


class DependencyError(CaptureError):
    """A Python package the core needs is not installed in its environment."""

    exit_code = 2


class CaptureCancelled(CaptureError):
    """The run was cancelled (Ctrl-C, SIGTERM or the add-on's Cancel)."""

    exit_code = 130
