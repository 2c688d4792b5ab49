"""Stage times: blocks add up per stage, time moves between stages."""
from __future__ import annotations

import time

import pytest

from wholebody_core.timing import StageClock


def test_blocks_add_up_per_stage_and_time_moves_between_stages():
    clock = StageClock(("a", "b"))
    with clock("a"):
        time.sleep(0.01)
    with clock("a"):
        time.sleep(0.01)
    assert list(clock.seconds) == ["a", "b"] and clock.seconds["b"] == 0.0
    assert clock.seconds["a"] >= 0.02
    total = clock.seconds["a"]
    clock.move("a", "b", 0.005)
    assert clock.seconds["a"] == pytest.approx(total - 0.005) and clock.seconds["b"] == pytest.approx(0.005)
    assert clock.milliseconds()["b"] == pytest.approx(5.0)


def test_a_failing_block_still_counts():
    clock = StageClock(("a",))
    with pytest.raises(RuntimeError), clock("a"):
        time.sleep(0.005)
        raise RuntimeError("stage failed")
    assert clock.seconds["a"] >= 0.005
