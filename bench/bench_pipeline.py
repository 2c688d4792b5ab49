"""End-to-end speed and memory of the capture core. Prints figures; never pass/fail.

    .venv/bin/python bench/bench_pipeline.py [--clip tests/media/CLIP.mp4] [--memory]

Speed: frames/s end to end and the share of time per stage for each clip given
(default: every clip in tests/media), each looped (forwards then backwards, so the
motion stays continuous) to --frames frames so that start-up (model loading, the
first frame's full tile search) does not dominate; plus the landmark models' own
throughput on the same frames, measured in the same run.
Memory (--memory): peak resident memory of a 5-minute clip against a 10-second clip
(both made by looping the clip's frames at 5 frames/s), each in a fresh process.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2

from wholebody_core.media import FrameRange, iter_frames, probe
from wholebody_core.pipeline import CaptureOptions, run_capture

REPO = Path(__file__).resolve().parents[1]
MEDIA = REPO / "tests" / "media"


def _speed(clip: Path, threads: int, max_people: int) -> dict:
    options = CaptureOptions(num_threads=threads, max_people=max_people)
    started = time.perf_counter()
    result = run_capture(clip, options)
    wall = time.perf_counter() - started
    stages = result.stage_seconds
    total = sum(stages.values())
    overhead = stages["track"] + stages["depth"] + stages["solve"] + stages["filter"]
    return {
        "clip": clip.name,
        "frames": result.frames_processed,
        "people": result.capture.num_people,
        "size": f"{result.capture.image_size[0]}x{result.capture.image_size[1]}",
        "fps_end_to_end": result.frames_processed / wall,
        "stage_share": {k: v / total for k, v in stages.items()},
        "solve_track_write_share": overhead / total,
        "landmark_fps_alone": result.frames_processed / stages["landmarks"],
    }


def _model_throughput(clip: Path, threads: int, max_people: int) -> float:
    """The landmark backend alone on the clip's frames (decoded beforehand)."""
    from wholebody_core.landmarks.backend import LandmarkOptions
    from wholebody_core.models import create_landmark_backend

    frames = [img for _, img in iter_frames(probe(clip), FrameRange())]
    # as the pipeline runs a video: no re-crop test, no search behind kept heads (stills only)
    backend = create_landmark_backend("mediapipe-tflite", LandmarkOptions(num_threads=threads,
                                                                          max_people=max_people,
                                                                          recrop_test=False))
    previous = None
    started = time.perf_counter()
    for image in frames:
        previous = backend.process_frame(image, previous)
    return len(frames) / (time.perf_counter() - started)


def _looped_clip(clip: Path, seconds: float, fps: float, out: Path) -> Path:
    frames = [cv2.cvtColor(img, cv2.COLOR_RGB2BGR) for _, img in iter_frames(probe(clip), FrameRange())]
    frames = frames + frames[::-1]  # ping-pong so the motion stays continuous
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for i in range(int(seconds * fps)):
        writer.write(frames[i % len(frames)])
    writer.release()
    return out


def _peak_memory_mb(clip: Path) -> tuple[float, float]:
    code = (
        "import resource, sys, time; from wholebody_core.pipeline import CaptureOptions, run_capture;"
        "t = time.perf_counter(); r = run_capture(sys.argv[1], CaptureOptions(smoothing=0.5));"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(clip)], capture_output=True, text=True, check=True)
    peak, seconds = out.stdout.split()
    return float(peak), float(seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, nargs="*", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-people", type=int, default=CaptureOptions().max_people,
                        help="most people per frame, as the CLI's option (e.g. 5 on the crowd clip)")
    parser.add_argument("--frames", type=int, default=300, help="frames per speed run (clips are looped)")
    parser.add_argument("--memory", action="store_true", help="also measure peak memory, 5 min vs 10 s")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    clips = args.clip or sorted(MEDIA.glob("*.mp4"))
    rows = []
    for clip in clips:
        with tempfile.TemporaryDirectory() as tmp:
            info = probe(clip)
            looped = _looped_clip(clip, args.frames / info.fps, info.fps, Path(tmp) / clip.name)
            row = _speed(looped, args.threads, args.max_people)
            row["landmark_models_fps_same_run"] = _model_throughput(looped, args.threads, args.max_people)
        rows.append(row)
        if not args.json:
            shares = "  ".join(f"{k} {v:5.1%}" for k, v in row["stage_share"].items())
            print(f"{row['clip']:28s} {row['size']}  {row['people']} people  {row['frames']} frames  "
                  f"{row['fps_end_to_end']:5.1f} frames/s end to end  "
                  f"(landmark models alone {row['landmark_models_fps_same_run']:5.1f} frames/s)\n"
                  f"    stage share: {shares}\n"
                  f"    solve+track+depth+filter overhead: {row['solve_track_write_share']:.1%} of the total")
    if args.memory:
        with tempfile.TemporaryDirectory() as tmp:
            source = clips[0]
            short = _looped_clip(source, 10, 5.0, Path(tmp) / "short.mp4")
            long = _looped_clip(source, 300, 5.0, Path(tmp) / "long.mp4")
            short_mb, short_s = _peak_memory_mb(short)
            long_mb, long_s = _peak_memory_mb(long)
        mem = {"peak_mb_10s": short_mb, "peak_mb_5min": long_mb, "ratio": long_mb / short_mb,
               "seconds_10s": short_s, "seconds_5min": long_s}
        rows.append(mem)
        if not args.json:
            print(f"peak memory: 10 s clip {short_mb:.0f} MB, 5 min clip {long_mb:.0f} MB "
                  f"(ratio {long_mb / short_mb:.2f}); run times {short_s:.0f} s and {long_s:.0f} s")
    if args.json:
        print(json.dumps(rows, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
