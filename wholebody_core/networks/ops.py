"""Tensor operations shared by the released networks (Hand4Whole, Pose2Pose, RootNet).

Each function reproduces the convention of the released code exactly; the section
numbers cite ``/work/shared/reference/CHECKPOINTS.md`` (the facts sheet of the
checkpoints). Pure torch; any leading batch layout is stated per function.
"""
from __future__ import annotations

import torch
from torch.nn import functional as F


def soft_argmax_2d(heatmap: torch.Tensor) -> torch.Tensor:
    """(N, J, H, W) raw scores -> (N, J, 2) expected (x, y), 0-based cell indices.

    Softmax over all H*W cells of each map, then the expectation of the column
    (x in [0, W-1]) and row (y in [0, H-1]) index (CHECKPOINTS.md §2.2, §3).
    """
    n, j, h, w = heatmap.shape
    prob = F.softmax(heatmap.reshape(n, j, h * w), dim=2).reshape(n, j, h, w)
    xs = torch.arange(w, dtype=prob.dtype, device=prob.device)
    ys = torch.arange(h, dtype=prob.dtype, device=prob.device)
    x = (prob.sum(dim=2) * xs).sum(dim=2)
    y = (prob.sum(dim=3) * ys).sum(dim=2)
    return torch.stack((x, y), dim=2)


def soft_argmax_3d(heatmap: torch.Tensor) -> torch.Tensor:
    """(N, J, D, H, W) raw scores -> (N, J, 3) expected (x, y, z), 0-based cell indices.

    Softmax over all D*H*W cells of each joint; x in [0, W-1], y in [0, H-1],
    z (depth bin) in [0, D-1] (CHECKPOINTS.md §5.3).
    """
    n, j, d, h, w = heatmap.shape
    prob = F.softmax(heatmap.reshape(n, j, d * h * w), dim=2).reshape(n, j, d, h, w)
    xs = torch.arange(w, dtype=prob.dtype, device=prob.device)
    ys = torch.arange(h, dtype=prob.dtype, device=prob.device)
    zs = torch.arange(d, dtype=prob.dtype, device=prob.device)
    x = (prob.sum(dim=(2, 3)) * xs).sum(dim=2)
    y = (prob.sum(dim=(2, 4)) * ys).sum(dim=2)
    z = (prob.sum(dim=(3, 4)) * zs).sum(dim=2)
    return torch.stack((x, y, z), dim=2)


def rot6d_to_rotmat(rot6d: torch.Tensor) -> torch.Tensor:
    """(..., 6) -> (..., 3, 3) rotation matrices, the released networks' 6D layout.

    The 6-vector v is read row-major as a 3x2 matrix, so the two columns are
    a1 = (v0, v2, v4) and a2 = (v1, v3, v5); Gram-Schmidt gives b1, b2, b3 = b1 x b2
    and R = [b1 b2 b3] as columns (CHECKPOINTS.md §2.3). Note: this is NOT the
    Zhou et al. / PyTorch3D layout (which takes v[:3] and v[3:] as the columns).
    """
    m = rot6d.reshape(*rot6d.shape[:-1], 3, 2)
    a1, a2 = m[..., 0], m[..., 1]
    b1 = F.normalize(a1, dim=-1)
    b2 = F.normalize(a2 - (b1 * a2).sum(dim=-1, keepdim=True) * b1, dim=-1)
    b3 = torch.linalg.cross(b1, b2, dim=-1)
    return torch.stack((b1, b2, b3), dim=-1)


