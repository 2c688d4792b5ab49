import cv2
import numpy as np
import pytest

from wholebody_core.errors import InputError
from wholebody_core.media import FrameRange, iter_frames, probe


def _write_video(path, frames=12, size=(64, 48), fps=10.0):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for i in range(frames):
        image = np.full((size[1], size[0], 3), i * 20 % 255, np.uint8)
        writer.write(image)
    writer.release()


def test_video_streams_the_chosen_frames(tmp_path):
    path = tmp_path / "clip.mp4"
    _write_video(path)
    info = probe(path)
    assert info.is_video and (info.width, info.height) == (64, 48) and info.frame_count == 12
    assert info.fps == pytest.approx(10.0)
    got = [(i, img.shape) for i, img in iter_frames(info, FrameRange(2, 9, 3))]
    assert got == [(2, (48, 64, 3)), (5, (48, 64, 3)), (8, (48, 64, 3))]
    values = [int(img[0, 0, 0]) for _, img in iter_frames(info, FrameRange(0, None, 4))]
    assert values == pytest.approx([0, 80, 160], abs=6)   # real decoded content, in order


def test_image_is_one_frame(tmp_path):
    path = tmp_path / "still.png"
    cv2.imwrite(str(path), np.zeros((30, 40, 3), np.uint8))
    info = probe(path)
    assert not info.is_video and info.frame_count == 1 and info.fps == 0.0
    frames = list(iter_frames(info, FrameRange()))
    assert len(frames) == 1 and frames[0][1].shape == (30, 40, 3)


@pytest.mark.parametrize("name,content,message", [
    ("missing.mp4", None, "does not exist"),
    ("empty.mp4", b"", "empty"),
    ("text.mp4", b"this is not a video\n" * 50, "cannot be opened|no decodable"),
    ("notes.txt", b"hello", "unsupported file type"),
    ("broken.png", b"\x89PNG garbage", "not a readable image"),
])
def test_bad_inputs_raise_clear_errors(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        probe(path)


def test_truncated_video_is_an_error_or_stops_early(tmp_path):
    good = tmp_path / "good.mp4"
    _write_video(good, frames=30, size=(160, 120))
    data = good.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 3])
    try:
        info = probe(cut)
    except InputError:
        return  # unreadable: a clear error is right
    frames = list(iter_frames(info, FrameRange()))
    assert len(frames) < 30
