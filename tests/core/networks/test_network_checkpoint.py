"""The loader: released containers load strictly; bad files are refused with clear messages."""
import logging
import os
import random

import pytest
import torch

from seeded_network_weights import seed_module_
from wholebody_core.errors import ModelFileError
from wholebody_core.networks import create_network, get_network_config, list_networks
from wholebody_core.networks.checkpoint import load_network


def _released_container(state, variant):
    """The released file layout: {'epoch', 'network', 'optimizer'} with DataParallel's 'module.' prefix."""
    if variant == "bare":
        return dict(state)
    network = {}
    for key, value in state.items():
        if variant == "hand_prefixes":  # the older hand-only naming (CHECKPOINTS.md §5.1)
            for old, new in (("backbone.", "hand_backbone."), ("position_net.", "hand_position_net."),
                             ("rotation_net.", "hand_rotation_net.")):
                if key.startswith(old):
                    key = new + key[len(old):]
        network["module." + key] = value
    if variant == "gender_out":  # an older Hand4Whole release (CHECKPOINTS.md §1 caveat 2)
        network["module.body_rotation_net.gender_out.0.weight"] = torch.zeros(2, 2048)
        network["module.body_rotation_net.gender_out.0.bias"] = torch.zeros(2)
    return {"epoch": 6, "network": network, "optimizer": {"state": {}, "param_groups": []}}


_VARIANTS = {"hand4whole": "gender_out", "pose2pose_hand": "hand_prefixes", "pose2pose_face": "bare"}


@pytest.mark.parametrize("name", list_networks())
def test_released_container_loads_strictly_and_runs(name, tmp_path, caplog):
    source = seed_module_(create_network(name), seed=11)
    path = tmp_path / get_network_config(name).checkpoint_file
    torch.save(_released_container(source.state_dict(), _VARIANTS.get(name, "container")), path)
    with caplog.at_level(logging.INFO, logger="wholebody_core.networks.checkpoint"):
        model = load_network(name, path)
    os.remove(path)
    assert not model.training
    loaded, expected = model.state_dict(), source.state_dict()
    assert loaded.keys() == expected.keys()
    assert all(torch.equal(loaded[k], expected[k]) for k in expected)
    if name == "hand4whole":
        assert "gender_out" in caplog.text
    config = get_network_config(name)
    image = torch.rand(1, 3, *config.input_shape_hw, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        out = model(image, torch.tensor([1000.0])) if name == "rootnet" else model(image)
    assert all(torch.isfinite(v).all() for v in vars(out).values())


def _save(path, obj):
    torch.save(obj, path)
    return path


def test_wrong_network_is_reported_with_key_lists(tmp_path):
    keys = create_network("rootnet").state_dict().keys()
    path = _save(tmp_path / "rootnet.pth.tar", {"network": {"module." + k: torch.zeros(1) for k in keys}})
    with pytest.raises(ModelFileError) as error:
        load_network("hand4whole", path)
    message = str(error.value)
    assert "does not match the hand4whole network (834 keys expected, 340 found)" in message
    assert "missing keys: body_position_net" in message and "unexpected keys: root.deconv_layers" in message
    assert "... and" in message and "snapshot_6.pth.tar" in message
    assert error.value.exit_code == 2


def test_shape_mismatch_is_listed(tmp_path):
    state = {k: torch.empty(v.shape, dtype=v.dtype) for k, v in create_network("pose2pose_face").state_dict().items()}
    state["regressor.pose_out.0.weight"] = torch.empty(11, 2048)
    with pytest.raises(ModelFileError, match=r"1 shape mismatches: regressor\.pose_out\.0\.weight \(11, 2048\) "
                                             r"\(expected \(12, 2048\)\)"):
        load_network("pose2pose_face", _save(tmp_path / "face.pth", state))


def test_missing_and_unknown_extra_keys_are_refused(tmp_path):
    state = {k: torch.empty(v.shape, dtype=v.dtype) for k, v in create_network("pose2pose_face").state_dict().items()}
    del state["regressor.cam_out.0.bias"]
    state["regressor.gender_out.0.bias"] = torch.zeros(2)
    with pytest.raises(ModelFileError, match=r"1 missing keys: regressor\.cam_out\.0\.bias; "
                                             r"1 unexpected keys: regressor\.gender_out\.0\.bias"):
        load_network("pose2pose_face", _save(tmp_path / "face.pth", state))


def test_corrupted_and_truncated_files_get_a_clear_message(tmp_path):
    garbage = tmp_path / "garbage.pth.tar"
    for seed in range(20):  # random bytes fail in different places of the unpickler
        garbage.write_bytes(random.Random(seed).randbytes(100 + 50 * seed))
        with pytest.raises(ModelFileError, match="not a readable PyTorch checkpoint.*Download the rootnet"):
            load_network("rootnet", garbage)
    whole = _save(tmp_path / "whole.pth", {"network": {"module.a": torch.arange(20000.0)}})
    truncated = tmp_path / "truncated.pth.tar"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(ModelFileError, match="truncated or corrupted"):
        load_network("rootnet", truncated)
    empty = tmp_path / "empty.pth"
    empty.write_bytes(b"")
    with pytest.raises(ModelFileError, match="not a readable PyTorch checkpoint"):
        load_network("rootnet", empty)


class _Payload:
    """Unpickling this would write a marker file; weights_only loading must refuse it first."""

    marker = None

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_file_carrying_pickled_objects_is_refused_without_running_them(tmp_path):
    marker = tmp_path / "was_unpickled"
    _Payload.marker = marker
    path = _save(tmp_path / "evil.pth.tar", {"epoch": 1, "network": {"module.a": torch.zeros(1)}, "x": _Payload()})
    with pytest.raises(ModelFileError, match=r"holds Python objects other than tensors \((io\.|builtins\.)?open\)"):
        load_network("rootnet", path)
    assert not marker.exists()


def test_missing_file_and_non_state_dicts(tmp_path):
    with pytest.raises(ModelFileError, match="not found.*rootnet checkpoint"):
        load_network("rootnet", tmp_path / "nope.pth")
    for obj in ([torch.zeros(1)], {"network": {"a": 1}}, {}):
        with pytest.raises(ModelFileError, match="does not hold a state dict"):
            load_network("rootnet", _save(tmp_path / "odd.pth", obj))
