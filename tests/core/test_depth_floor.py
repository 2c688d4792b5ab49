"""The shared-floor body size on tilted cameras: constructed geometry, exact answers.

People stand on one plane seen by a camera pitched down (surveillance, phone from
above); each is placed as an adult (a child lands beyond the floor, farther along its
ray by 1 / size). The floor must give adults 1 and children their size, and step
aside (1) where its evidence is ambiguous.
"""
import numpy as np
import pytest

from wholebody_core import depth
from wholebody_core.maths import camera

K = camera.intrinsics_from_focal_px(600.0, 640, 480)


def _floor_feet(pitch_deg, height, distances, xs):
    """(N, 3) camera-frame feet on a floor `height` below a camera pitched `pitch_deg`
    down; `distances` along the floor from the point below the camera."""
    p = np.radians(pitch_deg)
    down = np.array([0.0, np.cos(p), np.sin(p)])          # world down, camera frame
    ahead = np.array([0.0, -np.sin(p), np.cos(p)])        # horizontal, away from the camera
    return np.array([height * down + d * ahead + [x, 0.0, 0.0] for d, x in zip(distances, xs)])


@pytest.mark.parametrize("pitch", [30.0, 45.0])
def test_adults_under_a_tilted_camera_stay_adults(pitch):
    feet = _floor_feet(pitch, 5.0, [3.5, 4.2, 6.0, 6.3, 8.0, 10.5, 12.0], [-1.6, 1.4, -2.8, -1.6, 2.6, 0.4, -3.2])
    rng = np.random.default_rng(0)
    noisy = feet * rng.uniform(0.93, 1.07, size=(len(feet), 1))   # the skeleton fit's depth error
    np.testing.assert_array_equal(depth.floor_scales(noisy, pitch), np.ones(len(feet)))


# Feet (m, camera frame) of the five adults of tests/media/tilted_45_plaza as the
# skeleton fit placed them (depth errors -10 % to +19 %); the body axes read 43.5 degrees.
PLAZA_FEET = np.array([[-0.125, 0.218, 5.439], [1.365, -0.268, 4.889], [-1.120, 1.169, 4.970],
                       [-2.666, -0.461, 6.124], [0.777, 0.815, 4.712]])


@pytest.mark.parametrize("pitch", [43.5, None])
def test_measured_adults_under_a_45_degree_camera_are_not_halved(pitch):
    # Why issue 10's distances were halved: the former rule knew only floors pitched
    # at most 20 degrees; the one that made nobody larger than an adult ran through
    # the two farthest feet (9 degrees), so the three nearer adults came out "below
    # the floor": scales 0.47, 0.40, 0.40. Without a measured pitch (None: level), a
    # floor that makes most people children is refused too.
    np.testing.assert_array_equal(depth.floor_scales(PLAZA_FEET, pitch), np.ones(5))


@pytest.mark.parametrize("pitch", [8.0, 35.0, 45.0])
def test_child_on_a_tilted_floor_gets_its_exact_size(pitch):
    feet = _floor_feet(pitch, 2.6, [2.0, 3.2, 4.0, 2.4], [-0.5, 1.0, -1.0, 0.3])
    child = 0.62
    placed = feet.copy()
    placed[3] /= child                                    # placed as an adult: farther along its ray
    scales = depth.floor_scales(placed, pitch)
    np.testing.assert_allclose(scales, [1.0, 1.0, 1.0, child], atol=1e-9)
    np.testing.assert_allclose(scales[:, None] * placed, feet, atol=1e-9)   # exact feet, so exact depths


def test_body_axis_pitch_a_few_degrees_off_still_finds_the_floor():
    feet = _floor_feet(35.0, 2.6, [2.0, 3.2, 4.0, 2.4], [-0.5, 1.0, -1.0, 0.3])
    feet[3] /= 0.62
    scales = depth.floor_scales(feet, 27.0)              # the body axes read low on steep views
    np.testing.assert_allclose(scales, [1.0, 1.0, 1.0, 0.62], atol=1e-9)


