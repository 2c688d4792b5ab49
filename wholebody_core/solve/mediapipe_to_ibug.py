"""MediaPipe face-mesh points for the 51 inner iBUG-68 landmarks (17..67).

SMPL-X embeds 51 facial landmarks in its mesh (``lmk_faces_idx`` (51,),
``lmk_bary_coords`` (51, 3)): iBUG-68 points 17..67 (brows, nose, eyes, mouth,
no jaw line), in iBUG order. This table gives, for each, the MediaPipe face-mesh
(468 points) indices whose mean stands for it.

Source: the public correspondence of Peizhi Yan, "Mediapipe_2_Dlib_Landmarks"
(https://github.com/PeizhiYan/Mediapipe_2_Dlib_Landmarks, ``mp2dlib.py``, 2024),
rows 18..68 (1-based there), entered here by hand. Two iBUG points have no single
mesh counterpart and are the mean of two neighbouring mesh points, as in that
source: 27 (top of the nose bridge, between the eyes: mesh 168 and 6) and 28
(upper nose bridge: mesh 197 and 195). Left and right are the person's own: iBUG
17..21 and 36..41 are the person's right brow and eye (image left), as in iBUG.
"""
from __future__ import annotations

import numpy as np

IBUG_FIRST = 17          # the SMPL-X landmarks start at iBUG-68 point 17
NUM_IBUG51 = 51

# Row i: mesh indices for iBUG-68 point 17 + i (mean of the listed points).
IBUG51_TO_MEDIAPIPE: tuple[tuple[int, ...], ...] = (
    (70,), (63,), (105,), (66,), (107,),             # 17-21 right brow, outer to inner
    (336,), (296,), (334,), (293,), (300,),          # 22-26 left brow, inner to outer
    (168, 6), (197, 195), (5,), (4,),                # 27-30 nose bridge, top to tip
    (75,), (97,), (2,), (326,), (305,),              # 31-35 nostrils, right to left
    (33,), (160,), (158,), (133,), (153,), (144,),   # 36-41 right eye, outer corner first
    (362,), (385,), (387,), (263,), (373,), (380,),  # 42-47 left eye, inner corner first
    (61,), (39,), (37,), (0,), (267,), (269,), (291,),  # 48-54 outer upper lip, right corner to left
    (321,), (314,), (17,), (84,), (91,),             # 55-59 outer lower lip, left to right
    (78,), (82,), (13,), (312,), (308,),             # 60-64 inner upper lip, right corner to left
    (317,), (14,), (87,),                            # 65-67 inner lower lip, left to right
)


def _rows(ibug_points: tuple[int, ...]) -> np.ndarray:
    return np.asarray(ibug_points, dtype=np.int64) - IBUG_FIRST


# Positions in the 51-point list (not iBUG numbers).
EYE_CORNERS_51 = _rows((36, 39, 42, 45))
NOSE_51 = _rows(tuple(range(27, 36)))
BROWS_51 = _rows(tuple(range(17, 27)))
MOUTH_CORNERS_51 = _rows((48, 54, 60, 64))
UPPER_LIP_51 = _rows((49, 50, 51, 52, 53, 61, 62, 63))
LOWER_LIP_51 = _rows((55, 56, 57, 58, 59, 65, 66, 67))
# Points that move least with expression: the similarity alignment uses these.
RIGID_51 = np.concatenate([EYE_CORNERS_51, NOSE_51])

_PAIRS = np.array([row * 2 if len(row) == 1 else row for row in IBUG51_TO_MEDIAPIPE], dtype=np.int64)  # (51, 2)


def ibug51_from_mediapipe(points: np.ndarray) -> np.ndarray:
    """The 51 iBUG landmarks from MediaPipe face-mesh points.

    Args:
        points: (..., 468, D) face-mesh points (D = 2 or 3).
    Returns:
        (..., 51, D): each the mean of its mesh points (see the table).
    """
    points = np.asarray(points)
    return 0.5 * (points[..., _PAIRS[:, 0], :] + points[..., _PAIRS[:, 1], :])
