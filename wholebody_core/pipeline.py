"""The capture pipeline: media -> people -> landmarks -> rotations -> depth -> tracks -> capture.

``run_capture`` streams the input frame by frame; per frame it keeps only a compact
result per person (pose, root, box, keypoints), so memory does not grow with the
clip beyond those few kilobytes a frame. Solving is batched over chunks of frames.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from . import depth as root_depth
from .capture_format import Capture, empty_capture
from .errors import CaptureCancelled, InputError, ModelFileError
from .landmarks.types import BODY_LANDMARK_NAMES, PersonObservation
from .maths import camera
from .maths.kinematics import joints_in_camera, split_full_pose
from .media import FrameRange, MediaInfo, iter_frames, probe
from .network_backend.options import NetworkBackendOptions
from .skeleton import JOINT_INDEX, NUM_JOINTS
from .timing import StageClock

log = logging.getLogger(__name__)

SOLVE_CHUNK_FRAMES = 32
REST_FIT_FRAMES = 30
_PELVIS, _LEFT_HIP, _RIGHT_HIP = JOINT_INDEX["pelvis"], JOINT_INDEX["left_hip"], JOINT_INDEX["right_hip"]


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


@dataclasses.dataclass
class _TrackRecord:
    """Compact per-frame results of one person, appended as frames are solved."""

    frame_slots: list[int] = dataclasses.field(default_factory=list)
    full_pose: list[np.ndarray] = dataclasses.field(default_factory=list)   # (55, 3)
    root: list[np.ndarray] = dataclasses.field(default_factory=list)        # (3,)
    bbox: list[np.ndarray] = dataclasses.field(default_factory=list)        # (4,)
    score: list[float] = dataclasses.field(default_factory=list)
    hand_valid: list[np.ndarray] = dataclasses.field(default_factory=list)  # (2,)
    face_valid: list[bool] = dataclasses.field(default_factory=list)
    expression: list[np.ndarray] = dataclasses.field(default_factory=list)  # (10,)
    keypoints: list[np.ndarray] = dataclasses.field(default_factory=list)   # (33, 3)
    size_scale: list[float] = dataclasses.field(default_factory=list)       # NaN: no floor evidence
    rest_bank: list[PersonObservation] = dataclasses.field(default_factory=list)
    rest_joints: np.ndarray | None = None
    rest_locked: bool = False
    betas: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(10))  # with the user's model


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


@dataclasses.dataclass
class _BodyModel:
    """The user's SMPL-X model, read once before the first frame."""

    rest_joints: np.ndarray                 # (55, 3) zero betas, pelvis at the origin
    data: object                            # SmplxModelData
    shape_basis: object                     # solve.shape_fit.ShapeBasis
    expression_basis: object | None         # solve.expression.ExpressionBasis; None: no embedding


def _load_body_model(options: CaptureOptions) -> _BodyModel | None:
    """Reads the user's SMPL-X model (None without one) and everything derived from it.

    The model is also built through the ``smplx`` package, which checks it against
    our numpy reader. A file without the facial landmark embedding still works, with
    a warning: no expression.
    """
    if options.smplx_model is None:
        return None
    from .body_model import load_smplx_model_data, load_through_smplx, resolve_smplx_model_path, rest_joints_for_betas
    from .solve.expression import expression_basis
    from .solve.shape_fit import shape_basis

    path = resolve_smplx_model_path(options.smplx_model)
    data = load_smplx_model_data(path)
    load_through_smplx(path, data=data)
    basis = None
    if options.face:
        try:
            basis = expression_basis(data)
        except ModelFileError as error:
            log.warning("no facial expression: %s", error)
    return _BodyModel(rest_joints_for_betas(data, np.zeros(10)), data, shape_basis(data), basis)


EXPRESSION_REGULARISATION = 0.1
"""Ridge weight of the expression fit on real face meshes (solve/expression.py: the
MediaPipe mesh and the SMPL-X template differ, so a little more than on exact data)."""


