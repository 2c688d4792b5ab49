"""The mediapipe-tflite backend end to end on the rendered test media.

Ground truth: ``tests/media/SCENE.gt.npz`` beside each render (projected SMPL-X
joints of posed anny bodies, pixels with integer centres)."""
from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from wholebody_core.landmarks.backend import LandmarkOptions
from wholebody_core.landmarks.types import NUM_FACE_LANDMARKS
from wholebody_core.models import create_landmark_backend

MEDIA = Path(__file__).resolve().parents[2] / "media"
# SMPL-X joint -> BlazePose landmark
MAIN = {"left_shoulder": 11, "right_shoulder": 12, "left_elbow": 13, "right_elbow": 14,
        "left_wrist": 15, "right_wrist": 16, "left_hip": 23, "right_hip": 24,
        "left_knee": 25, "right_knee": 26, "left_ankle": 27, "right_ankle": 28}
TOLERANCE = 0.15  # of the person's image height, per joint (generous: the skeletons differ)


def load_still(scene: str):
    gt_path = MEDIA / f"{scene}.gt.npz"
    if not gt_path.is_file():
        pytest.fail(f"{gt_path.name} is missing from tests/media: regenerate it with python -m bench.media.render_scenes --checked-in")
    gt = np.load(gt_path, allow_pickle=False)
    image = cv2.imread(str(MEDIA / str(gt["media"])))
    assert image is not None
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB), gt


@pytest.fixture(scope="module")
def backend():
    return create_landmark_backend("mediapipe-tflite", LandmarkOptions())


def joint(gt, name: str) -> int:
    return [str(n) for n in gt["joint_names"]].index(name)


def match(people, gt, t: int = 0):
    """Hungarian matching on the mean main-joint distance / height -> [(gt index, person, error)]."""
    pairs = []
    gi = [joint(gt, n) for n in MAIN]
    bi = list(MAIN.values())
    truth = gt["joints_2d"][:, t]
    cost = np.full((len(truth), len(people)), np.inf)
    for a, g in enumerate(truth):
        h = float(np.ptp(g[:, 1]))
        for b, p in enumerate(people):
            cost[a, b] = np.linalg.norm(p.body_2d[bi, :2] - g[gi], axis=1).mean() / h
    if len(people):
        for r, c in zip(*linear_sum_assignment(cost)):
            pairs.append((int(r), people[c], float(cost[r, c])))
    return pairs


def test_single_person_body_hands_face_left_right(backend):
    image, gt = load_still("single_person")
    people = backend.process_frame(image)
    assert len(people) == 1
    person = people[0]
    g = gt["joints_2d"][0, 0]
    height = float(np.ptp(g[:, 1]))
    for name, index in MAIN.items():
        err = np.linalg.norm(person.body_2d[index, :2] - g[joint(gt, name)])
        assert err < TOLERANCE * height, f"{name}: {err:.1f} px off (height {height:.0f} px)"
        # the person's own side: closer to the same-named joint than to the mirrored one
        other = name.replace("left", "X").replace("right", "left").replace("X", "right")
        assert err < np.linalg.norm(person.body_2d[index, :2] - g[joint(gt, other)])
    x0, y0, x1, y1 = person.bbox_xyxy
    assert x0 <= g[:, 0].min() + 0.1 * height and x1 >= g[:, 0].max() - 0.1 * height
    assert 0.5 < person.score <= 1.0
    # both hands, on the right wrists, with their boxes around them
    for side in ("left", "right"):
        hand = getattr(person, f"{side}_hand")
        assert hand is not None, f"{side} hand not found"
        wrist = g[joint(gt, f"{side}_wrist")]
        assert np.linalg.norm(hand.points_2d[0] - wrist) < 0.06 * height
        middle = g[joint(gt, f"{side}_middle1")]
        assert np.linalg.norm(hand.points_2d[9] - middle) < 0.06 * height
        bx0, by0, bx1, by1 = hand.bbox_xyxy
        assert bx0 < wrist[0] < bx1 and by0 < wrist[1] < by1
        assert hand.points_3d.shape == (21, 3) and np.allclose(hand.points_3d[0], 0)
        span = np.linalg.norm(hand.points_3d[12] - hand.points_3d[0])
        assert 0.1 < span < 0.3, f"wrist to middle tip {span:.3f} m"
    # face and irises: the left iris is on the person's own left
    face = person.face
    assert face is not None and face.points_2d.shape == (NUM_FACE_LANDMARKS, 2)
    assert face.iris_2d is not None and face.iris_2d.shape == (2, 5, 2)
    left_eye, right_eye = g[joint(gt, "left_eye_smplhf")], g[joint(gt, "right_eye_smplhf")]
    eye_gap = np.linalg.norm(left_eye - right_eye)
    assert np.linalg.norm(face.iris_2d[0, 0] - left_eye) < 0.6 * eye_gap
    assert np.linalg.norm(face.iris_2d[1, 0] - right_eye) < 0.6 * eye_gap


