"""The scorer's joints wrongly marked sure / unsure (bench/media/scoring.py)."""
from pathlib import Path

import numpy as np
import pytest

from bench.media.ground_truth import read_ground_truth
from bench.media.gt_capture import capture_from_ground_truth
from bench.media.joint_map import BODY_JOINTS
from bench.media.scoring import confidence_counts, score
from wholebody_core.skeleton import NUM_JOINTS

MEDIA = Path(__file__).resolve().parents[1] / "media"


def test_counts_on_a_hand_made_case():
    # two matched person-frames, four joints
    confidence = np.array([[0.9, 0.2, 0.5, 0.49],
                           [0.7, 0.8, 0.6, 0.3]])
    visible = np.array([[False, True, False, True],
                        [False, True, True, True]])
    error_px = np.array([[0.0, 3.0, 0.0, 50.0],
                         [0.0, 0.0, 100.0, 9.0]])
    near_px = np.array([10.0, 10.0])
    # sure but unseen: (0,0) 0.9, (0,2) 0.5 (the threshold is sure), (1,0) 0.7
    # unsure, seen and found: (0,1) 3 px, (1,3) 9 px; not (0,3): 50 px away, not found
    assert confidence_counts(confidence, visible, error_px, near_px) == (3, 2, 3, 8)
    # a stricter threshold makes (0,2) and (1,2) unsure: (1,2) is seen but 100 px off
    assert confidence_counts(confidence, visible, error_px, near_px, sure_threshold=0.65) == (2, 2, 3, 8)


def _gt(name):
    path = MEDIA / f"{name}.gt.npz"
    if not path.is_file():
        pytest.fail(f"{path.name} is missing from tests/media: regenerate it with python -m bench.media.render_scenes --checked-in")
    return read_ground_truth(path)


@pytest.mark.parametrize("scene", ["occlusion", "cut_left_right", "cut_bottom_waist"])
def test_perfect_capture_with_constant_or_true_confidence(scene):
    gt = _gt(scene)
    cap = capture_from_ground_truth(gt)
    body = [gt.joint_index(n) for n in BODY_JOINTS]
    visible = gt.joints_visible[:, :, body][gt.valid]
    unseen = 1.0 - visible.mean()
    assert unseen > 0.02                      # the scene hides or cuts some body joints

    cap.joint_confidence = np.ones((cap.num_people, cap.num_frames, NUM_JOINTS), np.float32)
    s = score(cap, gt)
    assert s.confidence_joints == visible.size
    assert s.unseen_share == pytest.approx(unseen)
    assert s.wrongly_sure == pytest.approx(unseen) and s.wrongly_unsure == 0.0

    cap.joint_confidence[:] = 0.0
    s = score(cap, gt)
    assert s.wrongly_sure == 0.0 and s.wrongly_unsure == pytest.approx(1.0 - unseen)

    truth = np.zeros_like(cap.joint_confidence)
    truth[:, :, gt.smplx_indices] = gt.joints_visible   # people and frames in the same order
    cap.joint_confidence = truth
    s = score(cap, gt)
    assert s.wrongly_sure == 0.0 and s.wrongly_unsure == 0.0


def test_no_joint_confidence_is_not_scored():
    gt = _gt("single_person")
    cap = capture_from_ground_truth(gt)
    cap.joint_confidence = None
    s = score(cap, gt)
    assert s.confidence_joints == 0 and np.isnan(s.wrongly_sure) and np.isnan(s.wrongly_unsure)
    assert s.to_dict()["wrongly_sure"] is None
