"""The networks' tensor ops against slow reference versions written out loop by loop."""
import math

import numpy as np
import pytest
import torch

from wholebody_core.maths import rotations as R
from wholebody_core.networks import ops


def _slow_soft_argmax(heatmap):
    """Loops over every cell: softmax then the expected 0-based (x, y[, z])."""
    n, j = heatmap.shape[:2]
    spatial = heatmap.shape[2:]
    out = np.zeros((n, j, len(spatial)))
    for a in range(n):
        for b in range(j):
            scores = heatmap[a, b].astype(np.float64)
            prob = np.exp(scores - scores.max())
            prob /= prob.sum()
            for index in np.ndindex(*spatial):
                # index is (y, x) or (z, y, x); outputs are (x, y[, z]).
                out[a, b] += prob[index] * np.array(index[::-1], dtype=np.float64)
    return out


def test_soft_argmax_2d_matches_loops():
    heatmap = torch.randn(2, 3, 5, 4, generator=torch.Generator().manual_seed(0)) * 3
    np.testing.assert_allclose(ops.soft_argmax_2d(heatmap).numpy(), _slow_soft_argmax(heatmap.numpy()), atol=1e-5)


def test_soft_argmax_3d_matches_loops_and_is_zero_based():
    heatmap = torch.randn(2, 3, 4, 5, 3, generator=torch.Generator().manual_seed(1)) * 3
    np.testing.assert_allclose(ops.soft_argmax_3d(heatmap).numpy(), _slow_soft_argmax(heatmap.numpy()), atol=1e-5)
    peaked = torch.full((1, 1, 4, 5, 3), -1e4)
    peaked[0, 0, 3, 0, 2] = 0  # z=3, y=0, x=2
    np.testing.assert_allclose(ops.soft_argmax_3d(peaked)[0, 0].numpy(), [2, 0, 3], atol=1e-6)


def _slow_rot6d_to_rotmat(v):
    a1 = np.array([v[0], v[2], v[4]], dtype=np.float64)
    a2 = np.array([v[1], v[3], v[5]], dtype=np.float64)
    b1 = a1 / np.linalg.norm(a1)
    b2 = a2 - np.dot(b1, a2) * b1
    b2 /= np.linalg.norm(b2)
    return np.column_stack([b1, b2, np.cross(b1, b2)])


