"""joint_confidence end to end: the real command on a rendered clip (hands and face models off)."""
import subprocess
import sys
from pathlib import Path

import numpy as np

from wholebody_core.capture_format import read_capture
from wholebody_core.maths.kinematics import capture_joints_cam

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
    assert conf[capture.valid][:, 22:].max() < 0.5                  # fingers, jaw, eyes: the models were skipped
    assert (conf[~capture.valid] == 0).all()
    np.testing.assert_allclose(capture_joints_cam(capture), capture.joints_cam, atol=1e-3)
