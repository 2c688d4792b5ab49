"""Runs the capture core on every scene of a media folder and scores each capture.

    .venv/bin/python -m bench.media.evaluate_capture [--media tests/media] [--out DIR] [--json]

For each ``NAME.gt.npz`` with its render beside it: runs
``python -m wholebody_core RENDER -o DIR/NAME.capture.npz --focal FX`` (the true focal
length, so that depth errors are the method's, not the camera guess's), then
``bench/media/scoring.py`` on the result, and prints one line per scene: detection
recall/precision, MPJPE, PA-MPJPE, root and depth errors, depth order, id switches, and
the body joints wrongly marked sure / unsure (% of the matched people's body joints;
``scoring.py``).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from .ground_truth import read_ground_truth
from .scoring import score

ROOT = Path(__file__).resolve().parents[2]


def capture(media: Path, out: Path, focal_px: float, extra: list[str]) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "wholebody_core", str(media), "-o", str(out),
           "--focal", f"{focal_px:g}", "--overwrite", "--quiet", *extra]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", type=Path, default=ROOT / "tests" / "media")
    parser.add_argument("--out", type=Path, help="keep the captures here (default: a temporary folder)")
    parser.add_argument("--scenes", nargs="*", help="scene names (default: all in --media)")
    parser.add_argument("--json", action="store_true", help="one JSON object per scene")
    parser.add_argument("extra", nargs=argparse.REMAINDER, help="after --: more capture options")
    args = parser.parse_args(argv)
    extra = [a for a in args.extra if a != "--"]
    from wholebody_core.capture_format import read_capture

    with tempfile.TemporaryDirectory() as tmp:
        out_dir = args.out or Path(tmp)
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = sorted(args.media.glob("*.gt.npz"))
        if args.scenes:
            paths = [p for p in paths if p.name[: -len(".gt.npz")] in args.scenes]
        if not args.json:
            print(f"{'scene':20s} {'recall':>6s} {'prec':>5s} {'MPJPE':>6s} {'PA':>6s} {'root':>6s} "
                  f"{'depth%':>6s} {'order':>5s} {'idsw':>4s} {'sure!':>6s} {'unsure!':>7s}")
        status = 0
        for gt_path in paths:
            gt = read_ground_truth(gt_path)
            media = gt_path.parent / gt.media
            cap_path = out_dir / f"{gt.scene}.capture.npz"
            run = capture(media, cap_path, float(gt.intrinsics[0, 0]), extra)
            if run.returncode != 0:
                print(f"{gt.scene}: capture failed ({run.returncode}): {run.stderr.strip()[-300:]}")
                status = 1
                continue
            s = score(read_capture(cap_path), gt)
            if args.json:
                print(json.dumps({"scene": gt.scene, **s.to_dict()}))
                continue
            order = "-" if not s.depth_order_pairs else f"{s.depth_order_accuracy:.2f}"
            print(f"{gt.scene:20s} {s.recall:6.2f} {s.precision:5.2f} {s.mpjpe_mm:6.0f} {s.pa_mpjpe_mm:6.0f} "
                  f"{s.root_error_m:6.2f} {100 * s.depth_error_rel:6.1f} {order:>5s} {s.id_switches:4d} "
                  f"{100 * s.wrongly_sure:6.1f} {100 * s.wrongly_unsure:7.1f}")
    return status


if __name__ == "__main__":
    sys.exit(main())
