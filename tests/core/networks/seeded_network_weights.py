"""A deterministic weight rule, applied by key name and shape only.

The same rule sets the weights of our networks in the tests and of the official
modules when bench/networks/make_official_fixtures.py writes the fixtures, so the
two can be compared without any released checkpoint. Keep it free of imports from
wholebody_core (the fixture script runs it beside the official code).

For the i-th key in sorted order, a ``torch.Generator`` seeded with ``seed + i``:
- ``*.num_batches_tracked``: 0;
- BatchNorm ``running_var``: uniform in [0.5, 1.5]; ``running_mean``: normal * 0.1;
- BatchNorm ``weight`` (1-d, a ``running_mean`` sibling): 1 + normal * 0.1; other 1-d
  tensors (biases): normal * 0.1;
- >= 2-d weights: normal / sqrt(fan_in) with fan_in = prod(shape[1:]) (for a
  ConvTranspose2d, stored [in, out, kh, kw], fan_in = shape[0] * kh * kw / 4).
"""
from __future__ import annotations

import math

import torch


def seeded_state_dict(shapes: dict[str, tuple[int, ...]], seed: int = 0,
                      transposed: frozenset[str] = frozenset()) -> dict[str, torch.Tensor]:
    """Tensors for ``shapes`` (key -> shape) by the rule above; ``transposed`` names ConvTranspose2d weights."""
    out: dict[str, torch.Tensor] = {}
    for index, key in enumerate(sorted(shapes)):
        shape = tuple(shapes[key])
        gen = torch.Generator().manual_seed(seed + index)
        if key.endswith("num_batches_tracked"):
            out[key] = torch.zeros(shape, dtype=torch.long)
            continue
        if key.endswith("running_var"):
            value = 0.5 + torch.rand(shape, generator=gen)
        elif key.endswith("running_mean"):
            value = torch.randn(shape, generator=gen) * 0.1
        elif len(shape) == 1:
            is_bn_weight = key.endswith(".weight") and key[:-len("weight")] + "running_mean" in shapes
            value = torch.randn(shape, generator=gen) * 0.1 + (1.0 if is_bn_weight else 0.0)
        else:
            fan_in = math.prod(shape[1:])
            if key in transposed:
                fan_in = shape[0] * math.prod(shape[2:]) / 4
            value = torch.randn(shape, generator=gen) / math.sqrt(fan_in)
        out[key] = value.float()
    return out


def seed_module_(module: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Load ``seeded_state_dict`` into ``module`` (strict) and return it in eval mode."""
    shapes = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    transposed = frozenset(f"{name}.weight" for name, m in module.named_modules()
                           if isinstance(m, torch.nn.ConvTranspose2d))
    module.load_state_dict(seeded_state_dict(shapes, seed, transposed), strict=True)
    return module.eval()
