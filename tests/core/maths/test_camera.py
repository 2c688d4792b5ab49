import numpy as np

from wholebody_core.maths import camera


def test_project_backproject_round_trip():
    K = camera.intrinsics_from_focal_px(800.0, 640, 480)
    rng = np.random.default_rng(0)
    points = np.column_stack([rng.uniform(-2, 2, 20), rng.uniform(-1, 1, 20), rng.uniform(1, 9, 20)])
    pixels = camera.project(points, K)
    np.testing.assert_allclose(camera.backproject(pixels, points[:, 2], K), points, atol=1e-12)
    np.testing.assert_allclose(camera.project(np.array([0.0, 0.0, 5.0]), K), [320, 240])


def test_focal_conversions():
    assert camera.focal_px_from_mm(36.0, 36.0, 1920) == 1920
    np.testing.assert_allclose(camera.focal_px_from_fov(90.0, 640), 320.0)