class _Solver:
    """Buffers (track, observation) pairs and solves them in batches."""

    def __init__(self, body_model: _BodyModel | None, options: CaptureOptions, intrinsics: np.ndarray):
        from .solve.solver import SolveOptions

        self._body_model = body_model
        self._solve_options = SolveOptions(use_hands=options.hands, use_face=options.face)
        self._pending: list[tuple[int, int, PersonObservation, np.ndarray, float]] = []
        self.tracks: dict[int, _TrackRecord] = {}
        self._intrinsics = intrinsics

    def add(self, slot: int, track_id: int, obs: PersonObservation, origin_cam: np.ndarray,
            size_scale: float, image_rgb: np.ndarray | None = None) -> None:  # noqa: ARG002 - networks' solver only
        self._pending.append((slot, track_id, obs, origin_cam, size_scale))

    def flush(self) -> None:
        if not self._pending:
            return
        from .solve.image_alignment import align_to_image
        from .solve.solver import solve_poses

        for _, track_id, obs, _, _ in self._pending:
            record = self.tracks.setdefault(track_id, _TrackRecord())
            if not record.rest_locked and len(record.rest_bank) < REST_FIT_FRAMES:
                record.rest_bank.append(obs)
        for track_id in {p[1] for p in self._pending}:
            record = self.tracks[track_id]
            if not record.rest_locked:
                record.rest_joints = self._rest_joints(record)
                if len(record.rest_bank) >= REST_FIT_FRAMES:
                    record.rest_locked, record.rest_bank = True, []
        observations = [p[2] for p in self._pending]
        # the solve fits the 3D landmarks moved onto the 2D keypoints; the rest fit above keeps the metric 3D
        observations = [dataclasses.replace(obs, body_3d=align_to_image(
            np.asarray(obs.body_3d, dtype=np.float64), np.asarray(obs.body_2d, dtype=np.float64),
            origin_cam, self._intrinsics)) for _, _, obs, origin_cam, _ in self._pending]
        rest = np.stack([self.tracks[p[1]].rest_joints for p in self._pending])
        solved = solve_poses(observations, rest, self._solve_options)
        expression = self._expression(observations, solved)
        for i, (slot, track_id, obs, origin_cam, size_scale) in enumerate(self._pending):
            record = self.tracks[track_id]
            joints_rel = solved.joints_rel_cam[i]
            # The landmark origin is the mid-hip point; the capture's root is the pelvis joint.
            pelvis_from_midhip = joints_rel[_PELVIS] - 0.5 * (joints_rel[_LEFT_HIP] + joints_rel[_RIGHT_HIP])
            record.frame_slots.append(slot)
            record.full_pose.append(solved.full_pose_rotvec[i])
            record.root.append(origin_cam + pelvis_from_midhip)
            record.bbox.append(np.asarray(obs.bbox_xyxy, dtype=np.float64))
            record.score.append(float(obs.score))
            record.hand_valid.append(solved.hand_valid[i])
            record.face_valid.append(bool(solved.face_valid[i]))
            record.expression.append(expression[i])
            record.keypoints.append(np.asarray(obs.body_2d, dtype=np.float64))
            record.size_scale.append(size_scale)
        self._pending = []

    def _rest_joints(self, record: _TrackRecord) -> np.ndarray:
        """The person's skeleton from the frames banked so far; with the user's SMPL-X model,
        the skeleton of the betas fitted to it (kept in ``record.betas``)."""
        from .solve.rest_fit import fit_rest_joints

        if self._body_model is None:
            return fit_rest_joints(record.rest_bank)
        from .body_model import rest_joints_for_betas
        from .solve.shape_fit import fit_betas

        scaled = fit_rest_joints(record.rest_bank, self._body_model.rest_joints)
        record.betas = fit_betas(scaled, self._body_model.shape_basis)
        return rest_joints_for_betas(self._body_model.data, record.betas)

    def _expression(self, observations: list[PersonObservation], solved) -> np.ndarray:
        """(N, 10) SMPL-X expression from the face mesh where the user's model gives a basis."""
        if self._body_model is None or self._body_model.expression_basis is None:
            return solved.expression
        from .solve.expression import expression_from_observations

        return expression_from_observations(
            observations, self._body_model.data, solved.full_pose_rotvec,
            basis=self._body_model.expression_basis, regularisation=EXPRESSION_REGULARISATION)


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
    backend = _landmark_backend(options, setup.uses_networks)
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
    body_model: _BodyModel | None      # the user's SMPL-X model; None: the built-in skeleton
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
    body_model = _load_body_model(options)
    num_frames = len(list(options.frame_range.indices(info.frame_count)))
    if not num_frames:
        raise InputError(
            f"the frame range selects no frames (the input has {info.frame_count}); check --start/--end."
        )
    return _Setup(info, intrinsics, device, uses_networks, body_model, num_frames)


def _landmark_backend(options: CaptureOptions, uses_networks: bool):
    """The landmark backend. The network backends keep the built-in people (detection +
    body landmarks: boxes, keypoints, tracking); the networks replace its hand/face
    landmarks and the solve."""
    from .landmarks.options import LandmarkOptions
    from .models import create_landmark_backend

    return create_landmark_backend("mediapipe-tflite" if uses_networks else options.backend, LandmarkOptions(
        max_people=options.max_people, hands=options.hands and not uses_networks,
        face=options.face and not uses_networks, num_threads=options.num_threads,
    ))


