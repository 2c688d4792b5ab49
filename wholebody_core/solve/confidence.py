"""How sure a capture is of each SMPL-X joint: per-joint confidence from the evidence for it.

A joint's confidence (0..1; below :data:`SURE` it was not really seen) is, as the
capture format defines it, how sure the capture is of the joint's *position*: the
weakest of the landmarks found at that joint (:data:`JOINT_EVIDENCE`; a hip joint
on the frame's edge is seen even when the knee below it is not).

A joint's *rotation* is another matter (:func:`rotation_confidence`): it turns the
bones going out of the joint, so it is known only where the joint and the ends of
those bones, its children, are seen (the hip's rotation needs the knee); the
parent's own rotation answers for the bone coming in (requiring the parent too
made a hip unsure wherever the other hip was hidden, and cost 3 mm PA-MPJPE on
the occlusion render). The solver's holds use it, and the add-on's "Key unsure
joints" reads it from the capture's positions.
Each body landmark's score combines what the landmark model says with what the
image says, because BlazePose reports limbs it invents (the legs of a man cut at
the waist by the bottom of the frame) with visibilities above 0.9:

* outside the image: not seen, whatever the model's score. The score ramps from 1
  a margin inside the border to 0.5 on the border and 0 as far outside; the margin
  is the landmark's localization error (:func:`localization_margins`: a tenth of
  the person's torso), at least :data:`EDGE_MARGIN` of the short side;
* inside the silhouette of another person who stands in front (root at least
  :data:`IN_FRONT_M` nearer the camera): hidden, 0. The silhouette is a set of
  capsules round that person's limbs, torso and head, from their keypoints (the
  segmentation masks stay in the landmark stage; these are rough);
* BlazePose's visibility ``v`` scales the rest by ``0.5 + 0.5 v``: low for a limb
  behind the person's own body (the far arm of someone walking across the frame),
  whose position the model still infers from the body around it. Visibility alone
  therefore lowers a joint's confidence but never puts it below 0.5; below 0.5
  needs evidence from the image (outside, hidden) or a model that found nothing.

Hands and face: the finger joints are seen only where the hand model found the
hand and the solve used it (``hand_valid``); jaw and eyes only where the face
mesh was used (``face_valid``). A model that was skipped (``--no-hands``,
``--no-face``) saw nothing: those joints score 0.
"""
from __future__ import annotations

import numpy as np

from ..landmarks.types import BODY_INDEX
from ..skeleton import JOINT_INDEX, JOINT_NAMES, NUM_JOINTS, PARENTS

SURE = 0.5
"""A joint below this was not really seen (the capture format's threshold)."""
EDGE_MARGIN = 0.01        # fraction of the image's short side (at least 2 px) over which the edge score ramps
LOCALIZATION_ERROR = 0.1  # a landmark's localization error, as a fraction of its person's torso length
IN_FRONT_M = 0.2          # another person's root this much nearer the camera stands in front
HIDDEN_SCORE = 0.0        # a landmark inside the silhouette of someone in front

# Evidence beyond the 33 body landmarks, as extra columns after them.
LEFT_HAND, RIGHT_HAND, FACE = 33, 34, 35
NUM_EVIDENCE = 36
_EXTRA = {"left_hand_model": LEFT_HAND, "right_hand_model": RIGHT_HAND, "face_model": FACE}


def _position_table() -> dict[str, tuple[tuple[str, ...], ...]]:
    hips, shoulders = ("left_hip", "right_hip"), ("left_shoulder", "right_shoulder")
    table = {"pelvis": (hips,), "spine1": (hips,),
             # the mid and upper back lie between the hips and the shoulders, the chest and neck at the shoulders
             "spine2": (hips + shoulders,), "spine3": (shoulders,), "neck": (shoulders,),
             # the head from the face mesh where it was used, else from the body's face points
             "head": (("nose", "left_eye", "right_eye"), ("face_model",)),
             "jaw": (("face_model",),), "left_eye_smplhf": (("face_model",),),
             "right_eye_smplhf": (("face_model",),)}
    for s in ("left", "right"):
        table.update({f"{s}_{joint}": ((f"{s}_{joint}",),)
                      for joint in ("hip", "knee", "ankle", "shoulder", "elbow", "wrist")})
        table.update({
            f"{s}_foot": ((f"{s}_foot_index",),),          # SMPL-X's foot joint: the ball of the foot
            f"{s}_collar": (shoulders,),
            # the knuckles: the hand model's, else the body's own hand points near them
            f"{s}_index1": ((f"{s}_wrist", f"{s}_index"), (f"{s}_wrist", f"{s}_hand_model")),
            f"{s}_pinky1": ((f"{s}_wrist", f"{s}_pinky"), (f"{s}_wrist", f"{s}_hand_model")),
            f"{s}_middle1": ((f"{s}_wrist", f"{s}_index", f"{s}_pinky"), (f"{s}_wrist", f"{s}_hand_model")),
            f"{s}_ring1": ((f"{s}_wrist", f"{s}_index", f"{s}_pinky"), (f"{s}_wrist", f"{s}_hand_model")),
            f"{s}_thumb1": ((f"{s}_wrist", f"{s}_thumb"), (f"{s}_wrist", f"{s}_hand_model")),
        })
        for finger in ("index", "middle", "pinky", "ring", "thumb"):
            for k in (2, 3):
                table[f"{s}_{finger}{k}"] = ((f"{s}_wrist", f"{s}_hand_model"),)
    return table


