"""Checks with a real render that Blender's camera matches the ground truth's intrinsics.

    .venv/bin/python -m bench.media.check_camera

Renders small emissive spheres at known points (centred and off-centre principal
points) and compares each blob's centroid with the OpenCV projection used by the
ground truth; prints the errors in pixels and exits non-zero above 0.3 px (a sphere's image centroid sits slightly off its centre's projection away from the axis).
"""
from __future__ import annotations

import dataclasses
import sys
import tempfile
from pathlib import Path

import numpy as np

from wholebody_core.maths.camera import project

from .camera import CameraSpec, blender_lens, world_to_opencv_camera


@dataclasses.dataclass(frozen=True)
class _Spec(CameraSpec):
    cx: float = 320.0
    cy: float = 240.0

    @property
    def intrinsics(self) -> np.ndarray:
        k = super().intrinsics
        k[0, 2], k[1, 2] = self.cx, self.cy
        return k


def measure(spec: CameraSpec, points: np.ndarray) -> np.ndarray:
    """Renders one emissive sphere per point; returns the (N, 2) blob centroids."""
    import bpy
    import cv2

    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = 16
    scene.cycles.use_denoising = False
    scene.cycles.pixel_filter_type = "BOX"
    scene.render.resolution_x, scene.render.resolution_y = spec.width, spec.height
    scene.view_settings.view_transform = "Standard"
    cam_data = bpy.data.cameras.new("camera")
    for key, value in blender_lens(spec).items():
        setattr(cam_data, key, value)
    cam = bpy.data.objects.new("camera", cam_data)
    scene.collection.objects.link(cam)
    from mathutils import Matrix

    cam.matrix_world = Matrix(spec.world_from_camera().tolist())
    scene.camera = cam
    mat = bpy.data.materials.new("glow")
    mat.use_nodes = True
    nodes = mat.node_tree.nodes
    nodes.remove(nodes["Principled BSDF"])
    emit = nodes.new("ShaderNodeEmission")
    emit.inputs["Strength"].default_value = 5.0
    mat.node_tree.links.new(emit.outputs[0], nodes["Material Output"].inputs["Surface"])
    for p in points:
        bpy.ops.mesh.primitive_uv_sphere_add(radius=0.004, location=tuple(p), segments=32, ring_count=16)
        bpy.context.object.data.materials.append(mat)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dots.png"
        scene.render.filepath = str(path)
        bpy.ops.render.render(write_still=True)
        image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE).astype(float)
    expected = project(world_to_opencv_camera(points, spec.world_from_camera()), spec.intrinsics)
    found = []
    ys, xs = np.mgrid[: image.shape[0], : image.shape[1]]
    for u, v in expected:
        win = (np.abs(xs - u) < 8) & (np.abs(ys - v) < 8)
        w = image * win
        found.append([(w * xs).sum() / w.sum(), (w * ys).sum() / w.sum()])
    return np.array(found), expected


def main() -> int:
    points = np.array([[0.0, 3.0, 1.4], [1.0, 3.0, 2.0], [-1.2, 4.0, 0.6], [0.7, 2.5, 0.9]])
    worst = 0.0
    for spec in (_Spec(), _Spec(cx=300.0, cy=255.0), _Spec(pitch_deg=-10.0, yaw_deg=5.0)):
        found, expected = measure(spec, points)
        err = np.linalg.norm(found - expected, axis=1)
        worst = max(worst, float(err.max()))
        print(f"cx={spec.cx} cy={spec.cy} pitch={spec.pitch_deg} yaw={spec.yaw_deg}: "
              f"errors {np.round(err, 3).tolist()} px")
    print(f"worst {worst:.3f} px")
    return 0 if worst < 0.3 else 1


if __name__ == "__main__":
    sys.exit(main())
