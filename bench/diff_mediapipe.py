"""Our 2D body landmarks against MediaPipe's own Pose graph (the oracle), person by person.

``PYTHONPATH=$PWD .venv/bin/python -m bench.diff_mediapipe [IMAGES...]``

MediaPipe's Python solution (``mediapipe.solutions.pose``, ``model_complexity=1``:
the same ``pose_landmark_full`` network, static image mode) needs the dev
requirements (matplotlib, absl-py, attrs, protobuf < 5; see
install_deps/requirements-dev.txt); the core never imports it. For each image: the
person of ours nearest MediaPipe's one, the median and largest distance over the 33
landmarks, and, where the image has ground truth (``NAME.gt.npz``), both medians to
the ground truth's COCO keypoints.
"""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import cv2
import numpy as np

MEDIA = Path(__file__).resolve().parents[1] / "tests" / "media"
# BlazePose landmark of each COCO keypoint (nose, eyes, ears, shoulders, elbows,
# wrists, hips, knees, ankles)
BLAZEPOSE_OF_COCO = np.array([0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28])


@dataclasses.dataclass
class Comparison:
    image: str
    people_ours: int
    found_by_mediapipe: bool
    median_px: float = float("nan")      # ours vs MediaPipe, median over the 33 landmarks
    worst_px: float = float("nan")       # ... the largest
    worst_joint_px: float = float("nan")  # the largest over the 17 COCO joints (no toes, heels, fingers)
    gt_median_mediapipe: float = float("nan")   # MediaPipe vs the ground truth (COCO points)
    gt_median_ours: float = float("nan")        # ours vs the ground truth


def default_images() -> list[Path]:
    return sorted(MEDIA.glob("*.jpg")) + [MEDIA / "single_person.png"]


def mediapipe_pose():
    """MediaPipe's own Pose graph, static image mode, the full landmark model."""
    from mediapipe.python.solutions import pose as mp_pose
    return mp_pose.Pose(static_image_mode=True, model_complexity=1)


def compare(images: list[Path], backend=None) -> list[Comparison]:
    from wholebody_core.landmarks.backend import LandmarkOptions, MediapipeTfliteBackend

    backend = backend or MediapipeTfliteBackend(LandmarkOptions(hands=False, face=False))
    out = []
    with mediapipe_pose() as pose:
        for path in images:
            image = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
            height, width = image.shape[:2]
            people = backend.process_frame(image, None)
            result = pose.process(image)
            if result.pose_landmarks is None or not people:
                out.append(Comparison(path.name, len(people), result.pose_landmarks is not None))
                continue
            theirs = np.array([[p.x * width, p.y * height] for p in result.pose_landmarks.landmark])
            dists = [np.linalg.norm(p.body_2d[:, :2] - theirs, axis=1) for p in people]
            best = int(np.argmin([np.median(d) for d in dists]))
            c = Comparison(path.name, len(people), True, float(np.median(dists[best])), float(dists[best].max()),
                           float(dists[best][BLAZEPOSE_OF_COCO].max()))
            gt_path = path.with_name(path.name.rsplit(".", 1)[0] + ".gt.npz")
            if gt_path.exists():
                coco = np.load(gt_path)["coco_2d"][:, 0]       # (P, 17, 2) first frame
                k = int(np.argmin([np.median(np.linalg.norm(g - theirs[BLAZEPOSE_OF_COCO], axis=1)) for g in coco]))
                c.gt_median_mediapipe = float(np.median(np.linalg.norm(coco[k] - theirs[BLAZEPOSE_OF_COCO], axis=1)))
                ours = people[best].body_2d[BLAZEPOSE_OF_COCO, :2]
                c.gt_median_ours = float(np.median(np.linalg.norm(coco[k] - ours, axis=1)))
            out.append(c)
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", type=Path)
    args = parser.parse_args(argv)
    rows = compare(args.images or default_images())
    print(f"{'image':26s} {'people':>6s} {'median px':>9s} {'worst px':>8s} {'worst joint px':>14s} "
          f"{'gt: mediapipe':>13s} {'gt: ours':>8s}")
    for c in rows:
        if not c.found_by_mediapipe:
            print(f"{c.image:26s} {c.people_ours:6d}   (MediaPipe finds nobody)")
            continue
        print(f"{c.image:26s} {c.people_ours:6d} {c.median_px:9.1f} {c.worst_px:8.1f} {c.worst_joint_px:14.1f} "
              f"{c.gt_median_mediapipe:13.1f} {c.gt_median_ours:8.1f}")


if __name__ == "__main__":
    main()
