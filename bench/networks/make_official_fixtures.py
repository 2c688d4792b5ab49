"""Write tests/core/networks/fixtures/official_<network>.npz from the OFFICIAL implementations.

The official code never enters this repository: it is run from a scratch folder, and
only numbers are kept (seeds, input checksums, outputs). The test
tests/core/networks/test_network_official_equivalence.py rebuilds the same weights and
inputs in our networks and compares.

Scratch folder layout (``--official``, e.g. /tmp/official), made by hand once:

    src/rootnet         git archive of mks0601/3DMPPE_ROOTNET_RELEASE @ 735ce21
    src/h4w_main        git archive of mks0601/Hand4Whole_RELEASE main @ c949086
    src/h4w_Pose2Pose   git archive of mks0601/Hand4Whole_RELEASE Pose2Pose @ e3e9642
    site_tg/            pip install --no-deps --target site_tg torchgeometry==0.1.2
    site/torchvision/   the files of a torchvision 0.28 wheel (pip install --no-deps --target site);
                        its compiled ops need CUDA, so only its pure-Python sources are used

This script then writes ``stubs/`` there:
- ``torchvision``: ``models.resnet`` with torchvision's own BasicBlock/Bottleneck source,
  and ``ops.roi_align`` calling torchvision's own pure-torch ``_roi_align`` (its
  transcription of the CUDA kernel), with its sample grid cut to the largest box's
  grid instead of the image size (memory only: the extra samples are masked to zero);
- torchgeometry is patched as the Hand4Whole README asks ((1 - mask) -> ~mask);
- ``utils.human_models``: the joint-set sizes the networks need, and body-model layers
  that return zero meshes (the SMPL/SMPL-X/MANO/FLAME files are licensed and absent;
  no compared output depends on them). ``Tensor.cuda``/``Module.cuda`` become no-ops.

Weights: tests/core/networks/seeded_network_weights.py (by key name and shape, so the
official and our modules get identical tensors). Inputs: ``torch.rand`` from a seed.

Usage: python bench/networks/make_official_fixtures.py --official /tmp/official [--only rootnet ...]
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "core" / "networks" / "fixtures"
sys.path.insert(0, str(REPO / "tests" / "core" / "networks"))
from seeded_network_weights import seed_module_  # noqa: E402

# network -> (weight seed, input seed, batch, input H, W, source folder, parts)
SETUP = {
    "rootnet": (1, 100, 2, 256, 256, "rootnet", None),
    "pose2pose_body": (2, 101, 2, 256, 192, "h4w_Pose2Pose", "body"),
    "pose2pose_hand": (3, 102, 2, 256, 256, "h4w_Pose2Pose", "hand"),
    "pose2pose_face": (4, 103, 2, 256, 192, "h4w_Pose2Pose", "face"),
    "hand4whole": (5, 104, 2, 512, 384, "h4w_main", None),
}
ROOTNET_K = (1500.0, 3000.0)
ROOTNET_MEAN = (0.485, 0.456, 0.406)
ROOTNET_STD = (0.229, 0.224, 0.225)


def make_input(network: str) -> tuple[torch.Tensor, dict[str, np.ndarray]]:
    """The fixture's network input, regenerated from its seed (also used by the test)."""
    _, seed, batch, h, w, _, _ = SETUP[network]
    image = torch.rand(batch, 3, h, w, generator=torch.Generator().manual_seed(seed))
    if network == "rootnet":  # RootNet's (pixel_0_255 - mean) / std quirk
        mean = torch.tensor(ROOTNET_MEAN)[:, None, None]
        std = torch.tensor(ROOTNET_STD)[:, None, None]
        image = (image * 255 - mean) / std
    meta = {"input_seed": np.int64(seed), "input_shape": np.array(image.shape, np.int64),
            "input_sum": np.float64(image.double().sum()), "input_first": image.flatten()[:8].numpy()}
    if network == "rootnet":
        meta["k_value"] = np.array(ROOTNET_K, np.float32)
    return image, meta


def _write_stubs(root: Path) -> Path:
    stubs = root / "stubs"
    tv = stubs / "torchvision"
    (tv / "models").mkdir(parents=True, exist_ok=True)
    (tv / "ops").mkdir(parents=True, exist_ok=True)
    (tv / "__init__.py").write_text("from torchvision import models, ops  # noqa: F401\n")
    resnet_src = (root / "site" / "torchvision" / "models" / "resnet.py").read_text()
    start = resnet_src.index("def conv3x3(")
    end = resnet_src.index("class ResNet(nn.Module)")
    (tv / "models" / "__init__.py").write_text("")
    (tv / "models" / "resnet.py").write_text(
        "from typing import Callable, Optional\nimport torch\nfrom torch import nn, Tensor\n\n"
        + resnet_src[start:end]
        + "\nmodel_urls = {}\nclass _W:\n    url = ''\nclass ResNet18_Weights:\n    IMAGENET1K_V1 = _W\n"
          "class ResNet50_Weights:\n    IMAGENET1K_V2 = _W\n")
    roi_src = (root / "site" / "torchvision" / "ops" / "roi_align.py").read_text()
    start = roi_src.index("def _bilinear_interpolate(")
    end = roi_src.index("def roi_align(")
    body = re.sub(r"@lazy_compile\([^)]*\)\n", "", roi_src[start:end])
    body = re.sub(r"@torch\.fx\.wrap\n", "", body)
    # Memory only: eager mode would allocate samples for a grid as large as the image;
    # the samples beyond each box's grid are masked to zero anyway.
    body = body.replace("iy = torch.arange(height, device=input.device)",
                        "iy = torch.arange(int(roi_bin_grid_h.max()), device=input.device)")
    body = body.replace("ix = torch.arange(width, device=input.device)",
                        "ix = torch.arange(int(roi_bin_grid_w.max()), device=input.device)")
    (tv / "ops" / "__init__.py").write_text(
        "import torch\nfrom torch import Tensor\n\n" + body
        + "\ndef roi_align(input, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False):\n"
          "    return _roi_align(input, boxes, spatial_scale, output_size[0], output_size[1],\n"
          "                      sampling_ratio, aligned)\n")
    conversions = root / "site_tg" / "torchgeometry" / "core" / "conversions.py"
    text = conversions.read_text()
    for name in ("mask_d2", "mask_d0_d1", "mask_d0_nd1"):
        text = text.replace(f"(1 - {name})", f"~{name}")
    conversions.write_text(text)
    return stubs


