"""Preprocessing (box, crop, normalisation) and RootNet's geometry helpers."""
import math

import numpy as np
import pytest

from wholebody_core.networks import get_network_config
from wholebody_core.networks.preprocess import crop_image, crop_transforms, mirror_box_xywh, normalise_crop, \
    process_bbox
from wholebody_core.networks.rootnet import back_project, rootnet_k_value, rootnet_root_to_image


def test_process_bbox_sanitises_fixes_aspect_and_extends():
    # 100 x 100 at (10, 20) in a 640 x 480 image: sanitised to 99 x 99; w/h = 0.75 grows h.
    box = process_bbox([10, 20, 100, 100], 640, 480, 0.75)
    w, h = 99.0, 99.0 / 0.75
    cx, cy = 10 + 99 / 2, 20 + 99 / 2
    np.testing.assert_allclose(box, [cx - w * 1.25 / 2, cy - h * 1.25 / 2, w * 1.25, h * 1.25], rtol=1e-6)
    assert box.dtype == np.float32
    # Clipped at the image border first (x1 = 0, x2 = W - 1).
    box = process_bbox([-50, 0, 100, 300], 640, 480, 1.0)
    np.testing.assert_allclose(box[2:], [299 * 1.25, 299 * 1.25], rtol=1e-6)  # h = 300 - 1
    np.testing.assert_allclose(box[0] + box[2] / 2, 0 + 99 / 2, rtol=1e-6)


def test_process_bbox_rejects_empty_boxes_and_rootnet_allows_zero_extent():
    assert process_bbox([10, 10, 0, 50], 640, 480, 0.75) is None
    assert process_bbox([700, 10, 20, 50], 640, 480, 0.75) is None  # fully right of the image
    assert process_bbox([10, 10, 1, 50], 640, 480, 0.75) is None     # x2 == x1
    assert process_bbox([10, 10, 1, 50], 640, 480, 1.0, allow_zero_extent=True) is not None


def test_crop_maps_the_box_onto_the_crop():
    box = [40.0, 30.0, 90.0, 120.0]
    forward, inverse = crop_transforms(box, (512, 384))
    corners = np.array([[40, 30, 1], [130, 150, 1], [85, 90, 1]], dtype=np.float64)
    np.testing.assert_allclose(corners @ forward.T, [[0, 0], [384, 512], [192, 256]], atol=1e-3)
    np.testing.assert_allclose(np.array([[0, 0, 1], [384, 512, 1]]) @ inverse.T, [[40, 30], [130, 150]], atol=1e-3)


def test_crop_image_samples_bilinearly_with_zero_border():
    ramp = np.tile(np.arange(64, dtype=np.uint8)[None, :, None], (48, 1, 3))  # value = column
    patch, _ = crop_image(ramp, [0.0, 0.0, 64.0, 48.0], (24, 32))
    assert patch.shape == (24, 32, 3) and patch.dtype == np.float32
    # crop column c sits at image x = 2c (three-point map: no half-pixel shift).
    np.testing.assert_allclose(patch[5, 3:20, 0], 2 * np.arange(3, 20), atol=1)
    outside, _ = crop_image(ramp, [100.0, 100.0, 10.0, 10.0], (8, 8))
    assert np.all(outside == 0)


def test_mirror_box_moves_the_centre_to_w_minus_1_minus_x():
    box = mirror_box_xywh([10, 5, 20, 40], 100)
    assert box[0] + box[2] / 2 == pytest.approx(100 - 1 - 20)
    np.testing.assert_allclose(box[1:], [5, 20, 40])


def test_normalisation_per_network():
    pixel = np.full((2, 2, 3), 255.0, dtype=np.float32)
    h4w = normalise_crop(pixel, get_network_config("hand4whole"))
    assert h4w.shape == (3, 2, 2)
    np.testing.assert_allclose(h4w.numpy(), 1.0)
    # RootNet's quirk: ImageNet constants of the [0, 1] scale applied to 0-255 pixels.
    root = normalise_crop(pixel, get_network_config("rootnet")).numpy()
    np.testing.assert_allclose(root[:, 0, 0], [(255 - 0.485) / 0.229, (255 - 0.456) / 0.224,
                                               (255 - 0.406) / 0.225], rtol=1e-6)


def test_rootnet_k_value_and_back_projection():
    focal, princpt = (1500.0, 1400.0), (320.0, 240.0)
    box = np.array([100.0, 50.0, 200.0, 200.0])
    k = rootnet_k_value(box[2:], focal)
    assert k == pytest.approx(math.sqrt(2000 * 2000 * 1500 * 1400 / (200 * 200)))
    # A 2 m square seen by a pinhole at depth k has area w*h: k is that depth.
    assert 2000 * math.sqrt(1500 * 1400) / k == pytest.approx(200)
    uv = rootnet_root_to_image(np.array([32.0, 16.0]), box)
    np.testing.assert_allclose(uv, [100 + 100, 50 + 50])
    xyz = back_project(uv, 4000.0, focal, princpt)
    reprojected = xyz[:2] / xyz[2] * np.array(focal) + np.array(princpt)
    np.testing.assert_allclose(reprojected, uv)
    np.testing.assert_allclose(xyz, [(200 - 320) / 1500 * 4000, (100 - 240) / 1400 * 4000, 4000])


def test_virtual_camera_in_image_reprojects_the_crop_projection():
    from wholebody_core.networks.preprocess import heatmap_to_image, virtual_camera_in_image
    box = np.array([100.0, 40.0, 300.0, 400.0])  # processed, w/h = 0.75
    for name, crop_hw in (("hand4whole", (256, 192)), ("pose2pose_body", (256, 192))):
        config = get_network_config(name)
        point = np.array([0.3, -0.2, 20.0])
        f, c = config.virtual_focal, config.virtual_princpt
        u_crop = point[0] / point[2] * f[0] + c[0]
        v_crop = point[1] / point[2] * f[1] + c[1]
        focal, princpt = virtual_camera_in_image(box, config)
        u = point[0] / point[2] * focal[0] + princpt[0]
        v = point[1] / point[2] * focal[1] + princpt[1]
        # Same point: crop pixels scaled by box/crop size and shifted by the box corner.
        np.testing.assert_allclose([u, v], [u_crop / crop_hw[1] * 300 + 100, v_crop / crop_hw[0] * 400 + 40])
        np.testing.assert_allclose(heatmap_to_image(np.array([u_crop, v_crop]) * 6 / 192, (8, 6), box), [u, v])
    with pytest.raises(ValueError, match="no virtual camera"):
        virtual_camera_in_image(box, get_network_config("rootnet"))
