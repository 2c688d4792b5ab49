"""Tracking over time: stable person ids (:mod:`.tracker`) and temporal filtering of
each track's rotations and root positions (:mod:`.filters`)."""
