"""Wall-clock time per named stage of a run (reported, never used to decide anything)."""
from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence


class StageClock:
    """Seconds spent in each stage: ``with clock("stage"): ...`` adds the block's time."""

    def __init__(self, stages: Sequence[str]):
        self.seconds: dict[str, float] = dict.fromkeys(stages, 0.0)

    @contextlib.contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] += time.perf_counter() - start

    def move(self, source: str, target: str, seconds: float) -> None:
        """Books ``seconds`` of ``source``'s time to ``target`` (work timed inside another stage)."""
        self.seconds[source] -= seconds
        self.seconds[target] += seconds

    def milliseconds(self) -> dict[str, float]:
        return {stage: 1e3 * seconds for stage, seconds in self.seconds.items()}
