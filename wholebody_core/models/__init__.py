"""Model files, the TFLite runner and the registry of detectors and landmark backends."""
from wholebody_core.models.registry import (
    create_detector, create_landmark_backend, list_detectors, list_landmark_backends,
    register_detector, register_landmark_backend,
)

__all__ = [
    "create_detector", "create_landmark_backend", "list_detectors", "list_landmark_backends",
    "register_detector", "register_landmark_backend",
]
