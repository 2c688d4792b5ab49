"""Fuzzes the media front end (``media.probe`` + ``media.iter_frames``, lens metadata included)
with seeded byte mutants of real images and clips.

    .venv/bin/python -m bench.fuzz_media --seconds 60
    .venv/bin/python -m bench.fuzz_media --cases 500 --seed 7
    .venv/bin/python -m bench.fuzz_media --replay /tmp/fuzz_media_findings/crash-....mp4

Every case must either decode (frames out) or raise ``InputError``: anything else is a
finding -- another exception (a traceback the CLI would print as exit 1), a crash of
the decoding process (segfault, abort), a hang (``--timeout``) or a memory blow-up
(the worker runs under an address-space limit). The cases run in a worker process
that is restarted after a crash or hang; each finding's bytes are saved under
``--findings`` with the seed and case number that reproduce it. Exit status 1 when
anything was found. A benchmark, not a test: the CI's fixed set of mutants lives in
``tests/core/test_cli_hostile.py``.

Why not atheris: its coverage guidance sees only Python lines, while the decoders are
OpenCV/FFmpeg/libpng/libjpeg C code it cannot instrument here; a seeded mutation loop
with crash isolation finds the same classes of failure without a 35 MB dependency.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED_FILES = ("tests/media/pose_walking.jpg", "tests/media/clip_walk_across.mp4")
FRAMES_PER_CASE = 4            # decode at most this many frames of a video
WORKER_MEMORY_BYTES = 4 << 30  # address-space limit of the worker: a decompression bomb is a MemoryError
INTERESTING_VALUES = (0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)


# ---------------------------------------------------------------- mutations

def small_seed_files(folder: Path) -> list[Path]:
    """Tiny images and clips of several formats written with OpenCV (fast cases, many code paths)."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(0)
    image = (rng.random((24, 32, 3)) * 255).astype(np.uint8)
    paths = []
    for suffix in (".png", ".jpg", ".bmp", ".webp", ".tif"):
        path = folder / f"small{suffix}"
        if cv2.imwrite(str(path), image):
            paths.append(path)
    for suffix, fourcc in ((".mp4", "mp4v"), (".avi", "MJPG")):
        path = folder / f"small{suffix}"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 10.0, (32, 24))
        for i in range(6):
            writer.write(np.roll(image, i, axis=1))
        writer.release()
        if path.exists() and path.stat().st_size:
            paths.append(path)
    return paths


def mutate(data: bytes, rng: random.Random, donor: bytes, keep_length: bool = False) -> bytes:
    """1 to 8 random edits: bit flips, random or 'interesting' bytes and integers, deleted,
    duplicated or inserted runs, truncation, a splice from another seed, a wiped run.
    ``keep_length``: only the edits that overwrite bytes in place."""
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if not buffer:
            buffer.extend(rng.randbytes(rng.randint(1, 64)))
            continue
        at = rng.randrange(len(buffer))
        kind = rng.choice((0, 1, 2, 8)) if keep_length else rng.randrange(9)
        if kind == 0:
            buffer[at] ^= 1 << rng.randrange(8)
        elif kind == 1:
            buffer[at] = rng.randrange(256)
        elif kind == 2:
            width = rng.choice((1, 2, 4))
            value = rng.choice(INTERESTING_VALUES) & ((1 << (8 * width)) - 1)
            buffer[at:at + width] = value.to_bytes(width, rng.choice(("big", "little")))
        elif kind == 3:
            del buffer[at:at + rng.randint(1, 256)]
        elif kind == 4:
            run = buffer[at:at + rng.randint(1, 256)]
            buffer[at:at] = run
        elif kind == 5:
            buffer[at:at] = rng.randbytes(rng.randint(1, 64))
        elif kind == 6:
            del buffer[rng.randrange(1, len(buffer) + 1):]
        elif kind == 7 and donor:
            start = rng.randrange(len(donor))
            buffer[at:at + 512] = donor[start:start + rng.randint(1, 512)]
        else:   # a run of zeros or 0xFF: a wiped sector
            length = rng.randint(1, 4096)
            buffer[at:at + length] = bytes([rng.choice((0, 0xFF))]) * length
    if keep_length:
        buffer = buffer[:len(data)]
    return bytes(buffer)


def fix_png_crcs(data: bytes) -> bytes:
    """Recomputes the CRC of every complete PNG chunk, so that a mutant reaches the decoder
    instead of stopping at libpng's checksum test."""
    out = bytearray(data)
    position = 8
    while position + 12 <= len(out):
        (length,) = struct.unpack(">I", out[position:position + 4])
        end = position + 8 + length
        if end + 4 > len(out):
            break
        out[end:end + 4] = struct.pack(">I", zlib.crc32(out[position + 4:end]))
        position = end + 4
    return bytes(out)


def media_mutant(suffix: str, data: bytes, rng: random.Random, donor: bytes) -> bytes:
    """A mutant that often gets past the container: half the PNG mutants get valid chunk
    CRCs, half the MP4 mutants change only the frame data (``mdat``) in place."""
    if suffix == ".png" and rng.random() < 0.5:
        return fix_png_crcs(mutate(data, rng, donor))
    mdat = data.find(b"mdat")
    if suffix in (".mp4", ".mov", ".m4v") and mdat >= 4 and rng.random() < 0.5:
        (size,) = struct.unpack(">I", data[mdat - 4:mdat])
        start, end = mdat + 4, min(mdat - 4 + max(size, 8), len(data))
        return data[:start] + mutate(data[start:end], rng, donor, keep_length=True) + data[end:]
    return mutate(data, rng, donor)


# ---------------------------------------------------------------- worker (a child process)

