"""Blender extension entry point: forwards register/unregister to ``addon``.

The repository root is the extension root (``blender_manifest.toml``); the
inference core ``wholebody_core`` is a sibling package of ``addon`` here.
"""


def register():
    from .addon import register as _register

    _register()


def unregister():
    from .addon import unregister as _unregister

    _unregister()
