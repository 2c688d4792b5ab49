"""joint_confidence end to end: the real command on a rendered clip (hands and face models off)."""
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

from wholebody_core.capture_format import read_capture
from wholebody_core.maths.kinematics import capture_joints_cam
from wholebody_core.skeleton import JOINT_INDEX, JOINT_NAMES
from wholebody_core.solve.confidence import rotation_confidence

REPO = Path(__file__).resolve().parents[2]
MEDIA = REPO / "tests" / "media"


def test_walk_across_writes_joint_confidence_and_skipped_models_are_unseen(tmp_path):
    out = tmp_path / "walk.capture.npz"
    result = subprocess.run([sys.executable, "-m", "wholebody_core", MEDIA / "clip_walk_across.mp4", "-o", out,
                             "--no-hands", "--no-face"], capture_output=True, text=True, cwd=REPO, timeout=600)
    assert result.returncode == 0, result.stderr
    capture = read_capture(out)
    conf = capture.joint_confidence
    assert conf is not None and conf.dtype == np.float32 and conf.shape == (capture.num_people, capture.num_frames, 55)
    assert np.isfinite(conf).all() and conf.min() >= 0.0 and conf.max() <= 1.0
    assert capture.num_people == 1 and capture.valid.all()
    body = conf[capture.valid][:, :22]
    assert (body >= 0.5).mean() > 0.9, (body >= 0.5).mean()       # a person walking across, wholly in view
    beyond_knuckles = [j for j in range(22, 55) if not JOINT_NAMES[j].endswith("1")]
    # fingers, jaw, eyes: the models were skipped (the knuckles have the body's own hand points)
    assert conf[capture.valid][:, beyond_knuckles].max() < 0.5
    assert (conf[~capture.valid] == 0).all()
    np.testing.assert_allclose(capture_joints_cam(capture), capture.joints_cam, atol=1e-3)


def test_a_walker_cut_at_the_waist_by_the_frame_gets_unsure_neutral_legs(tmp_path):
    """clip_walk_across cropped just below the hips: the landmark model still reports legs below the frame."""
    video = cv2.VideoCapture(str(MEDIA / "clip_walk_across.mp4"))
    fps = video.get(cv2.CAP_PROP_FPS)
    frames = []
    while True:
        ok, frame = video.read()
        if not ok:
            break
        frames.append(frame[40:262])     # the hips at rows 235-248 of the clip, the knees below 278
    video.release()
    clip = tmp_path / "cut.mp4"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), fps, frames[0].shape[1::-1])
    for frame in frames:
        writer.write(frame)
    writer.release()
    out = tmp_path / "cut.capture.npz"
    result = subprocess.run([sys.executable, "-m", "wholebody_core", clip, "-o", out, "--no-hands", "--no-face"],
                            capture_output=True, text=True, cwd=REPO, timeout=600)
    assert result.returncode == 0, result.stderr
    capture = read_capture(out)
    assert capture.num_people == 1 and capture.valid.sum() >= 25
    conf = capture.joint_confidence[0][capture.valid[0]]
    legs = [JOINT_INDEX[f"{s}_{j}"] for s in ("left", "right") for j in ("hip", "knee", "ankle", "foot")]
    torso = [JOINT_INDEX[n] for n in ("pelvis", "spine1", "spine2", "spine3", "neck", "head",
                                      "left_collar", "right_collar")]
    below = [j for j in legs if not JOINT_NAMES[j].endswith("_hip")]
    assert conf[:, below].max() < 0.5                            # knees and feet below the frame
    assert rotation_confidence(conf)[:, legs].max() < 0.5        # so where the thighs go is unseen too
    assert (conf[:, torso] > 0.5).mean() > 0.9, conf[:, torso].mean(0)
    # never seen in this track: straight standing legs, not the model's invented stride
    body_pose = capture.body_pose[0][capture.valid[0]]
    assert np.abs(body_pose[:, [j - 1 for j in legs]]).max() < 1e-6
    np.testing.assert_allclose(capture_joints_cam(capture), capture.joints_cam, atol=1e-3)
