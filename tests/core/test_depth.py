import numpy as np

from wholebody_core import depth
from wholebody_core.landmarks.types import FOOT_POINTS
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


def test_shared_floor_gives_the_child_its_size():
    # Camera 1.2 m above the floor, level. Under the adult assumption the child
    # (true size 0.6, at 2.4 m) is placed at 4 m, its feet 2 m below the camera.
    adult_feet = np.array([0.8, 1.2, 4.5])
    child_feet_true = np.array([-0.4, 1.2, 2.4])
    scales = depth.floor_scales(np.stack([child_feet_true / 0.6, adult_feet]))
    np.testing.assert_allclose(scales, [0.6, 1.0])


def _floor_points(pitch_deg, height, depths, xs):
    """Feet on a floor seen by a camera pitched down by pitch_deg, height above it."""
    p = np.radians(pitch_deg)
    down = np.array([0.0, np.cos(p), np.sin(p)])
    forward = np.array([0.0, -np.sin(p), np.cos(p)])   # along the floor, away from the camera
    return np.array([height * down + d * forward + [x, 0, 0] for d, x in zip(depths, xs)])


def test_pitched_camera_adults_stay_adults_and_the_child_is_found():
    feet = _floor_points(8.0, 1.4, [3.0, 5.0, 7.5, 4.0], [-1.0, 1.0, 0.0, 0.5])
    np.testing.assert_array_equal(depth.floor_scales(feet[:3]), [1.0, 1.0, 1.0])
    feet[3] /= 0.55                                        # the fourth is a child
    np.testing.assert_allclose(depth.floor_scales(feet), [1.0, 1.0, 1.0, 0.55], atol=1e-9)


def test_floor_leaves_noisy_adults_alone_and_needs_two_people():
    adults = np.array([[0.0, 1.20, 3.0], [1.0, 1.26, 5.0], [-1.0, 1.15, 7.0]])  # feet within noise
    np.testing.assert_array_equal(depth.floor_scales(adults), [1.0, 1.0, 1.0])
    assert np.isnan(depth.floor_scales(adults[:1])).all()
    above = np.array([[0.0, -0.5, 3.0], [0.0, -0.4, 4.0]])    # feet above the camera
    assert np.isnan(depth.floor_scales(above)).all()


def test_lowest_foot_point_is_the_lowest_foot_landmark():
    body = np.zeros((1, 33, 3))
    body[0, FOOT_POINTS, 1] = [0.8, 0.85, 0.9, 0.88, 0.7, 0.95]
    feet = depth.lowest_foot_points(np.array([[0.0, 0.1, 3.0]]), body)
    np.testing.assert_allclose(feet, [[0.0, 1.05, 3.0]])
