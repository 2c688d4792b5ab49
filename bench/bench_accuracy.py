"""Accuracy of the capture core on rendered ground truth, in one table. Prints figures.

    .venv/bin/python -m bench.bench_accuracy [--media tests/media] [--json]

For every scene (``*.gt.npz`` beside its render) it runs the full pipeline with the
scene's true focal length and scores the capture (bench/media/scoring.py): MPJPE and
PA-MPJPE of the mapped body joints, root error absolute and relative to distance,
depth-order accuracy, recall/precision, id switches, and the body joints wrongly marked
sure / unsure by the capture's joint confidence. In the same run it scores the
parts on their own:
- the raw landmark model's 3D output (BlazePose world landmarks, root-relative at the
  mid-hip, on the 12 limb joints both skeletons share) against the solved SMPL-X
  skeleton on the same 12 joints;
- root depth from RootNet's k alone (gamma = 1) against k corrected by the
  skeleton fit (wholebody_core/depth.py), both before the shared-floor size
  correction that the pipeline's own depth error includes.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from bench.media.ground_truth import read_ground_truth
from bench.media.scoring import box_iou, procrustes_align, score
from wholebody_core import depth as root_depth
from wholebody_core.landmarks.backend import LandmarkOptions
from wholebody_core.landmarks.types import BODY_LANDMARK_NAMES
from wholebody_core.media import FrameRange, iter_frames, probe
from wholebody_core.models import create_landmark_backend
from wholebody_core.pipeline import CaptureOptions, run_capture
from wholebody_core.skeleton import JOINT_INDEX

REPO = Path(__file__).resolve().parents[1]
LIMB_JOINTS = ("left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
               "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist")
_BP = [BODY_LANDMARK_NAMES.index(n) for n in LIMB_JOINTS]
_SX = [JOINT_INDEX[n] for n in LIMB_JOINTS]


def _limb_errors(pred_rel: np.ndarray, true_rel: np.ndarray) -> tuple[float, float]:
    """MPJPE and PA-MPJPE (mm) of (12, 3) root-relative limb joints."""
    mpjpe = np.linalg.norm(pred_rel - true_rel, axis=-1).mean()
    pa = np.linalg.norm(procrustes_align(pred_rel, true_rel) - true_rel, axis=-1).mean()
    return 1000 * mpjpe, 1000 * pa


def _mid_hip(points: np.ndarray) -> np.ndarray:
    return 0.5 * (points[0] + points[1])  # LIMB_JOINTS starts with the two hips


def _parts(media: Path, gt, capture) -> dict:
    """Raw landmark 3D vs solved skeleton, k alone vs corrected k, per matched person-frame."""
    info = probe(media)
    # the landmark stage as the pipeline runs it: the re-crop test (and the search behind heads) on stills only
    backend = create_landmark_backend("mediapipe-tflite", LandmarkOptions(recrop_test=not info.is_video))
    gt_cols = [list(map(str, gt.joint_names)).index(n) for n in LIMB_JOINTS]
    cap_frame_of = {int(f): i for i, f in enumerate(capture.frame_indices)}
    rows = {"raw": [], "solved": [], "k_rel": [], "corrected_rel": []}
    previous = None
    for t, (frame, image) in enumerate(iter_frames(info, FrameRange())):
        observations = backend.process_frame(image, previous)
        previous = observations
        gt_t = int(np.flatnonzero(gt.frame_indices == frame)[0]) if frame in gt.frame_indices else None
        if gt_t is None or not observations:
            continue
        people = np.flatnonzero(gt.valid[:, gt_t])
        boxes = np.stack([o.bbox_xyxy for o in observations])
        iou = box_iou(gt.bbox[people, gt_t], boxes)
        placed = root_depth.estimate_root_depth(
            boxes, np.stack([o.body_3d for o in observations]),
            np.stack([o.body_2d[:, :2] for o in observations]), np.stack([o.body_2d[:, 2] for o in observations]),
            gt.intrinsics)
        for g, person in enumerate(people):
            o = int(np.argmax(iou[g]))
            if iou[g, o] < 0.3:
                continue
            true = gt.joints_cam[person, gt_t][gt_cols].astype(float)
            true_rel = true - _mid_hip(true)
            raw = observations[o].body_3d[_BP]
            rows["raw"].append(_limb_errors(raw - _mid_hip(raw), true_rel))
            true_depth = _mid_hip(true)[2]
            rows["k_rel"].append(abs(placed.k_m[o] - true_depth) / true_depth)
            rows["corrected_rel"].append(abs(placed.origin_cam[o, 2] - true_depth) / true_depth)
            c = cap_frame_of.get(int(frame))
            if c is not None and capture.num_people:
                cap_iou = box_iou(gt.bbox[person:person + 1, gt_t], capture.bbox[:, c])[0] * capture.valid[:, c]
                p = int(np.argmax(cap_iou))
                if cap_iou[p] >= 0.3:
                    solved = capture.joints_cam[p, c, _SX].astype(float)
                    rows["solved"].append(_limb_errors(solved - _mid_hip(solved), true_rel))

    def mean(values, i=None):
        if not values:
            return float("nan")
        arr = np.asarray(values, dtype=float)
        return float(arr[:, i].mean() if i is not None else arr.mean())

    return {
        "raw_landmarks_limb_mpjpe_mm": mean(rows["raw"], 0), "raw_landmarks_limb_pa_mpjpe_mm": mean(rows["raw"], 1),
        "solved_limb_mpjpe_mm": mean(rows["solved"], 0), "solved_limb_pa_mpjpe_mm": mean(rows["solved"], 1),
        "depth_rel_error_k_only": mean(rows["k_rel"]), "depth_rel_error_corrected": mean(rows["corrected_rel"]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", type=Path, default=REPO / "tests" / "media",
                        help="folder of renders with their .gt.npz files")
    parser.add_argument("--scenes", nargs="*", help="scene names (default: every scene in --media)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    table = []
    paths = sorted(args.media.glob("*.gt.npz"))
    if args.scenes:
        paths = [p for p in paths if p.name[: -len(".gt.npz")] in args.scenes]
        missing = sorted(set(args.scenes) - {p.name[: -len(".gt.npz")] for p in paths})
        if missing:
            parser.error(f"no ground truth for {missing} in {args.media}")
    for gt_path in paths:
        gt = read_ground_truth(gt_path)
        media = gt_path.parent / Path(gt.media).name
        result = run_capture(media, CaptureOptions(focal_px=float(gt.intrinsics[0, 0])))
        s = score(result.capture, gt)
        row = {"scene": gt.scene, "people": gt.num_people, "frames": gt.num_frames, **s.to_dict()}
        row.pop("per_person", None)
        row.update(_parts(media, gt, result.capture))
        table.append(row)
    if args.json:
        print(json.dumps(table, indent=1, default=float))
        return 0
    columns = [("scene", "{:>22s}"), ("people", "{:>3d}"), ("frames", "{:>4d}"), ("recall", "{:5.2f}"),
               ("precision", "{:5.2f}"), ("mpjpe_mm", "{:6.0f}"), ("pa_mpjpe_mm", "{:6.0f}"),
               ("solved_limb_pa_mpjpe_mm", "{:6.0f}"), ("raw_landmarks_limb_pa_mpjpe_mm", "{:6.0f}"),
               ("root_error_m", "{:6.2f}"), ("depth_error_rel", "{:6.1%}"), ("depth_rel_error_corrected", "{:6.1%}"),
               ("depth_rel_error_k_only", "{:6.1%}"), ("depth_order_accuracy", "{:5.2f}"), ("id_switches", "{:>3d}"),
               ("unseen_share", "{:6.1%}"), ("wrongly_sure", "{:6.1%}"), ("wrongly_unsure", "{:6.1%}")]
    headers = ["scene", "P", "T", "recall", "prec", "MPJPE", "PA-MPJPE", "limbPA", "rawPA", "root m",
               "depth%", "k*g %", "k %", "order", "idsw", "unseen", "sure!", "unsure!"]
    print("  ".join(f"{h:>{max(len(h), 6)}s}" for h in headers))
    for row in table:
        cells = []
        for (key, fmt), h in zip(columns, headers):
            value = row.get(key)
            try:
                text = fmt.format(value)
            except (TypeError, ValueError):
                text = str(value)
            cells.append(f"{text:>{max(len(h), 6)}s}")
        print("  ".join(cells))
    print("MPJPE/PA-MPJPE: mm over the mapped body joints; limbPA/rawPA: PA-MPJPE on the 12 limb joints of the "
          "solved SMPL-X skeleton / the raw BlazePose 3D output; depth%: the pipeline's pelvis depth error "
          "(skeleton fit and shared-floor size); k*g % / k %: mid-hip depth error of RootNet's k with the "
          "skeleton-fit correction only / of k alone; unseen: share of the matched people's body joints "
          "the ground truth does not see (outside the image, hidden by another person); sure! / unsure!: "
          "share marked sure (joint_confidence >= 0.5) but unseen / unsure but seen and within 10 % of the "
          "person's height of the truth (bench/media/scoring.py).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
