"""Markerless whole-body motion capture: images and videos to SMPL-X capture files.

The core never imports Blender. Entry points: ``wholebody_core.cli.main`` (the
``wholebody-capture`` command, also ``python -m wholebody_core``) and
``wholebody_core.pipeline.run_capture``.
"""
__version__ = "0.1.0"
