"""Ground truth of a rendered scene: arrays, writing, reading, checking.

One ``SCENE.gt.npz`` per scene, readable with ``numpy.load(path, allow_pickle=False)``
(no object arrays). Frames and units are the capture file's (``CAPTURE_FORMAT.md``):
OpenCV camera frame (x right, y down, z forward), metres, pixels with integer centres.

Keys (P people, T frames, J mapped SMPL-X joints, B anny bones):

| key | dtype, shape | meaning |
|---|---|---|
| ``format`` | str () | "wholebody-media-gt/1" |
| ``scene`` | str () | scene name |
| ``media`` | str () | file name of the render (png or mp4) beside it |
| ``intrinsics`` | float64 (3,3) | K, pixels |
| ``image_size`` | int32 (2,) | width, height |
| ``fps`` | float64 () | 0 for a still |
| ``frame_indices`` | int64 (T,) | frame index in the media |
| ``person_ids`` | int64 (P,) | ids, stable over the clip |
| ``num_people`` | int64 () | the true person count (= P) |
| ``valid`` | bool (P,T) | some of the person is inside the image |
| ``joint_names`` | str (J,) | mapped SMPL-X joint names, SMPL-X order |
| ``smplx_indices`` | int64 (J,) | index of each in the 55 SMPL-X joints |
| ``joints_cam`` | float32 (P,T,J,3) | metres |
| ``joints_2d`` | float32 (P,T,J,2) | pixels |
| ``joints_visible`` | bool (P,T,J) | joint not hidden by another body (self-occlusion ignored) and inside the image |
| ``root_position`` | float32 (P,T,3) | the SMPL-X pelvis-equivalent point (anny ``root`` head) |
| ``bbox`` | float32 (P,T,4) | x0,y0,x1,y1 of the projected mesh, clipped to the image |
| ``bbox_full`` | float32 (P,T,4) | the same, not clipped |
| ``visible_fraction`` | float32 (P,T) | share of the mesh's vertices inside the image and not hidden by another body |
| ``height_m`` | float32 (P,) | stature in the rest pose (sole to top of head) |
| ``is_child`` | bool (P,) | |
| ``anny_bone_names`` | str (B,) | anny bone labels |
| ``anny_bones_cam`` | float32 (P,T,B,3) | anny bone heads, metres |
| ``coco_names`` | str (17,) | COCO keypoints |
| ``coco_cam`` | float32 (P,T,17,3) | anny's COCO keypoint regressor on the posed mesh |
| ``coco_2d`` | float32 (P,T,17,2) | their projections |
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from wholebody_core.maths.camera import project
from wholebody_core.npz_io import write_npz_atomically

from .joint_map import COCO_NAMES, SMPLX_INDICES, SMPLX_NAMES

GT_FORMAT = "wholebody-media-gt/1"
SUFFIX = ".gt.npz"


@dataclasses.dataclass
class GroundTruth:
    scene: str
    media: str
    intrinsics: np.ndarray
    image_size: np.ndarray
    fps: float
    frame_indices: np.ndarray
    person_ids: np.ndarray
    valid: np.ndarray
    joints_cam: np.ndarray
    joints_2d: np.ndarray
    joints_visible: np.ndarray
    root_position: np.ndarray
    bbox: np.ndarray
    bbox_full: np.ndarray
    visible_fraction: np.ndarray
    height_m: np.ndarray
    is_child: np.ndarray
    anny_bone_names: np.ndarray
    anny_bones_cam: np.ndarray
    coco_cam: np.ndarray
    coco_2d: np.ndarray
    joint_names: np.ndarray = dataclasses.field(default_factory=lambda: np.array(SMPLX_NAMES))
    smplx_indices: np.ndarray = dataclasses.field(default_factory=lambda: SMPLX_INDICES.copy())
    coco_names: np.ndarray = dataclasses.field(default_factory=lambda: np.array(COCO_NAMES))

    @property
    def num_people(self) -> int:
        return int(self.person_ids.shape[0])

    @property
    def num_frames(self) -> int:
        return int(self.frame_indices.shape[0])

    def joint_index(self, name: str) -> int:
        return int(np.flatnonzero(self.joint_names == name)[0])


_DTYPES = {
    "intrinsics": np.float64, "image_size": np.int32, "frame_indices": np.int64,
    "person_ids": np.int64, "valid": np.bool_, "joints_cam": np.float32,
    "joints_2d": np.float32, "joints_visible": np.bool_, "root_position": np.float32,
    "bbox": np.float32, "bbox_full": np.float32, "visible_fraction": np.float32,
    "height_m": np.float32, "is_child": np.bool_, "anny_bones_cam": np.float32,
    "coco_cam": np.float32, "coco_2d": np.float32, "smplx_indices": np.int64,
}


def box_of(points_2d: np.ndarray) -> np.ndarray:
    """(N, 2) -> (4,) x0, y0, x1, y1."""
    return np.concatenate([points_2d.min(axis=0), points_2d.max(axis=0)])


def clip_box(box: np.ndarray, width: int, height: int) -> np.ndarray:
    """Clipped to the image's outer pixel edges [-0.5, w - 0.5] x [-0.5, h - 0.5]."""
    lo, hi = np.array([-0.5, -0.5]), np.array([width - 0.5, height - 0.5])
    return np.concatenate([np.clip(box[:2], lo, hi), np.clip(box[2:], lo, hi)])


