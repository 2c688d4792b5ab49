"""Draws a capture's joints over the source frame, to look at.

    .venv/bin/python -m bench.overlay_capture CAPTURE.capture.npz MEDIA -o out.png [--frame N]

Projects ``joints_cam`` through the capture's intrinsics and draws the SMPL-X
skeleton: the person's own left side in red, the right side in blue, the centre line
in green (the same colours as bench/overlay_gt.py), with each person's id and pelvis
depth. Joints the capture is unsure of (``joint_confidence`` below 0.5: not really
seen) are drawn grey, with their bone thin and the joint a hollow circle; sure body
joints are filled dots. ``--frame`` is the index into the capture's frames (default 0).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from wholebody_core.capture_format import read_capture
from wholebody_core.maths.camera import project
from wholebody_core.media import FrameRange, iter_frames, probe
from wholebody_core.skeleton import JOINT_NAMES, PARENTS

_BGR = {"left": (40, 40, 230), "right": (230, 80, 40), "centre": (60, 200, 60)}
_UNSURE_BGR = (150, 150, 150)


def _side(name: str) -> str:
    return "left" if name.startswith("left") else "right" if name.startswith("right") else "centre"


def draw_capture(image_bgr: np.ndarray, capture, frame: int) -> np.ndarray:
    """Returns a copy of the image with every valid person of capture frame ``frame`` drawn."""
    out = image_bgr.copy()
    for p in np.flatnonzero(capture.valid[:, frame]):
        joints_px = project(capture.joints_cam[p, frame].astype(np.float64), capture.intrinsics)
        sure = (np.ones(len(JOINT_NAMES), bool) if capture.joint_confidence is None
                else capture.joint_confidence[p, frame] >= 0.5)
        for j in range(1, len(JOINT_NAMES)):
            a = tuple(int(round(v)) for v in joints_px[PARENTS[j]])
            b = tuple(int(round(v)) for v in joints_px[j])
            color = _BGR[_side(JOINT_NAMES[j])] if sure[j] else _UNSURE_BGR
            cv2.line(out, a, b, color, 1 if j >= 22 or not sure[j] else 2, cv2.LINE_AA)
        for j in range(22):   # body joints: filled when sure, hollow when unsure
            centre = tuple(int(round(v)) for v in joints_px[j])
            color = _BGR[_side(JOINT_NAMES[j])] if sure[j] else _UNSURE_BGR
            cv2.circle(out, centre, 3, color, -1 if sure[j] else 1, cv2.LINE_AA)
        x0, y0, x1, y1 = capture.bbox[p, frame].astype(int)
        cv2.rectangle(out, (x0, y0), (x1, y1), (255, 255, 255), 1)
        label = f"id {capture.person_ids[p]}  z {capture.root_position[p, frame, 2]:.2f} m"
        cv2.putText(out, label, (x0, max(y0 - 4, 10)), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1,
                    cv2.LINE_AA)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("capture", type=Path)
    parser.add_argument("media", type=Path, help="the image or video the capture was made from")
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--frame", type=int, default=0, help="index into the capture's frames")
    args = parser.parse_args()
    capture = read_capture(args.capture)
    source_frame = int(capture.frame_indices[args.frame])
    _, image_rgb = next(iter_frames(probe(args.media), FrameRange(source_frame, source_frame + 1)))
    out = draw_capture(cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR), capture, args.frame)
    cv2.imwrite(str(args.output), out)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
