"""Import speed and memory: ``bpy.ops.wholebody.import_capture`` on synthetic captures.

Runs with bpy from PyPI (``.venv/bin/python -m bench.bench_import``). Every case
imports in a fresh child process (so peak memory is that import's own):

- people scaling: 25, 50, 100, 200 people x 10 frames (``--people``, ``--frames``);
  time per person should stay flat (linear in people x frames);
- a long clip: 1 person x 100,000 frames (``--long``), imported with the default
  motion storage (AUTO: baked samples at that length, ``addon/motion_storage.py``)
  and with every frame as keyframes (``--long-storage``).

Memory, per case: *peak*, the process's peak RSS beyond its RSS just before the
import (Blender, the add-on and numpy loaded, the capture not yet read); *kept*,
what stays after it (Blender's own: the keyframes, 72 bytes each, and the
depsgraph's evaluated copy of every action, as much again); *numpy*, the peak of
the import's own Python and numpy allocations (tracemalloc: the capture's arrays,
quaternions, buffers), in a second run (tracemalloc slows it) so the times stay
clean. Blender's growth comes after the import's arrays are freed, so the RSS
peak hides them.
- optionally (``--insert-frames N``) the same keys written with one
  ``keyframe_insert`` per bone and frame (N frames of 1 person), as a reference.

``--body`` NONE (default) or DEFAULT; ``--joint-confidence`` adds the optional
per-joint confidence (55 more keyed properties); ``--repeat R`` keeps the best of R runs.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

if __package__ in (None, ""):          # run as a plain file: the repository, not bench/, on the path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.addon_package import REPO_ROOT, load_addon  # noqa: E402


def _write_capture(path: Path, num_people: int, num_frames: int, joint_confidence: bool = False) -> int:
    """A synthetic capture (2 % of person-frames missing); returns the number of valid person-frames."""
    import numpy as np

    from wholebody_core.capture_format import empty_capture, write_capture
    from wholebody_core.skeleton import default_rest_joints

    rng = np.random.default_rng(0)
    K = np.array([[1000.0, 0, 960], [0, 1000.0, 540], [0, 0, 1]])
    capture = empty_capture(num_people, num_frames, source="bench.mp4", fps=30.0,
                            image_size=(1920, 1080), intrinsics=K, backend="bench")
    capture.rest_joints[:] = default_rest_joints()
    capture.valid[:] = rng.uniform(size=(num_people, num_frames)) > 0.02
    capture.global_orient[:] = [np.pi, 0.0, 0.0]
    for key in ("body_pose", "left_hand_pose", "right_hand_pose"):
        getattr(capture, key)[:] = rng.normal(0, 0.2, getattr(capture, key).shape)
    capture.root_position[:] = [0.0, 0.2, 4.0]
    capture.confidence[:] = rng.uniform(0.5, 1.0, (num_people, num_frames))
    if joint_confidence:
        capture.joint_confidence = rng.uniform(0.0, 1.0, (num_people, num_frames, 55)).astype(np.float32)
    write_capture(path, capture)
    return int(capture.valid.sum())


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _child_import(path: str, body: str, storage: str, traced: bool) -> dict:
    """In the child: enable the add-on, import once, report seconds and peak RSS delta."""
    import bpy

    parent = load_addon()
    import gc
    import shutil

    bpy.ops.wm.read_homefile(use_empty=True)
    gc.collect()
    rss_before = _rss_mb()
    if traced:
        tracemalloc.start()
    start = time.perf_counter()
    result = bpy.ops.wholebody.import_capture(filepath=path, body=body, motion_storage=storage)
    bpy.context.view_layer.update()    # the depsgraph's evaluated copy of the actions, as the UI would make
    seconds = time.perf_counter() - start
    peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20 if traced else float("nan")
    tracemalloc.stop()
    gc.collect()
    kept = _rss_mb() - rss_before
    shutil.rmtree(parent, ignore_errors=True)
    if result != {"FINISHED"}:
        raise RuntimeError(f"import failed: {result}")
    return {"seconds": seconds, "peak_delta_mb": peak_after - rss_before, "kept_mb": kept,
            "traced_mb": traced_peak}


def _child_keyframe_insert(path: str, max_frames: int) -> dict:
    """In the child: the same keys with one keyframe_insert per bone and frame (person 0)."""
    import bpy
    import numpy as np

    load_addon()
    from wholebody_mocap.addon import axis_conversion, bone_frames
    from wholebody_mocap.addon.build_armature import build_armature_object
    from wholebody_mocap.wholebody_core.capture_format import read_capture
    from wholebody_mocap.wholebody_core.skeleton import JOINT_NAMES

    capture = read_capture(path)
    bpy.ops.wm.read_homefile(use_empty=True)
    collection = bpy.data.collections.new("insert")
    bpy.context.scene.collection.children.link(collection)
    obj = build_armature_object("insert", capture.rest_joints[0].astype(float), collection)
    valid = np.flatnonzero(capture.valid[0])[:max_frames]
    pose = np.concatenate([capture.global_orient[0][valid][:, None], capture.body_pose[0][valid],
                           capture.jaw_pose[0][valid][:, None], capture.leye_pose[0][valid][:, None],
                           capture.reye_pose[0][valid][:, None], capture.left_hand_pose[0][valid],
                           capture.right_hand_pose[0][valid]], axis=1)
    frames_model = bone_frames.rest_layout(capture.rest_joints[0].astype(float)).frames
    quats = axis_conversion.bone_quats_wxyz(pose, frames_model)
    locs = axis_conversion.pelvis_locations(capture.root_position[0][valid], capture.rest_joints[0, 0],
                                            frames_model[0])
    bones = [obj.pose.bones[name] for name in JOINT_NAMES]
    start = time.perf_counter()
    for k, t in enumerate(valid):
        frame = float(capture.frame_indices[t] + 1)
        bones[0].location = locs[k]
        bones[0].keyframe_insert("location", frame=frame, group="pelvis")
        for j, bone in enumerate(bones):
            bone.rotation_quaternion = quats[k, j]
            bone.keyframe_insert("rotation_quaternion", frame=frame, group=bone.name)
    return {"seconds": time.perf_counter() - start, "frames": len(valid)}


def _run_child(*args: str) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT),
                                                                      os.environ.get("PYTHONPATH")])))
    run = subprocess.run([sys.executable, "-m", "bench.bench_import", "--child", *args], cwd=REPO_ROOT,
                         env=env, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", default="25,50,100,200", help="people counts of the scaling cases")
    parser.add_argument("--frames", type=int, default=10, help="frames of the scaling cases")
    parser.add_argument("--long", type=int, default=100_000, help="frames of the 1-person case (0: skip)")
    parser.add_argument("--long-storage", default="AUTO,KEYFRAMES",
                        help="motion storages of the long case (AUTO, KEYFRAMES, SAMPLES)")
    parser.add_argument("--body", default="NONE", choices=("NONE", "DEFAULT"))
    parser.add_argument("--joint-confidence", action="store_true", help="captures with joint_confidence")
    parser.add_argument("--insert-frames", type=int, default=0,
                        help="frames of the keyframe_insert reference (0: skip it)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, path, option, *rest = args.child
        result = (_child_import(path, option, rest[0], len(rest) > 1) if kind == "import"
                  else _child_keyframe_insert(path, int(option)))
        print(json.dumps(result))
        return 0

    folder = Path(tempfile.mkdtemp(prefix="wholebody_bench_captures_"))
    cases = [(int(p), args.frames, "AUTO") for p in args.people.split(",") if p]
    if args.long:
        cases += [(1, args.long, storage) for storage in args.long_storage.split(",") if storage]
    print(f"body {args.body}; joint confidence {'yes' if args.joint_confidence else 'no'}; best of "
          f"{args.repeat}; RSS beyond the RSS before the import (MB)")
    print(f"{'people x frames':<18}{'storage':>10}{'keys':>12}{'import s':>10}{'ms/person':>11}{'keys/s':>12}"
          f"{'peak':>8}{'kept':>8}{'numpy':>7}")
    for people, frames, storage in cases:
        path = folder / f"bench_{people}x{frames}.capture.npz"
        valid = _write_capture(path, people, frames, args.joint_confidence)
        keys = valid * (55 * 4 + 3 + 1 + (55 if args.joint_confidence else 0))
        runs = [_run_child("import", str(path), args.body, storage) for _ in range(args.repeat)]
        best = min(runs, key=lambda r: r["seconds"])
        traced = _run_child("import", str(path), args.body, storage, "traced")
        print(f"{people:>5} x {frames:<10,}{storage:>10}{keys:>12,}{best['seconds']:>10.2f}"
              f"{1000 * best['seconds'] / people:>11.1f}{keys / best['seconds']:>12,.0f}"
              f"{best['peak_delta_mb']:>8.0f}{best['kept_mb']:>8.0f}{traced['traced_mb']:>7.0f}")
        path.unlink()
    if args.insert_frames:
        path = folder / "bench_insert.capture.npz"
        _write_capture(path, 1, args.insert_frames)
        ref = _run_child("insert", str(path), str(args.insert_frames))
        keys = ref["frames"] * (55 * 4 + 3)
        print(f"keyframe_insert reference: {ref['frames']} frames x 1 person, {ref['seconds']:.2f} s, "
              f"{keys / ref['seconds']:,.0f} keys/s")
    import shutil
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
