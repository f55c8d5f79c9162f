"""MusicGen through transformers (MusicgenForConditionalGeneration + AutoProcessor).

MusicGen writes EnCodec tokens autoregressively with a delay pattern over its codebooks, so the
number of new tokens decides the length: frames = tokens - codebooks + 1. The clip is generated
slightly long and trimmed to the item's duration.
"""

from __future__ import annotations

import math

from audioprobe.baselines.generator import Baseline, Synthesis, require
from audioprobe.baselines.torch_common import (
    import_torch,
    seed_everything,
    torch_device,
    torch_dtype,
)
from audioprobe.tiers import Item


class MusicGenBaseline(Baseline):
    OPTIONS = {
        "checkpoint": str,  # a Hub repo id or a local folder written by save_pretrained
        "guidance_scale": (int, float),
        "top_k": int,
        "top_p": (int, float),
        "temperature": (int, float),
        "dtype": str,
    }
    CONTROLS_DURATION = True

    def _load(self) -> None:
        what = f"baseline {self.entry.key}"
        self._torch = import_torch(what)
        transformers = require("transformers", what=what, install="transformers")
        device = torch_device(self._torch, self.device, what)
        dtype = torch_dtype(self._torch, self.options.get("dtype", "float32"), self.device, what)
        assert self.entry.checkpoint, "catalog entries of musicgen name a checkpoint"
        self._weights = self.resolve_weights(
            self.entry.checkpoint, self.entry.weights, "checkpoint"
        )
        self._processor = transformers.AutoProcessor.from_pretrained(self._weights.path)
        model = transformers.MusicgenForConditionalGeneration.from_pretrained(
            self._weights.path, dtype=dtype
        )
        self._model = model.to(device).eval()
        self._device = device

    def _synthesize(self, text: str, item: Item, seed: int) -> Synthesis:
        torch = self._torch
        config = self._model.config
        frame_rate = config.audio_encoder.frame_rate
        codebooks = self._model.decoder.num_codebooks
        frames = math.ceil(item.duration_s * frame_rate)
        new_tokens = frames + codebooks - 1
        sampling = {
            "do_sample": True,
            "guidance_scale": float(self.options.get("guidance_scale", 3.0)),
            "top_k": int(self.options.get("top_k", 250)),
            "temperature": float(self.options.get("temperature", 1.0)),
        }
        if "top_p" in self.options:
            sampling["top_p"] = float(self.options["top_p"])
        inputs = self._processor(text=[text], padding=True, return_tensors="pt").to(self._device)
        seed_everything(torch, seed)
        with torch.inference_mode():
            audio = self._model.generate(**inputs, max_new_tokens=new_tokens, **sampling)
        samples = audio[0].float().cpu().numpy()
        return Synthesis(
            samples,
            int(config.audio_encoder.sampling_rate),
            {
                "weights": self._weights.to_dict(),
                "max_new_tokens": new_tokens,
                "frame_rate": frame_rate,
                "codebooks": codebooks,
                **sampling,
            },
        )
