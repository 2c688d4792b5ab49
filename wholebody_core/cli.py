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
import contextlib
import json
import logging
import math
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

from .backends import DEFAULT_BACKEND, describe_backends, list_backends
from .capture_format import SUFFIX, write_capture
from .errors import CaptureCancelled, CaptureError, OutputError
from .maths.camera import DEFAULT_HORIZONTAL_FOV_DEG
from .media import FrameRange, probe
from .network_backend.options import PRECISIONS, NetworkBackendOptions
from .output_path import check_output_path, default_output_path, write_error
from .pipeline import CaptureOptions, Progress, resolve_focal, run_capture

log = logging.getLogger("wholebody_core")

MAX_THREADS = 256
FOCAL_PX_RANGE = (1.0, 1_000_000.0)     # from a fisheye's few pixels to a long lens on a huge frame
FOCAL_MM_RANGE = (0.1, 10_000.0)
SENSOR_MM_RANGE = (0.1, 1_000.0)        # a tiny phone sensor .. large format


def whole_number(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse ``type``: an integer in [low, high] (no upper bound when ``high`` is None)."""
    allowed = f"a whole number from {low} to {high}" if high is not None else f"a whole number of at least {low}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {allowed}, not {text!r}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {allowed}, not {text!r}")
        return value

    return parse


def _number_text(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def _range_text(low_high: tuple[float, float]) -> str:
    return f"{_number_text(low_high[0])} to {_number_text(low_high[1])}"


def finite_number(low: float, high: float) -> Callable[[str], float]:
    """An argparse ``type``: a finite float in [low, high] (NaN and infinities refused)."""
    allowed = f"a number from {_range_text((low, high))}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {allowed}, not {text!r}") from None
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"must be {allowed}, not {text!r}")
        return value

    return parse


class _ListBackends(argparse.Action):
    """``--list-backends``: print the backends and the files each needs, then exit 0 (like --version)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        print(describe_backends())
        parser.exit()


class _ArgumentParser(argparse.ArgumentParser):
    """argparse, keeping the last usage error's message for the ``--json-progress`` error record."""

    usage_error: str | None = None

    def error(self, message: str):
        self.usage_error = message
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        prog="wholebody-capture",
        description="Capture every person in an image or video as SMPL-X whole-body motion "
                    f"(a {SUFFIX} file for the Blender add-on).",
    )
    parser.add_argument("input", type=Path, help="image (jpg, png, ...) or video (mp4, mov, avi, mkv, webm)")
    parser.add_argument("-o", "--output", type=Path,
                        help=f"capture file to write (default: INPUT's name with {SUFFIX} instead of its suffix)")
    focal = parser.add_argument_group("camera (default: the 35 mm-equivalent focal length in the file's metadata, "
                                      f"else a horizontal field of view of {DEFAULT_HORIZONTAL_FOV_DEG:g} degrees)")
    focal.add_argument("--focal", type=finite_number(*FOCAL_PX_RANGE), metavar="PX",
                       help=f"focal length in pixels ({_range_text(FOCAL_PX_RANGE)})")
    focal.add_argument("--focal-mm", type=finite_number(*FOCAL_MM_RANGE), metavar="MM",
                       help=f"lens focal length in mm ({_range_text(FOCAL_MM_RANGE)}; with --sensor-mm)")
    focal.add_argument("--sensor-mm", type=finite_number(*SENSOR_MM_RANGE), metavar="MM",
                       help=f"sensor width in mm ({_range_text(SENSOR_MM_RANGE)}; with --focal-mm)")
    parser.add_argument("--max-people", type=whole_number(1), default=10, metavar="N",
                        help="most people per frame (at least 1, default 10)")
    parser.add_argument("--start", type=whole_number(0), default=0, metavar="F", help="first frame (default 0)")
    parser.add_argument("--end", type=whole_number(1), default=None, metavar="F",
                        help="stop before this frame, greater than --start (default: the end)")
    parser.add_argument("--stride", type=whole_number(1), default=1, metavar="S",
                        help="capture every S-th frame (at least 1, default 1)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--smplx-model", type=Path, metavar="PATH",
                        help="folder or .npz file of your SMPL-X model (optional; never bundled)")
    parser.add_argument("--smoothing", type=finite_number(0.0, 1.0), default=0.5, metavar="S",
                        help="temporal smoothing strength 0 (off) .. 1 (strong), default 0.5")
    parser.add_argument("--no-hands", action="store_true", help="skip the hand models")
    parser.add_argument("--no-face", action="store_true", help="skip the face and iris models")
    parser.add_argument("--threads", type=whole_number(1, MAX_THREADS), default=2, metavar="N",
                        help=f"CPU threads for the networks (1 to {MAX_THREADS}, default 2)")
    nets = parser.add_argument_group(
        "backends (the network backends need released checkpoints you provide; nothing is downloaded)")
    nets.add_argument("--backend", choices=list_backends(), default=DEFAULT_BACKEND,
                      help=f"what turns each person into SMPL-X (default {DEFAULT_BACKEND}; see --list-backends)")
    nets.add_argument("--list-backends", action=_ListBackends,
                      help="list the backends and the files each needs, then exit")
    for part, what in (("body", "Pose2Pose body-only (snapshot_6_body.pth.tar)"),
                       ("hand", "Pose2Pose hand-only (snapshot_12_hand.pth.tar)"),
                       ("face", "Pose2Pose face-only (snapshot_12_face.pth.tar)"),
                       ("hand4whole", "Hand4Whole (snapshot_6.pth.tar)"),
                       ("rootnet", "RootNet (snapshot_18.pth.tar; optional root depth)")):
        nets.add_argument(f"--checkpoint-{part}", type=Path, metavar="PATH", help=f"{what} checkpoint")
    nets.add_argument("--precision", choices=PRECISIONS, default="fp32",
                      help="network precision on CUDA (the CPU runs fp32; default fp32)")
    nets.add_argument("--batch-size", type=whole_number(1, 1024), default=16, metavar="N",
                      help="person crops per network forward pass (default 16)")
    nets.add_argument("--integrate-hands", action="store_true",
                      help="hand4whole: integrate the Pose2Pose hand model's hand rotations (needs --checkpoint-hand)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an existing output file (never the input itself)")
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


