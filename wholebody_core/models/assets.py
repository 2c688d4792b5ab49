"""Where the landmark and detector model files come from.

The ``.tflite`` files ship inside the ``mediapipe`` 0.10.x wheel
(``mediapipe/modules/...``); we install that wheel only for these files and never
import ``mediapipe`` itself (its package is located with ``importlib.util.find_spec``,
which does not execute it). 1.x wheels no longer contain the files.
"""
from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from wholebody_core.errors import ModelFileError

logger = logging.getLogger(__name__)

# Model name -> path inside the mediapipe package.
MEDIAPIPE_MODEL_FILES: dict[str, str] = {
    "pose_detection": "modules/pose_detection/pose_detection.tflite",
    "pose_landmark_full": "modules/pose_landmark/pose_landmark_full.tflite",
    "hand_landmark_full": "modules/hand_landmark/hand_landmark_full.tflite",
    "hand_landmark_lite": "modules/hand_landmark/hand_landmark_lite.tflite",
    "hand_recrop": "modules/holistic_landmark/hand_recrop.tflite",
    "face_landmark": "modules/face_landmark/face_landmark.tflite",
    "iris_landmark": "modules/iris_landmark/iris_landmark.tflite",
}

_INSTALL_HINT = (
    "install the MediaPipe 0.10.x wheel into the core's environment "
    "(`python -m pip install \"mediapipe==0.10.14\"`, or rerun `python3 install_deps/install.py`), "
    "or pass the folder that holds the files as models_dir"
)


def mediapipe_package_dir() -> Path:
    """The installed ``mediapipe`` package folder, found without importing it."""
    try:
        spec = importlib.util.find_spec("mediapipe")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileError(f"The MediaPipe model files are not installed: {_INSTALL_HINT}.")
    return Path(list(spec.submodule_search_locations)[0])


def model_path(name: str, models_dir: str | Path | None = None) -> Path:
    """Path of the model file ``name`` (a key of :data:`MEDIAPIPE_MODEL_FILES`).

    ``models_dir``: a folder holding a copy of the ``modules/...`` tree or the bare
    ``.tflite`` files; default: the installed mediapipe package.
    Raises :class:`ModelFileError` (what to install) when the file is missing.
    """
    if name not in MEDIAPIPE_MODEL_FILES:
        raise ModelFileError(
            f"Unknown model {name!r}; known models: {', '.join(sorted(MEDIAPIPE_MODEL_FILES))}."
        )
    relative = MEDIAPIPE_MODEL_FILES[name]
    if models_dir is not None:
        root = Path(models_dir)
        candidates = [root / relative, root / Path(relative).name]
    else:
        candidates = [mediapipe_package_dir() / relative]
    for candidate in candidates:
        if candidate.is_file() and candidate.stat().st_size > 0:
            return candidate
    raise ModelFileError(
        f"Model file {Path(relative).name} not found (looked in: "
        f"{', '.join(str(c) for c in candidates)}): {_INSTALL_HINT}."
    )
