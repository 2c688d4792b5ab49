"""The command line against a hostile user: bad option values, odd and broken media,
outputs that must not or cannot be written, signals, and seeded byte mutants.

Every case checks the documented contract: exit 0 or 2 (never 1, never a traceback),
a message naming the problem, nothing left in the output folder but a finished
capture, and the user's input byte-identical. Most cases call ``cli.main`` in this
process (fast); signals and the mutants (whose decoding might crash or hang) run in
child processes. More mutants: ``WHOLEBODY_FUZZ_CASES=500 pytest tests/core/test_cli_hostile.py``.
"""
from __future__ import annotations

import dataclasses
import errno
import json
import os
import random
import re
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from bench.fuzz_media import mutate
from wholebody_core import cli
from wholebody_core.capture_format import read_capture
from wholebody_core.errors import InputError
from wholebody_core.media import FrameRange, MediaInfo
from wholebody_core.pipeline import CaptureOptions, resolve_focal

REPO = Path(__file__).resolve().parents[2]
MEDIA = REPO / "tests" / "media"
IMAGE = MEDIA / "pose_walking.jpg"
CLIP = MEDIA / "clip_walk_across.mp4"
FAST = ("--no-hands", "--no-face", "--end", "2")
FUZZ_CASES = int(os.environ.get("WHOLEBODY_FUZZ_CASES", "24"))


@dataclasses.dataclass
class Run:
    exit_code: int
    stderr: str


def run_main(capfd, *args) -> Run:
    """``cli.main`` in this process; a usage error's SystemExit counts as its exit code."""
    try:
        code = cli.main([str(a) for a in args])
    except SystemExit as exit_request:
        code = exit_request.code
    return Run(code, capfd.readouterr().err)


def user_file(folder: Path, source: Path, name: str | None = None) -> tuple[Path, bytes]:
    """A copy of ``source`` in ``folder`` (the user's file) and its bytes."""
    path = folder / (name or source.name)
    data = source.read_bytes()
    path.write_bytes(data)
    return path, data


def assert_refused(run: Run, pattern: str, folder: Path, keep: set[str]) -> None:
    """Exit 2 with a message matching ``pattern``, no traceback, and only ``keep`` in ``folder``."""
    assert run.exit_code == 2, run.stderr
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    assert re.search(pattern, run.stderr), run.stderr
    assert {p.name for p in folder.iterdir()} == keep


# ---------------------------------------------------------------- option values

BAD_OPTIONS = [
    (("--stride", "0"), "--stride"), (("--stride", "-2"), "--stride"), (("--stride", "1.5"), "--stride"),
    (("--start", "-1"), "--start"), (("--end", "0"), "--end"), (("--start", "5", "--end", "5"), "--end"),
    (("--start", "9", "--end", "3"), "--end"), (("--max-people", "0"), "--max-people"),
    (("--max-people", "-3"), "--max-people"), (("--threads", "0"), "--threads"),
    (("--threads", "100000"), "--threads"), (("--smoothing", "-0.1"), "--smoothing"),
    (("--smoothing", "1.01"), "--smoothing"), (("--smoothing", "nan"), "--smoothing"),
    (("--focal", "nan"), "--focal"), (("--focal", "inf"), "--focal"), (("--focal", "-inf"), "--focal"),
    (("--focal", "0"), "--focal"), (("--focal", "-500"), "--focal"), (("--focal", "1e400"), "--focal"),
    (("--focal", "1e-300"), "--focal"), (("--focal", "abc"), "--focal"),
    (("--focal-mm", "nan", "--sensor-mm", "36"), "--focal-mm"),
    (("--focal-mm", "50", "--sensor-mm", "inf"), "--sensor-mm"),
    (("--focal-mm", "0", "--sensor-mm", "36"), "--focal-mm"),
    (("--focal-mm", "50"), "--sensor-mm"), (("--sensor-mm", "36"), "--focal-mm"),
    (("--focal", "800", "--focal-mm", "50", "--sensor-mm", "36"), "--focal"),
    (("--device", "tpu"), "--device"),
]


