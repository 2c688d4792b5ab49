"""The focal length from the file's metadata (EXIF, QuickTime keys): the readers, the
conversion, and the CLI's precedence. Test videos are written by FFmpeg through PyAV,
a writer independent of our reader."""
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from wholebody_core.capture_format import read_capture
from wholebody_core.lens_metadata import QUICKTIME_FOCAL_KEY, _decode, focal_35mm_equivalent
from wholebody_core.maths.camera import focal_px_from_35mm_equivalent, focal_px_from_fov

REPO = Path(__file__).resolve().parents[2]


def _image(path: Path, focal_35mm=None, size=(300, 200)) -> Path:
    image = Image.fromarray(np.full((size[1], size[0], 3), 128, np.uint8))
    exif = Image.Exif()
    if focal_35mm is not None:
        exif.get_ifd(0x8769)[0xA405] = focal_35mm
        exif.get_ifd(0x8769)[0x920A] = 4.25           # the physical focal length: not used
    image.save(path, exif=exif)
    return path


def test_reads_the_35mm_equivalent_focal_length(tmp_path):
    assert focal_35mm_equivalent(_image(tmp_path / "phone.jpg", 26), is_video=False) == 26.0
    assert focal_35mm_equivalent(_image(tmp_path / "plain.jpg"), is_video=False) is None
    assert focal_35mm_equivalent(_image(tmp_path / "zero.jpg", 0), is_video=False) is None      # EXIF's "unknown"
    assert focal_35mm_equivalent(_image(tmp_path / "plain.png"), is_video=False) is None
    (tmp_path / "junk.jpg").write_bytes(b"\xff\xd8\xff\xe1 not really exif")
    assert focal_35mm_equivalent(tmp_path / "junk.jpg", is_video=False) is None


def _video(path: Path, metadata: dict[str, str] | None = None, frames: int = 3) -> Path:
    import av

    options = {"movflags": "use_metadata_tags"} if metadata else {}
    with av.open(str(path), "w", options=options) as container:
        container.metadata.update(metadata or {})
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for _ in range(frames):
            frame = av.VideoFrame.from_ndarray(np.full((240, 320, 3), 100, np.uint8), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


@pytest.mark.parametrize("suffix", [".mov", ".mp4"])
def test_reads_the_quicktime_focal_key_of_a_video(tmp_path, suffix):
    tagged = _video(tmp_path / f"phone{suffix}", {QUICKTIME_FOCAL_KEY: "26", "com.apple.quicktime.make": "Apple"})
    assert focal_35mm_equivalent(tagged, is_video=True) == 26.0
    assert focal_35mm_equivalent(_video(tmp_path / f"plain{suffix}"), is_video=True) is None
    assert focal_35mm_equivalent(_video(tmp_path / f"other{suffix}", {"com.apple.quicktime.make": "Apple"}), is_video=True) is None
    broken = tmp_path / f"broken{suffix}"
    broken.write_bytes(tagged.read_bytes()[:200])           # truncated inside the boxes
    assert focal_35mm_equivalent(broken, is_video=True) is None


def test_quicktime_data_types():
    assert _decode(1, b"26") == "26"
    assert _decode(21, (-3).to_bytes(2, "big", signed=True)) == -3
    assert _decode(22, (28).to_bytes(4, "big")) == 28
    assert _decode(23, np.float32(24.5).byteswap().tobytes()) == 24.5
    assert _decode(99, b"x") is None


def test_35mm_equivalence_is_on_the_diagonal():
    # a 3:2 image is a full-frame sensor scaled: 36 mm equivalent spans the width exactly
    assert focal_px_from_35mm_equivalent(36.0, 3000, 2000) == pytest.approx(3000.0)
    # 4:3 and portrait images: the same diagonal gives the same focal in pixels
    assert focal_px_from_35mm_equivalent(26.0, 4000, 3000) == pytest.approx(26.0 * 5000 / math.hypot(36, 24))
    assert focal_px_from_35mm_equivalent(26.0, 3000, 4000) == focal_px_from_35mm_equivalent(26.0, 4000, 3000)


def _capture(image: Path, out: Path, *extra: str) -> tuple[np.ndarray, dict]:
    result = subprocess.run([sys.executable, "-m", "wholebody_core", str(image), "-o", str(out),
                             "--json-progress", *extra], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr
    start = json.loads(result.stdout.splitlines()[0])
    assert start["event"] == "start"
    return read_capture(out).intrinsics, start


def test_the_cli_uses_exif_unless_the_user_gives_a_focal(tmp_path):
    image = _image(tmp_path / "phone.jpg", 26)
    expected = 26.0 * math.hypot(300, 200) / math.hypot(36, 24)
    intrinsics, start = _capture(image, tmp_path / "a.capture.npz")
    assert intrinsics[0, 0] == pytest.approx(expected) and intrinsics[1, 1] == pytest.approx(expected)
    assert start["focal_px"] == pytest.approx(expected) and "metadata" in start["focal_source"]
    intrinsics, start = _capture(image, tmp_path / "b.capture.npz", "--focal", "500")
    assert intrinsics[0, 0] == 500.0 and start["focal_source"] == "--focal"
    intrinsics, start = _capture(_image(tmp_path / "plain.jpg"), tmp_path / "c.capture.npz")
    assert intrinsics[0, 0] == pytest.approx(focal_px_from_fov(60.0, 300)) and "default" in start["focal_source"]


def test_the_cli_reads_a_phone_videos_focal(tmp_path):
    video = _video(tmp_path / "phone.mov", {QUICKTIME_FOCAL_KEY: "26"})
    intrinsics, start = _capture(video, tmp_path / "v.capture.npz")
    assert intrinsics[0, 0] == pytest.approx(26.0 * math.hypot(320, 240) / math.hypot(36, 24))
    assert "metadata" in start["focal_source"]
