"""DNSMOS P.835 (Reddy et al., 2022): a speech clip's predicted mean opinion scores, from
Microsoft's ONNX models as the `speechmos` package ships them (no download). Speech only.

Three scores of the P.835 protocol (signal, background, overall; 1-5) and the P.808 overall
score, as the DNS challenge computes them: 9.01 s windows hopped by 1 s and averaged, a shorter
clip repeated to fill one window (speechmos's own rule, kept as it is). A neural predictor of
listener ratings, trained on noisy and enhanced human speech: it ranks a clean voice above
noise, but a synthetic voice outside its training data may be rated with less certainty.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from audioprobe.errors import Unavailable
from audioprobe.scoring.context import ClipInput, ScoreContext
from audioprobe.scoring.contract import ClipMetric, Column, Measured, Missing, Setup

RATE = 16000  # the models' rate (speechmos refuses any other)
MOS = (1.0, 5.0)


def _mos(name: str, label: str, quality: bool = False) -> Column:
    return Column(name, label=label, direction="higher", range=MOS, quality=quality)


class Dnsmos(ClipMetric):
    name = "dnsmos"
    neural = True
    version = 1
    rank = 35
    tiers = ()  # the tiers whose kind lists it
    description = "DNSMOS P.835 predicted opinion scores (overall, signal, background; speech)"
    columns = (
        _mos("dnsmos_ovrl", "DNSMOS", quality=True),
        _mos("dnsmos_sig", "DNSMOS sig"),
        _mos("dnsmos_bak", "DNSMOS bak"),
        _mos("dnsmos_p808", "DNSMOS P.808"),
    )

    def setup(self, ctx: ScoreContext, tier: str) -> Setup:
        model, reason = ctx.model("dnsmos", _Model)
        card = {
            "packages": ("speechmos", "onnxruntime", "librosa"),
            "models": "speechmos dnsmos_models/sig_bak_ovr.onnx + model_v8.onnx (P.808)",
            "personalized": False,
            "window_s": 9.01,
            "hop_s": 1.0,
            "short_clips": "repeated to fill one window (speechmos)",
            "input": f"mono, resampled to {RATE} Hz, clipped to [-1, 1]",
            "analysis": ctx.settings.describe(),
        }
        return Setup(card=card, model=model, unavailable=reason or None)

    def measure(self, ctx: ScoreContext, setup: Setup, clip: ClipInput) -> Measured:
        audio = ctx.load(clip, RATE).audio
        if not np.any(audio):
            return {c.name: Missing("the clip is silent: nothing to rate") for c in self.columns}
        scores = setup.model.rate(np.clip(audio, -1.0, 1.0).astype(np.float32))
        return {
            "dnsmos_ovrl": scores["ovrl_mos"],
            "dnsmos_sig": scores["sig_mos"],
            "dnsmos_bak": scores["bak_mos"],
            "dnsmos_p808": scores["p808_mos"],
        }


class _Model:
    """speechmos's DNSMOS, loaded once per scoring."""

    def __init__(self) -> None:
        try:
            from speechmos import dnsmos
        except ImportError as exc:
            raise Unavailable(
                f"DNSMOS needs speechmos and onnxruntime ({exc.name} is missing):"
                " pip install 'audioprobe[scoring]'"
            ) from exc
        self._run = dnsmos.run

    def available(self) -> tuple[bool, str]:
        return True, ""

    def rate(self, audio: np.ndarray) -> dict[str, Any]:
        return {k: float(v) for k, v in self._run(audio, RATE).items() if k.endswith("_mos")}


METRIC = Dnsmos()