@pytest.mark.parametrize("options,named", BAD_OPTIONS, ids=[" ".join(o) for o, _ in BAD_OPTIONS])
def test_bad_option_values_exit_2_naming_the_option(tmp_path, capfd, options, named):
    image, data = user_file(tmp_path, IMAGE)
    run = run_main(capfd, image, "-o", tmp_path / "out.capture.npz", "--no-hands", "--no-face", *options)
    assert_refused(run, "error:", tmp_path, {image.name})
    error_line = [line for line in run.stderr.splitlines() if "error:" in line][-1]
    assert named in error_line, run.stderr
    assert image.read_bytes() == data


def test_option_ranges_are_stated_in_the_message(tmp_path, capfd):
    run = run_main(capfd, IMAGE, "-o", tmp_path / "o.capture.npz", "--smoothing", "2")
    assert run.exit_code == 2 and "from 0 to 1" in run.stderr
    run = run_main(capfd, IMAGE, "-o", tmp_path / "o.capture.npz", "--threads", "0")
    assert run.exit_code == 2 and f"from 1 to {cli.MAX_THREADS}" in run.stderr


def test_usage_error_is_an_error_record_in_json_mode(tmp_path, capfd):
    code = cli.main([str(IMAGE), "-o", str(tmp_path / "o.capture.npz"), "--json-progress", "--stride", "0"])
    record = json.loads(capfd.readouterr().out.splitlines()[-1])
    assert code == 2 and record["event"] == "error" and record["exit_code"] == 2
    assert "--stride" in record["message"] and "at least 1" in record["message"]


@pytest.mark.parametrize("frame_range,message", [
    ((0, None, 0), "--stride"), ((-1, None, 1), "--start"), ((4, 4, 1), "--end")])
def test_frame_range_validates_without_the_cli(frame_range, message):
    with pytest.raises(InputError, match=message):
        FrameRange(*frame_range)


@pytest.mark.parametrize("focal", [
    {"focal_px": float("nan")}, {"focal_px": float("inf")}, {"focal_mm": float("nan"), "sensor_mm": 36.0},
    {"focal_mm": 50.0, "sensor_mm": float("inf")}, {"focal_mm": 50.0}])
def test_focal_options_validate_without_the_cli(focal):
    info = MediaInfo(IMAGE, False, 640, 480, 0.0, 1)
    with pytest.raises(InputError, match="--focal"):
        resolve_focal(info, CaptureOptions(**focal))


# ---------------------------------------------------------------- the output path

@pytest.mark.parametrize("how", ["same path", "symlink", "hard link", "dot-dot"])
@pytest.mark.parametrize("overwrite", [True, False])
def test_output_that_is_the_input_is_refused(tmp_path, capfd, how, overwrite):
    image, data = user_file(tmp_path, IMAGE, "walk.jpg")
    (tmp_path / "sub").mkdir()
    output = {"same path": image, "symlink": tmp_path / "link.capture.npz",
              "hard link": tmp_path / "hard.jpg", "dot-dot": tmp_path / "sub" / ".." / "walk.jpg"}[how]
    if how == "symlink":
        output.symlink_to(image)
    elif how == "hard link":
        os.link(image, output)
    before = {p.name for p in tmp_path.iterdir()}
    run = run_main(capfd, image, "-o", output, *FAST, *(["--overwrite"] if overwrite else []))
    assert_refused(run, "is the input file itself", tmp_path, before)
    assert image.read_bytes() == data and not image.is_symlink()


def test_output_whose_parent_is_a_file_says_so(tmp_path, capfd):
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    for output in (tmp_path / "notes.txt" / "o.capture.npz", tmp_path / "notes.txt" / "a" / "b" / "o.capture.npz"):
        run = run_main(capfd, IMAGE, "-o", output, *FAST)
        assert_refused(run, r"notes\.txt is a file, not a folder", tmp_path, {"notes.txt"})


@pytest.mark.parametrize("folder", ["/proc", "/sys"])
def test_special_folder_that_refuses_files_exits_2_naming_it(capfd, folder):
    if not Path(folder).is_dir():
        pytest.skip(f"no {folder} here")
    output = Path(folder) / "wholebody-test.capture.npz"
    run = run_main(capfd, IMAGE, "-o", output, *FAST)
    assert run.exit_code == 2 and f"folder {folder}" in run.stderr and "Traceback" not in run.stderr, run.stderr
    assert not output.exists()


