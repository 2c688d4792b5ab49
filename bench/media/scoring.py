"""Scores a capture file against a scene's ground truth (numpy + scipy; no Blender).

All distances in metres unless the name says mm or px. Captured people are matched to
ground-truth people frame by frame (Hungarian assignment on box overlap and 2D joint
distance); every pose metric is computed over the matched pairs.

- MPJPE: mean distance of the :data:`joint_map.BODY_JOINTS` after subtracting each
  skeleton's pelvis (root-relative), millimetres.
- PA-MPJPE: the same after a similarity Procrustes alignment (scale, rotation,
  translation) of the captured joints onto the true ones, millimetres.
- Root error: distance between the captured and the true pelvis in the camera frame
  (absolute, and divided by the true pelvis distance from the camera); also the error
  of its depth z alone.
- Depth order: over pairs of people matched in the same frame whose true depths differ
  by more than ``min_depth_gap``, the share whose captured depth order is right.
- Detection: recall over the true people that are visible enough
  (``visible_fraction >= min_visible``); precision over the captured people (a capture
  matched to any true person, however hidden, is not a false positive).
- Id switches: for each true person, how many times the captured id matched to it
  changes from one matched frame to the next (MOT counting: two people swapping ids
  is 2 switches, in 1 frame; ``id_switch_frames`` counts such frames).
- Jitter: mean norm of the joints' acceleration (second difference times fps²) over
  runs of three consecutive matched frames, for the capture and for the ground truth,
  and the mean norm of their difference, m/s².
- Joints wrongly marked sure / unsure (the capture's optional ``joint_confidence``;
  below ``sure_threshold`` = 0.5 is unsure): over the person-joint-frames of the
  matched pairs, body joints only (:data:`joint_map.BODY_JOINTS`),
  *wrongly sure* is the share that is marked sure although the ground truth does not
  see the joint (``joints_visible`` false: outside the image or hidden by another
  person), and *wrongly unsure* the share that is marked unsure although the joint is
  seen and the capture put it within ``near_fraction`` of the person's true height
  (the unclipped box's, in pixels) of its true image position. Both shares have the
  same denominator, so they add up to the share of joints whose confidence is wrong
  (among those it can be judged on). Self-occlusion is not counted as unseen.

The mapped SMPL-X joints are anny bone heads; the README lists the constant offsets
between the two skeleton definitions, which MPJPE includes (PA-MPJPE removes part).
"""
from __future__ import annotations

import dataclasses

import numpy as np
from scipy.optimize import linear_sum_assignment

from wholebody_core.maths.boxes import box_iou
from wholebody_core.maths.camera import project

from .ground_truth import GroundTruth
from .joint_map import BODY_JOINTS


@dataclasses.dataclass(frozen=True)
class ScoreOptions:
    min_iou: float = 0.3          # a captured person must overlap a true one this much to match
    min_visible: float = 0.2      # true people less visible than this are not required (recall)
    min_depth_gap: float = 0.1    # metres; closer pairs are not counted in the depth order
    sure_threshold: float = 0.5   # joint_confidence at or above this: the joint is marked sure
    near_fraction: float = 0.1    # a seen joint this close (times the true box height, px) was found


@dataclasses.dataclass
class Match:
    """One matched pair in one frame."""

    t: int              # index into the ground truth's frames
    gt: int             # ground-truth person index
    cap: int            # capture person index
    cap_frame: int      # index into the capture's frames
    iou: float


@dataclasses.dataclass
class Score:
    frames: int
    gt_people: int                 # person-frames required (visible enough)
    captured: int                  # captured person-frames
    matched: int
    recall: float
    precision: float
    mpjpe_mm: float
    pa_mpjpe_mm: float
    joints_2d_px: float
    root_error_m: float
    root_error_rel: float
    depth_error_m: float
    depth_error_rel: float
    depth_order_accuracy: float
    depth_order_pairs: int
    id_switches: int
    id_switch_frames: int          # frames in which at least one switch happens
    jitter_capture: float
    jitter_gt: float
    jitter_error: float
    true_person_count: int         # people in the scene (P of the ground truth)
    per_person: list
    confidence_joints: int = 0     # matched person-joint-frames judged (0: no joint_confidence)
    unseen_share: float = float("nan")    # of those, not seen in the ground truth
    wrongly_sure: float = float("nan")    # of those, sure (conf >= 0.5) but not seen
    wrongly_unsure: float = float("nan")  # of those, unsure but seen and found

    def to_dict(self) -> dict:
        return {k: (None if isinstance(v, float) and not np.isfinite(v) else v)
                for k, v in dataclasses.asdict(self).items()}


