"""The retarget operator's modal path (the panel's Retarget button), headless.

As in ``test_capture_modal.py``: Blender refuses to *invoke* operators in background
mode, so :class:`EventLoop` plays Blender's part. It runs the operator's own ``start``
(what ``invoke`` runs before ``modal_handler_add``) and feeds its real ``modal`` TIMER,
mouse and Esc events.
"""
from __future__ import annotations

import types

import bpy
import numpy as np
import pytest

from retarget_rigs import hand_made_rig
from test_retarget import import_walker, walk_file  # noqa: F401
from test_retarget_ops import _keys, _user_action
from wholebody_mocap.addon import operators_retarget
from wholebody_mocap.addon.operators_retarget import WHOLEBODY_OT_retarget
from wholebody_mocap.addon.retarget import PREVIOUS_ACTION_PROPERTY


class EventLoop:
    """Blender's side of the running modal retarget: its events and its reports."""

    _steps, _timer, _fraction = None, None, 0.0

    def __init__(self, context):
        self.context = context
        self.reports: list[tuple[set, str]] = []
        for name in ("start", "modal", "cancel", "_options", "_show", "_end", "_report_result"):
            setattr(self, name, types.MethodType(getattr(WHOLEBODY_OT_retarget, name), self))

    def report(self, kind: set, message: str) -> None:
        self.reports.append((kind, message))

    def send(self, event_type: str, value: str = "NOTHING") -> set[str]:
        return self.modal(self.context, types.SimpleNamespace(type=event_type, value=value))


@pytest.fixture
def chain(clean_scene, walk_file, monkeypatch):
    """(scene, target, the user's action): the walker, a generic rig with an action of its own, mapped."""
    monkeypatch.setattr(operators_retarget, "STEP_BUDGET_S", 0.0)       # one frame per event
    target = hand_made_rig("generic", a_pose_deg=30.0)
    users = _user_action(target)
    settings = clean_scene.wholebody_retarget
    settings.source, settings.target = import_walker(walk_file), target
    assert bpy.ops.wholebody.retarget_propose_map() == {"FINISHED"}
    return clean_scene, target, users


def test_modal_retarget_shows_progress_and_bakes_what_execute_bakes(chain):
    scene, target, users = chain
    frames = scene.frame_end - scene.frame_start + 1
    loop = EventLoop(bpy.context)
    assert loop.start(bpy.context) == {"RUNNING_MODAL"} and loop._timer is not None
    fractions, result = [loop._fraction], None
    for _ in range(4 * frames):
        assert loop.send("MOUSEMOVE") == {"RUNNING_MODAL"}              # no edits while it bakes
        result = loop.send("TIMER")
        if result != {"RUNNING_MODAL"}:
            break
        fractions.append(loop._fraction)
    assert result == {"FINISHED"}, loop.reports
    assert loop._timer is None and loop._steps is None
    assert fractions == sorted(fractions) and 0.0 < fractions[0] and fractions[-1] <= 1.0
    assert len(fractions) >= 2 * frames - 1                              # a step per frame read, per frame matched
    assert any(m.startswith(f"Retargeted {frames} frames") for _, m in loop.reports), loop.reports
    modal_action = target.animation_data.action
    assert modal_action != users and users.use_fake_user
    modal_keys = _keys(modal_action)
    assert bpy.ops.wholebody.retarget_restore_action() == {"FINISHED"}
    assert target.animation_data.action == users
    assert bpy.ops.wholebody.retarget() == {"FINISHED"}                  # from a script: blocks, same keys
    executed = _keys(target.animation_data.action)
    assert executed.keys() == modal_keys.keys()
    for key, values in executed.items():
        np.testing.assert_allclose(values, modal_keys[key], atol=1e-6, err_msg=str(key))


@pytest.mark.parametrize("phase", ["reading", "matching"])
def test_escape_cancels_and_the_character_keeps_its_action(chain, phase):
    scene, target, users = chain
    before = _keys(users)
    scene.frame_set(7)
    actions = set(bpy.data.actions)
    fake_user = users.use_fake_user
    basis = {pb.name: np.array(pb.matrix_basis) for pb in target.pose.bones}
    loop = EventLoop(bpy.context)
    assert loop.start(bpy.context) == {"RUNNING_MODAL"}
    while loop._fraction < (0.25 if phase == "reading" else 0.75):
        assert loop.send("TIMER") == {"RUNNING_MODAL"}
    if phase == "matching":
        assert len(bpy.data.actions) == len(actions) + 1                # the new action exists meanwhile
    assert loop.send("ESC", "PRESS") == {"CANCELLED"}
    assert ({"WARNING"}, "Retarget cancelled; the character keeps its previous action.") in loop.reports
    assert loop._timer is None and loop._steps is None
    assert target.animation_data.action == users and set(bpy.data.actions) == actions
    assert _keys(users) == before and users.use_fake_user == fake_user
    assert PREVIOUS_ACTION_PROPERTY not in target and scene.frame_current == 7
    for pb in target.pose.bones:
        np.testing.assert_allclose(np.array(pb.matrix_basis), basis[pb.name], atol=1e-6)
    # and a retarget after the cancel works and is restorable to the user's action
    assert bpy.ops.wholebody.retarget() == {"FINISHED"}
    assert bpy.ops.wholebody.retarget_restore_action() == {"FINISHED"}
    assert target.animation_data.action == users


def test_blender_ending_the_modal_retarget_stops_it(chain):
    """Blender calls ``cancel`` itself when it ends a modal operator (a file loads, Blender quits)."""
    scene, target, users = chain
    loop = EventLoop(bpy.context)
    assert loop.start(bpy.context) == {"RUNNING_MODAL"}
    for _ in range(3):
        loop.send("TIMER")
    loop.cancel(bpy.context)
    assert loop._timer is None and loop._steps is None and target.animation_data.action == users


def test_bad_input_is_reported_at_start_and_changes_nothing(chain):
    scene, target, users = chain
    scene.wholebody_retarget.target = None
    loop = EventLoop(bpy.context)
    assert loop.start(bpy.context) is None and loop._timer is None
    assert loop.reports and loop.reports[0][0] == {"ERROR"} and "target" in loop.reports[0][1]
    assert target.animation_data.action == users
