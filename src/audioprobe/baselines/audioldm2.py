"""AudioLDM 2 through diffusers (AudioLDM2Pipeline): latent diffusion from a text caption.

The pipeline is told the item's duration (audio_length_in_s) and draws its noise from a seeded
torch.Generator, so a trial's clip is a function of caption, seed and settings.
"""

from __future__ import annotations

from typing import ClassVar

from audioprobe.baselines.generator import OptionType, Synthesis, generators, require
from audioprobe.baselines.torch_common import TorchBaseline
from audioprobe.tiers import Item


@generators.register("audioldm2")
class AudioLDM2Baseline(TorchBaseline):
    OPTIONS: ClassVar[dict[str, OptionType]] = {
        "steps": int,
        "guidance_scale": (int, float),
        "negative_prompt": str,
    }
    PACKAGES = ("torch", "diffusers")
    CONTROLS_DURATION = True

    def _load(self) -> None:
        assert self.entry.checkpoint, "catalog entries of audioldm2 name a checkpoint"
        self._weights = self.resolve_weights(
            self.entry.checkpoint, self.entry.weights, "checkpoint"
        )
        self._setup_torch()
        diffusers = require("diffusers", what=self.entry.key, install="diffusers transformers")
        pipe = diffusers.AudioLDM2Pipeline.from_pretrained(
            self._weights.path, dtype=self.torch_dtype
        )
        pipe.set_progress_bar_config(disable=True)
        self._pipe = pipe.to(self.torch_device)

    def _synthesize(self, text: str, item: Item, seed: int) -> Synthesis:
        settings = {
            "num_inference_steps": int(self.options.get("steps", 200)),
            "guidance_scale": float(self.options.get("guidance_scale", 3.5)),
            "negative_prompt": self.options.get("negative_prompt"),
        }
        generator = self.seed(seed)
        with self.torch.inference_mode():
            result = self._pipe(
                text,
                audio_length_in_s=item.duration_s,
                num_waveforms_per_prompt=1,
                generator=generator,
                output_type="np",
                **settings,
            )
        return Synthesis(
            result.audios[0],
            int(self._pipe.vocoder.config.sampling_rate),
            {
                "weights": self._weights.to_dict(),
                "audio_length_in_s": item.duration_s,
                "scheduler": type(self._pipe.scheduler).__name__,
                **settings,
            },
        )
