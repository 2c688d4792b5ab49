"""Per-joint confidence and the hold of unsure joints, through the pipeline's own assembly.

Synthetic people whose landmarks a perfect landmark model would give, with limbs
put outside the image as the real model does it: invented, with visibility 1.
"""
import dataclasses
from types import SimpleNamespace

import numpy as np

from wholebody_core.capture_assembly import assemble_capture
from wholebody_core.landmark_solver import LandmarkSolver
from wholebody_core.landmarks.types import BODY_INDEX, BODY_LANDMARK_NAMES
from wholebody_core.maths.kinematics import forward_kinematics
from wholebody_core.maths.rotations import (axis_angle_rotmat, geodesic_angle, rotmat_to_rotvec,
                                            rotvec_to_rotmat)
from wholebody_core.pipeline import CaptureOptions
from wholebody_core.skeleton import JOINT_INDEX, JOINT_NAMES, default_rest_joints
from wholebody_core.solve.confidence import (JOINT_EVIDENCE, edge_scores, inside_silhouette, joint_confidence,
                                             landmark_scores, localization_margins, rotation_confidence)
from wholebody_core.solve.hold import NEUTRAL_ROTVEC, hold_unsure
from wholebody_core.solve.landmark_map import body_landmark_rig
from wholebody_core.solve.synthetic import random_local_rotmat, synthetic_observations
from wholebody_core.tracking.filters import FilterOptions, smooth_track

REST = default_rest_joints()
FOCAL = 1000.0
SIZE = (640, 480)
K = np.array([[FOCAL, 0.0, SIZE[0] / 2], [0.0, FOCAL, SIZE[1] / 2], [0.0, 0.0, 1.0]])
LEG_JOINTS = [JOINT_INDEX[f"{s}_{j}"] for s in ("left", "right") for j in ("hip", "knee", "ankle", "foot")]
TORSO_JOINTS = [JOINT_INDEX[n] for n in ("pelvis", "spine1", "spine2", "spine3", "neck", "head",
                                         "left_shoulder", "right_shoulder", "left_elbow", "right_elbow")]
LEFT_ARM = [JOINT_INDEX[f"left_{j}"] for j in ("shoulder", "elbow", "wrist")]
ARM_POINTS = [BODY_INDEX[f"left_{n}"] for n in ("elbow", "wrist", "pinky", "index", "thumb")]


def _observations(local, root_cam):
    """Observations and their mid-hip origins in the camera (what the depth stage gives)."""
    obs = synthetic_observations(local, REST, np.random.default_rng(0), root_cam=root_cam, focal_px=FOCAL,
                                 image_size=SIZE, hands=False, face=False)
    world, joints = forward_kinematics(local, REST)
    _, rig = body_landmark_rig(REST)
    mid_hip_model = 0.5 * (rig[BODY_INDEX["left_hip"]] + rig[BODY_INDEX["right_hip"]])
    origins = np.broadcast_to(root_cam, (len(local), 3)) + np.einsum("nij,j->ni", world[:, 0], mid_hip_model)
    return obs, origins


def _capture(observations, origins, smoothing=0.5):
    """Runs the pipeline's solver and assembly on one track (no landmark models)."""
    options = CaptureOptions(hands=False, face=False, smoothing=smoothing)
    solver = LandmarkSolver(None, options, K)
    for slot, (obs, origin) in enumerate(zip(observations, origins)):
        solver.add(slot, 7, obs, origin, float("nan"))
    solver.flush()
    info = SimpleNamespace(path=SimpleNamespace(name="synthetic.mp4"), fps=30.0, is_video=True,
                           width=SIZE[0], height=SIZE[1])
    return assemble_capture(solver.tracks, list(range(len(observations))), info, K, options, backend_name="test",
                     smooth=smooth_track, filter_options=FilterOptions(strength=smoothing))


def _local_rotmat(capture, person=0):
    pose = np.concatenate([capture.global_orient[person][:, None], capture.body_pose[person],
                           capture.jaw_pose[person][:, None], capture.leye_pose[person][:, None],
                           capture.reye_pose[person][:, None], capture.left_hand_pose[person],
                           capture.right_hand_pose[person]], axis=1).astype(np.float64)
    return rotvec_to_rotmat(pose)


def test_every_joint_has_evidence_and_the_table_names_real_landmarks():
    assert set(JOINT_EVIDENCE) == set(JOINT_NAMES)
    known = set(BODY_LANDMARK_NAMES) | {"left_hand_model", "right_hand_model", "face_model"}
    assert all(name in known for alts in JOINT_EVIDENCE.values() for alt in alts for name in alt)
    assert JOINT_EVIDENCE["left_knee"] == (("left_knee",),)     # a position: the landmark at the joint