def check_option_combinations(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Usage errors (exit 2) that span several options."""
    if args.end is not None and args.end <= args.start:
        parser.error(f"argument --end: must be greater than --start ({args.start}), not {args.end}")
    if (args.focal_mm is None) != (args.sensor_mm is None):
        parser.error("arguments --focal-mm and --sensor-mm go together: give both (millimetres) or neither")
    if args.focal is not None and args.focal_mm is not None:
        parser.error("argument --focal: give either --focal or --focal-mm with --sensor-mm, not both")


@contextlib.contextmanager
def _cancel_on_signals(cancel: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set ``cancel`` (the capture stops at the next frame); the previous
    handlers come back afterwards, so ``main`` can be called in-process."""
    def handler(signum, frame):  # noqa: ARG001 - signal handler signature
        cancel.set()

    previous = {signum: signal.signal(signum, handler) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def main(argv: list[str] | None = None) -> int:
    """Runs the command line; returns the exit code (argparse's usage errors included)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        check_option_combinations(parser, args)
    except SystemExit as exit_request:   # usage error (2) or --help (0): argparse printed the message
        code = exit_request.code if isinstance(exit_request.code, int) else 2
        if code and getattr(parser, "usage_error", None) and "--json-progress" in (sys.argv[1:] if argv is None else argv):
            _Reporter("json").event(event="error", message=parser.usage_error, exit_code=code)
        return code
    mode = "json" if args.json_progress else "quiet" if args.quiet else "bar"
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING if mode != "bar" else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr,
    )
    reporter = _Reporter(mode)
    cancel = threading.Event()
    try:
        with _cancel_on_signals(cancel):
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
    output = args.output or default_output_path(args.input)
    check_output_path(output, input_path=args.input, overwrite=args.overwrite)
    info = probe(args.input)
    options = CaptureOptions(
        focal_px=args.focal, focal_mm=args.focal_mm, sensor_mm=args.sensor_mm,
        max_people=args.max_people, frame_range=FrameRange(args.start, args.end, args.stride),
        device=args.device, smplx_model=args.smplx_model, smoothing=args.smoothing,
        hands=not args.no_hands, face=not args.no_face, num_threads=args.threads,
        backend=args.backend, networks=NetworkBackendOptions(
            checkpoint_body=args.checkpoint_body, checkpoint_hand=args.checkpoint_hand,
            checkpoint_face=args.checkpoint_face, checkpoint_hand4whole=args.checkpoint_hand4whole,
            checkpoint_rootnet=args.checkpoint_rootnet, precision=args.precision, batch_size=args.batch_size,
            integrate_hands=args.integrate_hands),
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
    path = _write(output, capture, args)
    people = capture.num_people
    if people == 0:
        message = (f"nobody was found in {info.path.name}; wrote an empty capture to {path}. "
                   "Check that people are visible and not too small (at least ~60 px tall).")
    else:
        message = f"captured {people} {'person' if people == 1 else 'people'} over {capture.num_frames} frames -> {path}"
    reporter.event(event="done", output=str(path), people=people, frames=capture.num_frames, message=message)
    reporter.message(message)
    return 0


def _write(output: Path, capture, args: argparse.Namespace) -> Path:
    """Writes the capture atomically; a file-system error becomes an OutputError naming the folder."""
    check_output_path(output, input_path=args.input, overwrite=args.overwrite, try_write=False)
    try:
        return write_capture(output, capture, overwrite=args.overwrite).resolve()
    except OutputError:
        raise
    except OSError as error:   # the temporary file was removed by write_npz_atomically
        raise write_error(output, error) from error