def procrustes_align(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Similarity transform of ``source`` (N, 3) that best fits ``target`` (N, 3)
    in least squares (Umeyama); returns the aligned source."""
    mu_s, mu_t = source.mean(0), target.mean(0)
    s, t = source - mu_s, target - mu_t
    u, sig, vt = np.linalg.svd(t.T @ s)
    d = np.sign(np.linalg.det(u @ vt))
    fix = np.diag([1.0, 1.0, d])
    rot = u @ fix @ vt
    var = (s ** 2).sum()
    scale = (sig * np.diag(fix)).sum() / var if var > 0 else 1.0
    return scale * s @ rot.T + mu_t


def _body_columns(gt: GroundTruth) -> tuple[np.ndarray, np.ndarray]:
    """Columns of the body joints in the ground truth and in the 55 SMPL-X joints."""
    names = [str(n) for n in gt.joint_names]
    cols = np.array([names.index(n) for n in BODY_JOINTS])
    return cols, np.asarray(gt.smplx_indices)[cols]


def match_frames(capture, gt: GroundTruth, options: ScoreOptions = ScoreOptions()) -> list[Match]:
    """Hungarian matching per frame common to both (by frame index)."""
    cols_gt, cols_cap = _body_columns(gt)
    cap_frame_of = {int(f): i for i, f in enumerate(capture.frame_indices)}
    matches: list[Match] = []
    for t, frame in enumerate(gt.frame_indices):
        c = cap_frame_of.get(int(frame))
        if c is None:
            continue
        gts = np.flatnonzero(gt.valid[:, t])
        caps = np.flatnonzero(capture.valid[:, c])
        if not len(gts) or not len(caps):
            continue
        iou = box_iou(gt.bbox[gts, t], capture.bbox[caps, c])
        # 2D body-joint distance, in units of the true box height, as a tie-breaker
        cap_2d = project(capture.joints_cam[caps, c][:, cols_cap].astype(float), capture.intrinsics)
        gt_2d = gt.joints_2d[gts, t][:, cols_gt]
        dist = np.linalg.norm(gt_2d[:, None] - cap_2d[None], axis=-1).mean(-1)
        height = np.maximum(gt.bbox[gts, t, 3] - gt.bbox[gts, t, 1], 1.0)[:, None]
        cost = (1.0 - iou) + np.minimum(dist / height, 1.0)
        cost = np.where(iou >= options.min_iou, cost, 1e6)
        rows, colsm = linear_sum_assignment(cost)
        for r, k in zip(rows, colsm):
            if cost[r, k] < 1e6:
                matches.append(Match(t=t, gt=int(gts[r]), cap=int(caps[k]), cap_frame=c,
                                     iou=float(iou[r, k])))
    return matches


def score(capture, gt: GroundTruth, options: ScoreOptions = ScoreOptions()) -> Score:
    """Every metric of the module docstring for one capture and one scene."""
    matches = match_frames(capture, gt, options)
    cols_gt, cols_cap = _body_columns(gt)
    cap_frame_of = {int(f): i for i, f in enumerate(capture.frame_indices)}
    common = [t for t, f in enumerate(gt.frame_indices) if int(f) in cap_frame_of]
    required = gt.valid & (gt.visible_fraction >= options.min_visible)
    n_required = int(required[:, common].sum()) if common else 0
    n_captured = int(sum(capture.valid[:, cap_frame_of[int(gt.frame_indices[t])]].sum() for t in common))
    matched_required = sum(1 for m in matches if required[m.gt, m.t])

    mpjpe, pa, px, root, root_rel, dz, dz_rel = [], [], [], [], [], [], []
    per_person: dict[int, list[float]] = {}
    for m in matches:
        g = gt.joints_cam[m.gt, m.t][cols_gt].astype(float)
        c = capture.joints_cam[m.cap, m.cap_frame][cols_cap].astype(float)
        e = np.linalg.norm((c - c[0]) - (g - g[0]), axis=-1).mean()
        mpjpe.append(e)
        per_person.setdefault(int(gt.person_ids[m.gt]), []).append(e)
        pa.append(np.linalg.norm(procrustes_align(c, g) - g, axis=-1).mean())
        px.append(np.linalg.norm(project(c, capture.intrinsics) - gt.joints_2d[m.gt, m.t][cols_gt], axis=-1).mean())
        gr = gt.root_position[m.gt, m.t].astype(float)
        cr = capture.root_position[m.cap, m.cap_frame].astype(float)
        root.append(np.linalg.norm(cr - gr))
        root_rel.append(root[-1] / np.linalg.norm(gr))
        dz.append(abs(cr[2] - gr[2]))
        dz_rel.append(dz[-1] / gr[2])

    conf = _confidence_errors(matches, gt, capture, cols_gt, cols_cap, options)
    correct, pairs = _depth_order(matches, gt, capture, options)
    jit_c, jit_g, jit_e = _jitter(matches, gt, capture, cols_gt, cols_cap)
    mean = lambda x: float(np.mean(x)) if len(x) else float("nan")  # noqa: E731
    return Score(
        frames=len(common), gt_people=n_required, captured=n_captured, matched=len(matches),
        recall=matched_required / n_required if n_required else float("nan"),
        precision=len(matches) / n_captured if n_captured else float("nan"),
        mpjpe_mm=1000 * mean(mpjpe), pa_mpjpe_mm=1000 * mean(pa), joints_2d_px=mean(px),
        root_error_m=mean(root), root_error_rel=mean(root_rel),
        depth_error_m=mean(dz), depth_error_rel=mean(dz_rel),
        depth_order_accuracy=correct / pairs if pairs else float("nan"), depth_order_pairs=pairs,
        id_switches=id_switches(matches, gt, capture),
        id_switch_frames=len(id_switch_frames(matches, gt, capture)),
        jitter_capture=jit_c, jitter_gt=jit_g, jitter_error=jit_e,
        true_person_count=gt.num_people,
        per_person=[{"id": k, "frames": len(v), "mpjpe_mm": 1000 * float(np.mean(v))}
                    for k, v in sorted(per_person.items())],
        **conf,
    )


def confidence_counts(confidence: np.ndarray, visible: np.ndarray, error_px: np.ndarray,
                      near_px: np.ndarray, sure_threshold: float = 0.5) -> tuple[int, int, int, int]:
    """Counts of joints wrongly marked sure and unsure.

    Args:
        confidence: (N, J) the capture's joint confidence (N matched person-frames).
        visible: (N, J) bool, the ground truth sees the joint.
        error_px: (N, J) distance of the captured joint's projection from the true one.
        near_px: (N,) how close a seen joint must be to count as found.
    Returns:
        (sure but unseen, unsure but seen and found, unseen, N * J).
    """
    sure = confidence >= sure_threshold
    found = visible & (error_px <= near_px[:, None])
    return (int((sure & ~visible).sum()), int((~sure & found).sum()), int((~visible).sum()),
            int(confidence.size))


def _confidence_errors(matches, gt, capture, cols_gt, cols_cap, options) -> dict:
    """Score fields of the wrongly sure / unsure joints; empty without joint_confidence."""
    conf_all = getattr(capture, "joint_confidence", None)
    if conf_all is None or not matches:
        return {}
    conf, vis, err, near = [], [], [], []
    for m in matches:
        c = capture.joints_cam[m.cap, m.cap_frame][cols_cap].astype(float)
        err.append(np.linalg.norm(project(c, capture.intrinsics) - gt.joints_2d[m.gt, m.t][cols_gt], axis=-1))
        conf.append(conf_all[m.cap, m.cap_frame][cols_cap])
        vis.append(gt.joints_visible[m.gt, m.t][cols_gt])
        near.append(options.near_fraction * (gt.bbox_full[m.gt, m.t, 3] - gt.bbox_full[m.gt, m.t, 1]))
    sure_unseen, unsure_found, unseen, total = confidence_counts(
        np.stack(conf), np.stack(vis), np.stack(err), np.asarray(near), options.sure_threshold)
    return {"confidence_joints": total, "unseen_share": unseen / total,
            "wrongly_sure": sure_unseen / total, "wrongly_unsure": unsure_found / total}


def _depth_order(matches, gt, capture, options) -> tuple[int, int]:
    by_frame: dict[int, list[Match]] = {}
    for m in matches:
        by_frame.setdefault(m.t, []).append(m)
    correct = pairs = 0
    for t, ms in by_frame.items():
        for i in range(len(ms)):
            for j in range(i + 1, len(ms)):
                a, b = ms[i], ms[j]
                dg = gt.root_position[a.gt, t, 2] - gt.root_position[b.gt, t, 2]
                if abs(dg) < options.min_depth_gap:
                    continue
                dc = (capture.root_position[a.cap, a.cap_frame, 2]
                      - capture.root_position[b.cap, b.cap_frame, 2])
                pairs += 1
                correct += int(np.sign(dc) == np.sign(dg))
    return correct, pairs


def id_switches(matches: list[Match], gt: GroundTruth, capture) -> int:
    """Changes of the captured id matched to each true person over its matched frames."""
    switches = 0
    for p in range(gt.num_people):
        seq = sorted((m.t, int(capture.person_ids[m.cap])) for m in matches if m.gt == p)
        switches += sum(1 for (_, a), (_, b) in zip(seq, seq[1:]) if a != b)
    return switches


def id_switch_frames(matches: list[Match], gt: GroundTruth, capture) -> set[int]:
    """Frame indices (into the ground truth) where some true person's captured id changes."""
    frames: set[int] = set()
    for p in range(gt.num_people):
        seq = sorted((m.t, int(capture.person_ids[m.cap])) for m in matches if m.gt == p)
        frames.update(t for (_, a), (t, b) in zip(seq, seq[1:]) if a != b)
    return frames


def _jitter(matches, gt, capture, cols_gt, cols_cap) -> tuple[float, float, float]:
    if gt.fps <= 0 or gt.num_frames < 3:
        return float("nan"), float("nan"), float("nan")
    fps = gt.fps
    at = {(m.gt, m.t): m for m in matches}
    acc_c, acc_g, acc_e = [], [], []
    step = np.diff(gt.frame_indices)
    for p in range(gt.num_people):
        for t in range(1, gt.num_frames - 1):
            trio = [at.get((p, t + k)) for k in (-1, 0, 1)]
            if None in trio or step[t - 1] != step[t]:
                continue
            dt = step[t] / fps
            g = np.stack([gt.joints_cam[p, m.t][cols_gt] for m in trio]).astype(float)
            c = np.stack([capture.joints_cam[m.cap, m.cap_frame][cols_cap] for m in trio]).astype(float)
            ag = (g[2] - 2 * g[1] + g[0]) / dt ** 2
            ac = (c[2] - 2 * c[1] + c[0]) / dt ** 2
            acc_g.append(np.linalg.norm(ag, axis=-1).mean())
            acc_c.append(np.linalg.norm(ac, axis=-1).mean())
            acc_e.append(np.linalg.norm(ac - ag, axis=-1).mean())
    mean = lambda x: float(np.mean(x)) if x else float("nan")  # noqa: E731
    return mean(acc_c), mean(acc_g), mean(acc_e)


def format_score(s: Score, title: str = "") -> str:
    def f(x, fmt):
        return "n/a" if not np.isfinite(x) else format(x, fmt)

    lines = [
        title or "score",
        f"  frames {s.frames}, true people in the scene {s.true_person_count}",
        f"  detection: recall {f(s.recall, '.3f')} ({s.matched}/{s.gt_people} required person-frames), "
        f"precision {f(s.precision, '.3f')} ({s.matched}/{s.captured} captured)",
        f"  MPJPE {f(s.mpjpe_mm, '.1f')} mm, PA-MPJPE {f(s.pa_mpjpe_mm, '.1f')} mm, "
        f"2D body joints {f(s.joints_2d_px, '.1f')} px",
        f"  root error {f(s.root_error_m, '.3f')} m ({f(100 * s.root_error_rel, '.1f')} % of distance), "
        f"depth error {f(s.depth_error_m, '.3f')} m ({f(100 * s.depth_error_rel, '.1f')} %)",
        f"  depth order {f(s.depth_order_accuracy, '.3f')} over {s.depth_order_pairs} pairs",
        f"  id switches {s.id_switches} (in {s.id_switch_frames} frames)",
        f"  jitter (mean joint acceleration) capture {f(s.jitter_capture, '.2f')} m/s^2, "
        f"ground truth {f(s.jitter_gt, '.2f')} m/s^2, difference {f(s.jitter_error, '.2f')} m/s^2",
        f"  joint confidence over {s.confidence_joints} body joints of matched people: "
        f"{f(100 * s.unseen_share, '.1f')} % unseen; wrongly sure {f(100 * s.wrongly_sure, '.1f')} %, "
        f"wrongly unsure {f(100 * s.wrongly_unsure, '.1f')} %",
    ]
    for p in s.per_person:
        lines.append(f"  person {p['id']}: {p['frames']} frames, MPJPE {p['mpjpe_mm']:.1f} mm")
    return "\n".join(lines)
