"""Layer builders and heads shared by Hand4Whole and Pose2Pose.

The builders make ``nn.Sequential`` stacks whose indices match the released
checkpoints' keys (``conv.0``, ``deconv.0/1/3/4/6/7``, ``size.0/2``): ReLU layers
take an index but own no tensors, which is why saved indices skip.
"""
from __future__ import annotations

import torch
from torch import nn

from wholebody_core.networks.ops import sample_joint_features, soft_argmax_3d


def conv_stack(channels: list[int], bn_relu_final: bool = True) -> nn.Sequential:
    """1x1 convolutions (with bias) between ``channels``, BN+ReLU after each but maybe the last."""
    layers: list[nn.Module] = []
    for i in range(len(channels) - 1):
        layers.append(nn.Conv2d(channels[i], channels[i + 1], kernel_size=1, stride=1, padding=0))
        if i < len(channels) - 2 or bn_relu_final:
            layers += [nn.BatchNorm2d(channels[i + 1]), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


def linear_stack(features: list[int], relu_final: bool = False) -> nn.Sequential:
    """Linear layers between ``features``, ReLU after each but (by default) the last."""
    layers: list[nn.Module] = []
    for i in range(len(features) - 1):
        layers.append(nn.Linear(features[i], features[i + 1]))
        if i < len(features) - 2 or relu_final:
            layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def deconv_stack(channels: list[int]) -> nn.Sequential:
    """Transposed 4x4 convolutions, stride 2, padding 1, no bias, each followed by BN+ReLU (x2 size each)."""
    layers: list[nn.Module] = []
    for i in range(len(channels) - 1):
        layers += [nn.ConvTranspose2d(channels[i], channels[i + 1], kernel_size=4, stride=2, padding=1,
                                      output_padding=0, bias=False),
                   nn.BatchNorm2d(channels[i + 1]), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


class PositionNet(nn.Module):
    """Positional pose: a 1x1 conv to J x D depth-bin maps, then a 3D soft-argmax.

    Channel layout: channel = joint * D + depth_bin (CHECKPOINTS.md §5.3).
    """

    def __init__(self, in_channels: int, num_joints: int, hm_shape_dhw: tuple[int, int, int]):
        super().__init__()
        self.num_joints = num_joints
        self.hm_shape_dhw = hm_shape_dhw
        self.conv = conv_stack([in_channels, num_joints * hm_shape_dhw[0]], bn_relu_final=False)

    def forward(self, feature: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, C, H, W) -> (heatmap (N, J, D, H, W) softmaxed per joint, joint_img (N, J, 3)).

        joint_img holds (x, y, z) in heatmap cell units, 0-based.
        """
        d, h, w = self.hm_shape_dhw
        scores = self.conv(feature).reshape(-1, self.num_joints, d, h, w)
        joint_img = soft_argmax_3d(scores)
        prob = torch.softmax(scores.reshape(-1, self.num_joints, d * h * w), dim=2)
        return prob.reshape(-1, self.num_joints, d, h, w), joint_img


def pooled_joint_features(feature: torch.Tensor, joint_img: torch.Tensor) -> torch.Tensor:
    """Joint-guided pooling: (N, C, H, W), (N, J, 3) -> (N, J, C + 3).

    Features sampled bilinearly at each joint's (x, y), then its (x, y, z) appended;
    flattened joint-major by the caller (Linear column = joint * (C+3) + c).
    """
    return torch.cat((sample_joint_features(feature, joint_img), joint_img), dim=2)