def decode_case(path: Path) -> dict:
    """One case: probe and decode a few frames; InputError is the expected failure."""
    from wholebody_core.errors import InputError
    from wholebody_core.media import FrameRange, iter_frames, probe

    try:
        info = probe(path)
        frames = sum(1 for _ in iter_frames(info, FrameRange(0, FRAMES_PER_CASE)))
        return {"outcome": "decoded", "frames": frames}
    except InputError as error:
        return {"outcome": "input_error", "message": str(error)}
    except Exception as error:   # a finding: the CLI would print a traceback and exit 1
        import traceback
        return {"outcome": "exception", "message": f"{type(error).__name__}: {error}",
                "traceback": traceback.format_exc()}


def worker_main() -> None:
    """Reads one case path per stdin line, answers one JSON line per case on stdout."""
    import faulthandler
    import logging
    import resource

    import cv2

    faulthandler.enable()
    logging.disable(logging.WARNING)   # the decoders' warnings are expected on corrupt input
    cv2.setNumThreads(1)
    resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))
    for line in sys.stdin:
        result = decode_case(Path(line.strip()))
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


# ---------------------------------------------------------------- driver

@dataclasses.dataclass
class Worker:
    process: subprocess.Popen

    @classmethod
    def start(cls, log_file) -> "Worker":
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.fuzz_media", "--worker"], cwd=REPO, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log_file,
            env={**os.environ, "PYTHONPATH": str(REPO)})
        return cls(process)

    def run(self, path: Path, timeout_s: float) -> dict:
        """The worker's answer, or {"outcome": "crash" | "hang"}."""
        import selectors

        self.process.stdin.write(f"{path}\n")
        self.process.stdin.flush()
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            if not selector.select(timeout_s):
                self.stop()
                return {"outcome": "hang", "message": f"no answer within {timeout_s:g} s"}
        line = self.process.stdout.readline()
        if not line:
            code = self.process.wait()
            return {"outcome": "crash", "message": f"the decoding process died (exit status {code})"}
        return json.loads(line)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def fuzz(seconds: float, max_cases: int | None, seed: int, findings: Path, timeout_s: float,
         seed_paths: list[Path]) -> int:
    rng = random.Random(seed)
    seeds = [(p.suffix, p.read_bytes()) for p in seed_paths]
    findings.mkdir(parents=True, exist_ok=True)
    counts: dict[tuple[str, str], int] = {}   # (suffix, outcome) -> cases
    found = []
    with tempfile.TemporaryDirectory(prefix="fuzz_media_", dir="/dev/shm" if Path("/dev/shm").is_dir() else None) \
            as scratch, open(findings / "worker-stderr.log", "w") as worker_log:
        worker = Worker.start(worker_log)
        started = time.monotonic()
        case = 0
        try:
            while time.monotonic() - started < seconds and (max_cases is None or case < max_cases):
                suffix, data = seeds[case % len(seeds)]
                mutant = media_mutant(suffix, data, rng, rng.choice(seeds)[1])
                path = Path(scratch) / f"case{suffix}"
                path.write_bytes(mutant)
                result = worker.run(path, timeout_s)
                outcome = result["outcome"]
                counts[suffix, outcome] = counts.get((suffix, outcome), 0) + 1
                if outcome in ("exception", "crash", "hang"):
                    saved = findings / f"{outcome}-seed{seed}-case{case}{suffix}"
                    saved.write_bytes(mutant)
                    found.append((saved, result))
                    print(f"FINDING {outcome}: {result.get('message')} -> {saved}", flush=True)
                    if outcome != "exception":
                        worker = Worker.start(worker_log)
                case += 1
        finally:
            worker.stop()
        elapsed = time.monotonic() - started
    print(f"{case} cases in {elapsed:.0f} s ({case / max(elapsed, 1e-9):.1f} cases/s), seed {seed}: "
          f"{len(found)} finding{'s' if len(found) != 1 else ''}" + (f" (saved in {findings})" if found else ""))
    for suffix in sorted({s for s, _ in counts}):
        print(f"  {suffix:6s}" + ", ".join(f"{outcome} {n}" for (s, outcome), n in sorted(counts.items())
                                          if s == suffix))
    for saved, result in found[:20]:
        print(f"  {saved.name}: {result.get('message')}")
    return 1 if found else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to fuzz (default 60)")
    parser.add_argument("--cases", type=int, default=None, help="stop after this many cases")
    parser.add_argument("--seed", type=int, default=0, help="the mutation seed (default 0)")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds before a case counts as a hang")
    parser.add_argument("--findings", type=Path, default=Path(tempfile.gettempdir()) / "fuzz_media_findings",
                        help="where the mutants that fail are saved")
    parser.add_argument("--real-only", action="store_true",
                        help=f"mutate only {' and '.join(SEED_FILES)} (not the tiny generated seeds too)")
    parser.add_argument("--replay", type=Path, help="decode one saved case in this process and print the result")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker_main()
        return 0
    if args.replay:
        result = decode_case(args.replay)
        print(json.dumps({k: v for k, v in result.items() if k != "traceback"}))
        print(result.get("traceback", ""), end="")
        return 0 if result["outcome"] in ("decoded", "input_error") else 1
    with tempfile.TemporaryDirectory(prefix="fuzz_media_seeds_") as seed_folder:
        seed_paths = [REPO / p for p in SEED_FILES]
        if not args.real_only:
            seed_paths += small_seed_files(Path(seed_folder))
        return fuzz(args.seconds, args.cases, args.seed, args.findings, args.timeout, seed_paths)


if __name__ == "__main__":
    sys.exit(main())
