"""ResNet-18/50 trunks with torchvision's parameter names (no torchvision import).

Key names follow torchvision exactly, so the released checkpoints load strictly:
``conv1, bn1, layer1..4.{i}.{conv1,bn1,conv2,bn2[,conv3,bn3],downsample.0,downsample.1}``,
no ``fc`` (CHECKPOINTS.md §1 "Backbone naming"). In the bottleneck the stride sits
on the 3x3 ``conv2`` (torchvision's "ResNet v1.5").
"""
from __future__ import annotations

import torch
from torch import nn


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with an identity (or 1x1 projection) skip; expansion 1."""

    expansion = 1

    def __init__(self, in_channels: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (strided), 1x1 expand (x4), with a skip; expansion 4."""

    expansion = 4

    def __init__(self, in_channels: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


_SPECS = {18: (BasicBlock, (2, 2, 2, 2)), 50: (Bottleneck, (3, 4, 6, 3))}


class ResNetTrunk(nn.Module):
    """ResNet without pooling head: (N, 3, H, W) -> (N, C, H/32, W/32).

    C is 512 for depth 18 and 2048 for depth 50.
    """

    def __init__(self, depth: int):
        super().__init__()
        if depth not in _SPECS:
            raise ValueError(f"ResNet depth {depth} is not supported; use one of {sorted(_SPECS)}.")
        block, counts = _SPECS[depth]
        self.out_channels = 512 * block.expansion
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        in_channels = 64
        for index, (planes, count) in enumerate(zip((64, 128, 256, 512), counts)):
            stride = 1 if index == 0 else 2
            blocks = []
            for i in range(count):
                downsample = None
                if i == 0 and (stride != 1 or in_channels != planes * block.expansion):
                    downsample = nn.Sequential(
                        nn.Conv2d(in_channels, planes * block.expansion, 1, stride, bias=False),
                        nn.BatchNorm2d(planes * block.expansion))
                blocks.append(block(in_channels, planes, stride if i == 0 else 1, downsample))
                in_channels = planes * block.expansion
            self.add_module(f"layer{index + 1}", nn.Sequential(*blocks))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        return self.layer4(x)