class _ZeroLayer(torch.nn.Module):
    """A body-model layer stand-in: zero vertices and joints (no tensors of its own)."""

    def __init__(self, vertices: int, joints: int):
        super().__init__()
        self.sizes = (vertices, joints)

    def forward(self, **kwargs):
        n = next(iter(kwargs.values())).shape[0]
        return types.SimpleNamespace(vertices=torch.zeros(n, self.sizes[0], 3), joints=torch.zeros(n, self.sizes[1], 3))


def _human_models_stub(kind: str) -> types.ModuleType:
    module = types.ModuleType("utils.human_models")
    if kind == "h4w_main":
        body, lhand, rhand = list(range(25)), list(range(25, 45)), list(range(45, 65))
        module.smpl_x = types.SimpleNamespace(
            pos_joint_part={"body": body, "lhand": lhand, "rhand": rhand, "L_MCP": [4, 8, 12, 16],
                            "R_MCP": [4, 8, 12, 16]},
            orig_joint_part={"body": list(range(22)), "lhand": list(range(15)), "rhand": list(range(15))},
            joint_part={"body": body, "lhand": lhand, "rhand": rhand, "face": list(range(65, 137))},
            joint_idx=list(range(137)), root_joint_idx=0, lwrist_idx=12, rwrist_idx=13, neck_idx=7,
            shape_param_dim=10, expr_code_dim=10, layer={"neutral": _ZeroLayer(10475, 144)})
    else:
        module.smpl = types.SimpleNamespace(pos_joint_num=25, orig_joint_num=24, shape_param_dim=10, root_joint_idx=0,
                                            joint_regressor=np.zeros((33, 6890), np.float32),
                                            layer={"neutral": _ZeroLayer(6890, 45)})
        module.mano = types.SimpleNamespace(joint_num=21, orig_joint_num=16, shape_param_dim=10, root_joint_idx=0,
                                            joint_regressor=np.zeros((21, 778), np.float32),
                                            layer={"right": _ZeroLayer(778, 16)})
        module.flame = types.SimpleNamespace(shape_param_dim=10, expr_code_dim=10, root_joint_idx=0,
                                             layer=_ZeroLayer(5023, 73))
    return module


def run_one(network: str, root: Path) -> dict[str, np.ndarray]:
    weight_seed, _, _, _, _, folder, parts = SETUP[network]
    src = root / "src" / folder
    sys.path[:0] = [str(root / "stubs"), str(root / "site_tg"), str(src / "main"), str(src / "common")]
    torch.Tensor.cuda = lambda self, *a, **k: self
    torch.nn.Module.cuda = lambda self, *a, **k: self
    if folder != "rootnet":
        import utils  # the repository's common/utils package
        stub = _human_models_stub(folder)
        sys.modules["utils.human_models"] = stub
        utils.human_models = stub
    from config import cfg
    if parts is not None:
        cfg.set_args("0", parts)
    image, meta = make_input(network)
    with torch.no_grad():
        if network == "rootnet":
            from model import get_pose_net
            model = seed_module_(get_pose_net(cfg, False), weight_seed)
            coord = model(image, torch.tensor(ROOTNET_K)[:, None])
            outputs = {"coord": coord}
        else:
            from model import get_model
            model = seed_module_(get_model("test"), weight_seed)
            outputs = model({"img": image}, {}, {}, "test")
    keep = {k: v.numpy() for k, v in outputs.items()
            if isinstance(v, torch.Tensor) and k != "img" and "mesh" not in k and "proj" not in k
            and "joint_cam" not in k}
    return {**keep, **meta, "weight_seed": np.int64(weight_seed)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--official", type=Path, default=Path("/tmp/official"))
    parser.add_argument("--only", nargs="*", default=list(SETUP))
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        result = run_one(args.one, args.official)
        FIXTURES.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(FIXTURES / f"official_{args.one}.npz", **result)
        print(args.one, {k: v.shape for k, v in result.items()})
        return
    _write_stubs(args.official)
    for network in args.only:  # one process each: the repositories share module names
        subprocess.run([sys.executable, __file__, "--official", str(args.official), "--one", network], check=True)


if __name__ == "__main__":
    main()
