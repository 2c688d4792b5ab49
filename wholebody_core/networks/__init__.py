"""The released whole-body networks (Hand4Whole, Pose2Pose body/hand/face, RootNet).

Architectures with the released checkpoints' parameter names, their preprocessing,
and a hardened checkpoint loader. Pure torch/numpy; no body-model layer inside.
Use :func:`list_networks`, :func:`create_network` and
:func:`wholebody_core.networks.checkpoint.load_network`.
"""
from wholebody_core.networks.registry import (NetworkConfig, create_network, get_network_config, list_networks,
                                              register_network)

__all__ = ["NetworkConfig", "create_network", "get_network_config", "list_networks", "register_network"]