def rotmat_to_rotvec(rotmat: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) rotation matrices -> (..., 3) axis-angle, angle in [0, pi].

    Through a unit quaternion chosen by Shepperd's method (the largest of the four
    candidate denominators), so it stays accurate near pi, where the reference's
    torchgeometry route also goes through a quaternion. Away from angle pi both
    give the same vector; at exactly pi the sign of the axis is arbitrary.
    """
    r = rotmat
    m00, m11, m22 = r[..., 0, 0], r[..., 1, 1], r[..., 2, 2]
    trace = m00 + m11 + m22
    # Four candidates for 4*q_i^2 (w, x, y, z); pick the largest per matrix.
    cand = torch.stack((1 + trace, 1 + m00 - m11 - m22, 1 - m00 + m11 - m22,
                        1 - m00 - m11 + m22), dim=-1)
    choice = cand.argmax(dim=-1, keepdim=True)
    # Candidate i is 4*q_i times the quaternion (w, x, y, z): scale-consistent, normalised below.
    d21, d02, d10 = r[..., 2, 1] - r[..., 1, 2], r[..., 0, 2] - r[..., 2, 0], r[..., 1, 0] - r[..., 0, 1]
    s01, s02, s12 = r[..., 0, 1] + r[..., 1, 0], r[..., 0, 2] + r[..., 2, 0], r[..., 1, 2] + r[..., 2, 1]
    candidates = torch.stack((
        torch.stack((cand[..., 0], d21, d02, d10), -1),
        torch.stack((d21, cand[..., 1], s01, s02), -1),
        torch.stack((d02, s01, cand[..., 2], s12), -1),
        torch.stack((d10, s02, s12, cand[..., 3]), -1)), dim=-2)  # (..., 4 candidates, 4)
    quat = candidates.gather(-2, choice.unsqueeze(-1).expand(*choice.shape[:-1], 1, 4)).squeeze(-2)
    quat = F.normalize(quat, dim=-1)
    quat = torch.where(quat[..., :1] < 0, -quat, quat)  # w >= 0: angle in [0, pi]
    vec_norm = quat[..., 1:].norm(dim=-1)
    angle = 2 * torch.atan2(vec_norm, quat[..., 0])
    # angle / sin(angle/2), with its small-angle limit 2 + angle^2/12.
    small = vec_norm < 1e-6
    factor = torch.where(small, 2 + angle * angle / 12, angle / torch.where(small, torch.ones_like(vec_norm), vec_norm))
    return quat[..., 1:] * factor.unsqueeze(-1)


def rot6d_to_rotvec(rot6d: torch.Tensor) -> torch.Tensor:
    """(..., 6) network 6D output -> (..., 3) axis-angle (see rot6d_to_rotmat).

    Computed in at least float32 (a half-precision network still gets accurate angles),
    returned in the input's dtype.
    """
    work = rot6d if rot6d.dtype in (torch.float32, torch.float64) else rot6d.float()
    return rotmat_to_rotvec(rot6d_to_rotmat(work)).to(rot6d.dtype)


def sample_joint_features(feature: torch.Tensor, joint_xy: torch.Tensor) -> torch.Tensor:
    """Bilinear features at joint positions: (N, C, H, W), (N, J, >=2) -> (N, J, C).

    ``joint_xy[..., :2]`` is (x, y) in feature-map cell indices (0 = first cell
    centre, W-1 = last); sampled with ``grid_sample(align_corners=True)`` and zero
    padding, as the reference does (CHECKPOINTS.md §5.3 "Pooling").
    """
    h, w = feature.shape[2:]
    x = joint_xy[:, :, 0] / (w - 1) * 2 - 1
    y = joint_xy[:, :, 1] / (h - 1) * 2 - 1
    grid = torch.stack((x, y), dim=2)[:, :, None, :]
    sampled = F.grid_sample(feature, grid, mode="bilinear", padding_mode="zeros", align_corners=True)
    return sampled[:, :, :, 0].permute(0, 2, 1).contiguous()


def _roi_axis_weights(start: torch.Tensor, size: torch.Tensor, pooled: int, length: int) -> torch.Tensor:
    """Averaged bilinear weights along one axis for roi_align: (R,), (R,) -> (R, pooled, length).

    Row p holds the weight of each input index in output cell p: the mean over the
    adaptive grid of ceil(size/pooled) samples at bin-relative offsets (i + 0.5)/grid,
    each sample bilinear, clamped at the far border, zero when outside [-1, length].
    """
    grid = torch.ceil(size / pooled).clamp_min(1).to(torch.long)  # (R,)
    g_max = int(grid.max().item()) if grid.numel() else 1
    i = torch.arange(g_max, device=start.device, dtype=start.dtype)
    p = torch.arange(pooled, device=start.device, dtype=start.dtype)
    bin_size = size / pooled
    gridf = grid.to(start.dtype)
    # (R, pooled, g_max) sample positions; samples i >= grid are masked out.
    pos = start[:, None, None] + p[None, :, None] * bin_size[:, None, None] \
        + (i[None, None, :] + 0.5) * (bin_size / gridf)[:, None, None]
    used = (i[None, None, :] < gridf[:, None, None]).to(start.dtype)
    inside = ((pos >= -1.0) & (pos <= length)).to(start.dtype)
    pos = pos.clamp_min(0.0)
    low = torch.floor(pos).to(torch.long)
    at_end = low >= length - 1
    low = torch.where(at_end, torch.full_like(low, length - 1), low)
    high = torch.where(at_end, low, low + 1)
    frac = torch.where(at_end, torch.zeros_like(pos), pos - low.to(pos.dtype))
    scale = used * inside / gridf[:, None, None]
    weights = torch.zeros(start.shape[0], pooled, length, dtype=start.dtype, device=start.device)
    weights.scatter_add_(2, low, (1 - frac) * scale)
    weights.scatter_add_(2, high, frac * scale)
    return weights


def roi_align(image: torch.Tensor, boxes_xyxy: torch.Tensor, batch_index: torch.Tensor,
              output_hw: tuple[int, int]) -> torch.Tensor:
    """torchvision ``roi_align`` with ``spatial_scale=1, sampling_ratio=-1, aligned=False``.

    image (N, C, H, W); boxes_xyxy (R, 4) in input pixels (pixel centres at integer
    coordinates); batch_index (R,) long, the image of each box -> (R, C, oh, ow).

    With ``aligned=False`` a box's width and height are clamped to >= 1 pixel and
    there is no half-pixel shift; each output cell averages a grid of
    ceil(box_size / output_size) x ... bilinear samples (CHECKPOINTS.md §2.2 "Hand
    crop"). The average of separable bilinear weights factorises, so each box is
    two small matrix products: out = Wy @ image @ Wx^T.
    """
    oh, ow = output_hw
    _, _, height, width = image.shape
    dtype = image.dtype
    boxes = boxes_xyxy.to(dtype)
    x1, y1, x2, y2 = boxes.unbind(dim=1)
    roi_w = (x2 - x1).clamp_min(1.0)
    roi_h = (y2 - y1).clamp_min(1.0)
    wy = _roi_axis_weights(y1, roi_h, oh, height)  # (R, oh, H)
    wx = _roi_axis_weights(x1, roi_w, ow, width)   # (R, ow, W)
    selected = image[batch_index.to(torch.long)]    # (R, C, H, W)
    rows = torch.einsum("rchw,rqw->rchq", selected, wx)
    return torch.einsum("rph,rchq->rcpq", wy, rows)


def restore_bbox(center: torch.Tensor, size: torch.Tensor, aspect_ratio: float, extension: float,
                 hm_shape_hw: tuple[int, int] = (8, 6), input_shape_hw: tuple[int, int] = (256, 192)) -> torch.Tensor:
    """Hand4Whole's part box from BoxNet outputs: (N, 2), (N, 2) -> (N, 4) xyxy.

    ``center`` and ``size`` (w, h) are in body-heatmap units (8x6); the box is scaled
    to the 256x192 body input, its short side grown to ``aspect_ratio`` = w/h, then
    both sides multiplied by ``extension`` (2.0 hands, 1.5 face) about the centre
    (CHECKPOINTS.md §2.2 "restore_bbox"). Result: xyxy pixels of the 256x192 input.
    """
    sx = input_shape_hw[1] / hm_shape_hw[1]
    sy = input_shape_hw[0] / hm_shape_hw[0]
    x1 = (center[:, 0] - size[:, 0] / 2) * sx
    x2 = (center[:, 0] + size[:, 0] / 2) * sx
    y1 = (center[:, 1] - size[:, 1] / 2) * sy
    y2 = (center[:, 1] + size[:, 1] / 2) * sy
    w, h = x2 - x1, y2 - y1
    cx, cy = x1 + w / 2, y1 + h / 2
    wide = w > aspect_ratio * h
    tall = w < aspect_ratio * h
    h = torch.where(wide, w / aspect_ratio, h)
    w = torch.where(tall, h * aspect_ratio, w)
    w, h = w * extension, h * extension
    return torch.stack((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), dim=1)


def camera_trans_from_cam_param(cam_param: torch.Tensor, k_value: float) -> torch.Tensor:
    """(N, 3) raw camera head (c0, c1, c2) -> (N, 3) translation (c0, c1, k*sigmoid(c2)), metres.

    k = sqrt(fx*fy*camera_3d_size^2 / (H*W)) of the network's own virtual camera
    (CHECKPOINTS.md §2.4, §5.5); the translation moves the body model's origin.
    """
    tz = k_value * torch.sigmoid(cam_param[:, 2])
    return torch.cat((cam_param[:, :2], tz[:, None]), dim=1)
