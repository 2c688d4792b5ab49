import numpy as np

from wholebody_core import depth
from wholebody_core.maths import camera
from wholebody_core.skeleton import default_rest_joints

K = camera.intrinsics_from_focal_px(600.0, 640, 480)


def _person(scale, origin_cam, crouch=False):
    """A skeleton (camera-aligned axes: y down) scaled by `scale`, projected through K."""
    rest = default_rest_joints() * scale
    points = rest * [1, -1, -1]            # model frame (y up, facing +z) -> camera axes facing the camera
    if crouch:
        legs = points[:, 1] > 0            # below the pelvis: fold the legs up
        points[legs, 1] *= 0.45
    px = camera.project(points + origin_cam, K)
    box = np.concatenate([px.min(0), px.max(0)])
    return points, px, box


def test_k_value_follows_rootnet_formula():
    box = np.array([[100, 100, 200, 300]])      # 100 x 200 -> squared 200 x 200
    np.testing.assert_allclose(depth.rootnet_k(box, K), np.sqrt(600 * 600 * 4.0 / 200 ** 2))


def test_skeleton_fit_recovers_exact_translation():
    points, px, box = _person(1.0, np.array([0.4, 0.2, 5.0]))
    result = depth.estimate_root_depth(box[None], points[None], px[None], np.ones((1, 55)), K)
    np.testing.assert_allclose(result.origin_cam[0], [0.4, 0.2, 5.0], atol=1e-6)


def test_child_near_and_adult_far_with_equal_image_height_get_different_depths():
    child_pts, child_px, child_box = _person(0.55, np.array([-0.5, 0.3, 2.2]))
    adult_pts, adult_px, adult_box = _person(1.0, np.array([0.8, 0.3, 4.0]))
    h_child, h_adult = child_box[3] - child_box[1], adult_box[3] - adult_box[1]
    assert abs(h_child - h_adult) / h_adult < 0.05   # the images alone cannot tell them apart
    k = depth.rootnet_k(np.stack([child_box, adult_box]), K)
    assert abs(k[0] - k[1]) / k[1] < 0.1             # plain k gets them wrong ...
    result = depth.estimate_root_depth(
        np.stack([child_box, adult_box]), np.stack([child_pts, adult_pts]),
        np.stack([child_px, adult_px]), np.ones((2, 55)), K)
    np.testing.assert_allclose(result.origin_cam[:, 2], [2.2, 4.0], rtol=1e-4)  # ... the correction does not


def test_crouching_person_is_not_pulled_closer():
    pts, px, box = _person(1.0, np.array([0.0, 0.5, 3.0]), crouch=True)
    result = depth.estimate_root_depth(box[None], pts[None], px[None], np.ones((1, 55)), K)
    assert abs(result.k_m[0] - 3.0) / 3.0 > 0.1   # the squat box misleads k alone ...
    np.testing.assert_allclose(result.origin_cam[0, 2], 3.0, rtol=1e-4)  # ... the correction does not


def test_too_few_confident_points_fall_back_to_k():
    pts, px, box = _person(1.0, np.array([0.0, 0.0, 3.0]))
    weights = np.zeros((1, 55))
    weights[0, :3] = 1.0
    result = depth.estimate_root_depth(box[None], pts[None], px[None], weights, K)
    assert result.gamma[0] == 1.0
    np.testing.assert_allclose(result.origin_cam[0, 2], depth.rootnet_k(box[None], K)[0])
