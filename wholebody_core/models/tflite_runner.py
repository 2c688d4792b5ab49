"""A thin wrapper around ``ai_edge_litert``'s TFLite interpreter."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from wholebody_core.errors import DependencyError, ModelFileError

logger = logging.getLogger(__name__)


class TfliteModel:
    """One ``.tflite`` file with a single float32 image input.

    ``run(batch)`` takes ``(1, H, W, 3)`` float32 and returns the outputs by
    tensor name (each a fresh array).
    """

    def __init__(self, path: str | Path, num_threads: int = 2):
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:  # pragma: no cover - environment problem
            raise DependencyError(
                "The package ai-edge-litert is missing from the core's environment: "
                "run `python -m pip install ai-edge-litert` or rerun install_deps/install.py."
            ) from exc
        self.path = Path(path)
        try:
            self._interpreter = Interpreter(model_path=str(self.path), num_threads=int(num_threads))
            self._interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ModelFileError(f"Cannot load the model {self.path}: {exc}") from exc
        inputs = self._interpreter.get_input_details()
        if len(inputs) != 1:
            raise ModelFileError(f"{self.path.name}: expected one input tensor, found {len(inputs)}.")
        self._input = inputs[0]
        self._outputs = self._interpreter.get_output_details()
        self.input_shape: tuple[int, ...] = tuple(int(v) for v in self._input["shape"])
        self.output_names: tuple[str, ...] = tuple(d["name"] for d in self._outputs)

    def require_outputs(self, *names: str) -> None:
        """Raise :class:`ModelFileError` unless every output tensor ``names`` exists."""
        missing = [n for n in names if n not in self.output_names]
        if missing:
            raise ModelFileError(
                f"{self.path.name} lacks the outputs {missing} (has {list(self.output_names)}): "
                "the file is not the expected model version; reinstall mediapipe==0.10.14."
            )

    @property
    def input_size(self) -> tuple[int, int]:
        """(height, width) of the model's image input."""
        return self.input_shape[1], self.input_shape[2]

    def run(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        """``batch``: (1, H, W, 3) float32 -> {output name: array}."""
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        if batch.shape != self.input_shape:
            raise ValueError(f"{self.path.name}: input shape {batch.shape}, expected {self.input_shape}")
        self._interpreter.set_tensor(self._input["index"], batch)
        self._interpreter.invoke()
        return {d["name"]: np.array(self._interpreter.get_tensor(d["index"])) for d in self._outputs}
