"""Torch set-up shared by the transformers/diffusers baselines: device, dtype, seeds."""

from __future__ import annotations

from typing import Any

from audioprobe.baselines.generator import require
from audioprobe.errors import Unavailable

DTYPES = ("float32", "float16", "bfloat16")


def import_torch(what: str) -> Any:
    return require("torch", what=what, install="torch (CPU: pip install torch==2.13.0)")


def torch_device(torch: Any, device: str, what: str) -> Any:
    """The torch device; cuda asked for on a machine without one is unavailable, not cpu."""
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise Unavailable(
            f"{what}: device {device} asked for, but torch {torch.__version__} sees no CUDA GPU;"
            " use --device cpu or install a CUDA build of torch"
        )
    return torch.device(device)


def torch_dtype(torch: Any, name: str, device: str, what: str) -> Any:
    if name not in DTYPES:
        raise Unavailable(f"{what}: dtype {name!r}: expected one of {', '.join(DTYPES)}")
    if name != "float32" and device == "cpu":
        raise Unavailable(f"{what}: dtype {name} is meant for GPUs; use float32 on cpu")
    return getattr(torch, name)


def seed_everything(torch: Any, seed: int) -> None:
    """Seed the global streams the pipelines sample from (CPU and every GPU)."""
    torch.manual_seed(seed)
