"""The capture pipeline: media -> people -> landmarks -> rotations -> depth -> tracks -> capture.

``run_capture`` streams the input frame by frame; per frame it keeps only a compact
result per person (pose, root, box, keypoints), so memory does not grow with the
clip beyond those few kilobytes a frame. Solving is batched over chunks of frames
(``landmark_solver.py``); the capture file's arrays are made at the end
(``capture_assembly.py``).
"""
from __future__ import annotations

import dataclasses
import math
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from . import depth as root_depth
from .capture_assembly import TrackRecord, assemble_capture
from .capture_format import Capture
from .errors import CaptureCancelled, InputError
from .landmark_solver import LandmarkSolver, UserBodyModel, load_user_body_model
from .landmarks.types import PersonObservation
from .maths import camera
from .media import FrameRange, MediaInfo, iter_frames, probe
from .network_backend.options import NetworkBackendOptions
from .timing import StageClock

SOLVE_CHUNK_FRAMES = 32


@dataclasses.dataclass
class CaptureOptions:
    """Everything a user can choose about one capture run."""

    focal_px: float | None = None
    focal_mm: float | None = None
    sensor_mm: float | None = None
    max_people: int = 10
    frame_range: FrameRange = dataclasses.field(default_factory=FrameRange)
    device: str = "auto"                 # cpu | cuda | auto
    smplx_model: Path | None = None
    smoothing: float = 0.5               # 0 = off, 1 = strong
    backend: str = "mediapipe-tflite"
    hands: bool = True
    face: bool = True
    num_threads: int = 2
    min_track_frames: int = 3            # videos: drop tracks seen in fewer frames
    networks: NetworkBackendOptions | None = None  # checkpoints etc. of the network backends (backends.py)


@dataclasses.dataclass
class Progress:
    """One progress record: frames done of total, throughput and time left."""

    done: int
    total: int
    fps: float
    eta_s: float


@dataclasses.dataclass
class CaptureResult:
    capture: Capture
    stage_seconds: dict[str, float]
    frames_processed: int


def resolve_focal(info: MediaInfo, options: CaptureOptions) -> tuple[float, str]:
    """The focal length in pixels and where it came from, in this order: --focal, --focal-mm with
    --sensor-mm, the 35 mm-equivalent focal length in the file's metadata (EXIF, QuickTime keys),
    the documented default field of view."""
    if options.focal_px is not None:
        if not math.isfinite(options.focal_px) or options.focal_px <= 0:
            raise InputError("--focal must be a positive, finite focal length in pixels.")
        return options.focal_px, "--focal"
    if options.focal_mm is not None or options.sensor_mm is not None:
        if not all(value is not None and math.isfinite(value) and value > 0
                   for value in (options.focal_mm, options.sensor_mm)):
            raise InputError("--focal-mm and --sensor-mm go together and must both be positive, finite "
                             "numbers (millimetres).")
        return camera.focal_px_from_mm(options.focal_mm, options.sensor_mm, info.width), \
            f"{options.focal_mm:g} mm lens on a {options.sensor_mm:g} mm sensor"
    if info.focal_35mm is not None:
        return camera.focal_px_from_35mm_equivalent(info.focal_35mm, info.width, info.height), \
            f"the file's metadata: {info.focal_35mm:g} mm full-frame equivalent"
    return camera.focal_px_from_fov(camera.DEFAULT_HORIZONTAL_FOV_DEG, info.width), \
        f"default {camera.DEFAULT_HORIZONTAL_FOV_DEG:g} degree horizontal field of view; give --focal if known"


def resolve_intrinsics(info: MediaInfo, options: CaptureOptions) -> np.ndarray:
    """(3, 3) K from :func:`resolve_focal`, principal point at the image centre."""
    focal, _ = resolve_focal(info, options)
    return camera.intrinsics_from_focal_px(focal, info.width, info.height)


def resolve_device(requested: str) -> str:
    """'auto' -> 'cuda' when torch sees a GPU, else 'cpu'; a missing GPU for 'cuda' is an error.

    torch is imported only where a GPU could exist (an NVIDIA driver is present), so
    CPU-only runs do not pay its import time.
    """
    if requested not in ("auto", "cpu", "cuda"):
        raise InputError(f"--device must be cpu, cuda or auto, not {requested!r}.")
    if requested == "cpu":
        return "cpu"
    has_cuda = False
    if Path("/proc/driver/nvidia").exists() or shutil.which("nvidia-smi"):
        try:
            import torch
            has_cuda = bool(torch.cuda.is_available())
        except ImportError:
            has_cuda = False
    if requested == "cuda" and not has_cuda:
        raise InputError("--device cuda was asked for but no CUDA GPU is available; use --device cpu or auto.")
    return "cuda" if has_cuda else "cpu"


