"""The person's rest skeleton: the built-in adult skeleton (or the user's SMPL-X
model's mean skeleton) scaled per segment to the limb lengths seen in the body
landmarks (robust median over frames).

Segments and what they scale (offsets of the built-in skeleton, both sides):
upper arm (shoulder->elbow) the elbows; forearm (elbow->wrist) the wrists; thigh
(hip joint->knee) the knees; shin (knee->ankle) the ankles; hip width (BlazePose's
hips lie outside the hip joints, see :mod:`.landmark_map`) the hips' x;
shoulder width the collars' and shoulders' x; torso (mid-hip -> mid-shoulder) the
y components of the hips, spine, collars and shoulders. Everything else (head,
neck, feet, hands) scales with the median of those ratios.
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..landmarks.types import BODY_INDEX, PersonObservation
from ..skeleton import JOINT_INDEX, NUM_JOINTS, default_rest_offsets, offsets_to_rest_joints, rest_joints_to_offsets
from ..maths.rotations import normalize
from .landmark_map import HIP_LANDMARK_LATERAL

_RATIO_RANGE = (0.6, 1.5)
_MIN_VISIBILITY = 0.5


def _joint(name: str) -> int:
    return JOINT_INDEX[name]


def _segment_lengths(body_3d: np.ndarray, vis: np.ndarray, pairs: list[tuple[str, str]]) -> float:
    """Median length over frames and both sides of a landmark pair (metres)."""
    lengths, weights = [], []
    for a, b in pairs:
        ia, ib = BODY_INDEX[a], BODY_INDEX[b]
        lengths.append(np.linalg.norm(body_3d[:, ia] - body_3d[:, ib], axis=-1))
        weights.append(np.minimum(vis[:, ia], vis[:, ib]))
    lengths, weights = np.concatenate(lengths), np.concatenate(weights)
    good = weights >= _MIN_VISIBILITY
    return float(np.median(lengths[good] if good.any() else lengths))


def _midpoint_distance(body_3d: np.ndarray, vis: np.ndarray) -> float:
    hips = 0.5 * (body_3d[:, BODY_INDEX["left_hip"]] + body_3d[:, BODY_INDEX["right_hip"]])
    shoulders = 0.5 * (body_3d[:, BODY_INDEX["left_shoulder"]] + body_3d[:, BODY_INDEX["right_shoulder"]])
    idx = [BODY_INDEX[n] for n in ("left_hip", "right_hip", "left_shoulder", "right_shoulder")]
    good = vis[:, idx].min(1) >= _MIN_VISIBILITY
    d = np.linalg.norm(shoulders - hips, axis=-1)
    return float(np.median(d[good] if good.any() else d))


def fit_rest_joints(observations: list[PersonObservation], template_rest_joints: np.ndarray | None = None
                    ) -> np.ndarray:
    """(55, 3) rest skeleton of one person, SMPL-X model frame, pelvis at the origin.

    Args:
        observations: the person's observations (any number of frames).
        template_rest_joints: (55, 3) the skeleton to scale: the user's SMPL-X model's
            mean skeleton (its betas are then fitted to the result, :mod:`.shape_fit`),
            or None for the built-in adult skeleton.
    Returns:
        (55, 3) float64 metres; the template itself when there are no observations.
    Raises:
        InputError: a ``template_rest_joints`` of the wrong shape or non-finite.
    """
    if template_rest_joints is None:
        offsets = default_rest_offsets()
    else:
        template = np.asarray(template_rest_joints, dtype=np.float64)
        if template.shape != (NUM_JOINTS, 3) or not np.isfinite(template).all():
            raise InputError(f"rest joints must be a finite (55, 3) array, got shape {template.shape}; "
                             "check the SMPL-X model file")
        offsets = rest_joints_to_offsets(template - template[:1])
    if not observations:
        return offsets_to_rest_joints(offsets)
    body = np.stack([np.asarray(o.body_3d, dtype=np.float64) for o in observations])
    vis = np.stack([np.asarray(o.body_2d, dtype=np.float64)[:, 2] for o in observations])
    default = offsets_to_rest_joints(offsets)

    def default_len(a: str, b: str) -> float:
        return float(np.linalg.norm(default[_joint(a)] - default[_joint(b)]))

    ratios: dict[str, float] = {}
    # BlazePose's hips lie outside the hip joints by a lateral offset that scales
    # with the hip width: width_seen = ratio * (joint width + 2 * lateral).
    l_hip, r_hip = body[:, BODY_INDEX["left_hip"]], body[:, BODY_INDEX["right_hip"]]
    joint_width = default_len("left_hip", "right_hip")
    ratios["hips"] = (_segment_lengths(body, vis, [("left_hip", "right_hip")])
                      / (joint_width + 2.0 * HIP_LANDMARK_LATERAL))
    lateral = HIP_LANDMARK_LATERAL * ratios["hips"] * normalize(l_hip - r_hip)
    joints = body.copy()
    joints[:, BODY_INDEX["left_hip"]] -= lateral
    joints[:, BODY_INDEX["right_hip"]] += lateral
    for seg, (a, b) in {"upper_arm": ("shoulder", "elbow"), "forearm": ("elbow", "wrist"),
                        "thigh": ("hip", "knee"), "shin": ("knee", "ankle")}.items():
        seen = _segment_lengths(joints, vis, [(f"left_{a}", f"left_{b}"), (f"right_{a}", f"right_{b}")])
        ratios[seg] = seen / default_len(f"left_{a}", f"left_{b}")
    ratios["shoulders"] = (_segment_lengths(body, vis, [("left_shoulder", "right_shoulder")])
                           / default_len("left_shoulder", "right_shoulder"))
    torso_rest = np.linalg.norm(0.5 * (default[_joint("left_shoulder")] + default[_joint("right_shoulder")])
                                - 0.5 * (default[_joint("left_hip")] + default[_joint("right_hip")]))
    ratios["torso"] = _midpoint_distance(body, vis) / torso_rest
    ratios = {k: float(np.clip(v, *_RATIO_RANGE)) for k, v in ratios.items()}
    overall = float(np.median(list(ratios.values())))

    scaled = offsets * overall
    for side in ("left", "right"):
        for seg, joint in (("upper_arm", "elbow"), ("forearm", "wrist"), ("thigh", "knee"), ("shin", "ankle")):
            scaled[_joint(f"{side}_{joint}")] = offsets[_joint(f"{side}_{joint}")] * ratios[seg]
        for joint in ("hip", "collar", "shoulder"):
            j = _joint(f"{side}_{joint}")
            scaled[j] = offsets[j] * np.array([ratios["hips" if joint == "hip" else "shoulders"],
                                               ratios["torso"], overall])
    for name in ("spine1", "spine2", "spine3"):
        j = _joint(name)
        scaled[j] = offsets[j] * np.array([overall, ratios["torso"], overall])
    return offsets_to_rest_joints(scaled)
