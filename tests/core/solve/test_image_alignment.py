"""align_to_image: the 3D landmarks moved onto the 2D keypoints, depths kept."""
import numpy as np

from wholebody_core.maths.camera import backproject, intrinsics_from_focal_px, project
from wholebody_core.maths.rotations import rotvec_to_rotmat
from wholebody_core.solve.image_alignment import align_to_image

K = intrinsics_from_focal_px(600.0, 640, 480)


def _person(seed: int) -> np.ndarray:
    """(33, 3) mid-hip-relative points of a body-sized cloud, hips at +-0.1 m."""
    body = np.random.default_rng(seed).normal(0.0, 0.3, (33, 3)) * [1.0, 2.0, 0.5]
    body[23], body[24] = [0.1, 0.0, 0.0], [-0.1, 0.0, 0.0]
    return body


def _rows_equal(rows: np.ndarray) -> None:
    np.testing.assert_allclose(rows, np.broadcast_to(rows[0], rows.shape), atol=1e-9)


def test_confident_points_land_on_their_keypoints_at_their_depth():
    body = _person(0)
    origin = np.array([1.2, 0.3, 4.0])                      # off the optical axis
    keypoints = np.concatenate([project(origin + body, K), np.ones((33, 1))], axis=1)
    # the landmark model's view: the pose yawed by the ray angle it does not see
    seen = body @ rotvec_to_rotmat(np.array([0.0, 0.3, 0.0])).T
    seen -= 0.5 * (seen[23] + seen[24])
    aligned = align_to_image(seen, keypoints, origin, K)
    np.testing.assert_allclose(0.5 * (aligned[23] + aligned[24]), 0.0, atol=1e-12)   # mid-hip-relative
    # one camera-frame mid-hip puts every point on its keypoint at its 3D depth
    _rows_equal(backproject(keypoints[:, :2], origin[2] + seen[:, 2], K) - aligned)
    assert np.abs(project(origin + seen, K) - keypoints[:, :2]).max() > 10    # what the 3D alone gives


def test_unseen_points_keep_their_3d_offsets():
    body = _person(1)
    origin = np.array([0.0, 0.0, 3.0])
    keypoints = np.concatenate([project(origin + body, K) + 7.0, np.full((33, 1), 0.9)], axis=1)
    unseen = [5, 6, 7, 8]
    keypoints[unseen, 2] = 0.2
    aligned = align_to_image(body, keypoints, origin, K)
    seen = [j for j in range(33) if j not in unseen]
    _rows_equal(backproject(keypoints[seen, :2], origin[2] + body[seen, 2], K) - aligned[seen])
    _rows_equal(body[unseen] - aligned[unseen])               # moved only by the common re-centring
    np.testing.assert_allclose(aligned[:, 2] - aligned[23, 2], body[:, 2] - body[23, 2], atol=1e-9)