CAPTURE_STAGES = ("decode", "landmarks", "track", "depth", "solve", "filter")   # CaptureResult.stage_seconds


def run_capture(
    input_path: str | Path,
    options: CaptureOptions,
    progress: Callable[[Progress], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    media_info: MediaInfo | None = None,
) -> CaptureResult:
    """Captures every person in an image or video. Raises CaptureError subclasses.

    The stages: check everything the user chose before anything heavy runs; build the
    landmark backend, the tracker and the solver; per frame, people's landmarks ->
    track ids -> root positions -> the solver (which solves in chunks of frames);
    then the capture file's arrays (unsure joints held, tracks smoothed).
    """
    from .tracking.tracker import Tracker, TrackerOptions

    setup = _prepare(input_path, options, media_info)
    backend = _landmark_backend(options, setup.uses_networks, video=setup.info.is_video)
    tracker = Tracker(TrackerOptions())
    solver = _solver(options, setup)
    clock = StageClock(CAPTURE_STAGES)
    started = time.perf_counter()
    source_frames: list[int] = []
    people: list[PersonObservation] | None = None
    for source_index, image_rgb in _decoded_frames(setup, options, clock, should_cancel):
        slot = len(source_frames)
        source_frames.append(source_index)
        with clock("landmarks"):
            people = _people_in_frame(backend, image_rgb, people, options.max_people)
        if people:
            with clock("track"):
                ids = _track_ids(tracker, slot, people)
            with clock("depth"):
                origins_cam, size_scales = _root_positions(people, setup.intrinsics)
            for person, track_id, origin_cam, size_scale in zip(people, ids, origins_cam, size_scales):
                solver.add(slot, int(track_id), person, origin_cam, float(size_scale), image_rgb=image_rgb)
        with clock("solve"):
            if slot % SOLVE_CHUNK_FRAMES == SOLVE_CHUNK_FRAMES - 1:
                solver.flush()
        _report_progress(progress, slot + 1, setup.num_frames, time.perf_counter() - started)
    with clock("solve"):
        solver.flush()
    if not source_frames:
        raise InputError(f"{setup.info.path.name}: no frame could be decoded in the chosen range (truncated file?).")
    with clock("filter"):
        capture = _finished_capture(solver, source_frames, setup, options)
    return CaptureResult(capture, clock.seconds, len(source_frames))


@dataclasses.dataclass
class _Setup:
    """A run's input and models, resolved and checked before the first frame."""

    info: MediaInfo
    intrinsics: np.ndarray             # (3, 3) K, pixels
    device: str                        # "cpu" | "cuda"
    uses_networks: bool                # a network backend (backends.py) turns people into SMPL-X
    body_model: UserBodyModel | None      # the user's SMPL-X model; None: the built-in skeleton
    num_frames: int                    # frames the range selects (the progress total)


def _prepare(input_path: str | Path, options: CaptureOptions, media_info: MediaInfo | None) -> _Setup:
    """Probes the input and checks every choice, in the order the user reads the errors:
    options, focal, device, the network backends' checkpoints, the SMPL-X model, the
    frame range."""
    from .backends import get_backend

    info = media_info or probe(input_path)
    if options.max_people < 1:
        raise InputError("--max-people must be at least 1.")
    if options.frame_range.stride < 1 or options.frame_range.start < 0:
        raise InputError("--stride must be at least 1 and --start at least 0.")
    if not 0.0 <= options.smoothing <= 1.0:
        raise InputError("--smoothing must be between 0 and 1.")
    intrinsics = resolve_intrinsics(info, options)
    device = resolve_device(options.device)
    uses_networks = get_backend(options.backend).uses_networks
    if uses_networks:   # missing checkpoints are reported before anything heavy runs
        from .network_backend.options import checkpoint_paths

        checkpoint_paths(options.backend, options.networks or NetworkBackendOptions(), options.hands,
                         options.face, options.smplx_model)
    body_model = load_user_body_model(options)
    num_frames = len(list(options.frame_range.indices(info.frame_count)))
    if not num_frames:
        raise InputError(
            f"the frame range selects no frames (the input has {info.frame_count}); check --start/--end."
        )
    return _Setup(info, intrinsics, device, uses_networks, body_model, num_frames)


def _landmark_backend(options: CaptureOptions, uses_networks: bool, video: bool):
    """The landmark backend. The network backends keep the built-in people (detection +
    body landmarks: boxes, keypoints, tracking); the networks replace its hand/face
    landmarks and the solve. The re-crop test for people found by the detector runs on
    stills only (``LandmarkOptions.recrop_test``), and with it the search behind each
    kept person's head."""
    from .landmarks.options import LandmarkOptions
    from .models import create_landmark_backend

    return create_landmark_backend("mediapipe-tflite" if uses_networks else options.backend, LandmarkOptions(
        max_people=options.max_people, hands=options.hands and not uses_networks,
        face=options.face and not uses_networks, num_threads=options.num_threads, recrop_test=not video,
    ))


def _solver(options: CaptureOptions, setup: _Setup):
    """What turns people into SMPL-X: the networks' solver, or the landmark solve."""
    if setup.uses_networks:
        from .network_backend.runner import NetworkSolver

        return NetworkSolver(options.backend, setup.body_model, options, setup.intrinsics, setup.device,
                             TrackRecord)
    return LandmarkSolver(setup.body_model, options, setup.intrinsics)


def _decoded_frames(setup: _Setup, options: CaptureOptions, clock: StageClock,
                    should_cancel: Callable[[], bool] | None) -> Iterator[tuple[int, np.ndarray]]:
    """(source frame index, (H, W, 3) uint8 RGB) of the chosen range, decoding timed;
    cancelling is checked before each frame."""
    frames = iter_frames(setup.info, options.frame_range)
    if setup.uses_networks:   # decoding overlapped with inference
        from .network_backend.runner import prefetch

        frames = prefetch(frames)
    while True:
        if should_cancel is not None and should_cancel():
            raise CaptureCancelled("capture cancelled; no file was written.")
        with clock("decode"):
            item = next(frames, None)
        if item is None:
            return
        yield item


def _people_in_frame(backend, image_rgb: np.ndarray, previous: list[PersonObservation] | None,
                     max_people: int) -> list[PersonObservation]:
    """This frame's people from the landmark backend, the most confident first, at most ``max_people``."""
    people = backend.process_frame(image_rgb, previous)
    return sorted(people, key=lambda o: -o.score)[:max_people]


def _track_ids(tracker, slot: int, people: list[PersonObservation]) -> np.ndarray:
    """(N,) int64 track ids of this frame's people (their boxes, keypoints and clothes)."""
    appearance = (np.stack([o.appearance for o in people])
                  if all(o.appearance is not None for o in people) else None)
    return tracker.update(slot, np.stack([o.bbox_xyxy for o in people]), np.stack([o.body_2d for o in people]),
                          np.array([o.score for o in people]), appearance)


def _root_positions(people: list[PersonObservation], intrinsics: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each person's (N, 3) mid-hip in the camera frame (metres) and (N,) body-size factor
    from the floor they share (NaN: no floor evidence); depth.py."""
    boxes = np.stack([o.bbox_xyxy for o in people])
    body_2d = np.stack([o.body_2d for o in people])
    body_3d = np.stack([o.body_3d for o in people])
    placed = root_depth.estimate_root_depth(boxes, body_3d, body_2d[..., :2], body_2d[..., 2], intrinsics)
    pitch = root_depth.body_axis_pitch_deg(body_3d, body_2d[..., :2], intrinsics)
    feet = root_depth.lowest_foot_points(placed.origin_cam, body_3d, root_depth.pitch_down_cam(pitch))
    return placed.origin_cam, root_depth.floor_scales(feet, pitch)


def _report_progress(progress: Callable[[Progress], None] | None, done: int, num_frames: int,
                     elapsed_s: float) -> None:
    if progress is None:
        return
    fps = done / elapsed_s if elapsed_s > 0 else 0.0
    total = max(num_frames, done)
    progress(Progress(done, total, fps, (total - done) / fps if fps > 0 else 0.0))


def _finished_capture(solver, source_frames: list[int], setup: _Setup, options: CaptureOptions) -> Capture:
    """The capture file's arrays from the solver's per-track records (hold, smoothing)."""
    from .tracking.filters import FilterOptions, smooth_track

    return assemble_capture(
        solver.tracks, source_frames, setup.info, setup.intrinsics, options,
        backend_name=f"{options.backend} ({setup.device})", smooth=smooth_track,
        filter_options=FilterOptions(strength=options.smoothing),
    )
