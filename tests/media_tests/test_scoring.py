"""The benchmark scorer, on captures made from the ground truth itself."""
import json
from pathlib import Path

import numpy as np
import pytest

from bench import score as score_cli
from bench.media.ground_truth import read_ground_truth
from bench.media.gt_capture import capture_from_ground_truth
from bench.media.joint_map import BODY_JOINTS
from bench.media.scoring import box_iou, procrustes_align, score
from wholebody_core.capture_format import read_capture, write_capture
from wholebody_core.maths.kinematics import joints_in_camera
from wholebody_core.maths.rotations import rotvec_to_rotmat, rotmat_to_rotvec
from wholebody_core.skeleton import JOINT_INDEX

MEDIA = Path(__file__).resolve().parents[1] / "media"


def _gt(name):
    path = MEDIA / f"{name}.gt.npz"
    if not path.is_file():
        pytest.fail(f"{path.name} is missing from tests/media: regenerate it with python -m bench.media.render_scenes --checked-in")
    return read_ground_truth(path)


def _refk(cap, p, t):
    full = np.concatenate([cap.global_orient[p, t][None], cap.body_pose[p, t], cap.jaw_pose[p, t][None],
                           cap.leye_pose[p, t][None], cap.reye_pose[p, t][None],
                           cap.left_hand_pose[p, t], cap.right_hand_pose[p, t]]).astype(float)
    cap.joints_cam[p, t] = joints_in_camera(full, cap.rest_joints[p].astype(float),
                                            cap.root_position[p, t].astype(float))


@pytest.mark.parametrize("scene", ["single_person", "multi_person", "clip_crossing"])
def test_perfect_capture_scores_zero(scene, tmp_path):
    gt = _gt(scene)
    cap = capture_from_ground_truth(gt)
    path = write_capture(tmp_path / "perfect.capture.npz", cap)   # a valid capture file
    cap = read_capture(path)
    s = score(cap, gt)
    assert s.recall == 1.0 and s.precision == 1.0
    assert s.mpjpe_mm < 0.5 and s.pa_mpjpe_mm < 0.5 and s.joints_2d_px < 0.05
    assert s.root_error_m < 1e-4 and s.id_switches == 0
    if gt.num_people > 1:
        assert s.depth_order_accuracy == 1.0
    if gt.fps > 0:
        assert s.jitter_capture == pytest.approx(s.jitter_gt, rel=1e-3)
        assert s.jitter_error < 0.05


def test_capture_joints_are_forward_kinematics():
    gt = _gt("clip_crossing")
    cap = capture_from_ground_truth(gt)
    before = cap.joints_cam.copy()
    for p in range(cap.num_people):
        for t in range(cap.num_frames):
            if cap.valid[p, t]:
                _refk(cap, p, t)
    assert np.abs(cap.joints_cam - before).max() < 1e-3


def test_root_offset_gives_that_root_error_and_no_pose_error():
    gt = _gt("single_person")
    cap = capture_from_ground_truth(gt, root_offset=np.array([0.0, 0.0, 0.3]))
    s = score(cap, gt)
    assert s.root_error_m == pytest.approx(0.3, abs=1e-4)
    assert s.depth_error_m == pytest.approx(0.3, abs=1e-4)
    z = float(gt.root_position[0, 0, 2])
    assert s.root_error_rel == pytest.approx(0.3 / np.linalg.norm(gt.root_position[0, 0]), rel=1e-3)
    assert s.depth_error_rel == pytest.approx(0.3 / z, rel=1e-3)
    assert s.mpjpe_mm < 0.5 and s.recall == 1.0


def test_bent_elbow_gives_the_known_mpjpe():
    gt = _gt("single_person")
    cap = capture_from_ground_truth(gt)
    elbow = JOINT_INDEX["left_elbow"]
    wrist = JOINT_INDEX["left_wrist"]
    forearm = cap.rest_joints[0, wrist] - cap.rest_joints[0, elbow]
    axis = np.cross(forearm, [0.0, 0.0, 1.0])
    axis /= np.linalg.norm(axis)
    angle = np.radians(30.0)
    local = rotvec_to_rotmat(cap.body_pose[0, 0, elbow - 1].astype(float))
    cap.body_pose[0, 0, elbow - 1] = rotmat_to_rotvec(local @ rotvec_to_rotmat(axis * angle))
    _refk(cap, 0, 0)
    moved = 2 * np.linalg.norm(forearm) * np.sin(angle / 2)     # only the wrist moves
    s = score(cap, gt)
    assert s.mpjpe_mm == pytest.approx(1000 * moved / len(BODY_JOINTS), rel=1e-3)
    # least-squares alignment spreads one moved joint's error over all joints,
    # so PA-MPJPE (a mean of distances) need not be smaller here
    assert s.pa_mpjpe_mm > 0


