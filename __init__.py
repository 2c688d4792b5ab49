"""Blender extension entry point: forwards register/unregister to ``addon``.

The repository root is the extension root (``blender_manifest.toml``); the
inference core ``wholebody_core`` is a sibling package of ``addon`` here.
``bl_info`` only serves Blender versions before 4.2, which load the folder as a
legacy add-on (zip of the repository); 4.2+ reads ``blender_manifest.toml``.
"""

bl_info = {
    "name": "Whole-Body Mocap",
    "author": "Whole-Body Mocap developers",
    "version": (0, 1, 0),
    "blender": (4, 1, 0),
    "location": "3D Viewport > Sidebar > Mocap",
    "description": "Markerless whole-body motion capture from video to SMPL-X armatures",
    "category": "Animation",
}


def register():
    from .addon import register as _register

    _register()


def unregister():
    from .addon import unregister as _unregister

    _unregister()