# MediaPipe hand landmark -> SMPL-X finger joint (MCP/PIP/DIP ~ joints 1/2/3)
FINGERS = {1: "thumb1", 2: "thumb2", 3: "thumb3", 5: "index1", 6: "index2", 7: "index3",
           9: "middle1", 10: "middle2", 11: "middle3", 13: "ring1", 14: "ring2", 15: "ring3",
           17: "pinky1", 18: "pinky2", 19: "pinky3"}


def test_single_person_finger_joints(backend):
    image, gt = load_still("single_person")
    person = backend.process_frame(image)[0]
    g = gt["joints_2d"][0, 0]
    for side in ("left", "right"):
        hand = getattr(person, f"{side}_hand")
        size = np.linalg.norm(g[joint(gt, f"{side}_wrist")] - g[joint(gt, f"{side}_middle3")])
        errors = [np.linalg.norm(hand.points_2d[k] - g[joint(gt, f"{side}_{name}")]) for k, name in FINGERS.items()]
        assert np.mean(errors) < 0.2 * size, f"{side}: mean finger error {np.mean(errors):.1f} px, hand {size:.0f} px"


def test_single_person_3d_is_camera_aligned(backend):
    image, gt = load_still("single_person")
    person = backend.process_frame(image)[0]
    b3 = person.body_3d.astype(np.float64)
    assert np.allclose((b3[23] + b3[24]) / 2, 0, atol=1e-5)
    g3 = gt["joints_cam"][0, 0]
    # bone directions against the ground truth's (metric skeletons differ a little)
    for a, b, ga, gb in ((23, 11, "left_hip", "left_shoulder"), (11, 12, "left_shoulder", "right_shoulder"),
                         (23, 27, "left_hip", "left_ankle"), (24, 28, "right_hip", "right_ankle")):
        v = b3[b] - b3[a]
        w = g3[joint(gt, gb)] - g3[joint(gt, ga)]
        angle = math.degrees(math.acos(np.dot(v, w) / np.linalg.norm(v) / np.linalg.norm(w)))
        assert angle < 25, f"{ga}->{gb} off by {angle:.0f} degrees"
    stature = b3[:, 1].max() - b3[:, 1].min()
    assert 1.2 < stature < 2.1


def test_rotated_image_gives_rotated_3d(backend):
    """World landmarks are rotated back by the crop's rotation: a person lying
    sideways in the image (image turned 90 degrees) gets the turned 3D skeleton."""
    image, _ = load_still("single_person")
    upright = backend.process_frame(image)[0].body_3d.astype(np.float64)
    turned_image = np.ascontiguousarray(np.rot90(image, k=-1))  # clockwise: up becomes right
    people = backend.process_frame(turned_image)
    assert len(people) == 1
    turned = people[0].body_3d.astype(np.float64)
    # clockwise on screen: (x, y) -> (-y, x) in image axes (y down)
    expected = np.stack([-upright[:, 1], upright[:, 0], upright[:, 2]], axis=1)
    main = list(MAIN.values())
    err = np.linalg.norm(turned[main] - expected[main], axis=1)
    assert np.median(err) < 0.1, f"median joint gap {np.median(err):.3f} m"


@pytest.mark.parametrize("scene", ["multi_person", "occlusion", "child_adult", "pose_arms_raised",
                                   "pose_crossed_arms", "pose_crouching", "pose_far", "pose_reaching",
                                   "pose_sitting", "pose_walking"])
