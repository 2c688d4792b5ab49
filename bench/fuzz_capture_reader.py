"""Fuzzing the capture reader: seeded byte and structure mutations of a real capture.

``.venv/bin/python -m bench.fuzz_capture_reader --seconds 60 [--seed 0] [--out DIR]``

The base capture comes from the add-on tests' factory (``tests/addon/capture_factory.py``:
people walking, poses, joints by forward kinematics, written by the core's writer).
Each case mutates it one or a few ways and reads it with ``read_capture``:

- bytes: bit flips, overwritten, inserted or deleted bytes, truncation, of the
  compressed and the uncompressed archive;
- structure: a key dropped, added or swapped with another, a dtype changed, a shape
  changed (sliced, padded, reshaped, an axis added), special values (NaN, inf, huge,
  negative, 2**62), bool bytes other than 0/1, big-endian or Fortran-order arrays,
  object arrays (pickles), strings for numbers;
- headers: an ``.npy`` header rewritten to declare another shape or dtype over the
  same data.

Allowed outcomes: a Capture (which must then pass ``validate_capture``, so whatever
the reader accepts the writer would write too) or the core's ``CaptureError``.
With ``--import`` (needs bpy) every accepted capture is also imported through
``bpy.ops.wholebody.import_capture`` into an empty scene, which must finish.
Anything else is a finding: its file is kept in ``--out`` and its traceback printed.
Exits 1 when there were findings.
"""
from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np

if __package__ in (None, ""):          # run as a plain file: the repository, not bench/, on the path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.addon_package import PACKAGE, put_package_on_path  # noqa: E402


SPECIAL = [np.nan, np.inf, -np.inf, 1e30, -1e30, 0.0, -1.0, 2.0**62, 1e-300, -0.0]
DTYPES = [np.float16, np.float32, np.float64, np.int8, np.int32, np.int64, np.uint8, np.bool_, np.complex64,
          "U3", "S3"]


def _mutate_structure(rng, arrays: dict, keys: list[str]) -> str:
    key = keys[rng.integers(len(keys))]
    value = arrays.get(key)
    kind = rng.integers(12)
    if kind == 0 or value is None:
        arrays.pop(key, None)
        return f"drop {key}"
    if kind == 1:
        arrays[f"extra{rng.integers(3)}"] = rng.normal(size=rng.integers(0, 5, size=rng.integers(0, 3)))
        return "add a key"
    if kind == 2:
        other = keys[rng.integers(len(keys))]
        if other in arrays:
            arrays[key], arrays[other] = arrays[other], value
        return f"swap {key} {other}"
    if kind == 3:
        dtype = DTYPES[rng.integers(len(DTYPES))]
        try:
            arrays[key] = value.astype(dtype)
        except (ValueError, TypeError, OverflowError):
            arrays[key] = np.zeros(value.shape, dtype)
        return f"dtype {key} {dtype}"
    if kind == 4 and value.ndim:
        axis = int(rng.integers(value.ndim))
        arrays[key] = np.take(value, np.arange(int(rng.integers(0, value.shape[axis] + 1))), axis=axis)
        return f"slice {key} axis {axis}"
    if kind == 5:
        arrays[key] = np.repeat(value[None], int(rng.integers(0, 3)), axis=0) if value.ndim < 5 else value.ravel()
        return f"reshape {key}"
    if kind == 6 and value.dtype.kind in "fiub" and value.size:
        flat = value.copy().ravel()
        special = SPECIAL[rng.integers(len(SPECIAL))]
        index = rng.integers(flat.size, size=int(rng.integers(1, 4)))
        try:
            flat[index] = special
        except (ValueError, OverflowError):
            flat[index] = -1
        arrays[key] = flat.reshape(value.shape)
        return f"special {key} {special}"
    if kind == 7 and value.dtype == np.bool_ and value.size:
        raw = value.view(np.uint8).copy()
        raw.ravel()[rng.integers(raw.size)] = rng.integers(2, 256)
        arrays[key] = raw.view(np.bool_)
        return f"bool bytes {key}"
    if kind == 8 and value.dtype.kind in "fiu":
        arrays[key] = value.astype(value.dtype.newbyteorder(">")) if rng.random() < 0.5 else np.asfortranarray(value)
        return f"byte order / fortran {key}"
    if kind == 9:
        payload = np.empty((), dtype=object)
        payload[()] = {"x": 1}
        arrays[key] = payload
        return f"object {key}"
    if kind == 10:
        arrays[key] = np.array(str(rng.normal()))
        return f"string {key}"
    if kind == 11 and value.size and value.dtype.kind in "fiu":
        arrays[key] = value * rng.choice([-1, 0, 1e9, 1e-9])
        return f"scale {key}"
    arrays[key] = np.array([])
    return f"empty {key}"


