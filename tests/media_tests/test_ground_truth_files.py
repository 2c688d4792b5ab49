"""The checked-in test media: ground truth readable, self-consistent, beside its render."""
from pathlib import Path

import cv2
import numpy as np
import pytest

from wholebody_core.maths.camera import project
from bench.media.ground_truth import read_ground_truth
from bench.media.joint_map import SMPLX_NAMES

MEDIA = Path(__file__).resolve().parents[1] / "media"
GT_FILES = sorted(MEDIA.glob("*.gt.npz"))


def test_there_is_checked_in_media():
    names = {p.name for p in GT_FILES}
    assert "single_person.gt.npz" in names
    assert (MEDIA / "single_person.png").is_file()


def test_total_size_is_small():
    total = sum(p.stat().st_size for p in MEDIA.iterdir() if p.is_file())
    assert total < 5 * 1024 * 1024


@pytest.fixture(params=GT_FILES, ids=lambda p: p.name.split(".")[0])
def gt(request):
    return read_ground_truth(request.param)


@pytest.mark.parametrize("path", GT_FILES, ids=lambda p: p.name.split(".")[0])
def test_plain_npz_without_objects(path):
    with np.load(path, allow_pickle=False) as data:
        for key in data.files:
            assert data[key].dtype != object, key
        assert data["intrinsics"].dtype == np.float64 and data["intrinsics"].shape == (3, 3)
        assert data["image_size"].dtype == np.int32
        assert data["joints_cam"].dtype == np.float32
        assert int(data["num_people"]) == data["person_ids"].shape[0]


def test_media_file_matches(gt):
    media = MEDIA / gt.media
    assert media.is_file(), f"{gt.media} is missing beside its ground truth"
    w, h = (int(v) for v in gt.image_size)
    if gt.fps == 0:
        image = cv2.imread(str(media))
        assert image.shape[:2] == (h, w)
        assert gt.num_frames == 1
    else:
        cap = cv2.VideoCapture(str(media))
        assert int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)) == w and int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) == h
        fps = cap.get(cv2.CAP_PROP_FPS)
        count = 0
        while cap.read()[0]:
            count += 1
        cap.release()
        assert count == gt.num_frames
        assert fps == pytest.approx(gt.fps, rel=1e-3)
        np.testing.assert_array_equal(gt.frame_indices, np.arange(gt.num_frames))


def test_2d_is_projection_of_3d(gt):
    valid = gt.valid
    err = np.abs(project(gt.joints_cam.astype(float), gt.intrinsics) - gt.joints_2d)
    assert err[valid].max() < 0.5
    coco = np.abs(project(gt.coco_cam.astype(float), gt.intrinsics) - gt.coco_2d)
    assert coco[valid].max() < 0.5


def test_joint_table(gt):
    assert tuple(gt.joint_names.tolist()) == SMPLX_NAMES
    assert "jaw" not in gt.joint_names.tolist()
    np.testing.assert_allclose(gt.root_position, gt.joints_cam[:, :, gt.joint_index("pelvis")])


def test_people_are_in_front_and_boxes_hold_their_joints(gt):
    w, h = (int(v) for v in gt.image_size)
    for p in range(gt.num_people):
        for t in np.flatnonzero(gt.valid[p]):
            assert gt.joints_cam[p, t, :, 2].min() > 0.5
            x0, y0, x1, y1 = gt.bbox_full[p, t]
            u, v = gt.joints_2d[p, t].T
            assert (u >= x0 - 1).all() and (u <= x1 + 1).all() and (v >= y0 - 1).all() and (v <= y1 + 1).all()
            bx0, by0, bx1, by1 = gt.bbox[p, t]
            assert -0.5 <= bx0 < bx1 <= w - 0.5 and -0.5 <= by0 < by1 <= h - 0.5


def test_statures_and_depths_are_plausible(gt):
    assert ((gt.height_m > 0.8) & (gt.height_m < 2.0)).all()
    z = gt.root_position[..., 2][gt.valid]
    assert ((z > 1.5) & (z < 16.0)).all()     # clip_crowd reaches 15 m, the others 9 m


def test_bones_are_rigid_over_a_clip(gt):
    """The mapped skeleton's bone lengths stay constant (exact ground truth, no drift)."""
    from wholebody_core.skeleton import PARENTS

    idx = {int(s): j for j, s in enumerate(gt.smplx_indices)}
    pairs = [(j, idx[int(PARENTS[int(s)])]) for j, s in enumerate(gt.smplx_indices)
             if PARENTS[int(s)] >= 0 and int(PARENTS[int(s)]) in idx]
    for p in range(gt.num_people):
        frames = np.flatnonzero(gt.valid[p])
        lengths = np.stack([[np.linalg.norm(gt.joints_cam[p, t, a] - gt.joints_cam[p, t, b]) for a, b in pairs]
                            for t in frames])
        assert np.ptp(lengths, axis=0).max() < 1e-4


def _gt(name):
    path = MEDIA / f"{name}.gt.npz"
    if not path.is_file():
        pytest.fail(f"{path.name} is missing from tests/media: regenerate it with python -m bench.media.render_scenes --checked-in")
    return read_ground_truth(path)


