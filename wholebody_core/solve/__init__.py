"""The rotational solve (RotationNet's role) and the integration of hands and face
(the dissertation's Algorithm 1): SMPL-X joint rotations from landmarks.

``solver.solve_poses`` and ``rest_fit.fit_rest_joints`` are the entry points. The
package itself imports nothing, so the add-on can use ``solve.confidence`` (numpy
only) without loading the whole solver into Blender.
"""
