"""Draws a scene's ground truth over its render, to look at.

    .venv/bin/python -m bench.overlay_gt SCENE.gt.npz IMAGE_OR_VIDEO -o out.png [--frame N]

The person's own left side is drawn in red, the right side in blue, the centre line in
green; each person gets a box with its id, its pelvis depth (z, metres) and its
stature. Joints hidden by another person are drawn hollow.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from bench.media.ground_truth import GroundTruth, read_ground_truth
from wholebody_core.skeleton import PARENTS

LEFT, RIGHT, CENTRE = (40, 40, 230), (230, 120, 30), (60, 200, 60)   # BGR
BOX = (0, 220, 255)


def read_frame(path: Path, frame: int) -> np.ndarray:
    """One BGR frame of an image or a video."""
    if path.suffix.lower() in (".png", ".jpg", ".jpeg"):
        image = cv2.imread(str(path))
        if image is None:
            raise SystemExit(f"cannot read {path}")
        return image
    cap = cv2.VideoCapture(str(path))
    cap.set(cv2.CAP_PROP_POS_FRAMES, frame)
    ok, image = cap.read()
    cap.release()
    if not ok:
        raise SystemExit(f"cannot read frame {frame} of {path}")
    return image


def _colour(name: str) -> tuple[int, int, int]:
    return LEFT if name.startswith("left") else RIGHT if name.startswith("right") else CENTRE


def draw(image: np.ndarray, gt: GroundTruth, t: int) -> np.ndarray:
    out = image.copy()
    names = [str(n) for n in gt.joint_names]
    index = {int(s): j for j, s in enumerate(gt.smplx_indices)}
    for p in range(gt.num_people):
        if not gt.valid[p, t]:
            continue
        pts = gt.joints_2d[p, t]
        for j, s in enumerate(gt.smplx_indices):
            parent = PARENTS[int(s)]
            if parent >= 0 and int(parent) in index:
                a, b = pts[j], pts[index[int(parent)]]
                cv2.line(out, _px(a), _px(b), _colour(names[j]), 1, cv2.LINE_AA)
        for j, name in enumerate(names):
            radius = 2 if ("index" in name or "middle" in name or "ring" in name
                           or "pinky" in name or "thumb" in name) else 4
            thickness = -1 if gt.joints_visible[p, t, j] else 1
            cv2.circle(out, _px(pts[j]), radius, _colour(name), thickness, cv2.LINE_AA)
        x0, y0, x1, y1 = gt.bbox[p, t]
        cv2.rectangle(out, _px((x0, y0)), _px((x1, y1)), BOX, 1)
        z = gt.root_position[p, t, 2]
        label = f"id{int(gt.person_ids[p])} z={z:.2f}m h={gt.height_m[p]:.2f}"
        if gt.is_child[p]:
            label += " child"
        cv2.putText(out, label, (int(x0), max(12, int(y0) - 4)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.45, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(out, label, (int(x0), max(12, int(y0) - 4)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.45, BOX, 1, cv2.LINE_AA)
    cv2.putText(out, f"{gt.scene} frame {int(gt.frame_indices[t])}  left=red right=blue",
                (8, out.shape[0] - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def _px(p) -> tuple[int, int]:
    return int(round(float(p[0]))), int(round(float(p[1])))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Draw ground truth over a render.")
    parser.add_argument("gt", type=Path)
    parser.add_argument("media", type=Path)
    parser.add_argument("-o", "--out", type=Path, required=True)
    parser.add_argument("--frame", type=int, default=0, help="frame index in the media")
    args = parser.parse_args(argv)
    gt = read_ground_truth(args.gt)
    hits = np.flatnonzero(gt.frame_indices == args.frame)
    if not len(hits):
        raise SystemExit(f"frame {args.frame} is not in the ground truth")
    image = read_frame(args.media, args.frame)
    cv2.imwrite(str(args.out), draw(image, gt, int(hits[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
