"""SSD anchors as MediaPipe's SsdAnchorsCalculator makes them.

Options of the pose detector (``modules/pose_detection/pose_detection_cpu.pbtxt``,
google-ai-edge/mediapipe): num_layers 5, min_scale 0.1484375, max_scale 0.75,
input 224 x 224, anchor offset 0.5, strides 8, 16, 32, 32, 32, aspect ratio 1.0,
fixed_anchor_size true, interpolated_scale_aspect_ratio 1.0 (the default) ->
2 anchors per cell: 28*28*2 + 14*14*2 + 7*7*6 = 2254 anchors.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np


@dataclasses.dataclass(frozen=True)
class SsdAnchorOptions:
    input_width: int = 224
    input_height: int = 224
    num_layers: int = 5
    min_scale: float = 0.1484375
    max_scale: float = 0.75
    strides: tuple[int, ...] = (8, 16, 32, 32, 32)
    aspect_ratios: tuple[float, ...] = (1.0,)
    anchor_offset_x: float = 0.5
    anchor_offset_y: float = 0.5
    interpolated_scale_aspect_ratio: float = 1.0
    fixed_anchor_size: bool = True


POSE_DETECTION_ANCHORS = SsdAnchorOptions()


def _scale(min_scale: float, max_scale: float, index: int, count: int) -> float:
    if count == 1:
        return (min_scale + max_scale) * 0.5
    return min_scale + (max_scale - min_scale) * index / (count - 1.0)


def generate_anchors(options: SsdAnchorOptions = POSE_DETECTION_ANCHORS) -> np.ndarray:
    """(N, 4) anchors: x_centre, y_centre, width, height, normalised to [0, 1].

    Layers with the same stride share one feature map; every cell gets the anchors
    of all those layers (in that order), cells in row-major order.
    """
    anchors: list[tuple[float, float, float, float]] = []
    layer = 0
    n = options.num_layers
    while layer < n:
        sizes: list[tuple[float, float]] = []  # (width, height) per anchor in the cell
        last = layer
        while last < n and options.strides[last] == options.strides[layer]:
            scale = _scale(options.min_scale, options.max_scale, last, n)
            for ratio in options.aspect_ratios:
                r = math.sqrt(ratio)
                sizes.append((scale * r, scale / r))
            if options.interpolated_scale_aspect_ratio > 0.0:
                next_scale = 1.0 if last == n - 1 else _scale(options.min_scale, options.max_scale, last + 1, n)
                interpolated = math.sqrt(scale * next_scale)
                r = math.sqrt(options.interpolated_scale_aspect_ratio)
                sizes.append((interpolated * r, interpolated / r))
            last += 1
        stride = options.strides[layer]
        fm_h = int(math.ceil(options.input_height / stride))
        fm_w = int(math.ceil(options.input_width / stride))
        for y in range(fm_h):
            for x in range(fm_w):
                xc = (x + options.anchor_offset_x) / fm_w
                yc = (y + options.anchor_offset_y) / fm_h
                for w, h in sizes:
                    anchors.append((xc, yc, 1.0, 1.0) if options.fixed_anchor_size else (xc, yc, w, h))
        layer = last
    return np.asarray(anchors, dtype=np.float32)
