"""Import speed: the add-on's bulk keyframe writing against ``keyframe_insert``.

Runs with bpy from PyPI (``.venv/bin/python bench/bench_import.py``) or inside
Blender (``blender --background --python bench/bench_import.py``). Writes
synthetic captures (10,000 frames x 1 person; 3 people x 3,000 frames), imports
each through ``bpy.ops.wholebody.import_capture`` and times it, then writes the
same keys (55 quaternions + the pelvis location per valid frame) with one
``keyframe_insert`` per bone and frame in the same run.

Options: ``--insert-frames N`` caps the frames of the keyframe_insert reference
(0: all frames; the reference is slow), ``--repeat R``.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "wholebody_mocap"


def _load_addon():
    """The repository as the extension package (a symlink on sys.path), enabled."""
    import addon_utils

    parent = Path(tempfile.mkdtemp(prefix="wholebody_bench_"))
    os.symlink(REPO_ROOT, parent / PACKAGE)
    sys.path.insert(0, str(parent))
    addon_utils.enable(PACKAGE, default_set=True, handle_error=None)
    return parent


def _capture(path: Path, num_people: int, num_frames: int):
    import numpy as np

    from wholebody_mocap.wholebody_core.capture_format import empty_capture, write_capture
    from wholebody_mocap.wholebody_core.skeleton import default_rest_joints

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
    write_capture(path, capture)
    return capture


def _time_import(path: Path, body: str) -> float:
    import bpy

    bpy.ops.wm.read_homefile(use_empty=True)
    start = time.perf_counter()
    result = bpy.ops.wholebody.import_capture(filepath=str(path), body=body)
    elapsed = time.perf_counter() - start
    if result != {"FINISHED"}:
        raise RuntimeError(f"import failed: {result}")
    return elapsed


def _time_keyframe_insert(capture, max_frames: int) -> tuple[float, int]:
    """The same keys, one keyframe_insert per bone and frame; returns (seconds, frames done)."""
    import bpy
    import numpy as np

    from wholebody_mocap.addon import axis_conversion, bone_frames
    from wholebody_mocap.addon.build_armature import build_armature_object
    from wholebody_mocap.wholebody_core.skeleton import JOINT_NAMES

    bpy.ops.wm.read_homefile(use_empty=True)
    collection = bpy.data.collections.new("insert")
    bpy.context.scene.collection.children.link(collection)
    total_seconds, total_frames = 0.0, 0
    for person in range(capture.num_people):
        obj = build_armature_object(f"insert{person}", capture.rest_joints[person].astype(float), collection)
        valid = np.flatnonzero(capture.valid[person])
        if max_frames:
            valid = valid[:max_frames]
        pose = np.concatenate([capture.global_orient[person][valid][:, None], capture.body_pose[person][valid],
                               capture.jaw_pose[person][valid][:, None], capture.leye_pose[person][valid][:, None],
                               capture.reye_pose[person][valid][:, None], capture.left_hand_pose[person][valid],
                               capture.right_hand_pose[person][valid]], axis=1)
        frames_model = bone_frames.rest_layout(capture.rest_joints[person].astype(float)).frames
        quats = axis_conversion.bone_quats_wxyz(pose, frames_model)
        locs = axis_conversion.pelvis_locations(capture.root_position[person][valid], capture.rest_joints[person, 0],
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
        total_seconds += time.perf_counter() - start
        total_frames += len(valid)
    return total_seconds, total_frames


def main(argv=None) -> int:
    if "--" in sys.argv:  # blender --background --python bench_import.py -- --insert-frames 500
        argv = sys.argv[sys.argv.index("--") + 1:]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--insert-frames", type=int, default=0,
                        help="frames per person for the keyframe_insert reference (0: all)")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    import bpy

    parent = _load_addon()
    folder = Path(tempfile.mkdtemp(prefix="wholebody_bench_captures_"))
    print(f"Blender {bpy.app.version_string}")
    print(f"{'case':<24}{'body':<9}{'keys':>11}{'import s':>10}{'keys/s':>12}")
    for people, frames in ((1, 10_000), (3, 3_000)):
        path = folder / f"bench_{people}x{frames}.capture.npz"
        capture = _capture(path, people, frames)
        keys = int(capture.valid.sum()) * (55 * 4 + 3)
        for body in ("NONE", "DEFAULT"):
            best = min(_time_import(path, body) for _ in range(args.repeat))
            print(f"{people} x {frames:<18}{body:<9}{keys:>11,}{best:>10.2f}{keys / best:>12,.0f}")
        seconds, done = _time_keyframe_insert(capture, args.insert_frames)
        insert_keys = done * (55 * 4 + 3)
        full = seconds * keys / insert_keys
        note = "" if done == int(capture.valid.sum()) else f" (measured on {done} frames, scaled)"
        print(f"{people} x {frames:<18}{'insert':<9}{keys:>11,}{full:>10.2f}{insert_keys / seconds:>12,.0f}"
              f"  keyframe_insert{note}")
    import shutil
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
