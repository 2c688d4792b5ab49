"""Box overlap and MediaPipe's weighted non-maximum suppression."""
from __future__ import annotations

import numpy as np

from ..maths.boxes import box_iou


# members of a group seeing at least this share of the best member's coverage are
# averaged (views that show the whole person: 1.0; a tile cutting them: far less)
COVERAGE_KEPT = 0.9
# A view holding most of the person (this share of their body crop) sees them whole
# enough to measure the hips and the size; among such views the finest measure best
# (the full frame shows a 200 px person at a third of a tile's resolution, where the
# detector overestimates their size: tilted_45_plaza, a crop 440 px for 275).
MOSTLY_SEEN = 0.7
# views this close in resolution count as equally fine: the tiles (1/2 and 1/3 of
# the short side, 1.5x apart) against the full frame (2.7-4x coarser than a tile)
EQUALLY_FINE = 1.6


def iou_xyxy(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one (4,) box against (N, 4) boxes (x0, y0, x1, y1) -> (N,)."""
    return box_iou(np.asarray(box)[None], boxes)[0]


def weighted_nms(boxes: np.ndarray, scores: np.ndarray, extras: np.ndarray | None = None,
                 iou_threshold: float = 0.3, coverage: np.ndarray | None = None,
                 sure_score: float = 0.0, view_side: np.ndarray | None = None) -> list[tuple[int, np.ndarray, np.ndarray | None]]:
    """MediaPipe's NonMaxSuppressionCalculator, algorithm WEIGHTED.

    Candidates sorted by score; each remaining top candidate absorbs every
    candidate with IoU > ``iou_threshold``; its box (and ``extras`` rows, e.g.
    keypoints) become the score-weighted mean of the absorbed ones; the score stays
    the top one's.

    ``coverage`` (N,) in [0, 1], optional: how much of what a candidate describes
    its input showed (the BlazePose detector: the share of the person's body crop
    inside the tile it ran on). Only the members of a group that saw the most
    (coverage at least ``COVERAGE_KEPT`` of the group's best) are averaged: the
    others' keypoints are extrapolated beyond their view. Among the members scoring
    at least ``sure_score`` (or the top one's score, if lower) only: a view of the
    whole person where the detector is unsure does not override sure ones. Without
    ``coverage``, MediaPipe's rule exactly. With ``view_side`` (N,), the side of
    each candidate's view in image pixels: where some sure members see at least
    ``MOSTLY_SEEN`` of the person, only those from the finest views among them
    (sides within ``EQUALLY_FINE`` of the smallest) are averaged.

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
        averaged = absorbed
        if coverage is not None:
            sure = absorbed[scores[absorbed] >= min(sure_score, scores[top])]
            cov = np.asarray(coverage, dtype=np.float64)[sure]
            averaged = sure[cov >= COVERAGE_KEPT * cov.max()]
            mostly = sure[cov >= MOSTLY_SEEN]
            if view_side is not None and len(mostly):
                side = np.asarray(view_side, dtype=np.float64)[mostly]
                averaged = mostly[side <= EQUALLY_FINE * side.min()]
        weights = scores[averaged]
        total = weights.sum()
        merged_box = (boxes[averaged] * weights[:, None]).sum(axis=0) / total
        merged_extra = None
        if extras is not None:
            ex = np.asarray(extras, dtype=np.float64)
            merged_extra = (ex[averaged] * weights[:, None]).sum(axis=0) / total
        out.append((int(top), merged_box, merged_extra))
        absorbed_set = set(absorbed.tolist())
        order = [i for i in order if i not in absorbed_set]
    return out
