"""From an image and a box to a network input: the released code's preprocessing.

Pure functions on numpy arrays (CHECKPOINTS.md §2.1, §3, §5.2). Images are RGB
uint8 (H, W, 3); boxes are xywh in image pixels.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch

from wholebody_core.networks.registry import NetworkConfig


def process_bbox(bbox_xywh, image_width: int, image_height: int, aspect_wh: float,
                 extension: float = 1.25, allow_zero_extent: bool = False) -> np.ndarray | None:
    """Sanitise a detector box, fix its aspect ratio, enlarge it: (4,) xywh -> (4,) xywh float32, or None.

    - Sanitise (§2.1 step 2): x1 = max(0, x), y1 = max(0, y), x2 = min(W-1, x1 + max(0, w-1)),
      y2 = min(H-1, y1 + max(0, h-1)); the box becomes [x1, y1, x2-x1, y2-y1] (one pixel
      narrower than given, as in the reference). Rejected (None) unless w*h > 0 and
      x2 > x1, y2 > y1 - RootNet accepts x2 >= x1, y2 >= y1 (``allow_zero_extent``, §3).
    - Grow the short side about the centre to width/height = ``aspect_wh``
      (0.75 body/Hand4Whole/face, 1.0 hand and RootNet).
    - Scale both sides by ``extension`` (1.25) about the centre.
    """
    x, y, w, h = (float(v) for v in bbox_xywh)
    x1, y1 = max(0.0, x), max(0.0, y)
    x2 = min(image_width - 1.0, x1 + max(0.0, w - 1))
    y2 = min(image_height - 1.0, y1 + max(0.0, h - 1))
    ok_x = x2 >= x1 if allow_zero_extent else x2 > x1
    ok_y = y2 >= y1 if allow_zero_extent else y2 > y1
    if not (w * h > 0 and ok_x and ok_y):
        return None
    w, h = x2 - x1, y2 - y1
    cx, cy = x1 + w / 2, y1 + h / 2
    if w > aspect_wh * h:
        h = w / aspect_wh
    elif w < aspect_wh * h:
        w = h * aspect_wh
    w, h = w * extension, h * extension
    return np.array([cx - w / 2, cy - h / 2, w, h], dtype=np.float32)


def crop_transforms(bbox_xywh, output_hw: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Affine maps between the image and the crop: (2, 3) image->crop and (2, 3) crop->image, float32.

    Box centre -> crop centre, half width -> W/2, half height -> H/2 (no rotation, scale 1),
    from three point pairs as the reference's ``gen_trans_from_patch_cv`` does.
    """
    x, y, w, h = (float(v) for v in bbox_xywh)
    oh, ow = output_hw
    cx, cy = x + 0.5 * w, y + 0.5 * h
    src = np.array([[cx, cy], [cx, cy + 0.5 * h], [cx + 0.5 * w, cy]], dtype=np.float32)
    dst = np.array([[ow * 0.5, oh * 0.5], [ow * 0.5, oh * 0.5 + oh * 0.5], [ow * 0.5 + ow * 0.5, oh * 0.5]],
                   dtype=np.float32)
    forward = cv2.getAffineTransform(src, dst).astype(np.float32)
    inverse = cv2.getAffineTransform(dst, src).astype(np.float32)
    return forward, inverse


def crop_image(image_rgb: np.ndarray, bbox_xywh, output_hw: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(H, W, 3) RGB image + processed box -> ((oh, ow, 3) float32 crop in 0-255, (2, 3) crop->image map).

    ``cv2.warpAffine`` with INTER_LINEAR and a zero border, as the reference.
    """
    forward, inverse = crop_transforms(bbox_xywh, output_hw)
    patch = cv2.warpAffine(image_rgb, forward, (int(output_hw[1]), int(output_hw[0])), flags=cv2.INTER_LINEAR)
    return patch.astype(np.float32), inverse


def mirror_box_xywh(bbox_xywh, image_width: int) -> np.ndarray:
    """A box in the horizontally mirrored image (Pose2Pose left hands, §5.2 step 5).

    The reference mirrors the whole image and moves the box centre to x' = W - 1 - x.
    """
    x, y, w, h = (float(v) for v in bbox_xywh)
    cx = image_width - 1 - (x + 0.5 * w)
    return np.array([cx - 0.5 * w, y, w, h], dtype=np.float32)


def normalise_crop(patch_0_255: np.ndarray, config: NetworkConfig) -> torch.Tensor:
    """(..., H, W, 3) float crop in 0-255 -> (..., 3, H, W) float32 network input.

    ``(pixel / pixel_scale - mean) / std``: RGB/255 for Hand4Whole and Pose2Pose; for RootNet
    the quirk ``(pixel_0_255 - mean) / std`` with [0,1]-scale ImageNet constants (§3).
    """
    x = torch.as_tensor(np.ascontiguousarray(patch_0_255), dtype=torch.float32)
    mean = torch.tensor(config.pixel_mean, dtype=torch.float32)
    std = torch.tensor(config.pixel_std, dtype=torch.float32)
    x = (x / config.pixel_scale - mean) / std
    return x.movedim(-1, -3).contiguous()


def virtual_camera_in_image(bbox_xywh, config: NetworkConfig) -> tuple[tuple[float, float], tuple[float, float]]:
    """The network's virtual camera expressed in original-image pixels: (fx, fy), (cx, cy).

    ``bbox_xywh`` is the processed box the crop was taken from. focal = (f / W_cam * w,
    f / H_cam * h), principal point = (cx / W_cam * w + x0, cy / H_cam * h + y0), with
    (H_cam, W_cam) the image the virtual focal is measured in (256x192 for Hand4Whole,
    whose crop is 512x384 of the same box) (CHECKPOINTS.md §2.4, §5.5). A mesh placed
    with the network's ``cam_trans`` projects onto the original image with this camera.
    """
    if config.virtual_focal is None or config.virtual_princpt is None:
        raise ValueError(f"{config.name} has no virtual camera (its depth uses the real camera's focal).")
    x, y, w, h = (float(v) for v in bbox_xywh)
    cam_h, cam_w = config.virtual_camera_hw or config.input_shape_hw
    focal = (config.virtual_focal[0] / cam_w * w, config.virtual_focal[1] / cam_h * h)
    princpt = (config.virtual_princpt[0] / cam_w * w + x, config.virtual_princpt[1] / cam_h * h + y)
    return focal, princpt


def heatmap_to_image(joint_xy: np.ndarray, heatmap_hw: tuple[int, int], bbox_xywh) -> np.ndarray:
    """(..., >=2) (x, y) in heatmap units of a crop -> (..., 2) original-image pixels.

    u = x / W_hm * w + x0, v = y / H_hm * h + y0, the reference's mapping (the crop is
    an unrotated scale-and-shift of the processed box). For Hand4Whole's ``joint_img``
    use heatmap_hw = (8, 6); for RootNet's root, (64, 64).
    """
    xy = np.asarray(joint_xy, dtype=np.float64)
    x0, y0, w, h = (float(v) for v in bbox_xywh)
    return np.stack((xy[..., 0] / heatmap_hw[1] * w + x0, xy[..., 1] / heatmap_hw[0] * h + y0), axis=-1)
