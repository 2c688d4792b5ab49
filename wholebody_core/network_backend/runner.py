"""The network backends' per-person stage: crops, batched forwards, SMPL-X poses, placement.

:class:`NetworkSolver` has the built-in ``_Solver``'s interface (``add``, ``flush``,
``tracks``), so ``pipeline.run_capture`` keeps its detection, tracking, root depth,
filtering and capture assembly; only the landmark solve is replaced. ``add`` queues a
person of a frame (the frame itself is kept once: a frame queue); ``flush`` crops
every queued person and runs each network once per batch of crops from many frames,
under ``torch.inference_mode`` on the chosen device (pinned host memory and
non-blocking copies on CUDA, fp16/bf16 autocast when asked).

Boxes: the person box is the core's (BlazePose body landmarks, tracked). Pose2Pose's
hand and face boxes come from the core's body keypoints (wrist, pinky, index and
thumb points; eyes, ears, nose and mouth); Hand4Whole finds its own.
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import queue
import threading
from collections.abc import Iterator
from typing import Any, Callable

import numpy as np

from ..landmarks.types import BODY_INDEX, PersonObservation
from .combine import combine_hands, hand4whole_full_pose, pose2pose_full_pose, unmirror_rotvec
from .options import NetworkBackendOptions, checkpoint_paths
from .placement import pelvis_pixels, place_pelvis

log = logging.getLogger(__name__)

QUEUE_FRAMES = 8
"""Frames queued before the networks run (people of all of them batched together)."""
HAND_BOX_SCALE = 2.2      # hand box side / wrist-to-knuckles distance (Pose2Pose hand crops)
FACE_BOX_EXTENSION = 2.0  # face box / box around the face keypoints (Pose2Pose face crops)
MIN_PART_BOX_PX = 8.0
MIN_DEPTH_M = 0.1
_P2P_WRISTS = (12, 13)    # L_Wrist, R_Wrist in the 25 positional body joints (CHECKPOINTS.md §5.4)
_H4W_WRISTS = (12, 13)    # the same 25-joint body set (§2.6)


@dataclasses.dataclass
class _Item:
    slot: int
    track_id: int
    obs: PersonObservation
    origin_cam: np.ndarray   # (3,) the core's root depth (depth.py): the mid-hip point


def xyxy_to_xywh(box: np.ndarray) -> np.ndarray:
    box = np.asarray(box, dtype=np.float64)
    return np.array([box[0], box[1], box[2] - box[0], box[3] - box[1]])


def xywh_to_xyxy(box: np.ndarray) -> np.ndarray:
    box = np.asarray(box, dtype=np.float64)
    return np.array([box[0], box[1], box[0] + box[2], box[1] + box[3]])


def hand_box_from_keypoints(body_2d: np.ndarray, side: str) -> np.ndarray:
    """(33, 3) BlazePose keypoints -> (4,) square xyxy hand box: from the wrist past the knuckles.

    Centre: halfway between the wrist and the knuckles (mean of pinky, index and thumb
    points) pushed half a hand further; side: HAND_BOX_SCALE x wrist-to-knuckles distance.
    """
    wrist = body_2d[BODY_INDEX[f"{side}_wrist"], :2]
    knuckles = body_2d[[BODY_INDEX[f"{side}_{p}"] for p in ("pinky", "index", "thumb")], :2].mean(0)
    reach = knuckles - wrist
    centre = wrist + reach
    half = max(0.5 * HAND_BOX_SCALE * float(np.linalg.norm(reach)), MIN_PART_BOX_PX)
    return np.array([centre[0] - half, centre[1] - half, centre[0] + half, centre[1] + half])


def face_box_from_keypoints(body_2d: np.ndarray) -> np.ndarray:
    """(33, 3) BlazePose keypoints -> (4,) xyxy box around the face keypoints (before extension)."""
    names = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "mouth_left", "mouth_right")
    pts = body_2d[[BODY_INDEX[n] for n in names], :2]
    lo, hi = pts.min(0), pts.max(0)
    return np.concatenate([lo, np.maximum(hi, lo + MIN_PART_BOX_PX)])


def prefetch(iterator: Iterator, depth: int = QUEUE_FRAMES) -> Iterator:
    """Runs ``iterator`` (frame decoding) in a reader thread, ``depth`` items ahead.

    Errors in the reader are raised in the consumer; closing the generator stops the reader.
    """
    items: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def read() -> None:
        try:
            for item in iterator:
                while not stop.is_set():
                    with contextlib.suppress(queue.Full):
                        items.put(("item", item), timeout=0.1)
                        break
                if stop.is_set():
                    return
            items.put(("end", done))
        except BaseException as error:  # noqa: BLE001 - handed to the consumer
            items.put(("error", error))

    thread = threading.Thread(target=read, name="frame-reader", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = items.get()
            if kind == "item":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()


class NetworkSolver:
    """Buffers (track, observation, frame) and runs the ``hand4whole`` or ``pose2pose`` networks."""

    def __init__(self, backend: str, body_model: Any, capture_options: Any, intrinsics: np.ndarray, device: str,
                 record_factory: Callable[[], Any]):
        import torch

        from ..networks.checkpoint import load_network

        self.backend = backend
        self.options: NetworkBackendOptions = capture_options.networks or NetworkBackendOptions()
        self._hands, self._face = capture_options.hands, capture_options.face
        paths = checkpoint_paths(backend, self.options, self._hands, self._face, capture_options.smplx_model)
        self._body_model = body_model
        self._intrinsics = np.asarray(intrinsics, dtype=np.float64)
        self._device = torch.device(device)
        if self._device.type == "cpu":
            torch.set_num_threads(max(1, int(capture_options.num_threads)))
            if self.options.precision != "fp32":
                log.warning("--precision %s applies on CUDA; the CPU runs fp32", self.options.precision)
        self._nets = {name: load_network(name, path, self._device) for name, path in paths.items()}
        self._record_factory = record_factory
        self._frames: dict[int, np.ndarray] = {}
        self._pending: list[_Item] = []
        self._betas: dict[int, list[np.ndarray]] = {}
        self.tracks: dict[int, Any] = {}

    # -- the _Solver interface ----------------------------------------------------------
    def add(self, slot: int, track_id: int, obs: PersonObservation, origin_cam: np.ndarray, size_scale: float,
            image_rgb: np.ndarray | None = None) -> None:
        """Queues one person of one frame (``image_rgb`` is kept once per frame)."""
        if image_rgb is None:
            raise ValueError("the network backends need the frame image")
        if slot not in self._frames and len(self._frames) >= QUEUE_FRAMES:
            self.flush()
        self._frames.setdefault(slot, image_rgb)
        self._pending.append(_Item(slot, track_id, obs, np.asarray(origin_cam, dtype=np.float64)))

    def flush(self) -> None:
        """Runs the networks on every queued person and appends the results to their tracks."""
        items, frames = self._pending, self._frames
        self._pending, self._frames = [], {}
        if not items:
            return
        if self.backend == "hand4whole":
            results = self._hand4whole(items, frames)
        else:
            results = self._pose2pose(items, frames)
        depth = self._depth(items, frames)
        for item, result, z in zip(items, results, depth):
            if result is not None:
                self._record(item, result, z)

    # -- networks -------------------------------------------------------------------------
    def _run(self, name: str, crops: list[np.ndarray], extra: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """One network over uint8 (H, W, 3) crops, in batches; outputs as float64 numpy arrays."""
        import torch

        net = self._nets[name]
        config = net.config
        cuda = self._device.type == "cuda"
        mean = torch.tensor(config.pixel_mean, device=self._device).view(1, 3, 1, 1)
        std = torch.tensor(config.pixel_std, device=self._device).view(1, 3, 1, 1)
        dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(self.options.precision)
        outputs: dict[str, list[np.ndarray]] = {}
        size = self.options.batch_size
        for start in range(0, len(crops), size):
            host = torch.from_numpy(np.ascontiguousarray(np.stack(crops[start:start + size])))
            if cuda:
                host = host.pin_memory()
            with torch.inference_mode():
                x = host.to(self._device, non_blocking=cuda).permute(0, 3, 1, 2).float()
                x = (x / config.pixel_scale - mean) / std
                autocast = (torch.autocast("cuda", dtype=dtype) if cuda and dtype is not None
                            else contextlib.nullcontext())
                with autocast:
                    if extra is not None:
                        k = torch.as_tensor(extra[start:start + size], dtype=torch.float32, device=self._device)
                        out = net(x, k)
                    else:
                        out = net(x)
            for key, value in vars(out).items():
                outputs.setdefault(key, []).append(value.float().cpu().numpy().astype(np.float64))
        return {key: np.concatenate(value) for key, value in outputs.items()}

    @staticmethod
    def _crop(image: np.ndarray, box_xywh: np.ndarray, output_hw: tuple[int, int]) -> np.ndarray:
        from ..networks.preprocess import crop_image

        patch, _ = crop_image(image, box_xywh, output_hw)
        return patch.astype(np.uint8)

    def _person_boxes(self, items: list[_Item], frames: dict[int, np.ndarray], config) -> list[np.ndarray | None]:
        from ..networks.preprocess import process_bbox

        boxes = []
        for item in items:
            h, w = frames[item.slot].shape[:2]
            boxes.append(process_bbox(xyxy_to_xywh(item.obs.bbox_xyxy), w, h, config.bbox_aspect_wh))
        return boxes

    def _hand4whole(self, items, frames) -> list[dict | None]:
        from ..networks.preprocess import heatmap_to_image, virtual_camera_in_image

        config = self._nets["hand4whole"].config
        boxes = self._person_boxes(items, frames, config)
        ok = [i for i, b in enumerate(boxes) if b is not None]
        results: list[dict | None] = [None] * len(items)
        if not ok:
            return results
        out = self._run("hand4whole", [self._crop(frames[items[i].slot], boxes[i], config.input_shape_hw)
                                       for i in ok])
        data = self._body_model.data
        full = hand4whole_full_pose(out["root_pose"], out["body_pose"], out["lhand_pose"], out["rhand_pose"],
                                    out["jaw_pose"], data.hands_mean_left, data.hands_mean_right)
        box = np.stack([boxes[i] for i in ok]).astype(np.float64)                      # (M, 4) xywh
        crop_h, crop_w = config.input_shape_hw
        scale = np.stack([box[:, 2] / crop_w, box[:, 3] / crop_h] * 2, axis=1)
        shift = np.stack([box[:, 0], box[:, 1]] * 2, axis=1)
        hand_boxes = np.stack([out["lhand_bbox"] * scale + shift, out["rhand_bbox"] * scale + shift], axis=1)
        wrists = np.stack([heatmap_to_image(out["joint_img"][m, list(_H4W_WRISTS)], (8, 6), box[m])
                           for m in range(len(ok))])
        hand_root = None
        if self.options.integrate_hands and self._hands:
            hand_root = self._hand_roots([items[i] for i in ok], frames, hand_boxes)
        full, hand_valid = combine_hands(full, self._rest_joints(out["shape"]), hand_root, hand_boxes, wrists,
                                         np.full((len(ok), 2), self._hands))
        if not self._face:
            full[:, 22] = 0.0
        for m, i in enumerate(ok):
            focal, princpt = virtual_camera_in_image(box[m], config)
            results[i] = dict(full_pose=full[m], hand_valid=hand_valid[m], face_valid=self._face,
                              expression=out["expr"][m] if self._face else np.zeros(10), betas=out["shape"][m],
                              cam_trans=out["cam_trans"][m], focal=np.array(focal), princpt=np.array(princpt))
        return results

    def _hand_roots(self, items, frames, hand_boxes_xyxy: np.ndarray) -> np.ndarray:
        """(M, 2, 3) global hand rotations from the Pose2Pose hand model on given hand boxes."""
        hand = self._run_hands(items, frames, hand_boxes_xyxy)
        return hand["root"]

    def _run_hands(self, items, frames, hand_boxes_xyxy: np.ndarray) -> dict[str, np.ndarray]:
        """The Pose2Pose hand model on both hands of M people: left crops mirrored, results un-mirrored.

        Returns root (M, 2, 3) global rotations (un-mirrored), fingers (M, 2, 15, 3) MANO offsets
        as predicted (left still mirrored), boxes (M, 2, 4) xyxy of the crops, ok (M, 2).
        """
        from ..networks.preprocess import mirror_box_xywh, process_bbox

        config = self._nets["pose2pose_hand"].config
        mirrored: dict[int, np.ndarray] = {}   # slot -> the frame mirrored (the reference mirrors the image)
        crops, where = [], []
        m_count = len(items)
        boxes = np.zeros((m_count, 2, 4))
        ok = np.zeros((m_count, 2), dtype=bool)
        for m, item in enumerate(items):
            image = frames[item.slot]
            h, w = image.shape[:2]
            for s in range(2):
                processed = process_bbox(xyxy_to_xywh(hand_boxes_xyxy[m, s]), w, h, config.bbox_aspect_wh,
                                         extension=1.0)
                if processed is None:
                    continue
                if s == 0:   # left: the crop of the mirrored image at the mirrored box (CHECKPOINTS.md §5.2)
                    if item.slot not in mirrored:
                        mirrored[item.slot] = np.ascontiguousarray(image[:, ::-1])
                    crops.append(self._crop(mirrored[item.slot], mirror_box_xywh(processed, w),
                                            config.input_shape_hw))
                else:
                    crops.append(self._crop(image, processed, config.input_shape_hw))
                where.append((m, s))
                boxes[m, s] = xywh_to_xyxy(processed)
                ok[m, s] = True
        root = np.zeros((m_count, 2, 3))
        fingers = np.zeros((m_count, 2, 15, 3))
        if crops:
            out = self._run("pose2pose_hand", crops)
            for n, (m, s) in enumerate(where):
                root[m, s] = unmirror_rotvec(out["root_pose"][n]) if s == 0 else out["root_pose"][n]
                fingers[m, s] = out["hand_pose"][n]
        return {"root": root, "fingers": fingers, "boxes": boxes, "ok": ok}

    def _pose2pose(self, items, frames) -> list[dict | None]:
        from ..networks.preprocess import heatmap_to_image, process_bbox, virtual_camera_in_image

        config = self._nets["pose2pose_body"].config
        boxes = self._person_boxes(items, frames, config)
        ok = [i for i, b in enumerate(boxes) if b is not None]
        results: list[dict | None] = [None] * len(items)
        if not ok:
            return results
        people = [items[i] for i in ok]
        body = self._run("pose2pose_body", [self._crop(frames[items[i].slot], boxes[i], config.input_shape_hw)
                                            for i in ok])
        box = np.stack([boxes[i] for i in ok]).astype(np.float64)
        m_count = len(ok)
        wrists = np.stack([heatmap_to_image(body["joint_img"][m, list(_P2P_WRISTS)], (8, 6), box[m])
                           for m in range(m_count)])
        seen = np.zeros((m_count, 2), dtype=bool)
        hand = {"root": None, "fingers": np.zeros((m_count, 2, 15, 3)), "boxes": np.zeros((m_count, 2, 4))}
        if self._hands:
            kp_boxes = np.stack([[hand_box_from_keypoints(p.obs.body_2d, side) for side in ("left", "right")]
                                 for p in people])
            hand = self._run_hands(people, frames, kp_boxes)
            visible = np.stack([[p.obs.body_2d[BODY_INDEX[f"{side}_wrist"], 2] > 0.5 for side in ("left", "right")]
                                for p in people])
            seen = hand["ok"] & visible
        jaw, expr = np.zeros((m_count, 3)), np.zeros((m_count, 10))
        face_valid = np.zeros(m_count, dtype=bool)
        if self._face:
            face_config = self._nets["pose2pose_face"].config
            crops, where = [], []
            for m, p in enumerate(people):
                image = frames[p.slot]
                processed = process_bbox(xyxy_to_xywh(face_box_from_keypoints(p.obs.body_2d)), image.shape[1],
                                         image.shape[0], face_config.bbox_aspect_wh, extension=FACE_BOX_EXTENSION)
                if processed is not None and p.obs.body_2d[BODY_INDEX["nose"], 2] > 0.5:
                    crops.append(self._crop(image, processed, face_config.input_shape_hw))
                    where.append(m)
            if crops:
                face = self._run("pose2pose_face", crops)
                jaw[where], expr[where], face_valid[where] = face["jaw_pose"], face["expr"], True
        mean_right = self._body_model.data.hands_mean_right
        full = pose2pose_full_pose(body["root_pose"], body["body_pose"], hand["fingers"][:, 0],
                                   hand["fingers"][:, 1], jaw, mean_right)
        betas = np.zeros((m_count, 10))  # SMPL betas are not SMPL-X's: the model's mean shape
        full, hand_valid = combine_hands(full, self._rest_joints(betas), hand["root"] if self._hands else None,
                                         hand["boxes"], wrists, seen)
        for m, i in enumerate(ok):
            focal, princpt = virtual_camera_in_image(box[m], config)
            results[i] = dict(full_pose=full[m], hand_valid=hand_valid[m], face_valid=bool(face_valid[m]),
                              expression=expr[m], betas=betas[m], cam_trans=body["cam_trans"][m],
                              focal=np.array(focal), princpt=np.array(princpt))
        return results

    def _depth(self, items, frames) -> np.ndarray:
        """(N,) pelvis depth in metres: RootNet's where given (and plausible), else the core's (depth.py)."""
        depth = np.array([item.origin_cam[2] for item in items], dtype=np.float64)
        if "rootnet" not in self._nets:
            return depth
        from ..networks.rootnet import rootnet_k_value

        config = self._nets["rootnet"].config
        boxes = self._person_boxes(items, frames, config)
        ok = [i for i, b in enumerate(boxes) if b is not None]
        if not ok:
            return depth
        focal = (self._intrinsics[0, 0], self._intrinsics[1, 1])
        k = np.array([rootnet_k_value(boxes[i][2:], focal) for i in ok])
        out = self._run("rootnet", [self._crop(frames[items[i].slot], boxes[i], config.input_shape_hw) for i in ok],
                        extra=k)
        z = out["depth"] / 1000.0   # mm (bbox_real 2000 mm x 2000 mm) -> m
        good = np.isfinite(z) & (z > MIN_DEPTH_M)
        if not good.all():
            log.info("RootNet gave %d implausible depths; the core's root depth is used there", int((~good).sum()))
        depth[np.asarray(ok)[good]] = z[good]
        return depth

    # -- records --------------------------------------------------------------------------
    def _rest_joints(self, betas: np.ndarray) -> np.ndarray:
        from ..body_model import rest_joints_for_betas

        return rest_joints_for_betas(self._body_model.data, np.asarray(betas, dtype=np.float64))

    def _pelvis_model(self, betas: np.ndarray) -> np.ndarray:
        """(3,) the pelvis joint in the model frame (not at the origin in SMPL-X)."""
        from ..body_model import shaped_vertices

        data = self._body_model.data
        return data.J_regressor[0] @ shaped_vertices(data, np.asarray(betas, dtype=np.float64))

    def _record(self, item: _Item, result: dict, depth_m: float) -> None:
        from ..maths.camera import project

        record = self.tracks.setdefault(item.track_id, self._record_factory())
        bank = self._betas.setdefault(item.track_id, [])
        bank.append(np.asarray(result["betas"], dtype=np.float64))
        record.betas = np.median(np.stack(bank), axis=0)
        record.rest_joints = self._rest_joints(record.betas)
        pelvis_px = pelvis_pixels(result["cam_trans"][None], self._pelvis_model(result["betas"])[None],
                                  result["focal"][None], result["princpt"][None])[0]
        image_wh = 2.0 * self._intrinsics[:2, 2]
        if not (np.isfinite(pelvis_px).all() and (np.abs(pelvis_px - 0.5 * image_wh) < 2.0 * image_wh).all()):
            pelvis_px = project(item.origin_cam, self._intrinsics)   # implausible camera head: the core's root
        record.frame_slots.append(item.slot)
        record.full_pose.append(np.asarray(result["full_pose"], dtype=np.float64))
        record.root.append(place_pelvis(pelvis_px[None], np.array([depth_m]), self._intrinsics)[0])
        record.bbox.append(np.asarray(item.obs.bbox_xyxy, dtype=np.float64))
        record.score.append(float(item.obs.score))
        record.hand_valid.append(np.asarray(result["hand_valid"], dtype=bool))
        record.face_valid.append(bool(result["face_valid"]))
        record.expression.append(np.asarray(result["expression"], dtype=np.float64))
        record.keypoints.append(np.asarray(item.obs.body_2d, dtype=np.float64))
        record.size_scale.append(float("nan"))
