"""Speed of the landmark stage (detector, pose, hands, face, iris) per frame.

    .venv/bin/python bench/bench_landmarks.py [--image tests/media/single_person.png]
        [--frames 40] [--threads 2] [--detect-every 1] [--tiles-per-pass 1]

Feeds the same image as a video (each frame gets the previous frame's result, as
the pipeline does) and prints the mean milliseconds per stage and frames/s after a
warm-up, plus the bare model invocation times. Not a test: figures only.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np

from wholebody_core.landmarks.backend import LandmarkOptions
from wholebody_core.models import create_landmark_backend
from wholebody_core.models.assets import model_path
from wholebody_core.models.tflite_runner import TfliteModel

STAGES = ("detector", "pose", "hands", "face", "iris")


def bare_model_ms(threads: int, repeats: int = 20) -> dict[str, float]:
    out = {}
    for name in ("pose_detection", "pose_landmark_full", "hand_recrop", "hand_landmark_full",
                 "face_landmark", "iris_landmark"):
        model = TfliteModel(model_path(name), threads)
        x = np.random.default_rng(0).random(model.input_shape, dtype=np.float32)
        for _ in range(3):
            model.run(x)
        t0 = time.perf_counter()
        for _ in range(repeats):
            model.run(x)
        out[name] = (time.perf_counter() - t0) / repeats * 1e3
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", default="tests/media/single_person.png")
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--detect-every", type=int, default=LandmarkOptions.detect_every)
    parser.add_argument("--tiles-per-pass", type=int, default=LandmarkOptions.tiles_per_pass)
    parser.add_argument("--size", default="640x480", help="resize the image to WxH first")
    args = parser.parse_args()

    image_bgr = cv2.imread(str(Path(args.image)))
    if image_bgr is None:
        raise SystemExit(f"cannot read {args.image}")
    w, h = (int(v) for v in args.size.split("x"))
    image = cv2.cvtColor(cv2.resize(image_bgr, (w, h)), cv2.COLOR_BGR2RGB)

    options = LandmarkOptions(num_threads=args.threads, detect_every=args.detect_every,
                              tiles_per_pass=args.tiles_per_pass)
    backend = create_landmark_backend("mediapipe-tflite", options)
    t0 = time.perf_counter()
    previous = backend.process_frame(image, None)
    first_ms = (time.perf_counter() - t0) * 1e3
    print(f"image {args.image} at {w}x{h}, threads {args.threads}, detect_every {args.detect_every}, "
          f"tiles_per_pass {args.tiles_per_pass}")
    print(f"first frame (full frame + all tiles): {first_ms:.1f} ms, {len(previous)} people "
          f"({', '.join(f'{k} {v:.1f}' for k, v in backend.last_timings_ms.items())})")

    sums = dict.fromkeys(STAGES, 0.0)
    detector_runs = 0
    t_start = time.perf_counter()
    for _ in range(args.frames):
        previous = backend.process_frame(image, previous)
        for k in STAGES:
            sums[k] += backend.last_timings_ms.get(k, 0.0)
        detector_runs += backend.last_detector_ran
    total_ms = (time.perf_counter() - t_start) * 1e3 / args.frames
    people = len(previous)
    hands = sum((p.left_hand is not None) + (p.right_hand is not None) for p in previous)
    faces = sum(p.face is not None for p in previous)
    print(f"steady state over {args.frames} frames: {people} people, {hands} hands, {faces} faces, "
          f"detector ran on {detector_runs} frames")
    for k in STAGES:
        print(f"  {k:9s} {sums[k] / args.frames:7.1f} ms/frame")
    print(f"  {'total':9s} {total_ms:7.1f} ms/frame  ->  {1000.0 / total_ms:.1f} frames/s "
          f"(landmark stage alone)")
    print("bare model invocations (ms):")
    for name, ms in bare_model_ms(args.threads).items():
        print(f"  {name:20s} {ms:6.1f}")


if __name__ == "__main__":
    main()