def test_single_person_left_right_and_framing():
    gt = _gt("single_person")
    assert gt.num_people == 1 and gt.fps == 0
    j = {n: gt.joints_2d[0, 0, i] for i, n in enumerate(gt.joint_names.tolist())}
    # facing the camera: the person's left is on the image's right
    for part in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle", "eye_smplhf"):
        assert j[f"left_{part}"][0] > j[f"right_{part}"][0], part
    assert j["head"][1] < j["pelvis"][1] < j["left_ankle"][1]
    assert gt.root_position[0, 0, 2] == pytest.approx(3.0, abs=0.2)
    x0, y0, x1, y1 = gt.bbox[0, 0]
    assert x0 > 0 and y0 > 0 and x1 < 639 and y1 < 479        # whole body in view
    assert gt.joints_visible.all()


def test_child_and_adult_have_equal_image_heights_at_different_depths():
    gt = _gt("child_adult")
    assert gt.is_child.tolist().count(True) == 1
    child, adult = int(np.flatnonzero(gt.is_child)[0]), int(np.flatnonzero(~gt.is_child)[0])
    h = gt.bbox[:, 0, 3] - gt.bbox[:, 0, 1]
    assert h[child] == pytest.approx(h[adult], rel=0.1)
    z = gt.root_position[:, 0, 2]
    assert z[adult] - z[child] > 1.2
    assert gt.height_m[adult] / gt.height_m[child] > 1.4


def test_occlusion_scene_hides_someone_partly():
    gt = _gt("occlusion")
    frac = gt.visible_fraction[:, 0]
    assert frac.min() < 0.9 and frac.max() > 0.95
    assert not gt.joints_visible.all()


def test_crossing_clip_people_pass_each_other():
    gt = _gt("clip_crossing")
    assert gt.num_people == 2 and gt.fps > 0 and gt.num_frames >= 10
    x = gt.root_position[..., 0]
    assert np.sign(x[0, 0] - x[1, 0]) != np.sign(x[0, -1] - x[1, -1])   # they swap sides
    # their boxes overlap in some frame (the id-swap case)
    from bench.media.scoring import box_iou

    ious = [box_iou(gt.bbox[0:1, t], gt.bbox[1:2, t])[0, 0] for t in range(gt.num_frames)]
    assert max(ious) > 0.2


def test_crowd_clip_is_a_surveillance_view_of_walking_adults():
    gt = _gt("clip_crowd")
    assert 6 <= gt.num_people <= 7 and not gt.is_child.any() and gt.fps > 0 and gt.num_frames >= 20
    heights = (gt.bbox_full[..., 3] - gt.bbox_full[..., 1])[gt.valid]
    assert heights.min() >= 60 and heights.max() <= 150            # pixels
    assert np.ptp(gt.height_m) > 0.25                               # different statures
    z = gt.root_position[..., 2]
    assert (np.abs(z[:, -1] - z[:, 0]) > 2.0).sum() >= 2            # one walks towards, one away
    x = gt.root_position[..., 0]
    moving_right = (x[:, -1] - x[:, 0] > 1.0).sum()
    moving_left = (x[:, -1] - x[:, 0] < -1.0).sum()
    assert moving_right >= 1 and moving_left >= 2
    # two people pass each other: their image order swaps while their boxes overlap
    from bench.media.scoring import box_iou

    u = gt.root_position[..., 0] / z
    passing = [(a, b) for a in range(gt.num_people) for b in range(a + 1, gt.num_people)
               if np.sign(u[a, 0] - u[b, 0]) != np.sign(u[a, -1] - u[b, -1])
               and max(box_iou(gt.bbox[a:a + 1, t], gt.bbox[b:b + 1, t])[0, 0] for t in range(gt.num_frames)) > 0.2]
    assert passing


def test_cut_scenes_lose_the_joints_beyond_their_edge():
    """People cut by the frame (issue 10): the joints past the edge are not visible."""
    def seen(gt, p, *names):
        return [bool(gt.joints_visible[p, 0, gt.joint_index(n)]) for n in names]

    waist = _gt("cut_bottom_waist")
    assert seen(waist, 0, "head", "neck", "left_shoulder", "right_shoulder") == [True] * 4
    assert not any(seen(waist, 0, "left_knee", "right_knee", "left_ankle", "right_ankle", "left_foot", "right_foot"))
    assert waist.joints_2d[0, 0, waist.joint_index("pelvis"), 1] > 440   # the hips at the bottom edge
    assert waist.bbox_full[0, 0, 3] > 1.5 * 480                  # the legs reach far below the frame
    top = _gt("cut_top")
    assert not any(seen(top, 0, "head", "neck", "left_shoulder", "right_shoulder"))
    assert all(seen(top, 0, "left_knee", "right_knee", "left_ankle", "right_ankle"))
    sides = _gt("cut_left_right")
    x0, x1 = sides.bbox_full[:, 0, 0], sides.bbox_full[:, 0, 2]
    assert x0[0] < 0 < x1[0] < 320 < x0[1] < 639 < x1[1]          # one across each side edge
    assert 0.3 < sides.visible_fraction[:, 0].min() and sides.visible_fraction[:, 0].max() < 0.9


def test_hugging_people_hide_each_other():
    gt = _gt("hugging")
    from bench.media.scoring import box_iou

    assert box_iou(gt.bbox[0:1, 0], gt.bbox[1:2, 0])[0, 0] > 0.6
    assert (~gt.joints_visible[:, 0]).sum(axis=1).min() >= 1      # each hides some of the other
