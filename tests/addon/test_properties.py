"""The Mocap panel's capture settings agree with the core's command line."""
from __future__ import annotations

import argparse

import bpy
import pytest

from wholebody_mocap.addon.properties import capture_request
from wholebody_mocap.addon.worker import capture_command
from wholebody_mocap.wholebody_core.cli import build_parser


def test_max_people_limits_and_default_match_the_cli(clean_scene):
    prop = bpy.types.Scene.bl_rna.properties["wholebody"].fixed_type.properties["max_people"]
    parser = build_parser()
    assert prop.default == parser.parse_args(["clip.mp4"]).max_people == 10
    assert prop.hard_min == 1 and "0:" not in prop.description and "at least 1" in prop.description
    with pytest.raises(SystemExit):                      # what the property refuses, the CLI refuses
        parser.parse_args(["clip.mp4", "--max-people", str(prop.hard_min - 1)])
    settings = clean_scene.wholebody
    settings.max_people = 0                              # clamped to the minimum, never "0: everyone"
    assert settings.max_people == 1
    for value in (1, prop.hard_max):
        settings.max_people = value
        args = capture_command("python", capture_request(settings, "out.capture.npz", "cpu", ""))
        assert args[args.index("--max-people") + 1] == str(value)
        assert parser.parse_args(args[3:]).max_people == value


def test_cli_refuses_zero_people():
    action = next(a for a in build_parser()._actions if a.dest == "max_people")
    with pytest.raises(argparse.ArgumentTypeError):
        action.type("0")