def test_output_that_is_not_a_regular_file_is_refused(tmp_path, capfd):
    pipe = tmp_path / "pipe.capture.npz"
    os.mkfifo(pipe)
    run = run_main(capfd, IMAGE, "-o", pipe, *FAST, "--overwrite")
    assert_refused(run, "not a regular file", tmp_path, {pipe.name})
    assert pipe.is_fifo()


def test_output_name_too_long_for_the_file_system(tmp_path, capfd):
    run = run_main(capfd, IMAGE, "-o", tmp_path / ("x" * 240 + ".capture.npz"), *FAST)
    assert_refused(run, "too long", tmp_path, set())


def test_unwritable_folder_is_found_before_the_work(tmp_path, capfd, monkeypatch):
    """A folder that passes the permission bits but refuses new files (read-only mount)."""
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    def no_work(*args, **kwargs):
        raise AssertionError("the capture ran although its output cannot be written")

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    monkeypatch.setattr(cli, "run_capture", no_work)
    run = run_main(capfd, IMAGE, "-o", tmp_path / "o.capture.npz", *FAST)
    assert_refused(run, f"folder {re.escape(str(tmp_path))}.*read-only", tmp_path, set())


@pytest.mark.parametrize("failing,code,reason", [
    ("fsync", errno.ENOSPC, "disk is full"), ("replace", errno.EROFS, "read-only"),
    ("replace", errno.EXDEV, "link"),
])
def test_write_failure_at_the_end_exits_2_and_leaves_nothing(tmp_path, capfd, monkeypatch, failing, code, reason):
    image, data = user_file(tmp_path, IMAGE)

    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, failing, fail)
    run = run_main(capfd, image, "-o", tmp_path / "o.capture.npz", *FAST)
    assert_refused(run, f"folder {re.escape(str(tmp_path))}.*{reason}", tmp_path, {image.name})
    assert image.read_bytes() == data


def test_paths_with_spaces_and_non_ascii_characters(tmp_path, capfd):
    folder = tmp_path / "mes vidéos – 動画"
    folder.mkdir()
    image, data = user_file(folder, IMAGE, "prise n°1 ü.jpg")
    clip, _ = user_file(folder, CLIP, "clip ☃.mp4")
    assert run_main(capfd, image, *FAST).exit_code == 0     # default output: next to the input
    assert run_main(capfd, clip, "-o", folder / "sortie ü.capture.npz", *FAST).exit_code == 0
    assert {p.name for p in folder.iterdir()} == {
        image.name, clip.name, "prise n°1 ü.capture.npz", "sortie ü.capture.npz"}
    assert read_capture(folder / "sortie ü.capture.npz").num_frames == 2 and image.read_bytes() == data


# ---------------------------------------------------------------- odd and broken inputs

