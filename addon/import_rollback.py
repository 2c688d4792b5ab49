"""Undoing a failed import: every datablock it created removed, the scene's settings restored.

Blender pushes no undo step for an operator that fails, so an import that stops
part-way must clean up after itself. :class:`SceneSnapshot` records what an import
may change (the datablocks that exist, the scene's camera, resolution, frame
range, frame rate, current frame, the active object and its mode);
:meth:`SceneSnapshot.restore` removes every datablock created since and puts the
settings back.
"""
from __future__ import annotations

import dataclasses
import logging

import bpy

log = logging.getLogger(__name__)

_RENDER_SETTINGS = ("resolution_x", "resolution_y", "resolution_percentage", "pixel_aspect_x",
                    "pixel_aspect_y", "fps", "fps_base")
_SCENE_SETTINGS = ("frame_start", "frame_end", "frame_current", "camera")
# Datablocks that an import never creates, or that go with their owner (shape keys).
_SKIPPED = {"window_managers", "screens", "workspaces", "shape_keys", "libraries", "scenes"}


def _id_collections() -> list[str]:
    return [prop.identifier for prop in bpy.types.BlendData.bl_rna.properties
            if prop.type == "COLLECTION" and prop.identifier not in _SKIPPED]


@dataclasses.dataclass
class SceneSnapshot:
    scene: bpy.types.Scene
    ids: dict[str, set[int]]
    scene_settings: dict
    render_settings: dict
    active: bpy.types.Object | None
    mode: str

    @classmethod
    def take(cls, context: bpy.types.Context) -> SceneSnapshot:
        scene = context.scene
        ids = {name: {block.as_pointer() for block in getattr(bpy.data, name)} for name in _id_collections()}
        active = context.view_layer.objects.active
        return cls(scene, ids, {key: getattr(scene, key) for key in _SCENE_SETTINGS},
                   {key: getattr(scene.render, key) for key in _RENDER_SETTINGS},
                   active, active.mode if active is not None else "OBJECT")

    def new_ids(self) -> list[bpy.types.ID]:
        """Every datablock created since the snapshot."""
        return [block for name, before in self.ids.items() for block in getattr(bpy.data, name)
                if block.as_pointer() not in before]

    def restore(self, context: bpy.types.Context) -> None:
        """Removes what was created since the snapshot and restores the settings and mode."""
        if context.view_layer.objects.active is not None and context.mode != "OBJECT":
            bpy.ops.object.mode_set(mode="OBJECT")
        created = self.new_ids()
        if created:
            bpy.data.batch_remove(created)
        log.info("import rolled back: %d datablocks removed", len(created))
        for key, value in self.render_settings.items():
            setattr(self.scene.render, key, value)
        for _ in range(2):   # setting one end of the range may move the other
            for key in ("frame_start", "frame_end"):
                setattr(self.scene, key, self.scene_settings[key])
        self.scene.camera = self.scene_settings["camera"]
        self.scene.frame_set(self.scene_settings["frame_current"])
        context.view_layer.objects.active = self.active
        if self.active is not None and self.mode != "OBJECT" and self.active.mode != self.mode:
            bpy.ops.object.mode_set(mode=self.mode)
