"""A small registry of the swappable detection and landmark parts.

Parts register themselves with a decorator; ``list_*`` imports the built-in modules
first so that every part that ships is listed.
"""
from __future__ import annotations

import importlib
from typing import Any, Callable

from wholebody_core.errors import InputError

_DETECTORS: dict[str, Callable[..., Any]] = {}
_LANDMARK_BACKENDS: dict[str, Callable[..., Any]] = {}
_BUILTIN_MODULES = (
    "wholebody_core.detection.blazepose",
    "wholebody_core.detection.hog",
    "wholebody_core.landmarks.backend",
)


def register_detector(name: str):
    """Class decorator: make a person detector available as ``name``."""
    def wrap(factory):
        _DETECTORS[name] = factory
        return factory
    return wrap


def register_landmark_backend(name: str):
    """Class decorator: make a landmark backend available as ``name``."""
    def wrap(factory):
        _LANDMARK_BACKENDS[name] = factory
        return factory
    return wrap


def _load_builtins() -> None:
    for module in _BUILTIN_MODULES:
        importlib.import_module(module)


def list_detectors() -> list[str]:
    """Names of the person detectors."""
    _load_builtins()
    return sorted(_DETECTORS)


def list_landmark_backends() -> list[str]:
    """Names of the landmark backends."""
    _load_builtins()
    return sorted(_LANDMARK_BACKENDS)


def create_detector(name: str, options=None, models_dir=None):
    """A person detector by name (``options``: :class:`DetectorOptions` or None)."""
    _load_builtins()
    if name not in _DETECTORS:
        raise InputError(f"Unknown detector {name!r}; choose one of: {', '.join(sorted(_DETECTORS))}.")
    return _DETECTORS[name](options, models_dir=models_dir)


def create_landmark_backend(name: str, options=None):
    """A landmark backend by name (``options``: :class:`LandmarkOptions` or None)."""
    _load_builtins()
    if name not in _LANDMARK_BACKENDS:
        raise InputError(
            f"Unknown landmark backend {name!r}; choose one of: {', '.join(sorted(_LANDMARK_BACKENDS))}.")
    return _LANDMARK_BACKENDS[name](options)