def test_still_scenes_count_joints_and_sides(backend, scene):
    image, gt = load_still(scene)
    people = backend.process_frame(image)
    visible = gt["visible_fraction"][:, 0] > 0.3
    assert int(visible.sum()) <= len(people) <= int(gt["num_people"])
    pairs = match(people, gt)
    found = {a for a, _, err in pairs if err < TOLERANCE}
    missing = [a for a in np.flatnonzero(visible) if a not in found]
    assert not missing, f"{scene}: people {missing} not found ({[round(e, 3) for _, _, e in pairs]})"
    # the person's own sides, where the shoulders are seen wide enough to tell
    for a, person, _ in pairs:
        g = gt["joints_2d"][a, 0]
        height = float(np.ptp(g[:, 1]))
        for pair in (("left_shoulder", "right_shoulder"), ("left_hip", "right_hip")):
            gl, gr = g[joint(gt, pair[0])], g[joint(gt, pair[1])]
            if np.linalg.norm(gl - gr) < 0.12 * height:
                continue
            pl, pr = person.body_2d[MAIN[pair[0]], :2], person.body_2d[MAIN[pair[1]], :2]
            same = np.linalg.norm(pl - gl) + np.linalg.norm(pr - gr)
            swapped = np.linalg.norm(pl - gr) + np.linalg.norm(pr - gl)
            assert same < swapped, f"{scene}: person {a} {pair} swapped"


def test_nobody_in_a_blank_image(backend):
    assert backend.process_frame(np.full((480, 640, 3), 90, np.uint8)) == []


def test_small_pedestrians_60_to_150_px(backend):
    """Six copies of the rendered person, scaled to 60-150 px tall, side by side on
    a stretched background: every one is found (the detector's tiles)."""
    image, gt = load_still("single_person")
    g = gt["joints_2d"][0, 0].astype(np.float64)
    x0, y0, x1, y1 = gt["bbox_full"][0, 0]
    margin = 0.08 * (y1 - y0)
    x0, y0 = int(x0 - margin), int(y0 - margin)
    x1, y1 = int(x1 + margin), int(min(y1 + margin, image.shape[0]))
    patch = image[y0:y1, x0:x1]
    canvas = cv2.resize(image[:, :200], (640, 480))
    truth = []
    for height, left in zip((60, 75, 90, 105, 125, 150), (20, 120, 215, 320, 430, 530)):
        s = height / float(gt["bbox_full"][0, 0, 3] - gt["bbox_full"][0, 0, 1])
        small = cv2.resize(patch, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
        top = 300 - small.shape[0] + int(0.3 * height)
        canvas[top:top + small.shape[0], left:left + small.shape[1]] = small
        truth.append((g - [x0, y0] + 0.5) * s - 0.5 + [left, top])
    people = backend.process_frame(canvas)
    assert len(people) == 6
    fake_gt = {"joint_names": gt["joint_names"], "joints_2d": np.stack(truth)[:, None]}
    errors = sorted(err for _, _, err in match(people, fake_gt))
    assert len(errors) == 6 and errors[-1] < 0.1, errors


def read_clip(scene: str, max_frames: int):
    gt_path = MEDIA / f"{scene}.gt.npz"
    if not gt_path.is_file():
        pytest.fail(f"{gt_path.name} is missing from tests/media: regenerate it with python -m bench.media.render_scenes --checked-in")
    gt = np.load(gt_path, allow_pickle=False)
    capture = cv2.VideoCapture(str(MEDIA / str(gt["media"])))
    frames = []
    while len(frames) < max_frames:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    capture.release()
    assert frames
    return frames, gt


@pytest.mark.parametrize("scene", ["clip_walk_across", "clip_crossing", "clip_walk_toward"])
def test_clip_tracked_frame_by_frame(scene):
    """Frames in order with `previous`, the detector every other frame: everyone
    visible is found in every frame (2D joints within tolerance), nobody extra."""
    frames, gt = read_clip(scene, max_frames=30)
    backend = create_landmark_backend("mediapipe-tflite", LandmarkOptions(detect_every=2, face=False))
    previous = None
    detector_frames = 0
    for t, image in enumerate(frames):
        people = backend.process_frame(image, previous)
        detector_frames += backend.last_detector_ran
        # the crossing hides the far walker almost entirely for a frame (51 % of
        # her vertices visible, only an arm and a leg): we ask for people 60 % visible
        visible = np.flatnonzero(gt["visible_fraction"][:, t] > 0.6)
        pairs = match(people, gt, t)
        found = {a for a, _, err in pairs if err < TOLERANCE}
        assert set(visible.tolist()) <= found, f"frame {t}: found {sorted(found)}, visible {visible.tolist()}"
        assert len(people) <= int(gt["num_people"])
        previous = people
    assert detector_frames < len(frames)
