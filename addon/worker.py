"""The core as a worker process: command line, progress records, cancel (no bpy).

The worker is ``python -m wholebody_core INPUT -o OUTPUT --json-progress ...`` run
with the core environment's Python, in the extension root (where the
``wholebody_core`` package lies). Its stdout carries one JSON record per line
(``start``, ``progress``, ``done``, ``error``); its stderr is the log. Two
threads read them into a queue and a bounded log; Blender's main thread drains
the queue (:meth:`WorkerProcess.poll`) from a modal timer or a blocking loop.
"""
from __future__ import annotations

import collections
import dataclasses
import json
import os
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path

from ..wholebody_core.capture_format import SUFFIX

EXTENSION_ROOT = Path(__file__).resolve().parent.parent
EXIT_CANCELLED = 130
_POSIX = os.name == "posix"


@dataclasses.dataclass
class CaptureRequest:
    """Options of one capture run (the CLI's flags)."""

    input_path: str
    output_path: str
    focal_px: float = 0.0            # > 0: --focal
    focal_mm: float = 0.0            # > 0 with sensor_mm: --focal-mm/--sensor-mm
    sensor_mm: float = 36.0
    max_people: int = 0              # 0: the command line's default (10); the panel always sends 1-64
    start: int = -1                  # -1: from the first frame
    end: int = -1                    # stop before this frame (the CLI's --end); -1: to the end
    stride: int = 1
    device: str = "auto"
    smplx_model: str = ""
    smoothing: float = -1.0          # < 0: the core's default
    backend: str = ""                # "": the core's default (mediapipe-tflite); see --list-backends
    checkpoint_body: str = ""        # the network backends' released checkpoints ("": not given)
    checkpoint_hand: str = ""
    checkpoint_face: str = ""
    checkpoint_hand4whole: str = ""
    checkpoint_rootnet: str = ""
    precision: str = ""              # "": fp32


def default_output_path(input_path: str | os.PathLike) -> Path:
    """``<input stem>.capture.npz`` next to the input, with ``_2``, ``_3``... if taken."""
    input_path = Path(input_path)
    candidate = input_path.with_name(input_path.stem + SUFFIX)
    counter = 2
    while candidate.exists():
        candidate = input_path.with_name(f"{input_path.stem}_{counter}{SUFFIX}")
        counter += 1
    return candidate


def capture_command(core_python: str, request: CaptureRequest) -> list[str]:
    """The worker's argument list (no shell)."""
    args = [core_python, "-m", "wholebody_core", str(request.input_path),
            "-o", str(request.output_path), "--json-progress"]
    if request.focal_px > 0:
        args += ["--focal", repr(float(request.focal_px))]
    elif request.focal_mm > 0:
        args += ["--focal-mm", repr(float(request.focal_mm)), "--sensor-mm", repr(float(request.sensor_mm))]
    if request.max_people > 0:
        args += ["--max-people", str(int(request.max_people))]
    if request.start >= 0:
        args += ["--start", str(int(request.start))]
    if request.end >= 0:
        args += ["--end", str(int(request.end))]
    if request.stride > 1:
        args += ["--stride", str(int(request.stride))]
    if request.device:
        args += ["--device", request.device]
    if request.smplx_model:
        args += ["--smplx-model", str(request.smplx_model)]
    if request.smoothing >= 0:
        args += ["--smoothing", repr(float(request.smoothing))]
    if request.backend:
        args += ["--backend", request.backend]
    for part in ("body", "hand", "face", "hand4whole", "rootnet"):
        path = getattr(request, f"checkpoint_{part}")
        if request.backend and path:   # checkpoints only travel with a network backend
            args += [f"--checkpoint-{part}", str(path)]
    if request.precision:
        args += ["--precision", request.precision]
    return args


class WorkerProcess:
    """A child process whose stdout lines become records in a queue.

    Records are dicts: the worker's JSON objects; a stdout line that is not JSON
    becomes ``{"event": "log", "message": line}``.
    """

    def __init__(self, args: list[str], cwd: str | os.PathLike = EXTENSION_ROOT,
                 log_lines: int = 200, env: dict | None = None):
        self.args = list(args)
        self.records: queue.Queue = queue.Queue()
        self.log: collections.deque = collections.deque(maxlen=log_lines)
        self.cancelled = False
        self._stop_sent_at: float | None = None
        self._process = subprocess.Popen(
            self.args, cwd=str(cwd), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace", bufsize=1,
            env=env, start_new_session=_POSIX,   # its own process group: a cancel reaches its children
        )
        self._threads = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _read_stdout(self) -> None:
        for line in self._process.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                record = None
            if not isinstance(record, dict) or "event" not in record:
                record = {"event": "log", "message": line}
                self.log.append(line)
            self.records.put(record)

    def _read_stderr(self) -> None:
        for line in self._process.stderr:
            self.log.append(line.rstrip("\n"))

    @property
    def pid(self) -> int:
        return self._process.pid

    def poll(self) -> list[dict]:
        """Every record that arrived since the last call (never blocks)."""
        records = []
        while True:
            try:
                records.append(self.records.get_nowait())
            except queue.Empty:
                return records

    def returncode(self) -> int | None:
        """The exit status once the process ended and its output is read, else None."""
        code = self._process.poll()
        if code is None or any(thread.is_alive() for thread in self._threads):
            return None
        return code

    def wait(self, timeout: float | None = None) -> int:
        code = self._process.wait(timeout)
        for thread in self._threads:
            thread.join(timeout)
        return code

    def request_stop(self, kill_after: float = 10.0) -> None:
        """Non-blocking cancel for a UI timer: SIGTERM once, SIGKILL when overdue."""
        self.cancelled = True
        if self._process.poll() is not None:
            return
        now = time.monotonic()
        if self._stop_sent_at is None:
            self._stop_sent_at = now
            self._end(hard=False)
        elif now - self._stop_sent_at > kill_after:
            self._end(hard=True)

    def cancel(self, timeout: float = 10.0) -> int:
        """SIGTERM, then SIGKILL after ``timeout`` seconds; returns the exit status."""
        self.cancelled = True
        if self._process.poll() is None:
            self._end(hard=False)
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._end(hard=True)
        return self.wait(timeout)

    def _end(self, hard: bool) -> None:
        """SIGTERM (``hard``: SIGKILL) to the worker and every process it started (POSIX: its
        process group, so pip under install.py stops too); on Windows, terminate/kill."""
        if _POSIX:
            try:
                os.killpg(self._process.pid, signal.SIGKILL if hard else signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                pass
        elif hard:
            self._process.kill()
        else:
            self._process.terminate()

    def log_tail(self, lines: int = 8) -> str:
        return "\n".join(list(self.log)[-lines:])


def error_message(records: list[dict], worker: WorkerProcess, exit_code: int) -> str:
    """What to tell the user when the worker failed: its error record, else its log."""
    for record in reversed(records):
        if record.get("event") == "error" and record.get("message"):
            return str(record["message"])
    tail = worker.log_tail(4).strip()
    detail = f": {tail}" if tail else ""
    return f"the capture worker exited with status {exit_code}{detail}"