JOINT_EVIDENCE: dict[str, tuple[tuple[str, ...], ...]] = _position_table()
"""SMPL-X joint -> alternative sets of evidence for its position. A joint's
confidence is the best alternative's weakest member: the landmarks (BlazePose
names) at the joint, and ``*_hand_model``/``face_model``: the hand or face model
found and used in that frame."""


def _rotation_neighbours() -> list[np.ndarray]:
    """Per joint, the joints whose positions fix its rotation: itself and its children (where
    its bones go); the head's rotation comes from the face points at the head itself, not from the
    jaw and eyes (which only the face mesh places)."""
    children = [np.flatnonzero(PARENTS == j) for j in range(NUM_JOINTS)]
    face = {JOINT_INDEX[n] for n in ("jaw", "left_eye_smplhf", "right_eye_smplhf")}
    out = []
    for j in range(NUM_JOINTS):
        kids = [c for c in children[j] if not (JOINT_NAMES[j] == "head" and c in face)]
        out.append(np.array(sorted({j} | {int(c) for c in kids})))
    return out


_ROTATION_NEIGHBOURS = _rotation_neighbours()


def rotation_confidence(position_confidence: np.ndarray) -> np.ndarray:
    """(..., 55) joint (position) confidence -> (..., 55) how sure each joint's local rotation is:
    the weakest of itself and its children (module docstring)."""
    position_confidence = np.asarray(position_confidence)
    return np.stack([position_confidence[..., idx].min(-1) for idx in _ROTATION_NEIGHBOURS], -1)


def _compile() -> list[list[np.ndarray]]:
    if set(JOINT_EVIDENCE) != set(JOINT_NAMES):
        raise RuntimeError("JOINT_EVIDENCE must name every SMPL-X joint once")
    return [[np.array([_EXTRA.get(name, BODY_INDEX.get(name, -1)) for name in alternative])
             for alternative in JOINT_EVIDENCE[joint]] for joint in JOINT_NAMES]


_COMPILED = _compile()


def edge_scores(points_px: np.ndarray, image_size, margin_px: np.ndarray | float = 0.0) -> np.ndarray:
    """(..., 2) pixels -> (...) 1 well inside the image, 0.5 on its border, 0 outside.

    The ramp is :data:`EDGE_MARGIN` of the short side wide, or ``margin_px``
    (broadcast against ``points_px[..., 0]``) where that is wider."""
    width, height = float(image_size[0]), float(image_size[1])
    margin = np.maximum(max(2.0, EDGE_MARGIN * min(width, height)), margin_px)
    x, y = points_px[..., 0], points_px[..., 1]
    inside = np.minimum(np.minimum(x + 0.5, width - 0.5 - x), np.minimum(y + 0.5, height - 0.5 - y))
    return np.clip(0.5 + 0.5 * inside / margin, 0.0, 1.0)


def localization_margins(px: np.ndarray) -> np.ndarray:
    """(..., 33, 2) a person's keypoints -> (..., 1) pixels: how far inside the frame a landmark
    must lie to be surely in it. A landmark model cannot place a point beyond the image, so
    limbs that leave the frame pile up at its edge; a point closer to the edge than the
    model's own localization error may be outside. That error is a few per cent of the
    body's size (PA-MPJPE 40-90 mm on 1.6-1.8 m people, README): :data:`LOCALIZATION_ERROR`
    of the torso length (about 3 % of the stature)."""
    return LOCALIZATION_ERROR * torso_lengths(px)[..., None]


def torso_lengths(px: np.ndarray) -> np.ndarray:
    """(..., 33, 2) keypoints -> (...) pixels from the mid-shoulder to the mid-hip."""
    mid_shoulder = 0.5 * (px[..., BODY_INDEX["left_shoulder"], :] + px[..., BODY_INDEX["right_shoulder"], :])
    mid_hip = 0.5 * (px[..., BODY_INDEX["left_hip"], :] + px[..., BODY_INDEX["right_hip"], :])
    return np.linalg.norm(mid_shoulder - mid_hip, axis=-1)


