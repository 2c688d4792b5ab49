"""Random-weight checkpoints in the released container format, for tests without released files.

``{'epoch', 'network', 'optimizer'}`` with DataParallel's ``module.`` prefix (CHECKPOINTS.md §1,
§5.1), the weights of a freshly initialised network under a fixed torch seed.
"""
from __future__ import annotations

from pathlib import Path

import torch

from wholebody_core.networks import create_network, get_network_config


def write_random_checkpoint(folder: Path, network: str, seed: int = 0,
                            overrides: dict[str, torch.Tensor] | None = None) -> Path:
    """``overrides``: tensors (by key, without ``module.``) that replace the random ones."""
    torch.manual_seed(seed)
    state = create_network(network).state_dict()
    for key, value in (overrides or {}).items():
        assert state[key].shape == value.shape, key
        state[key] = value
    path = Path(folder) / get_network_config(network).checkpoint_file
    torch.save({"epoch": 0, "network": {"module." + k: v for k, v in state.items()},
                "optimizer": {"state": {}, "param_groups": []}}, path)
    return path