def test_a_rotation_needs_its_joint_and_the_joints_it_moves():
    position = np.ones((3, 55))
    position[0, JOINT_INDEX["left_knee"]] = 0.2                 # the knee unseen
    position[1, JOINT_INDEX["jaw"]] = 0.0                       # no face mesh: jaw and eyes unseen
    position[2, JOINT_INDEX["pelvis"]] = 0.3
    rotation = rotation_confidence(position)
    unsure = {JOINT_NAMES[j] for j in np.flatnonzero(rotation[0] < 0.5)}
    assert unsure == {"left_hip", "left_knee"}                  # the thigh ends at the knee
    unsure = {JOINT_NAMES[j] for j in np.flatnonzero(rotation[1] < 0.5)}
    assert unsure == {"jaw"}                                    # the head turns with its face points
    unsure = {JOINT_NAMES[j] for j in np.flatnonzero(rotation[2] < 0.5)}
    assert unsure == {"pelvis"}                                 # the hips and spine answer for themselves


def test_edge_scores_ramp_through_one_half_on_the_border():
    px = np.array([[320.0, 240.0], [-0.5, 240.0], [-20.0, 240.0], [320.0, 479.5], [320.0, 700.0]])
    np.testing.assert_allclose(edge_scores(px, SIZE), [1.0, 0.5, 0.0, 0.5, 0.0], atol=1e-9)


def test_a_point_within_its_persons_localization_error_of_the_edge_is_not_surely_inside():
    """A landmark model piles limbs that leave the frame at its edge: 4 px inside the left
    edge is sure for the default ramp (4.8 px on 640x480) but not for a person whose
    torso is 100 px long (localization error 10 px)."""
    body = np.zeros((33, 2))
    body[[BODY_INDEX["left_shoulder"], BODY_INDEX["right_shoulder"]]] = [[300.0, 100.0], [340.0, 100.0]]
    body[[BODY_INDEX["left_hip"], BODY_INDEX["right_hip"]]] = [[300.0, 200.0], [340.0, 200.0]]
    margin = localization_margins(body)
    np.testing.assert_allclose(margin, [10.0])
    near_edge = np.array([[3.5, 240.0]])
    assert edge_scores(near_edge, SIZE) > 0.9
    np.testing.assert_allclose(edge_scores(near_edge, SIZE, margin), 0.5 + 0.5 * 4.0 / 10.0)
    keypoints = np.concatenate([body, np.ones((33, 1))], -1)[None, None]        # (1, 1, 33, 3), fully visible
    keypoints[0, 0, BODY_INDEX["right_wrist"]] = [3.5, 240.0, 0.1]               # at the edge, "not visible"
    score = landmark_scores(keypoints, np.ones((1, 1), bool), np.full((1, 1), 3.0), SIZE)
    assert score[0, 0, BODY_INDEX["right_wrist"]] < 0.5                          # 0.7 * 0.55
    assert score[0, 0, BODY_INDEX["left_shoulder"]] == 1.0


