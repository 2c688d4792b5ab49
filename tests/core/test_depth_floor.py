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


def _standing_2d(pitch_deg, feet_cam, stature=1.7):
    """(N, 33, 2) image landmarks of upright people (only shoulders and hips set)
    standing at ``feet_cam`` under a camera pitched ``pitch_deg`` down."""
    p = np.radians(pitch_deg)
    up = -np.array([0.0, np.cos(p), np.sin(p)])
    px = np.zeros((len(feet_cam), 33, 2))
    for i, foot in enumerate(feet_cam):
        shoulders = foot + 0.82 * stature * up + np.array([[0.2, 0, 0], [-0.2, 0, 0]])
        hips = foot + 0.53 * stature * up + np.array([[0.1, 0, 0], [-0.1, 0, 0]])
        px[i, [11, 12]] = camera.project(shoulders, K)
        px[i, [23, 24]] = camera.project(hips, K)
    return px


@pytest.mark.parametrize("pitch", [0.0, 12.0, 35.0])
def test_the_vertical_vanishing_point_gives_the_camera_pitch(pitch):
    feet = _floor_feet(pitch, 2.0, [3.0, 4.5, 6.0], [-1.5, 1.2, 2.0])
    reading, sigma = depth.vanishing_pitch_deg(_standing_2d(pitch, feet), K)
    np.testing.assert_allclose(reading, pitch, atol=1e-6)
    # Its sigma: a 2-degree lean moves the line's image more, the nearer the centre line.
    order = np.argsort(np.abs(camera.project(feet, K)[:, 0] - K[0, 2]))
    assert np.all(np.diff(sigma[order]) < 0)


def test_a_person_on_the_centre_line_says_nothing_about_the_pitch():
    feet = _floor_feet(20.0, 2.0, [4.0], [0.0])
    _, sigma = depth.vanishing_pitch_deg(_standing_2d(20.0, feet), K)
    assert sigma[0] > 60.0


# tests/media/child_adult as measured on 2026-11-29 (MediaPipe's own body crops): a
# level camera 1 m up, the child (true size 0.69 of an adult) placed as an adult at
# 1.45x its distance, the adult at 0.95x. The torso axes read 10.2 and 22.4 degrees
# (median 16.3); their image torso lines -4.1 and -2.3 (sigma 9.4 and 8.0).
CHILD_ADULT_FEET = np.array([[-0.656, 1.497, 4.035], [1.222, 0.961, 4.138]])


def test_a_child_near_a_level_camera_needs_the_floor_level_within_noise():
    # At the 3D axes' 16.3 degrees both floors explain one person each: through the
    # child's feet the adult is 1.23x (a giant, but within GIANT_LIMIT), through the
    # adult's the child is 0.81, 0.88 at +8 degrees: the floor steps aside.
    np.testing.assert_array_equal(depth.floor_scales(CHILD_ADULT_FEET, 16.3), [1.0, 1.0])
    # Levelled by the vanishing point (4.0 degrees combined) the child survives.
    scales = depth.floor_scales(CHILD_ADULT_FEET, 4.0)
    assert scales[1] == 1.0 and 0.65 <= scales[0] <= 0.75, scales


def test_parallel_image_axes_pull_a_biased_body_axis_pitch_towards_level():
    # Two people off the centre line, upright under a level camera (parallel image
    # lines); the model's 3D torsos lean 16 degrees towards the camera.
    feet = _floor_feet(0.0, 1.0, [2.8, 4.4], [-0.45, 1.3])
    px = _standing_2d(0.0, feet)
    ray = np.arctan((px[:, [11, 12, 23, 24], 1].mean(axis=1) - K[1, 2]) / K[1, 1])
    lean = np.radians(16.0) + ray                         # the 3D axes read 16 degrees down
    body_3d = np.zeros((2, 33, 3))
    body_3d[:, [11, 12], 1] = -0.5 * np.cos(lean)[:, None]
    body_3d[:, [11, 12], 2] = -0.5 * np.sin(lean)[:, None]
    no_lines = px.copy()
    no_lines[:, [11, 12, 23, 24]] = px[:, [23, 24, 11, 12]]   # upside down (same rays): the 3D median stands
    assert depth.body_axis_pitch_deg(body_3d, no_lines, K) == pytest.approx(16.0, abs=1e-6)
    pitch = depth.body_axis_pitch_deg(body_3d, px, K)
    assert 2.0 <= pitch <= 9.0, pitch
