"""Speed of the released networks' forward pass with random weights (no checkpoint needed).

Run: PYTHONPATH=. .venv/bin/python bench/bench_networks.py [--batches 1 8 32] [--repeats 2]
     [--networks hand4whole rootnet ...] [--threads 2]
Prints milliseconds per person (one crop) and crops per second for each network and
batch size, on the CPU in float32 and, when CUDA is available, on the GPU in float32
and float16 (``.half()``). Best of the repeats after one warm-up call;
``torch.inference_mode``. Inputs are random crops of each network's input size.
"""
from __future__ import annotations

import argparse
import time

import torch

from wholebody_core.networks import create_network, get_network_config, list_networks


def _forward(model, name: str, image: torch.Tensor):
    if name == "rootnet":
        return model(image, torch.full((image.shape[0],), 3000.0, device=image.device, dtype=image.dtype))
    return model(image)


def _best_seconds(model, name: str, image: torch.Tensor, repeats: int) -> float:
    sync = torch.cuda.synchronize if image.is_cuda else (lambda: None)
    _forward(model, name, image)
    sync()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        _forward(model, name, image)
        sync()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--networks", nargs="+", default=list_networks())
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    targets = [("cpu", torch.float32)]
    if torch.cuda.is_available():
        targets += [("cuda", torch.float32), ("cuda", torch.float16)]
    print(f"torch {torch.__version__}, {args.threads} CPU threads"
          + (f", GPU {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ", no CUDA"))
    with torch.inference_mode():
        for name in args.networks:
            config = get_network_config(name)
            for device, dtype in targets:
                model = create_network(name).to(device=device, dtype=dtype)
                for batch in args.batches:
                    image = torch.rand(batch, 3, *config.input_shape_hw, device=device).to(dtype)
                    seconds = _best_seconds(model, name, image, args.repeats)
                    print(f"{name:15s} {device:4s} {str(dtype).removeprefix('torch.'):8s} batch {batch:3d}: "
                          f"{1000 * seconds / batch:8.1f} ms per person, {batch / seconds:7.1f} persons/s")


if __name__ == "__main__":
    main()
