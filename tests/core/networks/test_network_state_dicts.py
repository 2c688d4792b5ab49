"""Every registered network's state_dict equals the released checkpoint's key list exactly.

The reference lists (reference/*.json, copied from shared/reference: key, shape,
dtype of each released tensor, obtained by building the official modules) are facts
about the released files; the order of keys is compared too.
"""
import json
from pathlib import Path

import pytest
import torch

from wholebody_core.networks import create_network, get_network_config, list_networks

REFERENCE = Path(__file__).parent / "reference"
_DTYPES = {"float32": torch.float32, "int64": torch.int64}


def _reference(name):
    data = json.loads((REFERENCE / f"{name}_state_dict.json").read_text())
    return [(k["name"], tuple(k["shape"]), k["dtype"]) for k in data["keys"]], data


def _differences(model, reference):
    own = [(k, tuple(v.shape), str(v.dtype).replace("torch.", "")) for k, v in model.state_dict().items()]
    expected = [(k.removeprefix("module."), s, d) for k, s, d in reference]
    return [x for x in own if x not in expected], [x for x in expected if x not in own], own, expected


def test_every_reference_list_has_a_network():
    names = {p.name.removesuffix("_state_dict.json") for p in REFERENCE.glob("*_state_dict.json")}
    assert names == set(list_networks()) == {"hand4whole", "rootnet", "pose2pose_body", "pose2pose_hand",
                                             "pose2pose_face"}


@pytest.mark.parametrize("name", list_networks())
def test_state_dict_matches_released_keys_shapes_and_dtypes(name):
    reference, data = _reference(name)
    assert len(reference) == data["num_keys"]
    extra, missing, own, expected = _differences(create_network(name), reference)
    assert not extra and not missing, f"extra: {extra[:5]}, missing: {missing[:5]}"
    assert [k for k, _, _ in own] == [k for k, _, _ in expected]  # same order as the official modules


@pytest.mark.parametrize("name", list_networks())
def test_parameter_count_matches_reference(name):
    _, data = _reference(name)
    model = create_network(name)
    assert sum(p.numel() for p in model.parameters()) == data["num_parameters_excluding_buffers"]


def test_comparison_catches_a_changed_layer():
    """The check above can fail: one head a size off is reported."""
    reference, _ = _reference("pose2pose_hand")
    model = create_network("pose2pose_hand")
    model.rotation_net.pose_out[0] = torch.nn.Linear(21 * 515, 14 * 6)
    extra, missing, _, _ = _differences(model, reference)
    assert [k for k, _, _ in extra] == ["rotation_net.pose_out.0.weight", "rotation_net.pose_out.0.bias"]
    assert len(missing) == 2


@pytest.mark.parametrize("name", list_networks())
def test_no_body_model_tensors_in_the_saved_tree(name):
    keys = create_network(name).state_dict()
    assert not [k for k in keys if any(s in k for s in ("smpl", "mano", "flame", "layer_"))]


def test_configs_k_values():
    # sqrt(fx * fy * size^2 / (H * W)) of each virtual camera (CHECKPOINTS.md §2.4, §5.3).
    assert get_network_config("hand4whole").k_value == pytest.approx(56.3819, abs=1e-4)
    assert get_network_config("pose2pose_body").k_value == pytest.approx(56.3819, abs=1e-4)
    assert get_network_config("pose2pose_hand").k_value == pytest.approx(7.8125, abs=1e-4)
    assert get_network_config("pose2pose_face").k_value == pytest.approx(9.0211, abs=1e-4)
    assert get_network_config("rootnet").k_value is None


def test_unknown_network_is_an_input_error():
    from wholebody_core.errors import InputError
    with pytest.raises(InputError, match="choose one of"):
        create_network("hand4hole")
