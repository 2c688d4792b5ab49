"""End to end, random weights: each network backend writes a valid capture of a 2-person clip.

The checkpoints are freshly initialised networks saved in the released container
(no released file in CI); the poses are meaningless, but the format, the forward
kinematics, tracking and placement are the real ones. A few frames only: each
person-frame costs several ResNet-50 forwards on the CPU.
"""
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from synthetic_checkpoints import write_random_checkpoint
from wholebody_core.body_model_synthetic import write_synthetic_smplx_model
from wholebody_core.capture_format import read_capture
from wholebody_core.cli import main
from wholebody_core.maths.kinematics import capture_joints_cam
from wholebody_core.networks.preprocess import process_bbox

REPO = Path(__file__).resolve().parents[3]
CLIP = REPO / "tests" / "media" / "clip_crossing.mp4"
FRAMES = ("--end", "3")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("checkpoints")
    paths = {name: write_random_checkpoint(folder, name, seed)
             for seed, name in enumerate(("pose2pose_body", "pose2pose_hand", "pose2pose_face", "hand4whole"))}
    # RootNet with gamma = 1 everywhere: its depth is then exactly k, which the test can recompute.
    paths["rootnet"] = write_random_checkpoint(folder, "rootnet", 4, {
        "root.depth_layer.weight": torch.zeros(1, 2048, 1, 1), "root.depth_layer.bias": torch.ones(1)})
    paths["smplx"] = write_synthetic_smplx_model(folder / "SMPLX_NEUTRAL.npz", num_vertices=2000, seed=1)
    yield paths
    shutil.rmtree(folder, ignore_errors=True)


def _args(backend, files, out, *extra):
    if backend == "pose2pose":
        ckpt = ["--checkpoint-body", files["pose2pose_body"], "--checkpoint-hand", files["pose2pose_hand"],
                "--checkpoint-face", files["pose2pose_face"]]
    else:
        ckpt = ["--checkpoint-hand4whole", files["hand4whole"]]
    return [str(a) for a in (CLIP, "-o", out, "--backend", backend, *ckpt, "--smplx-model", files["smplx"],
                             "--device", "cpu", "--threads", "2", "--quiet", "--batch-size", "4", *FRAMES, *extra)]


def _check(capture, backend):
    assert capture.backend.startswith(backend)
    assert capture.num_people == 2 and capture.num_frames == 3
    assert capture.valid.all()
    np.testing.assert_allclose(capture_joints_cam(capture), capture.joints_cam, atol=1e-3)
    assert (capture.root_position[..., 2] > 0.1).all()
    # The pelvis projects inside the frame (placement kept the people where they are).
    K = capture.intrinsics
    uv = capture.root_position[..., :2] / capture.root_position[..., 2:] * np.diag(K)[:2] + K[:2, 2]
    assert ((uv > -50) & (uv < capture.image_size + 50)).all()


@pytest.mark.parametrize("backend,rootnet", [("pose2pose", True), ("hand4whole", False)])
def test_network_backend_writes_a_valid_capture(backend, rootnet, files, tmp_path):
    torch.set_num_threads(2)
    out = tmp_path / f"{backend}.capture.npz"
    extra = ["--checkpoint-rootnet", files["rootnet"], "--smoothing", "0"] if rootnet else []
    assert main(_args(backend, files, out, *extra)) == 0
    capture = read_capture(out)
    _check(capture, backend)
    if rootnet:   # the pelvis depth is RootNet's: k = sqrt(2 m * 2 m * fx * fy / (w * h)) of the square box
        box = capture.bbox.astype(np.float64)
        wh = [[process_bbox([*b[:2], *(b[2:] - b[:2])], *capture.image_size, 1.0)[2:] for b in row] for row in box]
        k = np.sqrt(4.0 * capture.intrinsics[0, 0] * capture.intrinsics[1, 1] / np.prod(np.array(wh), axis=-1))
        np.testing.assert_allclose(capture.root_position[..., 2], k, rtol=1e-4)


def test_hand4whole_integrates_hands_with_the_hand_model(files, tmp_path):
    out = tmp_path / "h4w_integrated.capture.npz"
    assert main(_args("hand4whole", files, out, "--integrate-hands", "--checkpoint-hand",
                      files["pose2pose_hand"])) == 0
    _check(read_capture(out), "hand4whole")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here: the GPU-vs-CPU comparison needs one")
@pytest.mark.parametrize("backend", ["pose2pose", "hand4whole"])
def test_gpu_matches_cpu(backend, files, tmp_path):
    outs = {}
    for device in ("cpu", "cuda"):
        outs[device] = tmp_path / f"{backend}_{device}.capture.npz"
        args = _args(backend, files, outs[device])
        args[args.index("--device") + 1] = device
        assert main(args) == 0
    cpu, gpu = read_capture(outs["cpu"]), read_capture(outs["cuda"])
    np.testing.assert_array_equal(cpu.valid, gpu.valid)
    np.testing.assert_allclose(gpu.joints_cam, cpu.joints_cam, atol=5e-3)
    np.testing.assert_allclose(gpu.root_position, cpu.root_position, atol=5e-3)


@pytest.mark.parametrize("backend,missing", [
    ("pose2pose", ["--checkpoint-body", "--checkpoint-hand", "--checkpoint-face"]),
    ("hand4whole", ["--checkpoint-hand4whole"]),
])
def test_missing_checkpoint_exits_2_with_what_and_where(backend, missing, tmp_path, capsys):
    out = tmp_path / "x.capture.npz"
    code = main([str(CLIP), "-o", str(out), "--backend", backend, "--json-progress", *FRAMES])
    assert code == 2 and not out.exists()
    error = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert error["event"] == "error" and error["exit_code"] == 2
    for option in missing:
        assert option in error["message"]
    assert "github.com/mks0601/Hand4Whole_RELEASE" in error["message"]
    assert "nothing is downloaded" in error["message"]


def test_network_backend_needs_the_smplx_model(files, tmp_path, capsys):
    out = tmp_path / "x.capture.npz"
    code = main([str(CLIP), "-o", str(out), "--backend", "hand4whole", "--checkpoint-hand4whole",
                 str(files["hand4whole"]), *FRAMES])
    assert code == 2
    message = capsys.readouterr().err
    assert "--smplx-model" in message and "hands_meanl" in message and "smpl-x.is.tue.mpg.de" in message


def test_list_backends(capsys):
    assert main(["--list-backends"]) == 0
    text = capsys.readouterr().out
    assert all(name in text for name in ("mediapipe-tflite", "hand4whole", "pose2pose"))
