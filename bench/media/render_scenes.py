"""Renders the test scenes and writes their exact ground truth beside them.

    .venv/bin/python -m bench.media.render_scenes --out DIR [--scenes NAME ...] [--gt-only]

For each scene: ``DIR/NAME.png`` (a still) or ``DIR/NAME.mp4`` (a clip, mp4v), and
``DIR/NAME.gt.npz`` (see ``ground_truth.py``). ``--list`` prints the scene names;
``--checked-in`` renders the subset kept in ``tests/media``. Deterministic: the same
command gives the same ground truth (renders differ only by Cycles' noise, which is
seeded).
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from wholebody_core.maths.camera import project

from . import anny_body, backgrounds, visibility
from .camera import world_to_opencv_camera
from .ground_truth import (GroundTruth, box_of, clip_box, inside_image,
                           write_ground_truth)
from .scenes import CHECKED_IN, SCENES, SceneSpec

log = logging.getLogger("render_scenes")


def pose_scene(scene: SceneSpec) -> list[list[anny_body.PosedBody]]:
    """[frame][person] posed bodies in the world frame."""
    frames = []
    for f in range(scene.num_frames):
        t = scene.time_of(f)
        row = []
        for person in scene.people:
            pose, yaw, xy, lift = person.motion.at(t)
            row.append(anny_body.posed_body(person.phenotype, pose, yaw, xy, lift=lift))
        frames.append(row)
    return frames


def ground_truth(scene: SceneSpec, bodies: list[list[anny_body.PosedBody]]) -> GroundTruth:
    cam = scene.camera
    K, w, h = cam.intrinsics, cam.width, cam.height
    M = cam.world_from_camera()
    P, T = len(scene.people), scene.num_frames
    tris = anny_body.triangles()
    labels = anny_body.bone_labels()
    J, B = len(bodies[0][0].smplx_joints), len(labels)
    gt = {
        "valid": np.zeros((P, T), bool), "joints_cam": np.zeros((P, T, J, 3)),
        "joints_2d": np.zeros((P, T, J, 2)), "joints_visible": np.zeros((P, T, J), bool),
        "root_position": np.zeros((P, T, 3)), "bbox": np.zeros((P, T, 4)),
        "bbox_full": np.zeros((P, T, 4)), "visible_fraction": np.zeros((P, T)),
        "anny_bones_cam": np.zeros((P, T, B, 3)), "coco_cam": np.zeros((P, T, 17, 3)),
        "coco_2d": np.zeros((P, T, 17, 2)),
    }
    for t in range(T):
        verts_cam = [world_to_opencv_camera(b.vertices, M) for b in bodies[t]]
        verts_2d = [project(v, K) for v in verts_cam]
        depth = [visibility.depth_map(v, v2, tris, w, h) if P > 1 else None
                 for v, v2 in zip(verts_cam, verts_2d)]
        for p, b in enumerate(bodies[t]):
            others = [d for q, d in enumerate(depth) if q != p and d is not None]
            joints = world_to_opencv_camera(b.smplx_joints, M)
            joints_2d = project(joints, K)
            full = box_of(verts_2d[p])
            in_img = inside_image(verts_2d[p], w, h) & (verts_cam[p][:, 2] > 0)
            vis_v = in_img & ~visibility.occluded(verts_cam[p], verts_2d[p], others)
            gt["valid"][p, t] = bool(in_img.any())
            gt["joints_cam"][p, t] = joints
            gt["joints_2d"][p, t] = joints_2d
            gt["joints_visible"][p, t] = (inside_image(joints_2d, w, h)
                                          & ~visibility.occluded(joints, joints_2d, others))
            gt["root_position"][p, t] = joints[0]
            gt["bbox_full"][p, t] = full
            gt["bbox"][p, t] = clip_box(full, w, h)
            gt["visible_fraction"][p, t] = vis_v.mean()
            gt["anny_bones_cam"][p, t] = world_to_opencv_camera(b.bone_heads, M)
            coco = world_to_opencv_camera(b.coco, M)
            gt["coco_cam"][p, t] = coco
            gt["coco_2d"][p, t] = project(coco, K)
    return GroundTruth(
        scene=scene.name, media=scene.media_name, intrinsics=K, image_size=cam.image_size,
        fps=scene.fps, frame_indices=np.arange(T, dtype=np.int64),
        person_ids=np.array([p.pid for p in scene.people], dtype=np.int64),
        height_m=np.array([bodies[0][p].stature_m for p in range(P)]),
        is_child=np.array([anny_body.is_child(p.phenotype) for p in scene.people]),
        anny_bone_names=np.array(labels), **gt,
    )


def render(scene: SceneSpec, bodies, out_dir: Path) -> Path:
    import cv2

    from . import blender_scene as bs

    bs.reset_scene(scene.camera, samples=scene.samples, room=scene.room,
                   transparent=scene.background is not None)
    photo = (None if scene.background is None
             else backgrounds.load_photo(scene.background, scene.camera.width, scene.camera.height))
    regions = bs.face_regions()
    meshes = [bs.PersonMesh(f"person{p.pid}", bodies[0][i].vertices, p.outfit, regions)
              for i, p in enumerate(scene.people)]
    for i, p in enumerate(scene.people):
        if getattr(p.motion, "stool", False):
            b = bodies[0][i]
            seat = _seat_height(b)
            x, y = b.smplx_joints[0, :2]
            bs.add_box(f"stool{p.pid}", (x, y, seat / 2), (0.45, 0.45, seat))
    target = out_dir / scene.media_name
    if not scene.is_clip:
        png = target.with_suffix(".png")
        bs.render(png)
        _over_photo(png, photo)
        if target != png:
            write_jpeg(png, target)
            png.unlink()
        return target
    with tempfile.TemporaryDirectory(prefix=scene.name, dir=out_dir) as tmp:
        paths = []
        for t in range(scene.num_frames):
            for mesh, b in zip(meshes, bodies[t]):
                mesh.set_vertices(b.vertices)
            path = Path(tmp) / f"{t:04d}.png"
            bs.render(path)
            _over_photo(path, photo)
            paths.append(path)
            log.info("%s frame %d/%d", scene.name, t + 1, scene.num_frames)
        writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"mp4v"), scene.fps,
                                 (scene.camera.width, scene.camera.height))
        for path in paths:
            writer.write(cv2.imread(str(path)))
        writer.release()
    return target


def _over_photo(png: Path, photo) -> None:
    """Replaces a transparent-film render by its composite over the background photo."""
    if photo is None:
        return
    import cv2

    render_bgra = cv2.imread(str(png), cv2.IMREAD_UNCHANGED)
    if render_bgra is None or render_bgra.ndim != 3 or render_bgra.shape[2] != 4:
        raise OSError(f"{png}: expected an RGBA render on a transparent film")
    if not cv2.imwrite(str(png), backgrounds.composite(render_bgra, photo)):
        raise OSError(f"cannot write {png}")


JPEG_QUALITY = 92


def write_jpeg(png: Path, target: Path) -> None:
    """Re-encodes a rendered PNG as a JPEG (OpenCV, fixed quality: reproducible)."""
    import cv2

    image = cv2.imread(str(png))
    if image is None or not cv2.imwrite(str(target), image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]):
        raise OSError(f"cannot write {target}")


def _seat_height(b: anny_body.PosedBody) -> float:
    """Top of the stool: just under the lowest point of the thighs/buttocks."""
    hip_z = b.smplx_joints[[1, 2], 2].mean()
    return float(hip_z - 0.12)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="output folder (created)")
    parser.add_argument("--scenes", nargs="*", help="scene names (default: all)")
    parser.add_argument("--checked-in", action="store_true", help="the subset in tests/media")
    parser.add_argument("--gt-only", action="store_true", help="write the ground truth only")
    parser.add_argument("--list", action="store_true", help="print the scene names and exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.list:
        print("\n".join(SCENES))
        return 0
    if args.out is None:
        parser.error("--out is required")
    names = args.scenes or (list(CHECKED_IN) if args.checked_in else list(SCENES))
    unknown = [n for n in names if n not in SCENES]
    if unknown:
        parser.error(f"unknown scenes {unknown}; --list shows them")
    args.out.mkdir(parents=True, exist_ok=True)
    for name in names:
        scene = SCENES[name]
        start = time.time()
        bodies = pose_scene(scene)
        gt = ground_truth(scene, bodies)
        write_ground_truth(args.out / f"{name}.gt.npz", gt)
        if not args.gt_only:
            render(scene, bodies, args.out)
        log.info("%s: %d people, %d frames, %.1f s", name, gt.num_people, gt.num_frames,
                 time.time() - start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
