"""RootNet (3DMPPE): a person's root (pelvis) image position and absolute camera depth.

Architecture and conventions from CHECKPOINTS.md §3 (mks0601/3DMPPE_ROOTNET_RELEASE):
ResNet-50 -> 2048x8x8; three deconvs to 256x64x64 and a 1x1 conv give one root
heatmap (soft-argmax, 64x64 units); a 1x1 conv on the globally pooled feature gives
gamma, and the depth is Z = gamma * k with k = sqrt(A_real * fx * fy / A_box).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from wholebody_core.networks.heads import deconv_stack
from wholebody_core.networks.ops import soft_argmax_2d
from wholebody_core.networks.registry import NetworkConfig, register_network
from wholebody_core.networks.resnet import ResNetTrunk

ROOTNET_CONFIG = NetworkConfig(
    name="rootnet",
    input_shape_hw=(256, 256),
    # Quirk (§3 "Normalisation quirk"): ToTensor on a float32 array does not divide by
    # 255, so the [0,1]-scale ImageNet constants are applied to 0-255 pixels.
    pixel_scale=1.0,
    pixel_mean=(0.485, 0.456, 0.406),
    pixel_std=(0.229, 0.224, 0.225),
    bbox_aspect_wh=1.0,
    virtual_focal=None,
    virtual_princpt=None,
    virtual_camera_hw=None,
    camera_3d_size=None,
    checkpoint_file="snapshot_18.pth.tar",
    source="mks0601/3DMPPE_ROOTNET_RELEASE (Moon et al., ICCV 2019), main/model.py ResPoseNet",
    licence="code MIT; released weights: see the repository's README (trained on H36M/MuCo/COCO/MPII)",
)

ROOTNET_OUTPUT_HW = (64, 64)
BBOX_REAL_MM = (2000.0, 2000.0)


@dataclass
class RootNetOutput:
    """RootNet's result for N crops.

    root_xy: (N, 2) root position (x, y) in 64x64 output-map units (0-based cells);
        times 4 gives 256x256 crop pixels.
    gamma: (N,) the learned correction factor.
    depth: (N,) absolute camera-space depth of the root, Z = gamma * k, in the unit of
        the area used for k (mm with the default 2000 mm x 2000 mm).
    """

    root_xy: torch.Tensor
    gamma: torch.Tensor
    depth: torch.Tensor


class RootHead(nn.Module):
    """The ``root`` module: deconvs + xy heatmap, and the depth factor on pooled features."""

    def __init__(self):
        super().__init__()
        self.deconv_layers = deconv_stack([2048, 256, 256, 256])
        self.xy_layer = nn.Conv2d(256, 1, kernel_size=1)
        self.depth_layer = nn.Conv2d(2048, 1, kernel_size=1)

    def forward(self, feature: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, 2048, 8, 8) -> (root_xy (N, 2) in 64x64 units, gamma (N,))."""
        root_xy = soft_argmax_2d(self.xy_layer(self.deconv_layers(feature)))[:, 0]
        pooled = feature.mean(dim=(2, 3), keepdim=True)
        gamma = self.depth_layer(pooled).reshape(-1)
        return root_xy, gamma


@register_network(ROOTNET_CONFIG)
class RootNet(nn.Module):
    """RootNet: (N, 3, 256, 256) normalised crop + (N,) k-values -> :class:`RootNetOutput`.

    State-dict keys: ``backbone.*`` (ResNet-50) and ``root.*`` (340 keys).
    """

    config = ROOTNET_CONFIG

    def __init__(self):
        super().__init__()
        self.backbone = ResNetTrunk(50)
        self.root = RootHead()

    def forward(self, image: torch.Tensor, k_value: torch.Tensor) -> RootNetOutput:
        """image: (N, 3, 256, 256) as ``(pixel_0_255 - mean) / std`` (see the config);
        k_value: (N,) or (N, 1) from :func:`rootnet_k_value`."""
        root_xy, gamma = self.root(self.backbone(image))
        return RootNetOutput(root_xy=root_xy, gamma=gamma, depth=gamma * k_value.reshape(-1))


def rootnet_k_value(bbox_wh: np.ndarray, focal: tuple[float, float],
                    bbox_real: tuple[float, float] = BBOX_REAL_MM) -> np.ndarray:
    """k = sqrt(real_w * real_h * fx * fy / (w * h)): (..., 2) box sizes -> (...) depths.

    bbox_wh is the *processed* box (square, x1.25; :func:`process_bbox`) in original
    image pixels; focal in pixels; bbox_real the assumed real area (mm by default; the
    README suggests (2, 2) for datasets in metres). CHECKPOINTS.md §3 "k-value".
    """
    wh = np.asarray(bbox_wh, dtype=np.float64)
    return np.sqrt(bbox_real[0] * bbox_real[1] * focal[0] * focal[1] / (wh[..., 0] * wh[..., 1]))


def rootnet_root_to_image(root_xy: np.ndarray, bbox_xywh: np.ndarray,
                          output_hw: tuple[int, int] = ROOTNET_OUTPUT_HW) -> np.ndarray:
    """(..., 2) root in 64x64 map units + (..., 4) processed xywh box -> (..., 2) image pixels.

    u = x / 64 * w + x0, v = y / 64 * h + y0 (CHECKPOINTS.md §3 "Back to the image").
    """
    xy = np.asarray(root_xy, dtype=np.float64)
    box = np.asarray(bbox_xywh, dtype=np.float64)
    u = xy[..., 0] / output_hw[1] * box[..., 2] + box[..., 0]
    v = xy[..., 1] / output_hw[0] * box[..., 3] + box[..., 1]
    return np.stack((u, v), axis=-1)


def back_project(uv: np.ndarray, depth: np.ndarray, focal: tuple[float, float],
                 princpt: tuple[float, float]) -> np.ndarray:
    """(..., 2) image pixels + (...) depth -> (..., 3) OpenCV camera coordinates (x right, y down, z forward).

    X = (u - cx) / fx * Z, Y = (v - cy) / fy * Z, in the unit of ``depth``.
    """
    uv = np.asarray(uv, dtype=np.float64)
    z = np.asarray(depth, dtype=np.float64)
    x = (uv[..., 0] - princpt[0]) / focal[0] * z
    y = (uv[..., 1] - princpt[1]) / focal[1] * z
    return np.stack((x, y, z), axis=-1)


def default_focal(image_hw: tuple[int, int]) -> tuple[tuple[float, float], tuple[float, float]]:
    """The demo's in-the-wild camera: focal (1500, 1500) px, principal point at the image centre."""
    return (1500.0, 1500.0), (image_hw[1] / 2, image_hw[0] / 2)

