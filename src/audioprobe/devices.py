"""Which compute device a model stage runs on: cpu, cuda, cuda:N, or auto.

One parser for every command that takes `--device` (scoring's embeddings and Whisper, the neural
baselines), so a typo or a GPU that is not there fails the same way everywhere: one line that
names the problem and the fix, before any work starts.
"""

from __future__ import annotations

import re

from audioprobe.errors import ConfigError

_DEVICE = re.compile(r"^(cpu|auto|cuda(:\d+)?)$")


def parse_device(text: str) -> str:
    """The device name, checked for form only (cheap: no torch import)."""
    if not _DEVICE.match(text):
        raise ConfigError(f"device {text!r}: expected cpu, cuda, cuda:N or auto")
    return text


def resolve_device(text: str) -> str:
    """A device that exists here: auto becomes cuda when torch sees a GPU, else cpu."""
    device = parse_device(text)
    if device == "cpu":
        return device
    try:
        import torch
    except ImportError as exc:
        if device == "auto":
            return "cpu"
        raise ConfigError(f"device {device!r} needs torch: pip install torch") from exc
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if device == "auto":
        return "cuda" if count else "cpu"
    index = int(device.partition(":")[2] or 0)
    if index >= count:
        seen = f"{count} GPU(s)" if count else "no GPU (a CPU-only torch, or no driver)"
        raise ConfigError(
            f"device {device!r}: torch sees {seen}; use --device cpu, or install a CUDA build "
            "of torch on a machine with an NVIDIA driver"
        )
    return device
