"""Registry of the released networks, each with a typed config (as timm does).

``register_network`` is a class decorator; ``list_networks()`` imports the built-in
model modules first so that every network that ships is listed. The config travels
with the network: input size, pixel normalisation, virtual camera, source and licence.
Kept apart from ``wholebody_core/models/registry.py`` (detectors and landmark
backends) because these networks need released checkpoints the user provides.
"""
from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from typing import Callable

from torch import nn

from wholebody_core.errors import InputError

_BUILTIN_MODULES = (
    "wholebody_core.networks.hand4whole",
    "wholebody_core.networks.pose2pose",
    "wholebody_core.networks.rootnet",
)


@dataclass(frozen=True)
class NetworkConfig:
    """What a network expects and where its weights come from.

    input_shape_hw: crop size fed to the network, pixels (H, W).
    pixel_scale: the input is ``(pixel_0_255 / pixel_scale - mean) / std`` per RGB channel.
    pixel_mean, pixel_std: per-channel (R, G, B) constants in that formula.
    bbox_aspect_wh: W/H that ``process_bbox`` gives the person/part box before the crop.
    virtual_focal: focal length (fx, fy) in crop pixels of the network's virtual camera
        (for RootNet: None; it takes the real camera's focal through its k-value).
    virtual_princpt: principal point (cx, cy), crop pixels.
    virtual_camera_hw: the image (H, W) whose pixels the virtual focal is measured in;
        the network input except for Hand4Whole (its 256x192 body input, §2.4).
    camera_3d_size: metres; sets k = sqrt(fx*fy*size^2/(H*W)) of the translation head.
    checkpoint_file: the file name the official demo loads.
    source, licence: where the architecture and weights come from.
    """

    name: str
    input_shape_hw: tuple[int, int]
    pixel_scale: float
    pixel_mean: tuple[float, float, float]
    pixel_std: tuple[float, float, float]
    bbox_aspect_wh: float
    virtual_focal: tuple[float, float] | None
    virtual_princpt: tuple[float, float] | None
    virtual_camera_hw: tuple[int, int] | None
    camera_3d_size: float | None
    checkpoint_file: str
    source: str
    licence: str

    @property
    def k_value(self) -> float | None:
        """sqrt(fx*fy*camera_3d_size^2 / (H*W)): the depth scale of the camera head, metres."""
        if self.virtual_focal is None or self.camera_3d_size is None:
            return None
        fx, fy = self.virtual_focal
        h, w = self.virtual_camera_hw or self.input_shape_hw
        return math.sqrt(fx * fy * self.camera_3d_size ** 2 / (h * w))


_NETWORKS: dict[str, tuple[Callable[[], nn.Module], NetworkConfig]] = {}


def register_network(config: NetworkConfig):
    """Class decorator: make a network (built with no arguments) available as ``config.name``."""
    def wrap(factory):
        _NETWORKS[config.name] = (factory, config)
        factory.config = config
        return factory
    return wrap


def _load_builtins() -> None:
    for module in _BUILTIN_MODULES:
        importlib.import_module(module)


def list_networks() -> list[str]:
    """Names of the registered networks."""
    _load_builtins()
    return sorted(_NETWORKS)


def _lookup(name: str):
    _load_builtins()
    if name not in _NETWORKS:
        raise InputError(f"Unknown network {name!r}; choose one of: {', '.join(sorted(_NETWORKS))}.")
    return _NETWORKS[name]


def get_network_config(name: str) -> NetworkConfig:
    """The config of network ``name`` (InputError when unknown)."""
    return _lookup(name)[1]


def create_network(name: str) -> nn.Module:
    """A new network ``name`` with freshly initialised (untrained) weights, in eval mode."""
    return _lookup(name)[0]().eval()