def test_two_adults_side_by_side_on_a_tilted_floor_stay_adults():
    # Same image row, same depth: nothing fixes the floor's tilt. Factor 1.
    feet = _floor_feet(35.0, 3.0, [5.0, 5.05], [-1.0, 1.0])
    np.testing.assert_array_equal(depth.floor_scales(feet * [[1.0], [1.06]], 35.0), [1.0, 1.0])


def test_a_size_within_the_floors_uncertainty_is_left_alone():
    # Side by side (no floor through their feet): an adult and one person 25 % beyond
    # the floor (s = 0.8), which the adult's own depth error (8 %) alone could make
    # 0.86, an adult within noise. Factor 1. Farther beyond (s = 0.625) survives every
    # perturbation: the size is applied.
    feet = _floor_feet(30.0, 3.0, [6.0, 6.0], [-1.0, 1.0])
    feet[1] *= 1.25
    np.testing.assert_array_equal(depth.floor_scales(feet, 30.0), [1.0, 1.0])
    feet[1] *= 1.6 / 1.25
    np.testing.assert_allclose(depth.floor_scales(feet, 30.0), [1.0, 1.0 / 1.6], atol=1e-9)


def test_a_floor_that_makes_a_giant_is_rejected():
    # Two people at one depth, one with feet much higher: either a giant or a child.
    # The floor whose pitch agrees with the body axes and makes nobody a giant wins.
    adult = np.array([0.9, 1.0, 4.4])                     # level camera 1 m up
    child = np.array([-0.6, 1.0, 2.8]) / 0.64             # placed as an adult: the same depth
    scales = depth.floor_scales(np.stack([adult, child]), 0.0)
    np.testing.assert_allclose(scales, [1.0, 0.64], atol=1e-9)


def test_degenerate_inputs_say_nothing():
    feet = _floor_feet(30.0, 5.0, [4.0], [0.0])
    assert np.isnan(depth.floor_scales(feet, 30.0)).all()                   # one person
    above = np.array([[0.0, -0.5, 3.0], [0.5, -0.4, 4.0]])                 # feet above the camera
    assert np.isnan(depth.floor_scales(above, 0.0)).all()
    assert np.isnan(depth.floor_scales(above, float("nan"))).all()


def test_no_decision_depends_on_the_order_of_people():
    feet = _floor_feet(35.0, 2.6, [2.0, 3.2, 4.0, 2.4, 5.0], [-0.5, 1.0, -1.0, 0.3, 2.0])
    feet[3] /= 0.6
    order = np.array([4, 2, 0, 3, 1])
    np.testing.assert_allclose(depth.floor_scales(feet, 33.0)[order], depth.floor_scales(feet[order], 33.0))


def _standing_landmarks(pitch_deg, origin_cam):
    """(33, 3) BlazePose-like landmarks of a standing person as the landmark model gives
    them: in the frame of a camera looking straight at the person."""
    p = np.radians(pitch_deg)
    down = np.array([0.0, np.cos(p), np.sin(p)])          # world down, real camera frame
    body = np.zeros((33, 3))
    body[[11, 12]] = -0.5 * down + [[0.2, 0, 0], [-0.2, 0, 0]]   # shoulders above the hips
    body[[23, 24]] = 0.0 * down + [[0.1, 0, 0], [-0.1, 0, 0]]
    torso = origin_cam - 0.25 * down
    ray = np.arctan2(torso[1], torso[2])                  # the look-at camera is pitched down by this
    c, s = np.cos(ray), np.sin(ray)
    to_look_at = np.array([[1, 0, 0], [0, c, -s], [0, s, c]])   # rows: the look-at camera's axes
    return body @ to_look_at.T, camera.project(body + origin_cam, K)


@pytest.mark.parametrize("pitch", [0.0, 12.0, 40.0])
def test_body_axis_pitch_is_the_camera_pitch(pitch):
    people = [_standing_landmarks(pitch, np.array(o)) for o in ([0.5, -1.0, 6.0], [-1.0, 1.5, 4.0], [0.0, 0.2, 5.0])]
    body_3d = np.stack([b for b, _ in people])
    px = np.stack([k for _, k in people])
    assert depth.body_axis_pitch_deg(body_3d, px, K) == pytest.approx(pitch, abs=0.5)
    assert np.isnan(depth.body_axis_pitch_deg(np.zeros((0, 33, 3)), np.zeros((0, 33, 2)), K))
