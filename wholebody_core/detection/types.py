"""What a person detector hands to the landmark stage."""
from __future__ import annotations

import dataclasses

import numpy as np

from wholebody_core.maths.rotated_rect import RotatedRect


@dataclasses.dataclass
class PersonDetection:
    """One detected person in one frame (pixels, full frame)."""

    score: float                 # 0..1
    bbox_xyxy: np.ndarray        # (4,) the detector's box (BlazePose: the head; HOG: the body)
    body_roi: RotatedRect        # the crop the body landmark model should see
    keypoints_px: np.ndarray | None = None  # (K, 2) detector keypoints, if any
    source: str = ""             # which detector found it


@dataclasses.dataclass
class DetectorOptions:
    """Options shared by the person detectors."""

    min_score: float = 0.5
    nms_iou: float = 0.3
    # Extra passes on overlapping square tiles, each side a fraction of the image's
    # shorter side (small people: ~60-150 px in 640 x 480). Empty: full frame only.
    tile_fractions: tuple[float, ...] = (0.5, 0.33)
    tile_overlap: float = 0.25
    num_threads: int = 2
