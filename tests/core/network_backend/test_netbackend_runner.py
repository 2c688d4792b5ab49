"""The network backends' plumbing: the reader thread, part boxes from the body keypoints, the options."""
import threading
import time

import numpy as np
import pytest

from wholebody_core.errors import InputError, ModelFileError
from wholebody_core.landmarks.types import BODY_LANDMARK_NAMES
from wholebody_core.network_backend.options import NetworkBackendOptions, checkpoint_paths
from wholebody_core.network_backend.runner import face_box_from_keypoints, hand_box_from_keypoints, prefetch
from wholebody_core.solve.integrate import hand_near_wrist


def test_prefetch_keeps_order_and_raises_the_readers_error():
    assert list(prefetch(iter(range(50)), depth=3)) == list(range(50))

    def broken():
        yield 1
        raise ValueError("bad frame")

    frames = prefetch(broken())
    assert next(frames) == 1
    with pytest.raises(ValueError, match="bad frame"):
        next(frames)


def test_closing_prefetch_stops_the_reader():
    produced = []

    def endless():
        while True:
            produced.append(1)
            yield len(produced)

    before = threading.active_count()
    frames = prefetch(endless(), depth=2)
    next(frames)
    frames.close()
    time.sleep(0.5)
    count = len(produced)
    time.sleep(0.3)
    assert len(produced) == count and threading.active_count() <= before


def _keypoints():
    kp = np.zeros((33, 3))
    kp[:, 2] = 1.0
    index = {n: i for i, n in enumerate(BODY_LANDMARK_NAMES)}
    kp[index["left_wrist"], :2] = [100, 200]
    for name, xy in (("left_pinky", (110, 230)), ("left_index", (100, 235)), ("left_thumb", (90, 225))):
        kp[index[name], :2] = xy
    for name, xy in (("nose", (300, 100)), ("left_eye", (310, 90)), ("right_eye", (290, 90)), ("left_ear", (325, 95)),
                     ("right_ear", (275, 95)), ("mouth_left", (308, 112)), ("mouth_right", (292, 112))):
        kp[index[name], :2] = xy
    return kp


def test_hand_box_lies_past_the_wrist_and_passes_the_wrist_test():
    box = hand_box_from_keypoints(_keypoints(), "left")
    centre = 0.5 * (box[:2] + box[2:])
    assert centre[1] > 200 + 20                       # beyond the wrist, towards the knuckles
    assert np.isclose(box[2] - box[0], box[3] - box[1])
    assert hand_near_wrist(box[None], np.array([[100.0, 200.0]]))[0]


def test_face_box_covers_the_face_points():
    box = face_box_from_keypoints(_keypoints())
    np.testing.assert_allclose(box, [275, 90, 325, 112])


def test_options_are_checked_before_anything_loads(tmp_path):
    with pytest.raises(InputError, match="--precision"):
        checkpoint_paths("hand4whole", NetworkBackendOptions(precision="fp8"), True, True, tmp_path)
    with pytest.raises(InputError, match="--integrate-hands applies to the hand4whole backend"):
        checkpoint_paths("pose2pose", NetworkBackendOptions(integrate_hands=True), True, True, tmp_path)
    with pytest.raises(ModelFileError, match="--checkpoint-hand PATH"):
        checkpoint_paths("hand4whole", NetworkBackendOptions(checkpoint_hand4whole=tmp_path / "a",
                                                             integrate_hands=True), True, True, tmp_path)
    # --no-hands / --no-face: those checkpoints are not needed
    with pytest.raises(ModelFileError) as error:
        checkpoint_paths("pose2pose", NetworkBackendOptions(), False, False, tmp_path)
    assert "--checkpoint-body" in str(error.value) and "--checkpoint-hand" not in str(error.value)
    with pytest.raises(ModelFileError, match=r"--checkpoint-rootnet: .* is not a file"):
        (tmp_path / "body.pth").write_bytes(b"x")
        checkpoint_paths("pose2pose", NetworkBackendOptions(checkpoint_body=tmp_path / "body.pth",
                                                            checkpoint_rootnet=tmp_path / "none.pth"),
                         False, False, tmp_path)


def test_left_hand_crop_is_the_mirrored_image_crop():
    """The left-hand crop equals the reference's: mirror the image, box centre x -> W - 1 - x."""
    from wholebody_core.network_backend.runner import NetworkSolver, _Item
    from wholebody_core.networks.preprocess import crop_image, mirror_box_xywh, process_bbox

    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)

    class _Hand:
        config = type("C", (), {"bbox_aspect_wh": 1.0, "input_shape_hw": (32, 32)})

    solver = NetworkSolver.__new__(NetworkSolver)
    solver._nets = {"pose2pose_hand": _Hand()}
    seen = []
    solver._run = lambda name, crops: seen.extend(crops) or {"root_pose": np.zeros((len(crops), 3)),
                                                              "hand_pose": np.zeros((len(crops), 15, 3))}
    boxes = np.array([[[20.0, 30.0, 60.0, 70.0], [90.0, 30.0, 130.0, 70.0]]])
    item = _Item(0, 1, None, np.zeros(3))
    out = solver._run_hands([item], {0: image}, boxes)
    assert out["ok"].all() and len(seen) == 2
    box = process_bbox([20, 30, 40, 40], 160, 120, 1.0, extension=1.0)
    expected, _ = crop_image(image[:, ::-1].copy(), mirror_box_xywh(box, 160), (32, 32))
    np.testing.assert_array_equal(seen[0], expected.astype(np.uint8))
    right, _ = crop_image(image, process_bbox([90, 30, 40, 40], 160, 120, 1.0, extension=1.0), (32, 32))
    np.testing.assert_array_equal(seen[1], right.astype(np.uint8))
