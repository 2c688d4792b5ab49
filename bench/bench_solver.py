"""Speed of the rotational solve: milliseconds per person-frame, batched over N.

Run: PYTHONPATH=. .venv/bin/python bench/bench_solver.py [--repeats 5] [--sizes 1 32 300]
Synthetic landmarks (body, both hands, face with iris) of random poses; the time
is solve_poses alone (not the synthetic generation), best of the repeats.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from wholebody_core.skeleton import default_rest_joints
from wholebody_core.solve.rest_fit import fit_rest_joints
from wholebody_core.solve.solver import SolveOptions, solve_poses
from wholebody_core.solve.synthetic import random_local_rotmat, synthetic_observations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 32, 300])
    args = parser.parse_args()
    rest = default_rest_joints()
    rng = np.random.default_rng(0)
    for n in args.sizes:
        obs = synthetic_observations(random_local_rotmat(rng, n, rest), rest, rng, noise_m=0.005)
        for options, label in ((SolveOptions(), "body+hands+face"),
                               (SolveOptions(use_hands=False, use_face=False), "body only")):
            solve_poses(obs, rest, options)
            best = min(_time(lambda: solve_poses(obs, rest, options)) for _ in range(args.repeats))
            print(f"solve_poses N={n:4d} {label:16s} {1000 * best / n:8.3f} ms per person-frame "
                  f"({1000 * best:8.1f} ms per call)")
    obs = synthetic_observations(random_local_rotmat(rng, 300, rest), rest, rng, noise_m=0.005)
    best = min(_time(lambda: fit_rest_joints(obs)) for _ in range(args.repeats))
    print(f"fit_rest_joints over 300 frames: {1000 * best:.1f} ms")


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
