"""Render one frame of an imported capture over its footage, to look at.

    .venv/bin/python bench/render_import.py --capture clip.capture.npz --frame 10 --out bench/out/clip.png
    .venv/bin/python bench/render_import.py --demo --out bench/out/demo.png
    blender --background --python bench/render_import.py -- --capture ... --out ...

Imports the capture with ``bpy.ops.wholebody.import_capture`` (bpy from PyPI or
Blender), renders the bodies through the imported camera (Workbench by default,
or EEVEE/Cycles) with a transparent film, and lays the render over the source
frame itself (imported without the footage plane, so the render holds only the bodies).
With ``--joints`` the capture's 2D joints (K @ joints_cam) are drawn as dots.
``--demo`` makes a synthetic capture of three people and a background image on
which their projected skeletons are drawn: the bodies must cover those drawings.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

if __package__ in (None, ""):          # run as a plain file: the repository, not bench/, on the path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.addon_package import REPO_ROOT, load_addon  # noqa: E402


def _demo_capture(folder: Path) -> Path:
    """Three synthetic people and a background image with their 2D skeletons drawn."""
    import cv2

    from wholebody_mocap.wholebody_core.capture_format import empty_capture, write_capture
    from wholebody_mocap.wholebody_core.maths.kinematics import full_pose_rotvec, joints_in_camera
    from wholebody_mocap.wholebody_core.skeleton import PARENTS, default_rest_joints

    rng = np.random.default_rng(7)
    size = (960, 540)
    K = np.array([[800.0, 0, 470.0], [0, 800.0, 280.0], [0, 0, 1]])
    capture = empty_capture(3, 1, source="demo.png", fps=0.0, image_size=size, intrinsics=K, backend="demo")
    for p in range(3):
        capture.rest_joints[p] = default_rest_joints() * (1.0 - 0.08 * p)
        capture.global_orient[p, 0] = [np.pi * np.cos(0.3 * (p - 1)), 0.0, np.pi * np.sin(0.3 * (p - 1))]
        capture.body_pose[p, 0] = rng.normal(0, 0.25, (21, 3))
        capture.body_pose[p, 0, 15] = [0, 0, -1.1]   # left shoulder down
        capture.body_pose[p, 0, 16] = [0, 0, 1.1]    # right shoulder down
        capture.root_position[p, 0] = [-1.4 + 1.4 * p, 0.3, 4.5 + 0.7 * p]
        capture.valid[p, 0] = True
        capture.confidence[p, 0] = 0.9
    pose = full_pose_rotvec(capture.global_orient, capture.body_pose, capture.jaw_pose, capture.leye_pose,
                            capture.reye_pose, capture.left_hand_pose, capture.right_hand_pose)
    capture.joints_cam = joints_in_camera(pose, capture.rest_joints[:, None], capture.root_position).astype(np.float32)
    image = np.full((size[1], size[0], 3), (70, 60, 50), np.uint8)
    for p in range(3):
        joints = capture.joints_cam[p, 0].astype(np.float64)
        px = (joints @ K.T)[:, :2] / joints[:, 2:]
        for j in range(1, 55):
            a, b = px[j].round().astype(int), px[PARENTS[j]].round().astype(int)
            cv2.line(image, tuple(a), tuple(b), (255, 255, 255), 2, cv2.LINE_AA)
    cv2.imwrite(str(folder / "demo.png"), image)
    path = folder / "demo.capture.npz"
    write_capture(path, capture, overwrite=True)
    return path


def _footage_frame(path: Path, frame_index: int, size: tuple[int, int]) -> np.ndarray:
    """The source frame as BGR uint8 (a grey frame when the footage is not found)."""
    import cv2

    if path is None or not path.is_file():
        return np.full((size[1], size[0], 3), 64, np.uint8)
    capture = cv2.VideoCapture(str(path))
    capture.set(cv2.CAP_PROP_POS_FRAMES, frame_index)
    ok, frame = capture.read()
    capture.release()
    if not ok:
        frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
    return cv2.resize(frame, size) if frame.shape[1::-1] != tuple(size) else frame


def main(argv=None) -> int:
    if "--" in sys.argv:
        argv = sys.argv[sys.argv.index("--") + 1:]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capture", type=Path)
    parser.add_argument("--demo", action="store_true")
    parser.add_argument("--footage", type=Path, help="the source video/image if not next to the capture")
    parser.add_argument("--frame", type=int, default=None, help="scene frame (default: the first captured)")
    parser.add_argument("--engine", choices=("WORKBENCH", "EEVEE", "CYCLES"), default="WORKBENCH")
    parser.add_argument("--floor", action="store_true")
    parser.add_argument("--joints", action="store_true", help="draw the capture's 2D joints")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "out" / "render_import.png")
    args = parser.parse_args(argv)
    import bpy
    import cv2

    parent = load_addon("wholebody_render_")
    from wholebody_mocap.wholebody_core.capture_format import read_capture

    capture_path = _demo_capture(Path(tempfile.mkdtemp(prefix="wholebody_demo_"))) if args.demo else args.capture
    if capture_path is None:
        parser.error("give --capture PATH or --demo")
    capture = read_capture(capture_path)
    bpy.ops.wm.read_homefile(use_empty=True)
    result = bpy.ops.wholebody.import_capture(filepath=str(capture_path), body="AUTO", use_floor=args.floor,
                                              source_path=str(args.footage or ""), footage_in_render=False)
    if result != {"FINISHED"}:
        return 1
    scene = bpy.context.scene
    frame = args.frame if args.frame is not None else int(capture.frame_indices[0]) + 1
    scene.frame_set(frame)
    scene.render.engine = {"WORKBENCH": "BLENDER_WORKBENCH", "EEVEE": "BLENDER_EEVEE", "CYCLES": "CYCLES"}[args.engine]
    if args.engine == "WORKBENCH":
        scene.display.shading.light = "STUDIO"
        scene.display.shading.color_type = "MATERIAL"
    if args.engine == "CYCLES":
        scene.cycles.samples = 16
        scene.cycles.device = "CPU"
    scene.render.film_transparent = True
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "RGBA"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    layer_png = args.out.with_name(args.out.stem + "_bodies.png")
    scene.render.filepath = str(layer_png)
    bpy.ops.render.render(write_still=True)

    size = (int(capture.image_size[0]), int(capture.image_size[1]))
    footage = args.footage or (Path(capture_path).parent / capture.source)
    background = _footage_frame(footage, frame - 1, size).astype(np.float32)
    bodies = cv2.imread(str(layer_png), cv2.IMREAD_UNCHANGED).astype(np.float32)
    alpha = 0.75 * bodies[..., 3:4] / 255.0
    composite = background * (1.0 - alpha) + bodies[..., :3] * alpha
    if args.joints:
        t = int(np.flatnonzero(capture.frame_indices + 1 == frame)[0])
        for p in np.flatnonzero(capture.valid[:, t]):
            joints = capture.joints_cam[p, t].astype(np.float64)
            px = (joints @ capture.intrinsics.T)[:, :2] / joints[:, 2:]
            for u, v in px:
                cv2.circle(composite, (int(round(u)), int(round(v))), 2, (0, 0, 255), -1)
    cv2.imwrite(str(args.out), composite.clip(0, 255).astype(np.uint8))
    print(f"wrote {args.out} (bodies alone: {layer_png})")
    import shutil
    shutil.rmtree(parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
