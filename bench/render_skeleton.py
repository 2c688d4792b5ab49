"""Render the posed armatures of a capture as Blender-style octahedral bones, to look at.

    .venv/bin/python bench/render_skeleton.py --demo --out bench/out/skeleton.png
    .venv/bin/python bench/render_skeleton.py --capture clip.capture.npz --frame 10 --out bench/out/skel.png

Renders have no armature overlay, so each posed bone becomes an octahedron
mesh (head -> tail, the wide part a tenth along, like Blender's octahedral
display) with the faces on the bone's +Z side in red and the one between -Z and +X in green, so
rolls can be judged: on this add-on's skeleton Z faces forward on limbs and spine
and up on toes, eyes and jaw. Workbench engine, through the imported camera, or
``--front`` for an orthographic view from the front of the first person.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

if __package__ in (None, ""):          # run as a plain file: the repository, not bench/, on the path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.addon_package import REPO_ROOT, load_addon  # noqa: E402
# ring order +X, +Z, -X, -Z: the quadrants touching +Z red, the one between -Z and +X green
_QUADRANT_KIND = ("z", "z", "body", "x")
_COLORS = {"body": (0.75, 0.75, 0.78, 1.0), "z": (0.85, 0.15, 0.1, 1.0), "x": (0.2, 0.7, 0.2, 1.0)}


def _demo_capture(folder: Path) -> Path:
    """Two synthetic people in a lively pose, close to the camera."""
    from wholebody_mocap.wholebody_core.capture_format import empty_capture, write_capture
    from wholebody_mocap.wholebody_core.maths.kinematics import full_pose_rotvec, joints_in_camera
    from wholebody_mocap.wholebody_core.skeleton import JOINT_INDEX, default_rest_joints

    rng = np.random.default_rng(11)
    K = np.array([[900.0, 0, 480.0], [0, 900.0, 300.0], [0, 0, 1]])
    capture = empty_capture(2, 1, source="demo.png", fps=0.0, image_size=(960, 600), intrinsics=K,
                            backend="demo")
    for p in range(2):
        capture.rest_joints[p] = default_rest_joints()
        capture.global_orient[p, 0] = [np.pi * np.cos(0.35 * (2 * p - 1)), 0.0, np.pi * np.sin(0.35 * (2 * p - 1))]
        capture.body_pose[p, 0] = rng.normal(0, 0.15, (21, 3))
        capture.body_pose[p, 0, JOINT_INDEX["left_shoulder"] - 1] = [0, 0, -0.6]
        capture.body_pose[p, 0, JOINT_INDEX["right_shoulder"] - 1] = [0, 0, 0.9]
        capture.body_pose[p, 0, JOINT_INDEX["left_elbow"] - 1] = [0, -1.2, 0]
        capture.body_pose[p, 0, JOINT_INDEX["left_knee"] - 1] = [0.9, 0, 0]
        capture.left_hand_pose[p, 0] = np.abs(rng.normal(0, 0.4, (15, 3))) * [0, 0, 1]
        capture.right_hand_pose[p, 0] = -np.abs(rng.normal(0, 0.4, (15, 3))) * [0, 0, 1]
        capture.root_position[p, 0] = [-0.55 + 1.1 * p, 0.1, 3.2]
        capture.valid[p, 0] = True
        capture.confidence[p, 0] = 0.9
    pose = full_pose_rotvec(capture.global_orient, capture.body_pose, capture.jaw_pose, capture.leye_pose,
                            capture.reye_pose, capture.left_hand_pose, capture.right_hand_pose)
    capture.joints_cam = joints_in_camera(pose, capture.rest_joints[:, None], capture.root_position).astype(np.float32)
    path = folder / "demo.capture.npz"
    write_capture(path, capture, overwrite=True)
    return path


def _bone_mesh(name: str, armature_obj, collection):
    """One mesh of octahedral bones in the armature's current pose (world space)."""
    import bpy

    depsgraph = bpy.context.evaluated_depsgraph_get()
    evaluated = armature_obj.evaluated_get(depsgraph)
    world = np.array(evaluated.matrix_world)
    verts, faces, kinds = [], [], []
    for pose_bone in evaluated.pose.bones:
        matrix = world @ np.array(pose_bone.matrix)
        head = matrix[:3, 3]
        x_axis, y_axis, z_axis = (matrix[:3, k] / np.linalg.norm(matrix[:3, k]) for k in range(3))
        length = pose_bone.length
        mid = head + 0.1 * length * y_axis
        w = 0.1 * length
        ring = [mid + w * x_axis, mid + w * z_axis, mid - w * x_axis, mid - w * z_axis]
        base = len(verts)
        verts += [head, head + length * y_axis, *ring]
        for k in range(4):
            a, b = base + 2 + k, base + 2 + (k + 1) % 4
            faces += [(base, b, a), (a, b, base + 1)]
            kinds += [_QUADRANT_KIND[k]] * 2
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata([tuple(v) for v in verts], [], faces)
    for key in ("body", "z", "x"):
        material = bpy.data.materials.new(f"{name}_{key}")
        material.diffuse_color = _COLORS[key]
        mesh.materials.append(material)
    mesh.polygons.foreach_set("material_index", [("body", "z", "x").index(k) for k in kinds])
    mesh.update()
    obj = bpy.data.objects.new(name, mesh)
    collection.objects.link(obj)
    return obj


def main(argv=None) -> int:
    if "--" in sys.argv:
        argv = sys.argv[sys.argv.index("--") + 1:]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capture", type=Path)
    parser.add_argument("--demo", action="store_true")
    parser.add_argument("--frame", type=int, default=None, help="scene frame (default: the first captured)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "out" / "render_skeleton.png")
    args = parser.parse_args(argv)
    import bpy

    parent = load_addon("wholebody_render_")
    from wholebody_mocap.wholebody_core.capture_format import read_capture

    capture_path = _demo_capture(Path(tempfile.mkdtemp(prefix="wholebody_demo_"))) if args.demo else args.capture
    if capture_path is None:
        parser.error("give --capture PATH or --demo")
    capture = read_capture(capture_path)
    bpy.ops.wm.read_homefile(use_empty=True)
    if bpy.ops.wholebody.import_capture(filepath=str(capture_path), body="NONE") != {"FINISHED"}:
        return 1
    scene = bpy.context.scene
    scene.frame_set(args.frame if args.frame is not None else int(capture.frame_indices[0]) + 1)
    collection = bpy.data.collections.new("bones")
    scene.collection.children.link(collection)
    for obj in [o for o in scene.objects if o.type == "ARMATURE"]:
        _bone_mesh(f"{obj.name}_bones", obj, collection)
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.display.shading.light = "STUDIO"
    scene.display.shading.color_type = "MATERIAL"
    scene.render.image_settings.file_format = "PNG"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    scene.render.filepath = str(args.out)
    bpy.ops.render.render(write_still=True)
    print(f"wrote {args.out}")
    shutil.rmtree(parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