def test_a_landmark_behind_someone_in_front_is_hidden_not_one_behind():
    local = random_local_rotmat(np.random.default_rng(4), 1, REST)
    obs, _ = _observations(local, np.array([0.0, 0.0, 3.0]))
    front = obs[0].body_2d
    behind = front.copy()
    behind[:, 0] += 10.0                          # nearly the same place in the image
    keypoints = np.stack([front, behind])[:, None]
    scores = landmark_scores(keypoints, np.ones((2, 1), bool), np.array([[3.0], [5.0]]), (2000, 2000))
    torso = [BODY_INDEX[n] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip")]
    assert (scores[1, 0, torso] == 0.0).all()     # behind: hidden
    assert (scores[0, 0, torso] == 1.0).all()     # in front: seen
    far_away = np.array([[[5000.0, 5000.0]]])
    assert not inside_silhouette(far_away, front[None, :, :2]).any()


def test_a_person_cut_at_the_waist_gets_held_neutral_legs_not_invented_ones():
    rng = np.random.default_rng(11)
    frames = 12
    local = np.repeat(random_local_rotmat(rng, 1, REST), frames, axis=0)
    local[:, 0] = axis_angle_rotmat(np.array([1.0, 0.0, 0.0]), np.full(frames, np.pi))  # upright, facing us
    for side in ("left", "right"):   # a stride: one thigh forward, knees bent
        local[:, JOINT_INDEX[f"{side}_hip"]] = axis_angle_rotmat(np.array([1.0, 0.0, 0.0]),
                                                                 np.full(frames, -0.4 if side == "left" else 0.2))
        local[:, JOINT_INDEX[f"{side}_knee"]] = axis_angle_rotmat(np.array([1.0, 0.0, 0.0]), np.full(frames, 0.7))
    # the pelvis 80 px above the bottom edge: thighs, knees and feet below the frame
    depth = 2.5
    root = np.array([0.0, (SIZE[1] / 2 - 80.0) / FOCAL * depth, depth])
    obs, origins = _observations(local, root)
    body = obs[0].body_2d
    assert body[BODY_INDEX["left_hip"], 1] < SIZE[1] and body[BODY_INDEX["left_knee"], 1] > SIZE[1] + 50
    assert (body[:, 2] == 1.0).all()              # the model's legs, invented as surely as the torso
    capture = _capture(obs, origins)
    conf = capture.joint_confidence[0]
    assert conf.dtype == np.float32 and conf.shape == (frames, 55)
    below = [j for j in LEG_JOINTS if not JOINT_NAMES[j].endswith("_hip")]
    hips = [JOINT_INDEX["left_hip"], JOINT_INDEX["right_hip"]]
    assert conf[:, below].max() < 0.5, conf[:, below].max()
    assert conf[:, hips].min() > 0.5                # in the frame, above its edge: the hip joints are seen ...
    rotation = rotation_confidence(conf)
    assert rotation[:, LEG_JOINTS].max() < 0.5      # ... but not where the thighs go
    assert conf[:, TORSO_JOINTS].min() > 0.5, conf[:, TORSO_JOINTS].min()
    beyond_knuckles = [j for j in range(22, 55) if not JOINT_NAMES[j].endswith("1")]
    assert conf[:, beyond_knuckles].max() < 0.5   # hand and face models not run: fingers, jaw, eyes unseen
    solved = _local_rotmat(capture)
    # never seen in this track: the neutral standing leg, not the model's bent knees
    neutral = rotvec_to_rotmat(NEUTRAL_ROTVEC[LEG_JOINTS])
    assert np.degrees(geodesic_angle(solved[:, LEG_JOINTS], neutral)).max() < 1e-3
    assert np.degrees(geodesic_angle(local[:, JOINT_INDEX["left_knee"]], np.eye(3))).min() > 20
    # the torso keeps its solve
    spine = JOINT_INDEX["spine2"]
    assert np.degrees(geodesic_angle(solved[:, spine], local[:, spine])).max() < 2.0


def test_an_arm_that_leaves_the_frame_is_slerped_between_its_seen_frames():
    frames, gap = 20, np.arange(8, 12)
    base = random_local_rotmat(np.random.default_rng(5), 1, REST, margin=0.3)[0]
    local = np.repeat(base[None], frames, axis=0)
    local[:, 0] = axis_angle_rotmat(np.array([1.0, 0.0, 0.0]), np.full(frames, np.pi))
    shoulder = JOINT_INDEX["left_shoulder"]
    # the arm swings at a constant rate: the slerp of its seen frames is the truth
    swing = axis_angle_rotmat(np.array([0.0, 0.0, 1.0]), np.linspace(-0.9, -0.3, frames))
    local[:, shoulder] = swing @ base[shoulder]
    obs, origins = _observations(local, np.array([0.0, 0.0, 3.0]))
    invented = axis_angle_rotmat(np.array([0.0, 1.0, 0.0]), np.full(1, -1.2))[0]
    for t in gap:
        o = obs[t]
        o.body_2d = o.body_2d.copy()
        o.body_2d[ARM_POINTS, 0] = SIZE[0] + 60.0 + 10.0 * np.arange(len(ARM_POINTS))   # past the right edge
        shoulder_pt = o.body_3d[BODY_INDEX["left_shoulder"]]
        o.body_3d = o.body_3d.copy()
        o.body_3d[ARM_POINTS] = shoulder_pt + (o.body_3d[ARM_POINTS] - shoulder_pt) @ invented.T
        obs[t] = dataclasses.replace(o)
    for smoothing in (0.0, 0.5):
        capture = _capture(obs, origins, smoothing)
        conf = capture.joint_confidence[0]
        assert conf[np.ix_(gap, LEFT_ARM[1:])].max() < 0.5          # elbow and wrist outside the frame
        assert conf[gap, shoulder].min() > 0.5                      # the shoulder inside it
        assert rotation_confidence(conf)[np.ix_(gap, LEFT_ARM)].max() < 0.5   # the upper arm's way unseen
        seen = np.setdiff1d(np.arange(frames), gap)
        assert conf[np.ix_(seen, LEFT_ARM)].min() > 0.5
        others = np.setdiff1d(TORSO_JOINTS, LEFT_ARM)
        assert conf[:, others].min() > 0.5
        solved = _local_rotmat(capture)
        # exactly the slerp between the last and next seen frames (without smoothing) ...
        if smoothing == 0.0:
            expected = hold_unsure(rotmat_to_rotvec(solved), np.where(np.isin(np.arange(frames), gap)[:, None],
                                                                      0.0, 1.0) * np.ones((1, 55)),
                                   np.ones(frames, bool))
            np.testing.assert_allclose(rotmat_to_rotvec(solved[gap][:, LEFT_ARM]),
                                       expected[gap][:, LEFT_ARM], atol=1e-6)
        # ... which for this steady swing is the true motion, not the invented arm
        err = np.degrees(geodesic_angle(solved[gap, shoulder], local[gap, shoulder]))
        assert err.max() < 3.0, err
        world_true, _ = forward_kinematics(local[gap], REST)
        world_solved, _ = forward_kinematics(solved[gap], REST)
        wrist = JOINT_INDEX["left_wrist"]
        assert np.degrees(geodesic_angle(world_solved[:, wrist], world_true[:, wrist])).max() < 5.0


def test_hold_unsure_slerps_holds_and_falls_back_to_neutral():
    frames = 7
    angles = np.array([0.0, 0.2, 9.0, 9.0, 9.0, 1.0, 9.0])          # 9: invented values on unsure frames
    rotvec = np.zeros((frames, 55, 3))
    rotvec[:, 4, 0] = angles                                        # a knee
    rotvec[:, 0] = [np.pi, 0.0, 0.0]
    conf = np.ones((frames, 55))
    conf[[2, 3, 4, 6], 4] = 0.2
    conf[:, 16] = 0.1                                               # the left shoulder: never seen
    conf[:, 0] = 0.1                                                # the pelvis: never seen, keeps its solve
    valid = np.ones(frames, bool)
    valid[3] = False                                                # not captured: left as given
    out = hold_unsure(rotvec, conf, valid)
    np.testing.assert_allclose(out[[0, 1, 5], 4, 0], [0.0, 0.2, 1.0])
    np.testing.assert_allclose(out[2, 4, 0], 0.2 + (1.0 - 0.2) * 1 / 4)    # slerp 1 -> 5 at frame 2
    np.testing.assert_allclose(out[4, 4, 0], 0.2 + (1.0 - 0.2) * 3 / 4)
    assert out[3, 4, 0] == 9.0
    np.testing.assert_allclose(out[6, 4, 0], 1.0)                           # held after the last seen frame
    np.testing.assert_allclose(out[valid, 16], np.broadcast_to(NEUTRAL_ROTVEC[16], (valid.sum(), 3)))
    np.testing.assert_allclose(out[:, 0], rotvec[:, 0])


def test_joint_confidence_of_missing_models_and_soft_visibility():
    scores = np.ones((2, 33))
    scores[1, BODY_INDEX["left_knee"]] = 0.5 + 0.5 * 0.05                   # behind the body: low visibility
    conf = joint_confidence(scores, np.array([[True, False], [True, True]]), np.array([False, True]))
    left_fingers = [j for j, n in enumerate(JOINT_NAMES) if n.startswith("left_") and n[5:-1] in
                    ("index", "middle", "ring", "pinky", "thumb")]
    right_fingers = [j + 15 for j in left_fingers]
    right_knuckles = [j for j in right_fingers if JOINT_NAMES[j].endswith("1")]
    assert conf[0, left_fingers].min() == 1.0
    assert conf[0, np.setdiff1d(right_fingers, right_knuckles)].max() == 0.0    # no hand model: unseen ...
    assert conf[0, right_knuckles].min() == 1.0                     # ... but the body's own hand points
    assert conf[0, [22, 23, 24]].max() == 0.0 and conf[1, [22, 23, 24]].min() == 1.0
    assert conf[0, JOINT_INDEX["head"]] == 1.0                              # the body's face points
    assert 0.5 <= conf[1, JOINT_INDEX["left_knee"]] < 0.6                   # lower, but not unseen