def test_rot6d_layout_is_row_major_3x2():
    rot6d = torch.randn(7, 6, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    got = ops.rot6d_to_rotmat(rot6d).numpy()
    for i in range(7):
        np.testing.assert_allclose(got[i], _slow_rot6d_to_rotmat(rot6d[i].numpy()), atol=1e-12)
    np.testing.assert_allclose(got @ got.transpose(0, 2, 1), np.broadcast_to(np.eye(3), (7, 3, 3)), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(got), 1, atol=1e-12)
    # The identity's 6D is (1, 0, 0, 1, 0, 0) in this layout, not PyTorch3D's (1, 0, 0, 0, 1, 0).
    identity = ops.rot6d_to_rotmat(torch.tensor([1.0, 0, 0, 1, 0, 0]))
    np.testing.assert_allclose(identity.numpy(), np.eye(3), atol=1e-7)


def test_rotmat_to_rotvec_matches_numpy_maths_including_near_pi():
    rng = np.random.default_rng(3)
    axis = rng.normal(size=(200, 3))
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    angle = np.concatenate([rng.uniform(0, np.pi, 150), np.pi - 10.0 ** -rng.uniform(3, 8, 40),
                            10.0 ** -rng.uniform(4, 9, 10)])
    rotvec = axis * angle[:, None]
    rotmat = R.rotvec_to_rotmat(rotvec)
    got = ops.rotmat_to_rotvec(torch.from_numpy(rotmat)).numpy()
    np.testing.assert_allclose(R.rotvec_to_rotmat(got), rotmat, atol=1e-9)
    np.testing.assert_allclose(got, R.rotmat_to_rotvec(rotmat), atol=1e-7)
    exact_pi = ops.rotmat_to_rotvec(torch.diag(torch.tensor([1.0, -1.0, -1.0], dtype=torch.float64)))
    np.testing.assert_allclose(np.abs(exact_pi.numpy()), [np.pi, 0, 0], atol=1e-12)
    assert torch.isfinite(ops.rotmat_to_rotvec(torch.eye(3))).all()


def _slow_bilinear(feature, x, y):
    """Bilinear read at (x, y) in cell indices, zeros outside the map."""
    c, h, w = feature.shape
    x0, y0 = math.floor(x), math.floor(y)
    value = np.zeros(c)
    for yy, wy in ((y0, 1 - (y - y0)), (y0 + 1, y - y0)):
        for xx, wx in ((x0, 1 - (x - x0)), (x0 + 1, x - x0)):
            if 0 <= yy < h and 0 <= xx < w:
                value += wy * wx * feature[:, yy, xx]
    return value


def test_sample_joint_features_is_bilinear_at_cell_indices():
    gen = torch.Generator().manual_seed(4)
    feature = torch.randn(2, 5, 8, 6, generator=gen, dtype=torch.float64)
    joints = torch.rand(2, 7, 3, generator=gen, dtype=torch.float64) * torch.tensor([5.0, 7.0, 8.0])
    joints[0, 0, :2] = torch.tensor([0.0, 0.0])
    joints[0, 1, :2] = torch.tensor([5.0, 7.0])
    got = ops.sample_joint_features(feature, joints).numpy()
    assert got.shape == (2, 7, 5)
    for n in range(2):
        for j in range(7):
            x, y = joints[n, j, :2].tolist()
            np.testing.assert_allclose(got[n, j], _slow_bilinear(feature[n].numpy(), x, y), atol=1e-12)


def _slow_roi_align(image, box, batch_index, out_hw):
    """torchvision's CPU roi_align kernel (spatial_scale 1, sampling_ratio -1, aligned False), in loops."""
    _, height, width = image[batch_index].shape
    x1, y1, x2, y2 = box
    roi_w, roi_h = max(x2 - x1, 1.0), max(y2 - y1, 1.0)
    oh, ow = out_hw
    bin_h, bin_w = roi_h / oh, roi_w / ow
    grid_h, grid_w = math.ceil(roi_h / oh), math.ceil(roi_w / ow)
    out = np.zeros((image.shape[1], oh, ow))
    for ph in range(oh):
        for pw in range(ow):
            total = np.zeros(image.shape[1])
            for iy in range(grid_h):
                y = y1 + ph * bin_h + (iy + 0.5) * bin_h / grid_h
                for ix in range(grid_w):
                    x = x1 + pw * bin_w + (ix + 0.5) * bin_w / grid_w
                    if y < -1.0 or y > height or x < -1.0 or x > width:
                        continue
                    y, x = max(y, 0.0), max(x, 0.0)
                    yl, xl = int(y), int(x)
                    if yl >= height - 1:
                        yl = yh = height - 1
                        y = float(yl)
                    else:
                        yh = yl + 1
                    if xl >= width - 1:
                        xl = xh = width - 1
                        x = float(xl)
                    else:
                        xh = xl + 1
                    ly, lx = y - yl, x - xl
                    img = image[batch_index]
                    total += ((1 - ly) * (1 - lx) * img[:, yl, xl] + (1 - ly) * lx * img[:, yl, xh]
                              + ly * (1 - lx) * img[:, yh, xl] + ly * lx * img[:, yh, xh])
            out[:, ph, pw] = total / max(grid_h * grid_w, 1)
    return out


def test_roi_align_matches_the_torchvision_kernel_in_loops():
    gen = torch.Generator().manual_seed(5)
    image = torch.randn(2, 3, 13, 11, generator=gen, dtype=torch.float64)
    boxes = torch.tensor([[1.3, 2.2, 9.7, 11.4],     # larger than the output: 2x3 sample grid
                          [-3.0, -2.5, 4.0, 5.0],    # partly outside (top-left)
                          [8.0, 10.0, 14.5, 16.0],   # partly outside (bottom-right border clamp)
                          [5.0, 5.0, 5.2, 4.0],      # degenerate: clamped to 1 pixel
                          [0.0, 0.0, 11.0, 13.0]], dtype=torch.float64)
    index = torch.tensor([0, 1, 0, 1, 1])
    got = ops.roi_align(image, boxes, index, (4, 3)).numpy()
    assert got.shape == (5, 3, 4, 3)
    for r in range(5):
        np.testing.assert_allclose(got[r], _slow_roi_align(image.numpy(), boxes[r].tolist(), int(index[r]), (4, 3)),
                                   atol=1e-12, err_msg=f"box {r}")


def test_restore_bbox_fixes_aspect_and_extends():
    centre = torch.tensor([[3.0, 4.0], [1.0, 2.0]])
    size = torch.tensor([[1.0, 0.5], [0.25, 1.0]])  # (w, h) in 8x6 heatmap units
    box = ops.restore_bbox(centre, size, 1.0, 2.0).numpy()
    # Box 0: 32 x 16 px at (96, 128) -> square 32 -> x2 = 64 px.
    np.testing.assert_allclose(box[0], [96 - 32, 128 - 32, 96 + 32, 128 + 32], atol=1e-5)
    # Box 1: 8 x 32 px at (32, 64) -> square 32 -> x2 = 64 px.
    np.testing.assert_allclose(box[1], [32 - 32, 64 - 32, 32 + 32, 64 + 32], atol=1e-5)
    face = ops.restore_bbox(centre[:1], size[:1], 1.0, 1.5).numpy()
    np.testing.assert_allclose(face[0], [96 - 24, 128 - 24, 96 + 24, 128 + 24], atol=1e-5)


def test_camera_translation_depth_is_k_sigmoid():
    cam = torch.tensor([[0.1, -0.2, 0.0], [0.0, 0.0, 100.0]])
    k = math.sqrt(5000 * 5000 * 2.5 ** 2 / (256 * 192))
    trans = ops.camera_trans_from_cam_param(cam, k).numpy()
    np.testing.assert_allclose(trans[0], [0.1, -0.2, k / 2], rtol=1e-6)
    np.testing.assert_allclose(trans[1, 2], k, rtol=1e-6)
    assert k == pytest.approx(56.3819, abs=1e-4)


def test_rot6d_to_rotvec_in_half_precision_is_computed_in_float32():
    rot6d = torch.randn(50, 6, generator=torch.Generator().manual_seed(6))
    full = ops.rot6d_to_rotvec(rot6d)
    half = ops.rot6d_to_rotvec(rot6d.half())
    assert half.dtype == torch.float16
    np.testing.assert_allclose(half.float().numpy(), ops.rot6d_to_rotvec(rot6d.half().float()).numpy(), atol=2e-3)
    assert torch.isfinite(half).all() and torch.all(full.norm(dim=-1) <= np.pi + 1e-6)
