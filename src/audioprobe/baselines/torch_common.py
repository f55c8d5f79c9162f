"""What the transformers/diffusers baselines share: torch import, device, dtype, threads, seeds."""

from __future__ import annotations

from typing import Any, ClassVar

from audioprobe.baselines.generator import Baseline, OptionType, require
from audioprobe.errors import Unavailable

DTYPES = ("float32", "float16", "bfloat16")


class TorchBaseline(Baseline):
    """A Baseline whose pipeline runs on torch (cpu, cuda or cuda:N)."""

    TORCH_OPTIONS: ClassVar[dict[str, OptionType]] = {
        "checkpoint": str,  # a folder written by save_pretrained, or a Hub repo id in the HF cache
        "dtype": str,  # float32 (default), float16 or bfloat16 (GPU only)
        "threads": int,  # torch CPU threads; fewer than cores helps on a shared machine
    }
    PACKAGES: ClassVar[tuple[str, ...]] = ("torch",)

    def _setup_torch(self) -> None:
        """Import torch and fix device, dtype and threads before loading weights."""
        what = f"baseline {self.entry.key}"
        torch = require("torch", what=what, install="torch (CPU build: pip install torch==2.13.0)")
        if self.device.startswith("cuda") and not torch.cuda.is_available():
            raise Unavailable(
                f"{what}: device {self.device} asked for, but torch {torch.__version__} sees no"
                " CUDA GPU; use --device cpu or install a CUDA build of torch"
            )
        name = self.options.get("dtype", "float32")
        if name not in DTYPES:
            raise Unavailable(f"{what}: dtype {name!r}: expected one of {', '.join(DTYPES)}")
        if name != "float32" and self.device == "cpu":
            raise Unavailable(f"{what}: dtype {name} is meant for GPUs; use float32 on cpu")
        if "threads" in self.options:
            torch.set_num_threads(max(1, int(self.options["threads"])))
        self.torch = torch
        self.torch_device = torch.device(self.device)
        self.torch_dtype = getattr(torch, name)

    def seed(self, seed: int) -> Any:
        """Seed the global streams (CPU and GPUs) and return a generator for pipelines."""
        self.torch.manual_seed(seed)
        return self.torch.Generator(device=self.torch_device).manual_seed(seed)
