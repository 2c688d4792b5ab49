"""The BVH writer's rotation order and layout (numpy only)."""
from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from wholebody_mocap.addon import bvh_format


def test_zxy_angles_round_trip_and_match_intrinsic_zxy():
    rotmat = Rotation.random(300, random_state=1).as_matrix()
    angles = bvh_format.rotmat_to_zxy_degrees(rotmat)
    np.testing.assert_allclose(bvh_format.zxy_degrees_to_rotmat(angles), rotmat, atol=1e-9)
    # BVH "Zrotation Xrotation Yrotation": intrinsic Z, then X, then Y
    np.testing.assert_allclose(Rotation.from_euler("ZXY", angles, degrees=True).as_matrix(), rotmat, atol=1e-9)
    # gimbal lock (x = +-90 degrees) still gives the same matrix
    locked = bvh_format.zxy_degrees_to_rotmat(np.array([[30.0, 90.0, 10.0], [-20.0, -90.0, 45.0]]))
    np.testing.assert_allclose(bvh_format.zxy_degrees_to_rotmat(bvh_format.rotmat_to_zxy_degrees(locked)), locked,
                               atol=1e-7)


def test_bvh_text_hierarchy_and_motion():
    parents = np.array([-1, 0, 1, 0])
    offsets = np.array([[0.0, 1.0, 0.0], [0.0, 0.5, 0.0], [0.0, 0.4, 0.0], [0.2, 0.0, 0.0]])
    ends = np.full((4, 3), 0.1)
    world = np.tile(np.eye(3), (2, 4, 1, 1))
    world[1, 1] = Rotation.from_euler("ZXY", [10.0, 20.0, 30.0], degrees=True).as_matrix()
    world[1, 2] = world[1, 1]                                 # no rotation relative to its parent
    text = bvh_format.bvh_text(["root", "a", "b", "c"], parents, offsets, ends, np.array([[0, 1, 0], [1, 1, 0]]),
                               world, 1 / 30)
    lines = text.splitlines()
    assert lines[0] == "HIERARCHY" and lines[1] == "ROOT root" and "JOINT c" in text
    assert text.count("End Site") == 2 and text.count("{") == text.count("}")
    assert "Frames: 2" in text and "Frame Time: 0.03333333" in text
    last = np.array(lines[-1].split(), dtype=float)
    assert last.size == 6 + 3 * 3
    np.testing.assert_allclose(last[:3], [1, 1, 0])
    np.testing.assert_allclose(last[6:9], [10.0, 20.0, 30.0], atol=1e-6)     # a, depth-first after root
    np.testing.assert_allclose(last[9:12], 0.0, atol=1e-6)                   # b: same as its parent
