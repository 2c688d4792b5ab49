"""Loading the released checkpoints, strictly and safely.

``torch.load(..., weights_only=True)`` (a file that carries pickled objects other
than tensors and plain containers is refused), the released container
``{'epoch', 'network', 'optimizer'}`` or a bare state dict, ``module.`` prefixes
stripped, the known optional extras dropped with a logged note, then
``load_state_dict(strict=True)``. Every failure is a :class:`ModelFileError` whose
message says which network was expected and what to do.
"""
from __future__ import annotations

import logging
import pickle
import re
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from wholebody_core.errors import ModelFileError
from wholebody_core.networks.registry import create_network, get_network_config

log = logging.getLogger(__name__)

# Keys a released file may carry that the current architecture does not have.
# Hand4Whole: RotationNet('body').gender_out existed until 2022-06-01 (CHECKPOINTS.md §1, caveat 2).
OPTIONAL_EXTRA_KEYS: dict[str, tuple[str, ...]] = {
    "hand4whole": ("body_rotation_net.gender_out.0.weight", "body_rotation_net.gender_out.0.bias"),
}

# Alternative prefixes a released file may use: Pose2Pose hand-only files may name the
# trunk and heads hand_backbone / hand_position_net / hand_rotation_net (CHECKPOINTS.md §5.1).
ALTERNATIVE_PREFIXES: dict[str, tuple[tuple[str, str], ...]] = {
    "pose2pose_hand": (("hand_backbone.", "backbone."), ("hand_position_net.", "position_net."),
                       ("hand_rotation_net.", "rotation_net.")),
}

_LIST_LIMIT = 8


def _listing(title: str, items: list[str]) -> str:
    shown = ", ".join(items[:_LIST_LIMIT])
    more = f" ... and {len(items) - _LIST_LIMIT} more" if len(items) > _LIST_LIMIT else ""
    return f"{len(items)} {title}: {shown}{more}"


def _first_line(text: str, limit: int = 160) -> str:
    line = re.sub(r"\x1b\[[0-9;]*m", "", text).strip().splitlines()[0] if text.strip() else "no detail"
    return line if len(line) <= limit else line[:limit] + "..."


def _load_error(path: Path, error: Exception, expected: str) -> ModelFileError:
    """A ModelFileError for a file torch.load refused: pickled objects, or damage."""
    text = str(error)
    if isinstance(error, pickle.UnpicklingError) and "Unsupported global" in text:
        found = next(line for line in text.splitlines() if "Unsupported global" in line)
        what = re.search(r"GLOBAL (\S+)", found)
        return ModelFileError(
            f"{path} holds Python objects other than tensors ({what.group(1) if what else 'a class or function'}), "
            f"so it was not loaded: only weights are accepted, for safety. Give {expected} as released, "
            f"or re-save just its state dict with torch.save(model.state_dict(), path).")
    return ModelFileError(
        f"{path} is not a readable PyTorch checkpoint (truncated or corrupted: {type(error).__name__}: "
        f"{_first_line(text)}). Download {expected} again.")


def read_state_dict(path: str | Path, network: str) -> dict[str, torch.Tensor]:
    """The tensors of a checkpoint file, keys as saved (``module.`` not yet stripped).

    Accepts the released container (state dict under ``'network'``) or a bare state dict.
    """
    path = Path(path)
    expected = f"the {network} checkpoint ({get_network_config(network).checkpoint_file})"
    if not path.is_file():
        raise ModelFileError(f"Checkpoint file not found: {path}. Give the path of {expected}.")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - a damaged file can fail anywhere in the unpickler
        raise _load_error(path, error, expected) from None
    state = loaded.get("network") if isinstance(loaded, Mapping) and "network" in loaded else loaded
    if not isinstance(state, Mapping) or not state or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
        raise ModelFileError(
            f"{path} does not hold a state dict (expected a dict of tensors, or {{'network': state_dict, ...}} "
            f"as released). Give the path of {expected}.")
    return dict(state)


def normalise_keys(state: Mapping[str, torch.Tensor], network: str) -> dict[str, torch.Tensor]:
    """Strip ``module.``, rename known alternative prefixes, drop the known optional extras."""
    out: dict[str, torch.Tensor] = {}
    renames = ALTERNATIVE_PREFIXES.get(network, ())
    for key, value in state.items():
        if key.startswith("module."):
            key = key[len("module."):]
        for old, new in renames:
            if key.startswith(old):
                key = new + key[len(old):]
                break
        out[key] = value
    dropped = [k for k in OPTIONAL_EXTRA_KEYS.get(network, ()) if k in out]
    for key in dropped:
        del out[key]
    if dropped:
        log.info("%s: dropped %d unused keys of an older release (%s)", network, len(dropped), ", ".join(dropped))
    return out


def check_state_dict(model: nn.Module, state: Mapping[str, torch.Tensor], network: str, source: str) -> None:
    """Raise ModelFileError listing missing keys, unexpected keys and shape mismatches."""
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    mismatched = [f"{k} {tuple(state[k].shape)} (expected {tuple(own[k].shape)})"
                  for k in own if k in state and state[k].shape != own[k].shape]
    if not (missing or unexpected or mismatched):
        return
    parts = [_listing(title, items) for title, items in
             (("missing keys", missing), ("unexpected keys", unexpected), ("shape mismatches", mismatched)) if items]
    hint = ""
    if len(missing) == len(own) and unexpected:
        hint = " None of the expected keys is present: this is probably a different network's checkpoint."
    raise ModelFileError(
        f"{source} does not match the {network} network ({len(own)} keys expected, {len(state)} found). "
        + "; ".join(parts) + "." + hint
        + f" Give the path of the {network} checkpoint ({get_network_config(network).checkpoint_file}).")


def load_network(network: str, path: str | Path, device: str | torch.device = "cpu") -> nn.Module:
    """Build network ``network`` (a name from ``list_networks()``), load ``path`` strictly, eval mode."""
    model = create_network(network)
    state = normalise_keys(read_state_dict(path, network), network)
    check_state_dict(model, state, network, str(path))
    model.load_state_dict(state, strict=True)
    return model.to(device).eval()
