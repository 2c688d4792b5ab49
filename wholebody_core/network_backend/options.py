"""Typed options of the network backends, and what each backend needs before it starts.

Nothing is downloaded: the released checkpoints and the SMPL-X model are files the
user gives (DESIGN.md, "Licensed assets are never bundled"). A missing file is a
:class:`ModelFileError` (exit 2) that names the option, the file and its release page.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from ..errors import InputError, ModelFileError

HAND4WHOLE_RELEASE = "https://github.com/mks0601/Hand4Whole_RELEASE (branch main, README 'Models')"
POSE2POSE_RELEASE = "https://github.com/mks0601/Hand4Whole_RELEASE/tree/Pose2Pose (README 'Models')"
ROOTNET_RELEASE = "https://github.com/mks0601/3DMPPE_ROOTNET_RELEASE (README 'Trained models')"
SMPLX_SOURCE = "https://smpl-x.is.tue.mpg.de (free registration), e.g. SMPLX_NEUTRAL.npz"
PRECISIONS = ("fp32", "fp16", "bf16")


@dataclasses.dataclass
class NetworkBackendOptions:
    """What a user chooses about the network backends (paths are never guessed).

    checkpoint_*: the released files (CHECKPOINTS.md): body/hand/face = Pose2Pose's
        body-only, hand-only and face-only snapshots; hand4whole = Hand4Whole's
        snapshot_6; rootnet = RootNet's snapshot_18 (optional: root depth).
    precision: fp32, or fp16/bf16 autocast on CUDA (the CPU always runs fp32).
    batch_size: crops per forward pass (people of several frames together).
    integrate_hands: Hand4Whole only: run the Pose2Pose hand model on Hand4Whole's hand
        boxes and integrate its global hand rotations (Algorithm 1); needs checkpoint_hand.
    """

    checkpoint_body: Path | None = None
    checkpoint_hand: Path | None = None
    checkpoint_face: Path | None = None
    checkpoint_hand4whole: Path | None = None
    checkpoint_rootnet: Path | None = None
    precision: str = "fp32"
    batch_size: int = 16
    integrate_hands: bool = False


@dataclasses.dataclass(frozen=True)
class _Need:
    option: str        # CLI option
    attribute: str     # NetworkBackendOptions field
    network: str       # registry name (wholebody_core.networks)
    release: str


_BODY = _Need("--checkpoint-body", "checkpoint_body", "pose2pose_body", POSE2POSE_RELEASE)
_HAND = _Need("--checkpoint-hand", "checkpoint_hand", "pose2pose_hand", POSE2POSE_RELEASE)
_FACE = _Need("--checkpoint-face", "checkpoint_face", "pose2pose_face", POSE2POSE_RELEASE)
_H4W = _Need("--checkpoint-hand4whole", "checkpoint_hand4whole", "hand4whole", HAND4WHOLE_RELEASE)


def needed_checkpoints(backend: str, options: NetworkBackendOptions, hands: bool, face: bool) -> list[_Need]:
    """The checkpoints ``backend`` needs with these options (RootNet is optional)."""
    if backend == "pose2pose":
        return [_BODY] + ([_HAND] if hands else []) + ([_FACE] if face else [])
    if backend == "hand4whole":
        return [_H4W] + ([_HAND] if options.integrate_hands and hands else [])
    return []


def checkpoint_paths(backend: str, options: NetworkBackendOptions, hands: bool, face: bool,
                     smplx_model: Path | None) -> dict[str, Path]:
    """Network name -> checkpoint path for ``backend``; raises ModelFileError naming what is missing.

    Both network backends need the user's SMPL-X model: the networks' finger poses are
    offsets from SMPL-X's mean hand (``hands_meanl``/``hands_meanr`` in the model file)
    and the skeleton is the model's.
    """
    if options.precision not in PRECISIONS:
        raise InputError(f"--precision must be one of {', '.join(PRECISIONS)}, not {options.precision!r}.")
    if options.batch_size < 1:
        raise InputError("--batch-size must be at least 1.")
    if options.integrate_hands and backend != "hand4whole":
        raise InputError("--integrate-hands applies to the hand4whole backend only "
                         "(the pose2pose backend always integrates its hand model's rotations).")
    missing = [n for n in needed_checkpoints(backend, options, hands, face) if getattr(options, n.attribute) is None]
    if missing:
        lines = [f"  {n.option} PATH: the {n.network} checkpoint ({_file_name(n.network)}), from {n.release}"
                 for n in missing]
        raise ModelFileError(
            f"the {backend} backend needs the released network checkpoint"
            f"{'s' if len(missing) > 1 else ''} below; nothing is downloaded:\n" + "\n".join(lines)
            + "\nOr use the built-in backend (--backend mediapipe-tflite, the default).")
    if smplx_model is None:
        raise ModelFileError(
            f"the {backend} backend needs your SMPL-X model file (--smplx-model PATH): the networks' finger "
            "poses are offsets from the SMPL-X mean hand (hands_meanl / hands_meanr in the model file) and "
            f"the skeleton comes from the model. Download SMPL-X from {SMPLX_SOURCE}.")
    paths = {n.network: Path(getattr(options, n.attribute))
             for n in needed_checkpoints(backend, options, hands, face)}
    if options.checkpoint_rootnet is not None:
        paths["rootnet"] = Path(options.checkpoint_rootnet)
    for network, path in paths.items():
        if not path.is_file():
            need = next((n for n in (_BODY, _HAND, _FACE, _H4W) if n.network == network), None)
            option = need.option if need else "--checkpoint-rootnet"
            release = need.release if need else ROOTNET_RELEASE
            raise ModelFileError(f"{option}: {path} is not a file. Give the {network} checkpoint "
                                 f"({_file_name(network)}) from {release}.")
    return paths


def _file_name(network: str) -> str:
    from ..networks import get_network_config

    return get_network_config(network).checkpoint_file