# Silhouette capsules of a person from their keypoints: (a, b, radius / torso length in pixels).
_CAPSULES = [(BODY_INDEX[a], BODY_INDEX[b], r) for a, b, r in (
    ("left_shoulder", "left_elbow", 0.12), ("left_elbow", "left_wrist", 0.10),
    ("right_shoulder", "right_elbow", 0.12), ("right_elbow", "right_wrist", 0.10),
    ("left_hip", "left_knee", 0.17), ("left_knee", "left_ankle", 0.13),
    ("right_hip", "right_knee", 0.17), ("right_knee", "right_ankle", 0.13),
    ("left_ankle", "left_foot_index", 0.08), ("right_ankle", "right_foot_index", 0.08),
    ("left_shoulder", "left_hip", 0.15), ("right_shoulder", "right_hip", 0.15),
    ("left_shoulder", "right_hip", 0.15), ("right_shoulder", "left_hip", 0.15),
    ("left_ear", "right_ear", 0.22), ("nose", "nose", 0.22))]


def inside_silhouette(points_px: np.ndarray, other_px: np.ndarray) -> np.ndarray:
    """(N, K, 2) points, (N, 33, 2) another person's keypoints -> (N, K) bool: inside
    that person's capsule silhouette (limbs, torso, head; sized by their torso length)."""
    torso = torso_lengths(other_px)[:, None]                                   # (N, 1)
    inside = np.zeros(points_px.shape[:2], dtype=bool)
    for a, b, radius in _CAPSULES:
        pa, pb = other_px[:, a, None], other_px[:, b, None]                     # (N, 1, 2)
        seg = pb - pa
        length2 = np.maximum(np.sum(seg * seg, -1), 1e-9)
        s = np.clip(np.sum((points_px - pa) * seg, -1) / length2, 0.0, 1.0)
        dist = np.linalg.norm(points_px - (pa + s[..., None] * seg), axis=-1)
        inside |= dist <= radius * torso
    return inside


def landmark_scores(keypoints: np.ndarray, valid: np.ndarray, root_depth: np.ndarray, image_size
                    ) -> np.ndarray:
    """How well each body landmark of each person was seen (module docstring).

    Args:
        keypoints: (P, T, 33, 3) pixel x, y and BlazePose visibility.
        valid: (P, T) bool.
        root_depth: (P, T) metres, each person's root depth (who stands in front).
        image_size: width, height.
    Returns:
        (P, T, 33) float64 in 0..1 (0 where not valid).
    """
    keypoints = np.asarray(keypoints, dtype=np.float64)
    valid = np.asarray(valid, dtype=bool)
    px = keypoints[..., :2]
    visibility = np.clip(keypoints[..., 2], 0.0, 1.0)
    score = edge_scores(px, image_size, localization_margins(px)) * (0.5 + 0.5 * visibility)
    people = valid.shape[0]
    for p in range(people):
        for q in range(people):
            if p == q:
                continue
            frames = np.flatnonzero(valid[p] & valid[q] & (root_depth[q] < root_depth[p] - IN_FRONT_M))
            if frames.size:
                hidden = inside_silhouette(px[p, frames], px[q, frames])
                score[p, frames] = np.where(hidden, np.minimum(score[p, frames], HIDDEN_SCORE), score[p, frames])
    return np.where(valid[..., None], score, 0.0)


def joint_confidence(body_scores: np.ndarray, hand_valid: np.ndarray, face_valid: np.ndarray) -> np.ndarray:
    """Per SMPL-X joint (position) confidence from the evidence table (JOINT_EVIDENCE).

    Args:
        body_scores: (..., 33) from :func:`landmark_scores`.
        hand_valid: (..., 2) bool, left and right hand model used.
        face_valid: (...) bool, face mesh used.
    Returns:
        (..., 55) float32 in 0..1.
    """
    body_scores = np.asarray(body_scores, dtype=np.float64)
    evidence = np.concatenate([body_scores, np.asarray(hand_valid, dtype=np.float64),
                               np.asarray(face_valid, dtype=np.float64)[..., None]], axis=-1)
    out = np.zeros(body_scores.shape[:-1] + (NUM_JOINTS,))
    for j, alternatives in enumerate(_COMPILED):
        out[..., j] = np.max(np.stack([evidence[..., idx].min(-1) for idx in alternatives], -1), -1)
    return np.clip(out, 0.0, 1.0).astype(np.float32)