def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` but whose data is a few bytes."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def _jpeg_claiming(width: int, height: int) -> bytes:
    """The test image with its frame header (SOF0) claiming ``width`` x ``height``."""
    data = bytearray(IMAGE.read_bytes())
    sof = data.find(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _rgb():
    return cv2.cvtColor(cv2.imread(str(IMAGE)), cv2.COLOR_BGR2RGB)


def _corrupt_middle(data: bytes) -> bytes:
    middle = bytearray(data)
    start, end = len(data) // 3, 2 * len(data) // 3
    middle[start:end] = random.Random(3).randbytes(end - start)
    return bytes(middle)


GOOD_ODD_IMAGES = {   # decodable images a user expects to work
    "one_pixel.png": lambda p: cv2.imwrite(str(p), np.zeros((1, 1, 3), np.uint8)),
    "gray.png": lambda p: Image.fromarray(_rgb()).convert("L").save(p),
    "gray.jpg": lambda p: Image.fromarray(_rgb()).convert("L").save(p),
    "rgba.png": lambda p: Image.fromarray(np.dstack([_rgb(), np.full(_rgb().shape[:2], 90, np.uint8)])).save(p),
    "sixteen_bit.png": lambda p: cv2.imwrite(str(p), cv2.imread(str(IMAGE)).astype(np.uint16) * 257),
    "cmyk.jpg": lambda p: Image.fromarray(_rgb()).convert("CMYK").save(p),
    "palette.png": lambda p: Image.fromarray(_rgb()).convert("P").save(p),
    "one_bit.png": lambda p: Image.fromarray(_rgb()).convert("1").save(p),
    "float.tif": lambda p: cv2.imwrite(str(p), cv2.imread(str(IMAGE)).astype(np.float32) / 255),
}


@pytest.mark.parametrize("name", sorted(GOOD_ODD_IMAGES))
def test_odd_but_valid_images_work(tmp_path, capfd, name):
    path = tmp_path / name
    GOOD_ODD_IMAGES[name](path)
    data = path.read_bytes()
    run = run_main(capfd, path, "-o", tmp_path / "o.capture.npz", *FAST)
    assert run.exit_code == 0, run.stderr
    assert re.search(r"captured \d+ (person|people)|nobody was found", run.stderr), run.stderr
    assert {p.name for p in tmp_path.iterdir()} == {name, "o.capture.npz"} and path.read_bytes() == data
    assert read_capture(tmp_path / "o.capture.npz").num_frames == 1


BROKEN_INPUTS = {   # name -> (bytes maker, exit codes a user can accept, message when refused)
    "empty.jpg": (lambda: b"", {2}, "empty"),
    "empty.mp4": (lambda: b"", {2}, "empty"),
    "text.jpg": (lambda: b"just some notes\n" * 20, {2}, "not a readable image"),
    "text.mp4": (lambda: b"just some notes\n" * 20, {2}, "cannot be opened|no decodable"),
    "truncated.jpg": (lambda: IMAGE.read_bytes()[:30000], {0, 2}, "not a readable image"),
    "truncated.png": (lambda: (MEDIA / "single_person.png").read_bytes()[:50000], {0, 2}, "not a readable image"),
    "header_only.png": (lambda: IMAGE.read_bytes()[:200], {2}, "not a readable image"),
    "truncated.mp4": (lambda: CLIP.read_bytes()[:len(CLIP.read_bytes()) // 3], {0, 2}, "no decodable|cannot be"),
    "corrupt_middle.mp4": (lambda: _corrupt_middle(CLIP.read_bytes()), {0, 2}, "no decodable|cannot be"),
    "huge_claim.png": (lambda: _png_header_only(30000, 30000), {2}, "megapixels"),
    "huge_claim.jpg": (lambda: _jpeg_claiming(60000, 60000), {2}, "megapixels"),
    "long_strip.png": (lambda: cv2.imencode(".png", np.zeros((20, 4000, 3), np.uint8))[1].tobytes(), {2}, "10:1"),
    "jpeg_named.mp4": (lambda: IMAGE.read_bytes(), {0, 2}, "cannot be opened|no decodable"),
    "clip_named.jpg": (lambda: CLIP.read_bytes(), {2}, "not a readable image"),
}


@pytest.mark.parametrize("name", sorted(BROKEN_INPUTS))
def test_broken_inputs_exit_0_or_2_with_a_message(tmp_path, capfd, name):
    make, codes, message = BROKEN_INPUTS[name]
    path = tmp_path / name
    data = make()
    path.write_bytes(data)
    run = run_main(capfd, path, "-o", tmp_path / "o.capture.npz", *FAST)
    assert run.exit_code in codes and "Traceback" not in run.stderr, run.stderr
    left = {p.name for p in tmp_path.iterdir()}
    if run.exit_code == 2:
        assert re.search(message, run.stderr) and left == {name}, run.stderr
    else:
        assert left == {name, "o.capture.npz"}
    assert path.read_bytes() == data


@pytest.mark.parametrize("make,message", [
    (lambda folder: folder / "missing.jpg", "does not exist"),
    (lambda folder: folder, "is a folder"),
    (lambda folder: folder / ("y" * 300 + ".jpg"), "cannot be read|does not exist"),
    (lambda folder: (folder / "loop.jpg").symlink_to(folder / "loop.jpg") or folder / "loop.jpg",
     "does not exist|cannot be read"),
    (lambda folder: os.mkfifo(folder / "fifo.mp4") or folder / "fifo.mp4", "not a regular file"),
    (lambda folder: (folder / "file.jpg").write_bytes(b"x") or folder / "file.jpg" / "below.jpg",
     "does not exist"),
], ids=["missing", "folder", "name too long", "symlink loop", "fifo", "below a file"])
def test_bad_input_paths(tmp_path, capfd, make, message):
    run = run_main(capfd, make(tmp_path), "-o", tmp_path / "o.capture.npz", *FAST)
    assert run.exit_code == 2 and re.search(message, run.stderr) and "Traceback" not in run.stderr, run.stderr
    assert not (tmp_path / "o.capture.npz").exists()


# ---------------------------------------------------------------- signals

@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> Path:
    """The walking clip four times over (120 frames): long enough to be interrupted."""
    path = tmp_path_factory.mktemp("long") / "long clip.mp4"
    reader = cv2.VideoCapture(str(CLIP))
    frames = []
    while True:
        ok, frame = reader.read()
        if not ok:
            break
        frames.append(frame)
    reader.release()
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, frames[0].shape[1::-1])
    for frame in frames * 4:
        writer.write(frame)
    writer.release()
    return path


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_during_a_run_exits_130_and_writes_nothing(tmp_path, long_clip, signum):
    output = tmp_path / "o.capture.npz"
    data = long_clip.read_bytes()
    process = subprocess.Popen(
        [sys.executable, "-m", "wholebody_core", str(long_clip), "-o", str(output), "--json-progress",
         "--threads", "1"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in process.stdout:   # the first progress record: the run is under way
            if json.loads(line)["event"] == "progress":
                break
        process.send_signal(signum)
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    assert "Traceback" not in err and json.loads(out.splitlines()[-1])["exit_code"] == 130
    assert list(tmp_path.iterdir()) == [] and long_clip.read_bytes() == data


def test_main_restores_the_signal_handlers(tmp_path, capfd):
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    run_main(capfd, tmp_path / "missing.jpg")
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


# ---------------------------------------------------------------- seeded byte mutants

def test_byte_mutants_never_crash_or_leave_files(tmp_path):
    """Mutants of a real image and a real clip, run in a child process (a decoder crash or
    hang must not take pytest with it): exit 0 or 2, no traceback, a clean folder."""
    rng = random.Random(20261129)
    seeds = [(IMAGE, IMAGE.read_bytes()), (CLIP, CLIP.read_bytes())]
    cases, expected = [], []
    for index in range(FUZZ_CASES):
        source, data = seeds[index % 2]
        folder = tmp_path / f"case{index:04d}"
        folder.mkdir()
        mutant = mutate(data, rng, seeds[(index + 1) % 2][1])
        path = folder / f"mutant{source.suffix}"
        path.write_bytes(mutant)
        cases.append([str(path), "-o", str(folder / "o.capture.npz"), *FAST])
        expected.append((folder, path, mutant))
    case_file = tmp_path / "cases.json"
    case_file.write_text(json.dumps(cases))
    results, started = {}, -1
    runner = subprocess.Popen([sys.executable, str(REPO / "tests" / "core" / "cli_case_runner.py"), str(case_file)],
                              cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60 + 10 * FUZZ_CASES
    try:
        out, _ = runner.communicate(timeout=max(deadline - time.monotonic(), 1))
    except subprocess.TimeoutExpired:
        runner.kill()
        out, _ = runner.communicate()
    for line in out.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if "started" in record:
            started = record["started"]
        else:
            results[record["case"]] = record
    assert len(results) == FUZZ_CASES, (
        f"the runner stopped (exit status {runner.returncode}) in case {started}: {cases[started]}\n{out[-3000:]}")
    for index, (folder, path, mutant) in enumerate(expected):
        record = results[index]
        context = f"case {index} ({path.name}): {record['stderr'][-1500:]}"
        assert record["exit_code"] in (0, 2), context
        assert "Traceback" not in record["stderr"], context
        left = {p.name for p in folder.iterdir()}
        assert left == ({path.name, "o.capture.npz"} if record["exit_code"] == 0 else {path.name}), context
        if record["exit_code"] == 2:
            assert "error:" in record["stderr"], context
        assert path.read_bytes() == mutant, context