def inside_image(points_2d: np.ndarray, width: int, height: int) -> np.ndarray:
    return ((points_2d[..., 0] >= -0.5) & (points_2d[..., 0] <= width - 0.5)
            & (points_2d[..., 1] >= -0.5) & (points_2d[..., 1] <= height - 0.5))


def to_arrays(gt: GroundTruth) -> dict[str, np.ndarray]:
    arrays = {"format": np.array(GT_FORMAT), "scene": np.array(gt.scene),
              "media": np.array(gt.media), "fps": np.float64(gt.fps),
              "num_people": np.int64(gt.num_people),
              "joint_names": np.asarray(gt.joint_names).astype(str),
              "anny_bone_names": np.asarray(gt.anny_bone_names).astype(str),
              "coco_names": np.asarray(gt.coco_names).astype(str)}
    for key, dtype in _DTYPES.items():
        arrays[key] = np.asarray(getattr(gt, key)).astype(dtype)
    return arrays


def write_ground_truth(path: str | os.PathLike, gt: GroundTruth) -> Path:
    """Checks and writes atomically."""
    check_ground_truth(gt)
    return write_npz_atomically(path, to_arrays(gt))


def read_ground_truth(path: str | os.PathLike) -> GroundTruth:
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    if str(arrays.get("format")) != GT_FORMAT:
        raise ValueError(f"{path} is not a {GT_FORMAT} ground-truth file")
    fields = {f.name for f in dataclasses.fields(GroundTruth)}
    kwargs = {k: v for k, v in arrays.items() if k in fields}
    kwargs.update(scene=str(arrays["scene"]), media=str(arrays["media"]), fps=float(arrays["fps"]))
    gt = GroundTruth(**kwargs)
    check_ground_truth(gt)
    return gt


def check_ground_truth(gt: GroundTruth, tolerance_px: float = 0.5) -> None:
    """Raises ValueError if shapes disagree or the 2D points are not the 3D ones projected."""
    P, T, J = gt.num_people, gt.num_frames, len(gt.joint_names)
    B = len(gt.anny_bone_names)
    want = {
        "valid": (P, T), "joints_cam": (P, T, J, 3), "joints_2d": (P, T, J, 2),
        "joints_visible": (P, T, J), "root_position": (P, T, 3), "bbox": (P, T, 4),
        "bbox_full": (P, T, 4), "visible_fraction": (P, T), "height_m": (P,),
        "is_child": (P,), "anny_bones_cam": (P, T, B, 3), "coco_cam": (P, T, 17, 3),
        "coco_2d": (P, T, 17, 2), "intrinsics": (3, 3), "image_size": (2,),
        "smplx_indices": (J,),
    }
    for key, shape in want.items():
        value = np.asarray(getattr(gt, key))
        if value.shape != shape:
            raise ValueError(f"ground truth {key!r} has shape {value.shape}, expected {shape}")
        if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            raise ValueError(f"ground truth {key!r} holds NaN or inf")
    if P and T:
        err = np.abs(project(gt.joints_cam.astype(np.float64), gt.intrinsics) - gt.joints_2d)
        if err.max() > tolerance_px:
            raise ValueError(f"joints_2d differ from the projected joints_cam by {err.max():.3f} px")
