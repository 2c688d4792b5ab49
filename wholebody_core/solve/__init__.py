"""The rotational solve (RotationNet's role) and the integration of hands and face
(the dissertation's Algorithm 1): SMPL-X joint rotations from landmarks."""
from .rest_fit import fit_rest_joints
from .solver import SolvedPoses, SolveOptions, solve_poses

__all__ = ["SolveOptions", "SolvedPoses", "fit_rest_joints", "solve_poses"]
