"""``wholebody-capture`` (also ``python -m wholebody_core``): media in, capture file out.

Exit codes: 0 success (also when nobody was found), 2 bad input or usage,
1 internal error, 130 cancelled (Ctrl-C, SIGINT, SIGTERM). The output file is
written atomically at the end, so it is never partial.

With ``--json-progress`` stdout carries one JSON object per line (events
``start``, ``progress``, ``done``, ``error``) for the Blender add-on's worker mode;
human messages and logs go to stderr.
"""
from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

from .capture_format import SUFFIX, check_output_path, write_capture
from .errors import CaptureCancelled, CaptureError
from .maths.camera import DEFAULT_HORIZONTAL_FOV_DEG
from .media import FrameRange, probe
from .pipeline import CaptureOptions, Progress, resolve_focal, run_capture

log = logging.getLogger("wholebody_core")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wholebody-capture",
        description="Capture every person in an image or video as SMPL-X whole-body motion "
                    f"(a {SUFFIX} file for the Blender add-on).",
    )
    parser.add_argument("input", type=Path, help="image (jpg, png, ...) or video (mp4, mov, avi, mkv, webm)")
    parser.add_argument("-o", "--output", type=Path,
                        help=f"capture file to write (default: INPUT with {SUFFIX})")
    focal = parser.add_argument_group("camera (default: the 35 mm-equivalent focal length in the file's metadata, "
                                      f"else a horizontal field of view of {DEFAULT_HORIZONTAL_FOV_DEG:g} degrees)")
    focal.add_argument("--focal", type=float, metavar="PX", help="focal length in pixels")
    focal.add_argument("--focal-mm", type=float, metavar="MM", help="lens focal length in mm (with --sensor-mm)")
    focal.add_argument("--sensor-mm", type=float, metavar="MM", help="sensor width in mm (with --focal-mm)")
    parser.add_argument("--max-people", type=int, default=10, metavar="N", help="most people per frame (default 10)")
    parser.add_argument("--start", type=int, default=0, metavar="F", help="first frame (default 0)")
    parser.add_argument("--end", type=int, default=None, metavar="F", help="stop before this frame (default: the end)")
    parser.add_argument("--stride", type=int, default=1, metavar="S", help="capture every S-th frame (default 1)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--smplx-model", type=Path, metavar="PATH",
                        help="folder or .npz file of your SMPL-X model (optional; never bundled)")
    parser.add_argument("--smoothing", type=float, default=0.5, metavar="S",
                        help="temporal smoothing strength 0 (off) .. 1 (strong), default 0.5")
    parser.add_argument("--no-hands", action="store_true", help="skip the hand models")
    parser.add_argument("--no-face", action="store_true", help="skip the face and iris models")
    parser.add_argument("--threads", type=int, default=2, metavar="N", help="CPU threads for the networks")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--quiet", action="store_true", help="print only errors")
    out.add_argument("--json-progress", action="store_true",
                     help="machine-readable progress: one JSON object per line on stdout")
    parser.add_argument("--verbose", action="store_true", help="debug logging")
    return parser


class _Reporter:
    """Prints progress as a bar on stderr or as JSON lines on stdout."""

    def __init__(self, mode: str):
        self.mode = mode  # "bar" | "json" | "quiet"
        self._last = 0.0

    def event(self, **record) -> None:
        if self.mode == "json":
            sys.stdout.write(json.dumps(record) + "\n")
            sys.stdout.flush()

    def message(self, text: str) -> None:
        if self.mode != "quiet":
            print(text, file=sys.stderr)

    def progress(self, p: Progress) -> None:
        now = time.monotonic()
        if p.done < p.total and now - self._last < 0.2:
            return
        self._last = now
        if self.mode == "json":
            self.event(event="progress", done=p.done, total=p.total, fps=round(p.fps, 2), eta_s=round(p.eta_s, 1))
        elif self.mode == "bar":
            width = 30
            filled = int(width * p.done / max(p.total, 1))
            bar = "#" * filled + "-" * (width - filled)
            sys.stderr.write(f"\r[{bar}] {p.done}/{p.total} frames  {p.fps:5.1f} frames/s  ETA {p.eta_s:5.0f} s ")
            if p.done >= p.total:
                sys.stderr.write("\n")
            sys.stderr.flush()


def _install_cancel_handlers(cancel: threading.Event) -> None:
    def handler(signum, frame):  # noqa: ARG001 - signal handler signature
        cancel.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    mode = "json" if args.json_progress else "quiet" if args.quiet else "bar"
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING if mode != "bar" else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr,
    )
    reporter = _Reporter(mode)
    cancel = threading.Event()
    _install_cancel_handlers(cancel)
    try:
        return _run(args, reporter, cancel)
    except CaptureCancelled as error:
        reporter.event(event="error", message=str(error), exit_code=error.exit_code)
        reporter.message(f"\ncancelled: {error}")
        return error.exit_code
    except CaptureError as error:
        reporter.event(event="error", message=str(error), exit_code=error.exit_code)
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        reporter.event(event="error", message="capture cancelled; no file was written.", exit_code=130)
        return 130
    except Exception as error:  # an internal error: keep the traceback for the bug report
        details = traceback.format_exc()
        reporter.event(event="error", message=f"internal error: {error}", exit_code=1, traceback=details)
        print(details, file=sys.stderr)
        print(f"internal error: {error}. Please report it with the lines above.", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, reporter: _Reporter, cancel: threading.Event) -> int:
    output = args.output or args.input.with_name(args.input.name.split(".")[0] + SUFFIX)
    check_output_path(output, args.overwrite)
    info = probe(args.input)
    options = CaptureOptions(
        focal_px=args.focal, focal_mm=args.focal_mm, sensor_mm=args.sensor_mm,
        max_people=args.max_people, frame_range=FrameRange(args.start, args.end, args.stride),
        device=args.device, smplx_model=args.smplx_model, smoothing=args.smoothing,
        hands=not args.no_hands, face=not args.no_face, num_threads=args.threads,
    )
    total = len(options.frame_range.indices(info.frame_count))
    focal_px, focal_source = resolve_focal(info, options)
    reporter.event(event="start", source=info.path.name, total_frames=total,
                   fps=info.fps, image_size=[info.width, info.height],
                   focal_px=focal_px, focal_source=focal_source)
    reporter.message(f"capturing {info.path.name}: {info.width}x{info.height}, "
                     f"{total} frame{'s' if total != 1 else ''} to process; "
                     f"focal {focal_px:.0f} px ({focal_source})")
    result = run_capture(args.input, options, progress=reporter.progress,
                         should_cancel=cancel.is_set, media_info=info)
    if cancel.is_set():
        raise CaptureCancelled("capture cancelled; no file was written.")
    capture = result.capture
    path = write_capture(output, capture, overwrite=args.overwrite).resolve()
    people = capture.num_people
    if people == 0:
        message = (f"nobody was found in {info.path.name}; wrote an empty capture to {path}. "
                   "Check that people are visible and not too small (at least ~60 px tall).")
    else:
        message = f"captured {people} {'person' if people == 1 else 'people'} over {capture.num_frames} frames -> {path}"
    reporter.event(event="done", output=str(path), people=people, frames=capture.num_frames, message=message)
    reporter.message(message)
    return 0
