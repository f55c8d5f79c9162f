"""MusicGen through transformers (MusicgenForConditionalGeneration + AutoProcessor).

MusicGen writes EnCodec tokens autoregressively with a delay pattern over its codebooks, so the
number of new tokens decides the length: frames = tokens - codebooks + 1. That many tokens give
exactly the item's duration (rounded up to a frame), and the clip is trimmed to it.
"""

from __future__ import annotations

import math
from typing import ClassVar

from audioprobe.baselines.generator import OptionType, Synthesis, generators, require
from audioprobe.baselines.torch_common import TorchBaseline
from audioprobe.tiers import Item


@generators.register("musicgen")
class MusicGenBaseline(TorchBaseline):
    OPTIONS: ClassVar[dict[str, OptionType]] = {
        "guidance_scale": (int, float),
        "top_k": int,
        "top_p": (int, float),
        "temperature": (int, float),
    }
    CONTROLS_DURATION = True

    def _load(self) -> None:
        assert self.entry.checkpoint, "catalog entries of musicgen name a checkpoint"
        self._weights = self.resolve_weights(
            self.entry.checkpoint, self.entry.weights, "checkpoint"
        )
        self._setup_torch()
        transformers = require("transformers", what=self.entry.key, install="transformers")
        self._processor = transformers.AutoProcessor.from_pretrained(self._weights.path)
        model = transformers.MusicgenForConditionalGeneration.from_pretrained(
            self._weights.path, dtype=self.torch_dtype
        )
        self._model = model.to(self.torch_device).eval()

    def _synthesize(self, text: str, item: Item, seed: int) -> Synthesis:
        config = self._model.config
        frame_rate = config.audio_encoder.frame_rate
        codebooks = self._model.decoder.num_codebooks
        new_tokens = math.ceil(item.duration_s * frame_rate) + codebooks - 1
        sampling = {
            "do_sample": True,
            "guidance_scale": float(self.options.get("guidance_scale", 3.0)),
            "top_k": int(self.options.get("top_k", 250)),
            "temperature": float(self.options.get("temperature", 1.0)),
        }
        if "top_p" in self.options:
            sampling["top_p"] = float(self.options["top_p"])
        inputs = self._processor(text=[text], padding=True, return_tensors="pt")
        self.seed(seed)
        with self.torch.inference_mode():
            audio = self._model.generate(
                **inputs.to(self.torch_device), max_new_tokens=new_tokens, **sampling
            )
        return Synthesis(
            audio[0].float().cpu().numpy(),
            int(config.audio_encoder.sampling_rate),
            {
                "weights": self._weights.to_dict(),
                "max_new_tokens": new_tokens,
                "frame_rate": frame_rate,
                "codebooks": codebooks,
                **sampling,
            },
        )
