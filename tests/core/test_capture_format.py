import os

import numpy as np
import pytest

from wholebody_core.capture_format import Capture, empty_capture, read_capture, write_capture
from wholebody_core.errors import InputError, OutputError
from wholebody_core.maths.kinematics import joints_in_camera, full_pose_rotvec
from wholebody_core.skeleton import default_rest_joints


def _capture(P=2, T=4) -> Capture:
    rng = np.random.default_rng(0)
    cap = empty_capture(P, T, source="clip.mp4", fps=25.0, image_size=(640, 480),
                        intrinsics=np.array([[500.0, 0, 320], [0, 500, 240], [0, 0, 1]]), backend="test")
    cap.valid[:] = True
    cap.valid[0, 1] = False
    cap.body_pose[:] = rng.normal(scale=0.2, size=cap.body_pose.shape)
    cap.global_orient[:] = [np.pi, 0, 0]
    cap.rest_joints[:] = default_rest_joints()
    cap.root_position[:] = [0.0, 0.0, 4.0]
    pose = full_pose_rotvec(cap.global_orient, cap.body_pose, cap.jaw_pose, cap.leye_pose, cap.reye_pose,
                            cap.left_hand_pose, cap.right_hand_pose)
    cap.joints_cam[:] = joints_in_camera(pose, cap.rest_joints[:, None], cap.root_position)
    return cap


def test_round_trip_preserves_every_array(tmp_path):
    cap = _capture()
    path = write_capture(tmp_path / "a.capture.npz", cap)
    back = read_capture(path)
    for key in ("valid", "body_pose", "joints_cam", "rest_joints", "intrinsics", "frame_indices", "person_ids"):
        np.testing.assert_array_equal(getattr(back, key), getattr(cap, key))
    assert back.source == "clip.mp4" and back.fps == 25.0 and back.backend == "test"
    with np.load(path, allow_pickle=False) as data:  # readable without pickles, exact dtypes
        assert data["format_version"].dtype == np.int32 and data["joint_names"].shape == (55,)
        assert data["global_orient"].dtype == np.float32 and data["valid"].dtype == np.bool_


def test_empty_capture_with_nobody_is_valid(tmp_path):
    cap = empty_capture(0, 1, source="a.png", fps=0.0, image_size=(10, 10), intrinsics=np.eye(3), backend="t")
    back = read_capture(write_capture(tmp_path / "e.capture.npz", cap))
    assert back.num_people == 0 and back.joints_cam.shape == (0, 1, 55, 3)


def test_refuses_to_overwrite_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "a.capture.npz"
    write_capture(path, _capture())
    with pytest.raises(OutputError, match="--overwrite"):
        write_capture(path, _capture())
    write_capture(path, _capture(P=1), overwrite=True)
    assert read_capture(path).num_people == 1
    assert sorted(os.listdir(tmp_path)) == ["a.capture.npz"]


def test_invalid_capture_is_not_written(tmp_path):
    cap = _capture()
    cap.body_pose[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        write_capture(tmp_path / "bad.capture.npz", cap)
    assert not list(tmp_path.iterdir())


def test_reader_rejects_garbage_and_pickles(tmp_path):
    (tmp_path / "text.capture.npz").write_text("not a zip")
    with pytest.raises(InputError):
        read_capture(tmp_path / "text.capture.npz")
    np.savez(tmp_path / "obj.capture.npz", format_version=np.int32(1), source=np.array([{"a": 1}], dtype=object))
    with pytest.raises(InputError):
        read_capture(tmp_path / "obj.capture.npz")
    with pytest.raises(InputError, match="does not exist"):
        read_capture(tmp_path / "missing.capture.npz")


def test_unwritable_folder_is_an_output_error(tmp_path):
    with pytest.raises(OutputError, match="does not exist"):
        write_capture(tmp_path / "nope" / "a.capture.npz", _capture())


def test_written_file_has_the_usual_permissions(tmp_path):
    import stat

    path = write_capture(tmp_path / "a.capture.npz", _capture())
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask   # not the temporary file's 0o600


def test_writer_says_when_the_output_folder_is_a_file(tmp_path):
    """The writer and the CLI share one output check (output_path): a parent that is a
    file is named as a file, not as a missing folder."""
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("user's file")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        write_capture(not_a_folder / "out.capture.npz", _capture())
    assert not_a_folder.read_text() == "user's file"