def _solver(options: CaptureOptions, setup: _Setup):
    """What turns people into SMPL-X: the networks' solver, or the landmark solve."""
    if setup.uses_networks:
        from .network_backend.runner import NetworkSolver

        return NetworkSolver(options.backend, setup.body_model, options, setup.intrinsics, setup.device,
                             _TrackRecord)
    return _Solver(setup.body_model, options, setup.intrinsics)


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

    return _assemble(
        solver.tracks, source_frames, setup.info, setup.intrinsics, options,
        backend_name=f"{options.backend} ({setup.device})", smooth=smooth_track,
        filter_options=FilterOptions(strength=options.smoothing),
    )


def _assemble(tracks, source_frames, info, intrinsics, options, *, backend_name, smooth, filter_options) -> Capture:
    """Turns the per-track records into the capture file's arrays."""
    from .solve.hold import hold_unsure
    from .tracking.filters import smooth_vectors

    num_frames = len(source_frames)
    min_frames = options.min_track_frames if info.is_video and num_frames > 1 else 1
    min_frames = min(min_frames, num_frames)
    kept = sorted(tid for tid, rec in tracks.items() if len(rec.frame_slots) >= min_frames)
    capture = empty_capture(
        len(kept), num_frames, source=info.path.name, fps=info.fps if info.is_video else 0.0,
        image_size=(info.width, info.height), intrinsics=intrinsics, backend=backend_name,
    )
    capture.frame_indices = np.asarray(source_frames, dtype=np.int64)
    capture.person_ids = np.asarray(kept, dtype=np.int64)
    num_keypoints = len(BODY_LANDMARK_NAMES)
    capture.keypoints_2d = np.zeros((len(kept), num_frames, num_keypoints, 3), dtype=np.float32)
    capture.keypoint_names = np.array(BODY_LANDMARK_NAMES)
    full_pose = np.zeros((len(kept), num_frames, NUM_JOINTS, 3))
    root = np.zeros((len(kept), num_frames, 3))
    for p, tid in enumerate(kept):
        rec = tracks[tid]
        slots = np.asarray(rec.frame_slots)
        capture.valid[p, slots] = True
        capture.confidence[p, slots] = np.clip(rec.score, 0.0, 1.0)
        capture.bbox[p, slots] = np.stack(rec.bbox)
        capture.hand_valid[p, slots] = np.stack(rec.hand_valid)
        capture.face_valid[p, slots] = rec.face_valid
        capture.expression[p, slots] = np.stack(rec.expression)
        capture.keypoints_2d[p, slots] = np.stack(rec.keypoints)
        size = _track_size_scale(rec, options)
        capture.rest_joints[p] = size * rec.rest_joints
        capture.betas[p] = rec.betas
        full_pose[p, slots] = np.stack(rec.full_pose)
        root[p, slots] = size * np.stack(rec.root)
    capture.joint_confidence = _joint_confidence(capture, root)
    for p in range(len(kept)):
        # unsure joints first take what was seen (solve/hold.py), then the whole track is smoothed
        full_pose[p] = hold_unsure(full_pose[p], capture.joint_confidence[p], capture.valid[p])
        full_pose[p], root[p] = smooth(full_pose[p], root[p], capture.valid[p], capture.fps, filter_options)
        capture.expression[p] = smooth_vectors(capture.expression[p], capture.face_valid[p], capture.fps,
                                               filter_options)
        # Invalid frames hold harmless fillers: the rest pose at the camera centre
        # (joints_cam stays forward kinematics of those fillers).
        full_pose[p, ~capture.valid[p]] = 0.0
        root[p, ~capture.valid[p]] = 0.0
    joints = joints_in_camera(full_pose, capture.rest_joints[:, None].astype(np.float64), root)
    for key, value in split_full_pose(full_pose).items():
        setattr(capture, key, value.astype(np.float32))
    capture.root_position = root.astype(np.float32)
    capture.joints_cam = joints.astype(np.float32)
    return capture


def _joint_confidence(capture: Capture, root: np.ndarray) -> np.ndarray:
    """(P, T, 55) float32 per-joint confidence (solve/confidence.py); 0 on invalid frames."""
    from .solve.confidence import joint_confidence, landmark_scores

    scores = landmark_scores(capture.keypoints_2d, capture.valid, root[..., 2], capture.image_size)
    confidence = joint_confidence(scores, capture.hand_valid, capture.face_valid)
    return np.where(capture.valid[..., None], confidence, 0.0).astype(np.float32)


def _track_size_scale(record: _TrackRecord, options: CaptureOptions) -> float:
    """A person's size relative to the landmark model's adult, from the shared floor.

    The median over the frames where the floor said something; 1 without evidence,
    and 1 with the user's SMPL-X model (its skeleton is the body's, not rescalable).
    Scaling the skeleton and the root together about the camera keeps the image.
    """
    if options.smplx_model is not None:
        return 1.0
    scales = np.asarray(record.size_scale, dtype=np.float64)
    scales = scales[np.isfinite(scales)]
    return float(np.median(scales)) if scales.size else 1.0
