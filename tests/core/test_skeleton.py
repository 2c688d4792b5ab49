import numpy as np

from wholebody_core import skeleton


def test_joint_table_matches_capture_format():
    assert len(skeleton.JOINT_NAMES) == 55 == len(set(skeleton.JOINT_NAMES))
    assert skeleton.JOINT_NAMES[25] == "left_index1" and skeleton.JOINT_NAMES[54] == "right_thumb3"
    assert all(skeleton.PARENTS[j] < j for j in range(1, 55)) and skeleton.PARENTS[0] == -1
    # Every finger chain hangs off its own wrist.
    assert all(skeleton.PARENTS[j] in (20,) or skeleton.PARENTS[j] >= 25 for j in range(25, 40))
    assert all(skeleton.PARENTS[j] in (21,) or skeleton.PARENTS[j] >= 40 for j in range(40, 55))


def test_default_skeleton_is_an_upright_adult_with_left_on_plus_x():
    rest = skeleton.default_rest_joints()
    J = skeleton.JOINT_INDEX
    assert rest[J["head"], 1] > rest[J["neck"], 1] > rest[J["pelvis"], 1] > rest[J["left_knee"], 1]
    assert rest[J["left_wrist"], 0] > 0.5 and rest[J["right_wrist"], 0] < -0.5
    np.testing.assert_allclose(rest[J["left_wrist"]] * [-1, 1, 1], rest[J["right_wrist"]])
    height = rest[:, 1].max() - rest[:, 1].min()
    assert 1.4 < height < 1.8  # joints only: head joint to ankle
    offsets = skeleton.rest_joints_to_offsets(rest)
    np.testing.assert_allclose(skeleton.offsets_to_rest_joints(offsets), rest, atol=1e-12)
