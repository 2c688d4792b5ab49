"""Scores a capture against the ground truth of a rendered test scene.

    .venv/bin/python -m bench.score CAPTURE.capture.npz SCENE.gt.npz [--json]

Prints MPJPE and PA-MPJPE over the mapped body joints (root-relative), the root
position error (absolute and relative to distance), depth-order accuracy between
people, detection recall/precision, id switches over a clip and jitter (mean joint
acceleration against the ground truth's). The metrics are defined in
``bench/media/scoring.py``, which tests import.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.media.ground_truth import read_ground_truth
from bench.media.scoring import ScoreOptions, format_score, score
from wholebody_core.capture_format import read_capture
from wholebody_core.errors import InputError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Score a capture against a test scene's ground truth.")
    parser.add_argument("capture", type=Path, help="a .capture.npz file")
    parser.add_argument("ground_truth", type=Path, help="the scene's .gt.npz file")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--min-iou", type=float, default=ScoreOptions.min_iou)
    parser.add_argument("--min-visible", type=float, default=ScoreOptions.min_visible)
    args = parser.parse_args(argv)
    try:
        capture = read_capture(args.capture)
        gt = read_ground_truth(args.ground_truth)
    except (InputError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    result = score(capture, gt, ScoreOptions(min_iou=args.min_iou, min_visible=args.min_visible))
    if args.json:
        print(json.dumps({"capture": args.capture.name, "scene": gt.scene, **result.to_dict()}))
    else:
        print(format_score(result, f"{args.capture.name} vs {gt.scene}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