def _npz_bytes(arrays: dict, compressed: bool) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def _rewrite_header(rng, arrays: dict, keys: list[str]) -> bytes:
    """An uncompressed archive where one member's header declares another shape or dtype."""
    target = keys[rng.integers(len(keys))]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for key, value in arrays.items():
            buffer = io.BytesIO()
            if key == target:
                shape = list(value.shape) or [1]
                shape[int(rng.integers(len(shape)))] = int(rng.choice([0, 1, -1, 2**31, 2**62, 10**12]))
                descr = rng.choice(["<f4", "<f8", "|b1", "<i8", "|O", "<U10", value.dtype.str])
                np.lib.format.write_array_header_1_0(buffer, {"descr": str(descr), "fortran_order": False,
                                                              "shape": tuple(shape)})
                buffer.write(value.tobytes())
            else:
                np.lib.format.write_array(buffer, value, allow_pickle=False)
            archive.writestr(key + ".npy", buffer.getvalue())
    return out.getvalue()


def _mutate_bytes(rng, data: bytes) -> tuple[bytes, str]:
    data = bytearray(data)
    kind = rng.integers(5)
    if kind == 0:
        for _ in range(int(rng.integers(1, 8))):
            data[rng.integers(len(data))] ^= 1 << int(rng.integers(8))
        return bytes(data), "bit flips"
    if kind == 1:
        start = int(rng.integers(len(data)))
        data[start:start + 8] = rng.integers(0, 256, size=len(data[start:start + 8]), dtype=np.uint8).tobytes()
        return bytes(data), "overwrite"
    if kind == 2:
        start = int(rng.integers(len(data)))
        return bytes(data[:start] + rng.bytes(int(rng.integers(1, 64))) + data[start:]), "insert"
    if kind == 3:
        start = int(rng.integers(len(data)))
        return bytes(data[:start] + data[start + int(rng.integers(1, 64)):]), "delete"
    return bytes(data[: int(rng.integers(len(data)))]), "truncate"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("bench/out/fuzz_findings"),
                        help="folder for the files of findings")
    parser.add_argument("--top", type=int, default=10, help="how many kinds of outcome to list")
    parser.add_argument("--import", dest="do_import", action="store_true",
                        help="also import every accepted capture with the add-on (bpy)")
    args = parser.parse_args(argv)
    package_parent = put_package_on_path("wholebody_fuzz_pkg_", with_test_helpers=True)
    if args.do_import:
        import bpy
        import addon_utils

        addon_utils.enable(PACKAGE, default_set=True, handle_error=None)
    from capture_factory import synthetic_capture
    from wholebody_mocap.wholebody_core.capture_format import read_capture, validate_capture
    from wholebody_mocap.wholebody_core.errors import CaptureError

    work = Path(tempfile.mkdtemp(prefix="wholebody_fuzz_", dir="/dev/shm" if os.path.isdir("/dev/shm") else None))
    base_path, _ = synthetic_capture(work / "base.capture.npz", num_people=2, num_frames=6, invalid={1: [2, 3]})
    with np.load(base_path, allow_pickle=False) as data:
        base = {key: data[key] for key in data.files}
    keys = sorted(base)
    compressed, plain = _npz_bytes(base, True), _npz_bytes(base, False)
    rng = np.random.default_rng(args.seed)
    outcomes, findings, cases, refused = Counter(), [], 0, 0
    path = work / "case.capture.npz"
    start = time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        cases += 1
        kind = rng.integers(4)
        if kind == 0:
            data, what = _mutate_bytes(rng, compressed if rng.random() < 0.5 else plain)
        elif kind == 1:
            arrays = dict(base)
            what = "; ".join(_mutate_structure(rng, arrays, keys) for _ in range(int(rng.integers(1, 4))))
            data = _npz_bytes(arrays, rng.random() < 0.3)
        elif kind == 2:
            data, what = _rewrite_header(rng, base, keys), "header"
        else:
            arrays = dict(base)
            what = _mutate_structure(rng, arrays, keys)
            data, more = _mutate_bytes(rng, _npz_bytes(arrays, False))
            what += "; " + more
        path.write_bytes(data)
        try:
            capture = read_capture(path)
            validate_capture(capture)
            outcomes["accepted"] += 1
            if args.do_import:
                bpy.ops.wm.read_homefile(use_empty=True)
                if bpy.ops.wholebody.import_capture(filepath=str(path), body="DEFAULT") != {"FINISHED"}:
                    raise RuntimeError("the import did not finish")
                outcomes["imported"] += 1
        except CaptureError as error:
            refused += 1
            reason = str(error).replace(str(path), "").replace(" is not a valid capture file: ", "")
            outcomes["refused: " + re.sub(r"[\d.]+", "N", reason.split(";")[0])[:70]] += 1
        except Exception:  # noqa: BLE001 - a finding
            args.out.mkdir(parents=True, exist_ok=True)
            kept = args.out / f"finding_{args.seed}_{cases}.capture.npz"
            kept.write_bytes(data)
            findings.append((what, kept, traceback.format_exc()))
            print(f"FINDING case {cases} ({what}), kept in {kept}:\n{findings[-1][2]}", flush=True)
    seconds = time.perf_counter() - start
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(package_parent, ignore_errors=True)
    print(f"{cases} cases in {seconds:.0f} s ({cases / seconds:.0f}/s), seed {args.seed}: "
          f"{outcomes['accepted']} accepted ({outcomes['imported']} imported), "
          f"{refused} refused with "
          f"CaptureError, {len(findings)} findings")
    for outcome, count in outcomes.most_common(args.top):
        print(f"  {count:>7}  {outcome}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
