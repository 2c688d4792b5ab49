"""Speed and person recall of the landmark stage. Figures only, never pass/fail.

    .venv/bin/python -m bench.bench_landmarks [--image tests/media/single_person.png]
        [--frames 40] [--threads 2] [--detect-every 1] [--tiles-per-pass 1]
    .venv/bin/python -m bench.bench_landmarks --recall [--crowds 4]

Speed: feeds a still repeated as a video, or a clip's frames in a loop (each frame
gets the previous frame's result, as the pipeline does) and prints the mean
milliseconds per stage
(detector, pose, hands, face, iris) and frames/s, plus bare model invocation times.
Recall: on every multi-person still in tests/media and on surveillance-style
crowds (7 walking people of ~40-150 px in 640 x 480, flat-shaded anny bodies drawn
here), the share of people found with their 12 main joints within 15 % of their
height on average (one result per person, Hungarian matching).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment

from wholebody_core.landmarks.backend import LandmarkOptions
from wholebody_core.models import create_landmark_backend
from wholebody_core.models.assets import model_path
from wholebody_core.models.tflite_runner import TfliteModel

REPO = Path(__file__).resolve().parents[1]
MEDIA = REPO / "tests" / "media"
STAGES = ("detector", "pose", "hands", "face", "iris")
# SMPL-X joint -> BlazePose landmark, the 12 main joints
MAIN = {"left_shoulder": 11, "right_shoulder": 12, "left_elbow": 13, "right_elbow": 14,
        "left_wrist": 15, "right_wrist": 16, "left_hip": 23, "right_hip": 24,
        "left_knee": 25, "right_knee": 26, "left_ankle": 27, "right_ankle": 28}


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


def read_frames(path: str, size: tuple[int, int]) -> list[np.ndarray]:
    """A still (one frame) or every frame of a short clip, RGB, resized to ``size``."""
    frames = []
    capture = cv2.VideoCapture(path)
    while True:
        ok, frame_bgr = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(cv2.resize(frame_bgr, size), cv2.COLOR_BGR2RGB))
    capture.release()
    if not frames:
        raise SystemExit(f"cannot read {path}")
    return frames


def speed(args) -> None:
    w, h = (int(v) for v in args.size.split("x"))
    frames = read_frames(str(Path(args.image)), (w, h))
    image = frames[0]
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
    for i in range(args.frames):
        previous = backend.process_frame(frames[(i + 1) % len(frames)], previous)
        for k in STAGES:
            sums[k] += backend.last_timings_ms.get(k, 0.0)
        detector_runs += backend.last_detector_ran
    total_ms = (time.perf_counter() - t_start) * 1e3 / args.frames
    hands = sum((p.left_hand is not None) + (p.right_hand is not None) for p in previous)
    faces = sum(p.face is not None for p in previous)
    print(f"steady state over {args.frames} frames: {len(previous)} people, {hands} hands, {faces} faces, "
          f"detector ran on {detector_runs} frames")
    for k in STAGES:
        print(f"  {k:9s} {sums[k] / args.frames:7.1f} ms/frame")
    print(f"  {'total':9s} {total_ms:7.1f} ms/frame  ->  {1000.0 / total_ms:.1f} frames/s (landmark stage alone)")
    print("bare model invocations (ms):")
    for name, ms in bare_model_ms(args.threads).items():
        print(f"  {name:20s} {ms:6.1f}")


# -- recall ---------------------------------------------------------------------
def match_people(people, joints_2d: np.ndarray, names: list[str], tolerance: float = 0.15):
    """people: PersonObservations; joints_2d (P, J, 2) -> (found, per-person mean error / height)."""
    gi = [names.index(n) for n in MAIN]
    bi = list(MAIN.values())
    if not people or len(joints_2d) == 0:
        return 0, []
    cost = np.zeros((len(joints_2d), len(people)))
    for a, g in enumerate(joints_2d):
        height = max(float(np.ptp(g[:, 1])), 1.0)
        for b, p in enumerate(people):
            cost[a, b] = np.linalg.norm(p.body_2d[bi, :2] - g[gi], axis=1).mean() / height
    rows, cols = linear_sum_assignment(cost)
    errors = [float(cost[r, c]) for r, c in zip(rows, cols) if cost[r, c] < tolerance]
    return len(errors), errors


def render_crowd(seed: int, n: int = 7, width: int = 640, height: int = 480, focal: float = 600.0):
    """A flat-shaded still of ``n`` walking anny bodies 6.5-17 m away (~40-150 px tall).

    Returns (RGB image, (n, J, 2) projected SMPL-X joints, joint names)."""
    from bench.media import anny_body as ab
    from bench.media.joint_map import SMPLX_NAMES

    rng = np.random.default_rng(seed)
    cam = np.array([0.0, -4.0, 1.0])  # world: z up; the camera looks along +y

    def project(p):
        q = p - cam
        return np.stack([focal * q[..., 0] / q[..., 1] + width / 2 - 0.5,
                         focal * -q[..., 2] / q[..., 1] + height / 2 - 0.5], -1), q[..., 1]

    image = np.zeros((height, width, 3), np.float32)
    image[:] = (90, 110, 100)
    image[int(height * 0.55):] = (70, 80, 90)
    tris = ab.triangles()
    bone_of_vertex = ab.dominant_bone_per_vertex()
    labels = ab.bone_labels()
    colours = []
    for i in tris[:, 0]:
        label = labels[bone_of_vertex[i]]
        if any(k in label for k in ("head", "neck", "jaw", "eye", "finger", "wrist", "hand", "lowerarm", "metacarp")):
            colours.append((200, 160, 130))
        elif any(k in label for k in ("upperleg", "lowerleg", "pelvis", "root")):
            colours.append((50, 60, 120))
        elif any(k in label for k in ("foot", "toe")):
            colours.append((30, 30, 30))
        else:
            colours.append((180, 40, 40))
    colours = np.asarray(colours, np.float32)
    xs = np.linspace(-0.42, 0.42, n) + rng.uniform(-0.03, 0.03, n)
    light = np.array([0.3, -0.8, 0.5]) / np.linalg.norm([0.3, -0.8, 0.5])
    faces, joints = [], []
    phenotypes = (ab.ADULT_MALE, ab.ADULT_FEMALE, ab.CHILD)
    for i in range(n):
        dist = rng.uniform(6.5, 17.0)
        x = xs[i] * dist * (width / focal)
        yaw = float(rng.choice([0.0, 30.0, -40.0, 90.0, -90.0, 150.0, 180.0]))
        body = ab.posed_body(phenotypes[i % 3], ab.walk_pose(rng.uniform()), yaw, (x, dist - 4.0))
        v = body.vertices
        uv, depth = project(v)
        normal = np.cross(v[tris[:, 1]] - v[tris[:, 0]], v[tris[:, 2]] - v[tris[:, 0]])
        normal /= np.linalg.norm(normal, axis=1, keepdims=True) + 1e-12
        shade = np.clip(normal @ light, 0, 1) * 0.75 + 0.25
        faces += list(zip(depth[tris].mean(1), uv[tris], colours * shade[:, None]))
        joints.append(project(body.smplx_joints)[0])
    for _, pts, colour in sorted(faces, key=lambda f: -f[0]):  # painter's algorithm
        cv2.fillConvexPoly(image, np.round((pts + 0.5) * 16).astype(np.int32), colour.tolist(),
                           lineType=cv2.LINE_AA, shift=4)
    return cv2.GaussianBlur(image, (3, 3), 0.7).astype(np.uint8), np.stack(joints), list(SMPLX_NAMES)


def recall(args) -> None:
    backend = create_landmark_backend("mediapipe-tflite", LandmarkOptions(
        num_threads=args.threads, detector=args.detector, hands=False, face=False,
        tile_fractions=tuple(float(v) for v in args.tiles.split(",") if v)))
    print(f"detector {args.detector}, tiles {args.tiles or 'none'}; body landmarks only")
    cases = []
    for gt_path in sorted(MEDIA.glob("*.gt.npz")):
        gt = np.load(gt_path, allow_pickle=False)
        media = MEDIA / str(gt["media"])
        if media.suffix.lower() not in (".png", ".jpg", ".jpeg") or int(gt["num_people"]) < 2:
            continue
        image = cv2.cvtColor(cv2.imread(str(media)), cv2.COLOR_BGR2RGB)
        cases.append((media.name, image, gt["joints_2d"][:, 0], [str(n) for n in gt["joint_names"]]))
    for seed in range(args.crowds):
        cases.append((f"crowd{seed} (drawn)", *render_crowd(seed)))
    total_found = total = 0
    print(f"{'scene':24s} found/people  heights (px)          mean joint error / height  ms")
    for name, image, joints_2d, names in cases:
        t0 = time.perf_counter()
        people = backend.process_frame(image, None)
        ms = (time.perf_counter() - t0) * 1e3
        found, errors = match_people(people, joints_2d, names)
        heights = [int(np.ptp(j[:, 1])) for j in joints_2d]
        total_found += found
        total += len(joints_2d)
        err = f"{np.mean(errors):.3f}" if errors else "-"
        print(f"{name:24s} {found:2d}/{len(joints_2d):<2d} ({len(people)} results)  "
              f"{str(sorted(heights)):22s} {err:>6s}  {ms:6.0f}")
    print(f"recall {total_found}/{total} = {total_found / max(total, 1):.2f} (stills, each on its own)")
    # clips, frame by frame with `previous` as the pipeline runs them
    for gt_path in sorted(MEDIA.glob("*.gt.npz")):
        gt = np.load(gt_path, allow_pickle=False)
        if float(gt["fps"]) <= 0:
            continue
        names = [str(n) for n in gt["joint_names"]]
        clip_backend = create_landmark_backend("mediapipe-tflite", LandmarkOptions(
            num_threads=args.threads, detector=args.detector, hands=False, face=False))
        frames = read_frames(str(MEDIA / str(gt["media"])), tuple(int(v) for v in gt["image_size"]))
        previous = None
        found = seen = found_60 = seen_60 = extra = 0
        for t, image in enumerate(frames[: gt["joints_2d"].shape[1]]):
            previous = clip_backend.process_frame(image, previous)
            visible = gt["visible_fraction"][:, t]
            _, errors = match_people(previous, gt["joints_2d"][visible > 0.3, t], names)
            _, errors_60 = match_people(previous, gt["joints_2d"][visible > 0.6, t], names)
            found, seen = found + len(errors), seen + int((visible > 0.3).sum())
            found_60, seen_60 = found_60 + len(errors_60), seen_60 + int((visible > 0.6).sum())
            extra += max(0, len(previous) - int(gt["num_people"]))
        print(f"{gt_path.name[:-7]:24s} person-frames found {found}/{seen} (over 30 % visible), "
              f"{found_60}/{seen_60} (over 60 %), {extra} extra")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", default=str(MEDIA / "single_person.png"))
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--detect-every", type=int, default=LandmarkOptions.detect_every)
    parser.add_argument("--tiles-per-pass", type=int, default=LandmarkOptions.tiles_per_pass)
    parser.add_argument("--size", default="640x480", help="resize the image to WxH first")
    parser.add_argument("--recall", action="store_true", help="measure person recall instead of speed")
    parser.add_argument("--crowds", type=int, default=4, help="drawn crowd scenes for --recall")
    parser.add_argument("--detector", default="blazepose", help="person detector for --recall")
    parser.add_argument("--tiles", default=",".join(str(f) for f in LandmarkOptions.tile_fractions),
                        help="detector tile fractions for --recall, comma-separated ('' for none)")
    args = parser.parse_args()
    if args.recall:
        recall(args)
    else:
        speed(args)


if __name__ == "__main__":
    main()
