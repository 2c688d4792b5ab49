"""When the person detector runs on a video, and which of its tiles it searches.

On video the body crops of last frame's people follow them (``candidates.py``), so
the detector is needed only to find newcomers and people lost: it runs every
``detect_every`` frames, and on every frame while someone followed is lost. Its
small-people tiles are spread over passes (``tiles_per_pass`` in turn, more in a
crowd), plus the tiles where someone was lost lately. A still, or a clip's first
frame, gets the full frame and every tile.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np

from wholebody_core.landmarks.options import LandmarkOptions


@dataclasses.dataclass(frozen=True)
class LostPerson:
    """A followed person whose crop stopped showing them: the detector searches here."""

    where_px: np.ndarray               # (2,) the last crop's centre, pixels
    frames_left: int                   # keep searching this many more frames
    appearance: np.ndarray | None      # (D,) their clothes, to know them when found


class DetectionSchedule:
    """The detector's video policy (see the module docstring) and its memory: frames
    since the last pass, the next tile in turn, the people lost lately."""

    def __init__(self, options: LandmarkOptions):
        self.options = options
        self.frames_since_detection = 0
        self.next_tile = 0
        self.lost: list[LostPerson] = []

    def remember_lost(self, lost_now: list[LostPerson], first_frame: bool) -> None:
        """Ages the people lost before (each is searched ``lost_memory_frames`` frames)
        and adds ``lost_now``; a first frame or a still forgets the earlier ones."""
        if first_frame:
            self.lost = []
        self.lost = [dataclasses.replace(lost, frames_left=lost.frames_left - 1)
                     for lost in self.lost if lost.frames_left > 1] + lost_now

    def detector_due(self, num_followed: int) -> bool:
        """Whether this frame needs the detector: nobody followed, someone lost, or
        ``detect_every`` frames since the last pass."""
        return (num_followed == 0 or bool(self.lost) or self.options.detect_every <= 1
                or self.frames_since_detection + 1 >= self.options.detect_every)

    def tiles_for_pass(self, num_tiles: Callable[[], int],
                       tiles_containing: Callable[[np.ndarray], list[int]],
                       first_frame: bool, num_followed: int) -> bool | Sequence[int]:
        """The ``tiles`` argument of the detector for this pass: all tiles (True) on a
        first frame; else the next ``tiles_per_pass`` in turn (``crowd_tiles_per_pass``
        with at least ``crowd_size`` people followed) plus every tile holding a
        person lost lately; False for the full frame alone.

        ``num_tiles()``: the detector's tile count for this image; ``tiles_containing``:
        (N, 2) pixels -> the indices of the tiles holding any of them."""
        if not self.options.tile_fractions:
            return False
        if first_frame:
            return True
        count = num_tiles()
        if count == 0:
            return False
        per_pass = (self.options.crowd_tiles_per_pass if num_followed >= self.options.crowd_size
                    else self.options.tiles_per_pass)
        picked = [(self.next_tile + i) % count for i in range(min(per_pass, count))]
        self.next_tile = (self.next_tile + per_pass) % count
        if self.lost:
            picked += tiles_containing(np.stack([lost.where_px for lost in self.lost]))
        picked = sorted(set(picked))
        return True if len(picked) >= count else picked

    def detector_ran(self) -> None:
        self.frames_since_detection = 0

    def detector_skipped(self) -> None:
        self.frames_since_detection += 1

    def forget_found(self, found: Callable[[LostPerson], bool]) -> None:
        """Stops searching for the lost people ``found`` says were kept this frame."""
        self.lost = [lost for lost in self.lost if not found(lost)]
