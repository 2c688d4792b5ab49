"""The one table of BlazePose landmark indices and its named groups."""
from __future__ import annotations

import re
from pathlib import Path

from wholebody_core.landmarks.types import (
    ANKLES, BODY_FACE_POINTS, BODY_HAND_POINTS, BODY_INDEX, BODY_LANDMARK_NAMES, ELBOWS, FOOT_POINTS, HIPS, KNEES,
    NOSE, SHOULDERS, WRISTS, body_indices,
)

CORE = Path(__file__).resolve().parents[3] / "wholebody_core"


def names(indices) -> list[str]:
    return [BODY_LANDMARK_NAMES[i] for i in indices]


def test_the_index_table_inverts_the_names():
    assert len(BODY_INDEX) == len(BODY_LANDMARK_NAMES) == 33
    assert all(BODY_LANDMARK_NAMES[i] == name for name, i in BODY_INDEX.items())
    assert body_indices("right_hip", "nose") == (24, 0)


def test_the_groups_name_own_left_then_own_right():
    assert names([NOSE]) == ["nose"]
    for group, part in ((SHOULDERS, "shoulder"), (ELBOWS, "elbow"), (WRISTS, "wrist"), (HIPS, "hip"),
                        (KNEES, "knee"), (ANKLES, "ankle")):
        assert names(group) == [f"left_{part}", f"right_{part}"]
    assert names(FOOT_POINTS) == ["left_ankle", "right_ankle", "left_heel", "right_heel",
                                  "left_foot_index", "right_foot_index"]
    assert names(BODY_FACE_POINTS)[0] == "nose" and names(BODY_FACE_POINTS)[-1] == "mouth_right"
    assert all(not n.startswith(("left_s", "right_s")) for n in names(BODY_FACE_POINTS))   # no shoulders
    for side in ("left", "right"):
        assert names(BODY_HAND_POINTS[side]) == [f"{side}_wrist", f"{side}_pinky", f"{side}_index"]


def test_no_other_module_builds_its_own_blazepose_table():
    """Tables typed out twice drift apart: the name -> index map is built in types.py only."""
    builders = [path.relative_to(CORE).as_posix() for path in CORE.rglob("*.py")
                if re.search(r"enumerate\(BODY_LANDMARK_NAMES\)", path.read_text())]
    assert builders == ["landmarks/types.py"]
