"""Writing keyframes in bulk on Blender 4.2 to 5.0.

Blender 4.4 introduced layered actions (slots, layers, strips, channelbags) and
5.0 removed the legacy ``Action.fcurves``; :class:`ObjectActionWriter` hides the
difference. Keys go in with ``keyframe_points.add`` + ``foreach_set``, never one
``keyframe_insert`` per key.

Long captures can be stored as *samples* instead of keyframes (``as_samples``):
Blender's baked F-curve points (``FCurve.convert_to_samples``), one value per
whole frame, linearly interpolated between frames, which is exactly how our
LINEAR keys on whole frames play. A keyframe is a 72-byte ``BezTriple`` (value,
two handles, flags), a sample a 16-byte ``FPoint``, and Blender holds every
action twice (the original and the depsgraph's evaluated copy), so a 100,000
frame person takes 0.7 GB as samples against 3.1 GB as keyframes. Samples play,
render, export and retarget the same; to edit a range by hand the user turns it
back into keys (Graph Editor: Channel > Samples to Keys).
"""
from __future__ import annotations

import bpy
import numpy as np


def interpolation_value(name: str) -> int:
    """The enum value of a keyframe interpolation ('CONSTANT', 'LINEAR', ...) for ``foreach_set``."""
    return bpy.types.Keyframe.bl_rna.properties["interpolation"].enum_items[name].value


def _has_layered_actions() -> bool:
    properties = bpy.types.Action.bl_rna.properties
    return "slots" in properties and "layers" in properties


def _ensure_channelbag(action, slot, anim_utils):
    """The channelbag of ``slot`` in ``action``'s first layer and strip, made if missing."""
    ensure = getattr(anim_utils, "action_ensure_channelbag_for_slot", None)     # 5.0
    if ensure is not None:
        return ensure(action, slot)
    layer = action.layers[0] if len(action.layers) else action.layers.new("Layer")   # 4.4, 4.5
    strip = layer.strips[0] if len(layer.strips) else layer.strips.new(type="KEYFRAME")
    return strip.channelbag(slot, ensure=True)


class ObjectActionWriter:
    """A new action assigned to ``id_owner`` (an Object, or a shape-key datablock)."""

    def __init__(self, id_owner: bpy.types.ID, action_name: str, id_type: str = "OBJECT",
                 as_samples: bool = False):
        self.action = bpy.data.actions.new(action_name)
        self.as_samples = as_samples
        self._fcurves = None
        animation_data = id_owner.animation_data or id_owner.animation_data_create()
        if _has_layered_actions():
            from bpy_extras import anim_utils

            slot = self.action.slots.new(id_type=id_type, name=id_owner.name)
            animation_data.action = self.action
            # Assigning the slot that Blender already picked crashes some 4.4-5.0 builds.
            if animation_data.action_slot is None or animation_data.action_slot.handle != slot.handle:
                animation_data.action_slot = slot
            self._channelbag = _ensure_channelbag(self.action, slot, anim_utils)
            self._fcurves = self._channelbag.fcurves
            self._layered = True
        else:
            animation_data.action = self.action
            self._fcurves = self.action.fcurves
            self._layered = False

    def new_fcurve(self, data_path: str, index: int, group: str) -> bpy.types.FCurve:
        if self._layered:
            if "group_name" in self._fcurves.bl_rna.functions["new"].parameters:     # 5.0
                return self._fcurves.new(data_path, index=index, group_name=group)
            fcurve = self._fcurves.new(data_path, index=index)                      # 4.4, 4.5
            fcurve.group = self._channelbag.groups.get(group) or self._channelbag.groups.new(group)
            return fcurve
        return self._fcurves.new(data_path, index=index, action_group=group)

    def write(self, data_path: str, frames: np.ndarray, values: np.ndarray, group: str,
              interpolation: str = "LINEAR", constant_keys: np.ndarray | None = None,
              may_sample: bool = True) -> None:
        """Keys ``values`` (N, C) at ``frames`` (N,, whole frames, increasing) on channels 0..C-1 of ``data_path``.

        Every key gets ``interpolation``, except the keys where ``constant_keys``
        ((N,) bool, optional) is true: those get CONSTANT (held until the next key).
        With the writer's ``as_samples`` (and ``may_sample``), each channel is then
        baked into one sample per whole frame from the first key to the last, one
        channel at a time (so at most one channel's keyframes exist at once).
        """
        values = np.asarray(values, dtype=np.float32)
        if values.ndim != 2:   # (N,) or (N, ...) -> (N, C); keeps (0, C) as it is
            values = values.reshape(len(frames), -1)
        co = np.empty((len(frames), 2), dtype=np.float32)
        co[:, 0] = frames
        interpolation = np.full(len(frames), interpolation_value(interpolation), dtype=np.int32)
        if constant_keys is not None:
            interpolation[np.asarray(constant_keys, dtype=bool)] = interpolation_value("CONSTANT")
        for index in range(values.shape[1]):
            fcurve = self.new_fcurve(data_path, index, group)
            if len(frames) == 0:
                continue
            co[:, 1] = values[:, index]
            points = fcurve.keyframe_points
            points.add(len(frames))
            points.foreach_set("co", co.ravel())
            points.foreach_set("interpolation", interpolation)
            if hasattr(points, "handles_recalc"):   # 4.4+: the frames are increasing, no sort needed
                points.handles_recalc()
            else:
                fcurve.update()
            if self.as_samples and may_sample and len(frames) > 1:
                # the end is exclusive on 5.0 (inclusive on older builds: one more, equal, sample)
                fcurve.convert_to_samples(int(round(frames[0])), int(round(frames[-1])) + 1)


def action_fcurve_collections(action: bpy.types.Action) -> list:
    """Every F-curve collection of ``action``: its channelbags' (4.4+) or the legacy ``Action.fcurves``."""
    if _has_layered_actions():
        return [channelbag.fcurves for layer in action.layers for strip in layer.strips
                for channelbag in strip.channelbags]
    return [action.fcurves]


def fcurve_points(fcurve: bpy.types.FCurve):
    """The F-curve's keyframes, or its baked samples when it has no keyframes."""
    return fcurve.keyframe_points if len(fcurve.keyframe_points) else fcurve.sampled_points


def fcurve_frames(fcurve: bpy.types.FCurve) -> np.ndarray:
    """(N,) float32: the frame of every keyframe, or of every sample of a baked F-curve."""
    points = fcurve_points(fcurve)
    co = np.empty(2 * len(points), dtype=np.float32)
    points.foreach_get("co", co)
    return co[0::2]


def frame_range_of(fcurves) -> tuple[float, float] | None:
    """First and last keyed (or sampled) frame over ``fcurves``; None when none has a point."""
    ends = [(frames.min(), frames.max()) for frames in map(fcurve_frames, fcurves) if len(frames)]
    return (float(min(e[0] for e in ends)), float(max(e[1] for e in ends))) if ends else None


def keyed_frame_range(action: bpy.types.Action, data_path: str) -> tuple[float, float] | None:
    """First and last keyed (or sampled) frame of ``data_path`` (any channel) in ``action``; None when unkeyed."""
    return frame_range_of(fcurve for fcurves in action_fcurve_collections(action) for fcurve in fcurves
                          if fcurve.data_path == data_path)
