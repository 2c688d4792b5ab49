"""The capture backends a user chooses with ``--backend`` (``list_backends()``).

A backend decides what turns each tracked person's crop into SMPL-X rotations:
- ``mediapipe-tflite`` (default): the built-in BlazePose landmark models and the
  rotational solve; runs out of the box.
- ``hand4whole``: the released Hand4Whole network (whole body in one crop).
- ``pose2pose``: the released Pose2Pose body, hand and face networks, combined
  with Algorithm 1 (solve/integrate.py).
People, tracking, root depth (RootNet with its checkpoint), filtering and the
capture file are the core's own for every backend.
"""
from __future__ import annotations

import dataclasses

from .errors import InputError

DEFAULT_BACKEND = "mediapipe-tflite"


@dataclasses.dataclass(frozen=True)
class BackendInfo:
    """name; uses_networks: needs released checkpoints (wholebody_core.network_backend);
    summary: one line for ``--list-backends``; files: what the user provides."""

    name: str
    uses_networks: bool
    summary: str
    files: str


_BACKENDS: dict[str, BackendInfo] = {}


def register_backend(info: BackendInfo) -> BackendInfo:
    _BACKENDS[info.name] = info
    return info


register_backend(BackendInfo(
    DEFAULT_BACKEND, False,
    "BlazePose detection + body/hand/face landmarks (TFLite) and the rotational solve; the default",
    "none (optional: --smplx-model)"))
register_backend(BackendInfo(
    "hand4whole", True,
    "Hand4Whole (Moon et al. 2022): SMPL-X body, hands and face from each person's crop",
    "--checkpoint-hand4whole (snapshot_6.pth.tar), --smplx-model; optional --checkpoint-rootnet, "
    "--checkpoint-hand with --integrate-hands"))
register_backend(BackendInfo(
    "pose2pose", True,
    "Pose2Pose body (SMPL), hand (MANO) and face (FLAME) networks combined by Algorithm 1",
    "--checkpoint-body, --checkpoint-hand, --checkpoint-face (snapshot_6_body / snapshot_12_hand / "
    "snapshot_12_face.pth.tar), --smplx-model; optional --checkpoint-rootnet"))


def list_backends() -> list[str]:
    """Names of the capture backends, the default first."""
    return [DEFAULT_BACKEND] + sorted(n for n in _BACKENDS if n != DEFAULT_BACKEND)


def get_backend(name: str) -> BackendInfo:
    """The backend ``name`` (InputError naming the choices when unknown)."""
    if name not in _BACKENDS:
        raise InputError(f"Unknown backend {name!r}; choose one of: {', '.join(list_backends())} "
                         "(wholebody-capture --list-backends).")
    return _BACKENDS[name]


def describe_backends() -> str:
    """The ``--list-backends`` text: name, summary, files the user provides."""
    lines = []
    for name in list_backends():
        info = _BACKENDS[name]
        lines.append(f"{name}\n    {info.summary}\n    files: {info.files}")
    return "\n".join(lines)