def test_scaled_skeleton_is_removed_by_procrustes():
    gt = _gt("single_person")
    cap = capture_from_ground_truth(gt)
    cap.rest_joints[0] *= 1.1
    _refk(cap, 0, 0)
    s = score(cap, gt)
    assert s.mpjpe_mm > 10 and s.pa_mpjpe_mm < 0.5


def test_wrong_depth_order_is_counted():
    gt = _gt("multi_person")
    nearest = int(np.argmin(gt.root_position[:, 0, 2]))
    cap = capture_from_ground_truth(gt)
    cap.root_position[nearest, 0, 2] += 6.0
    cap.joints_cam[nearest, 0, :, 2] += 6.0
    s = score(cap, gt)
    pairs = gt.num_people * (gt.num_people - 1) // 2
    assert s.depth_order_pairs == pairs
    assert s.depth_order_accuracy == pytest.approx((pairs - (gt.num_people - 1)) / pairs)


def test_missed_and_false_detections():
    gt = _gt("multi_person")
    cap = capture_from_ground_truth(gt, drop=[(0, 0)])
    s = score(cap, gt)
    assert s.recall == pytest.approx((gt.num_people - 1) / gt.num_people) and s.precision == 1.0
    cap = capture_from_ground_truth(gt)
    cap.bbox[1, 0] = [0, 0, 20, 20]       # a box on nobody
    s = score(cap, gt)
    n = gt.num_people
    assert s.precision == pytest.approx((n - 1) / n) and s.recall == pytest.approx((n - 1) / n)


def test_swapped_ids_are_id_switches():
    gt = _gt("clip_crossing")
    middle = int(gt.frame_indices[gt.num_frames // 2])
    s = score(capture_from_ground_truth(gt, swap_ids_from=middle), gt)
    # one swap event: each of the two true people changes captured id once (MOT counting)
    assert s.id_switches == 2 and s.id_switch_frames == 1
    assert s.recall == 1.0


def test_jitter_of_a_noisy_root():
    gt = _gt("clip_crossing")
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.01, size=(gt.num_frames, 3))
    cap = capture_from_ground_truth(gt)
    for p in range(gt.num_people):
        for t in range(gt.num_frames):
            cap.root_position[p, t] += noise[t]
            cap.joints_cam[p, t] += noise[t]
    s = score(cap, gt)
    acc = np.linalg.norm(noise[2:] - 2 * noise[1:-1] + noise[:-2], axis=-1) * gt.fps ** 2
    valid = gt.valid.all(axis=0)
    ok = valid[2:] & valid[1:-1] & valid[:-2]
    assert s.jitter_error == pytest.approx(acc[ok].mean(), rel=1e-3)
    assert s.jitter_capture > s.jitter_gt


def test_box_iou_and_procrustes_helpers():
    assert box_iou(np.array([[0, 0, 10, 10]]), np.array([[5, 0, 15, 10]]))[0, 0] == pytest.approx(1 / 3)
    rng = np.random.default_rng(1)
    pts = rng.normal(size=(20, 3))
    rot = rotvec_to_rotmat(np.array([0.3, -0.2, 0.5]))
    moved = 1.7 * pts @ rot.T + [1, 2, 3]
    np.testing.assert_allclose(procrustes_align(pts, moved), moved, atol=1e-9)


def test_cli_prints_json(tmp_path, capsys):
    gt_path = MEDIA / "single_person.gt.npz"
    cap = capture_from_ground_truth(read_ground_truth(gt_path))
    cap_path = write_capture(tmp_path / "x.capture.npz", cap)
    assert score_cli.main([str(cap_path), str(gt_path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["mpjpe_mm"] < 0.5 and out["recall"] == 1.0 and out["scene"] == "single_person"
    assert score_cli.main([str(cap_path), str(gt_path)]) == 0
    assert "MPJPE" in capsys.readouterr().out
    assert score_cli.main([str(tmp_path / "missing.capture.npz"), str(gt_path)]) == 2
