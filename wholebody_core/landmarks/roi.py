"""Image pixels warped into a rotated crop (the models' input tensors).

The crop's geometry (:class:`~wholebody_core.maths.rotated_rect.RotatedRect`, pixel <->
crop conversions) lives in ``maths/rotated_rect.py``; this module only samples the image.
ImageToTensorCalculator (google-ai-edge/mediapipe) maps the rect onto the model's
input with a perspective warp; ``keep_aspect_ratio`` letterboxes (BORDER_ZERO for
the detector, BORDER_REPLICATE, the default, for the landmark models).
"""
from __future__ import annotations

import cv2
import numpy as np

from wholebody_core.maths.rotated_rect import RotatedRect, crop_pixel_to_image_matrix


def crop_image(image: np.ndarray, rect: RotatedRect, out_width: int, out_height: int,
               border_zero: bool = False) -> np.ndarray:
    """Warp the rect's content to an (out_height, out_width, C) image (same dtype).

    ``border_zero``: fill outside the image with zeros (MediaPipe's BORDER_ZERO),
    else replicate the edge pixels (BORDER_REPLICATE).
    """
    matrix = crop_pixel_to_image_matrix(rect, out_width, out_height)[:2]
    border = cv2.BORDER_CONSTANT if border_zero else cv2.BORDER_REPLICATE
    return cv2.warpAffine(image, matrix, (int(out_width), int(out_height)),
                          flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=border, borderValue=0)
