"""SpeechT5 text-to-speech through transformers, with its HiFi-GAN vocoder.

SpeechT5 speaks in the voice of a speaker x-vector (512 numbers). The Hub checkpoints do not
ship one (the model card takes it from a dataset), so it is part of the weights here: a .npy
file given as the `speaker_embedding` option, or `speaker_embedding.npy` in the checkpoint
folder; without it the baseline is unavailable rather than speaking with an invented voice.
The speech decoder's prenet keeps dropout on at inference, so the seed changes the clip.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np

from audioprobe.baselines.generator import OptionType, Synthesis, generators, require
from audioprobe.baselines.torch_common import TorchBaseline
from audioprobe.errors import Unavailable
from audioprobe.tiers import Item

EMBEDDING_FILE = "speaker_embedding.npy"


@generators.register("speecht5")
class SpeechT5Baseline(TorchBaseline):
    OPTIONS: ClassVar[dict[str, OptionType]] = {
        "vocoder": str,  # folder or Hub repo id of the HiFi-GAN vocoder
        "speaker_embedding": str,  # .npy file holding a 512-d x-vector
        "threshold": (int, float),  # stop-token probability that ends the utterance
        "minlenratio": (int, float),  # length bounds, relative to the encoded text
        "maxlenratio": (int, float),
    }

    def _speaker(self) -> tuple[np.ndarray, str]:
        given = self.options.get("speaker_embedding")
        path = Path(given).expanduser() if given else self._weights.path / EMBEDDING_FILE
        if not path.is_file():
            raise Unavailable(
                f"baseline {self.entry.key}: no speaker x-vector at {path}; fix: save one (512"
                " float32 numbers, e.g. Matthijs/cmu-arctic-xvectors entry 7306) with numpy.save"
                f" as {EMBEDDING_FILE} in the checkpoint folder, or set option speaker_embedding"
            )
        vector = np.load(path).astype(np.float32).reshape(-1)
        return vector, str(path)

    def _load(self) -> None:
        assert self.entry.checkpoint and self.entry.vocoder, "speecht5 entries name both"
        self._weights = self.resolve_weights(
            self.entry.checkpoint, self.entry.weights, "checkpoint"
        )
        self._vocoder_weights = self.resolve_weights(
            self.entry.vocoder, self.entry.vocoder_weights, "vocoder"
        )
        vector, self._speaker_file = self._speaker()
        self._setup_torch()
        transformers = require(
            "transformers", what=self.entry.key, install="transformers sentencepiece"
        )
        self._processor = transformers.SpeechT5Processor.from_pretrained(self._weights.path)
        model = transformers.SpeechT5ForTextToSpeech.from_pretrained(
            self._weights.path, dtype=self.torch_dtype
        )
        vocoder = transformers.SpeechT5HifiGan.from_pretrained(
            self._vocoder_weights.path, dtype=self.torch_dtype
        )
        self._model = model.to(self.torch_device).eval()
        self._vocoder = vocoder.to(self.torch_device).eval()
        self._speaker_vector = self.torch.from_numpy(vector)[None, :].to(
            self.torch_device, self.torch_dtype
        )

    def _synthesize(self, text: str, item: Item, seed: int) -> Synthesis:
        settings = {
            "threshold": float(self.options.get("threshold", 0.5)),
            "minlenratio": float(self.options.get("minlenratio", 0.0)),
            "maxlenratio": float(self.options.get("maxlenratio", 20.0)),
        }
        inputs = self._processor(text=text, return_tensors="pt").to(self.torch_device)
        self.seed(seed)
        with self.torch.inference_mode():
            speech = self._model.generate_speech(
                inputs["input_ids"],
                self._speaker_vector,
                vocoder=self._vocoder,
                **settings,
            )
        return Synthesis(
            speech.float().cpu().numpy().reshape(-1),
            int(self._vocoder.config.sampling_rate),
            {
                "weights": self._weights.to_dict(),
                "vocoder": self._vocoder_weights.to_dict(),
                "speaker_embedding": self._speaker_file,
                **settings,
            },
        )
