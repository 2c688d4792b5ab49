"""Box overlap and MediaPipe's weighted non-maximum suppression."""
from __future__ import annotations

import numpy as np

from ..maths.boxes import box_iou


def iou_xyxy(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one (4,) box against (N, 4) boxes (x0, y0, x1, y1) -> (N,)."""
    return box_iou(np.asarray(box)[None], boxes)[0]


def weighted_nms(boxes: np.ndarray, scores: np.ndarray, extras: np.ndarray | None = None,
                 iou_threshold: float = 0.3) -> list[tuple[int, np.ndarray, np.ndarray | None]]:
    """MediaPipe's NonMaxSuppressionCalculator, algorithm WEIGHTED.

    Candidates sorted by score; each remaining top candidate absorbs every
    candidate with IoU > ``iou_threshold``; its box (and ``extras`` rows, e.g.
    keypoints) become the score-weighted mean of the absorbed ones; the score stays
    the top one's.

    boxes (N, 4), scores (N,), extras (N, D) or None ->
    list of (index of the top candidate, merged box (4,), merged extras (D,) or None),
    best first.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    order = list(np.argsort(-scores, kind="stable"))
    out: list[tuple[int, np.ndarray, np.ndarray | None]] = []
    while order:
        top = order[0]
        rest = np.asarray(order, dtype=np.int64)
        overlap = iou_xyxy(boxes[top], boxes[rest])
        absorbed = rest[overlap > iou_threshold]
        absorbed = np.union1d(absorbed, [top]).astype(np.int64)
        weights = scores[absorbed]
        total = weights.sum()
        merged_box = (boxes[absorbed] * weights[:, None]).sum(axis=0) / total
        merged_extra = None
        if extras is not None:
            ex = np.asarray(extras, dtype=np.float64)
            merged_extra = (ex[absorbed] * weights[:, None]).sum(axis=0) / total
        out.append((int(top), merged_box, merged_extra))
        absorbed_set = set(absorbed.tolist())
        order = [i for i in order if i not in absorbed_set]
    return out
