"""Note transcription: which notes a clip plays (onset, offset, MIDI pitch, velocity).

Basic Pitch (Spotify, ICASSP 2022; Apache-2.0) ships its network as ONNX inside the
`basic-pitch` wheel (basic_pitch/saved_models/icassp_2022/nmp.onnx), so it runs offline through
onnxruntime; the wheel is installed without its declared dependencies (they pull TensorFlow;
requirements/nodeps.txt). Its own windowing and note decoding (`model_output_to_notes`) turn the
network's frame posteriors into notes, so the thresholds below mean what they mean there.

Transcriptions are cached on disk by the clip's sha256 and the transcription card's hash (the
model file's sha256 and every threshold), like embeddings: a clip is transcribed once, however
many note-level metrics read it, and a changed threshold or model never reuses old notes.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from audioprobe import atomic
from audioprobe.errors import Unavailable
from audioprobe.hashing import sha256_file
from audioprobe.paths import cache_dir

#: The rate Basic Pitch's network was trained at (basic_pitch.constants.AUDIO_SAMPLE_RATE).
SAMPLE_RATE = 22050
MODEL_PATH = "saved_models/icassp_2022/nmp.onnx"
MODEL_NAME = "basic-pitch icassp_2022 (nmp.onnx, onnxruntime)"
TRANSCRIPTION_CARD_VERSION = 1
#: Semitones from a fundamental to its 2nd-8th harmonics, to the nearest semitone.
HARMONIC_STEPS = frozenset(round(12 * math.log2(k)) for k in range(2, 9))
#: How close a partial's onset lies to its fundamental's, seconds.
GHOST_SLACK_S = 0.1


class TranscriptionSettings(BaseModel):
    """Basic Pitch's note decoding (thresholds: `basic_pitch.inference.predict`'s defaults)."""

    model_config = ConfigDict(extra="forbid")

    onset_threshold: float = Field(0.5, gt=0, lt=1, description="onset posterior for a note")
    frame_threshold: float = Field(0.3, gt=0, lt=1, description="frame posterior to sustain")
    # Basic Pitch's CLI drops notes under 127.7 ms; a sixteenth note at 120 bpm lasts 125 ms, so
    # a phrase would lose its short notes: 50 ms keeps them (the benchmark measures both).
    minimum_note_length_ms: float = Field(50.0, gt=0, description="shorter notes are dropped")
    melodia_trick: bool = True
    # Basic Pitch reports a strong partial of a synthetic tone (the 5th harmonic of a sawtooth-
    # like sum) as a note of its own. A note at a harmonic (2nd-8th) of a louder note, starting
    # within GHOST_SLACK_S of it, is that partial, not a note played, when its velocity is below
    # `ghost_velocity_ratio` of the louder one's; a real doubling an octave up, played as loud,
    # is kept. 0 keeps every note (docs/notes-fidelity.md compares with Basic Pitch's defaults).
    ghost_velocity_ratio: float = Field(
        0.75, ge=0, lt=1, description="a harmonic note this much quieter is a partial"
    )


@dataclass(frozen=True)
class Note:
    """One transcribed note. `velocity` is Basic Pitch's amplitude scaled to MIDI's 0-127."""

    onset_s: float
    offset_s: float
    midi: int
    velocity: int

    @property
    def duration_s(self) -> float:
        return self.offset_s - self.onset_s

    def as_list(self) -> list[float | int]:
        return [round(self.onset_s, 4), round(self.offset_s, 4), self.midi, self.velocity]


def notes_to_json(notes: list[Note]) -> str:
    """The clip fact as stored: `[[onset_s, offset_s, midi, velocity], ...]` by onset."""
    return json.dumps([n.as_list() for n in notes], separators=(",", ":"))


def notes_from_json(text: str) -> list[Note]:
    return [Note(float(a), float(b), int(m), int(v)) for a, b, m, v in json.loads(text)]


def _package_dir() -> Path:
    """basic_pitch's folder, found without importing it (its __init__ probes for TensorFlow)."""
    spec = importlib.util.find_spec("basic_pitch")
    if spec is None or not spec.submodule_search_locations:
        raise Unavailable(
            "note transcription needs basic-pitch: pip install --no-deps basic-pitch==0.4.0"
            " (make install does; see requirements/nodeps.txt)"
        )
    return Path(next(iter(spec.submodule_search_locations)))


@contextlib.contextmanager
def _quiet_import():
    """basic_pitch logs a warning per absent backend (TensorFlow, CoreML, TFLite) on import."""
    logger = logging.getLogger()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


class Transcriber:
    """Basic Pitch through onnxruntime, on one CPU thread set, loaded once per scoring."""

    def __init__(self, settings: TranscriptionSettings):
        self.settings = settings
        self.model_file = _package_dir() / MODEL_PATH
        if not self.model_file.is_file():
            raise Unavailable(f"basic-pitch is installed but {self.model_file} is missing")
        self.model_sha256 = sha256_file(self.model_file)
        with _quiet_import():
            from basic_pitch.inference import Model

        self._model = Model(str(self.model_file))

    def available(self) -> tuple[bool, str]:
        return True, ""

    def card(self) -> dict[str, Any]:
        """What a transcription depends on: the model file's bytes and every threshold."""
        from importlib.metadata import version

        return {
            "model": MODEL_NAME,
            "basic_pitch": version("basic-pitch"),
            "model_sha256": self.model_sha256,
            "sample_rate": SAMPLE_RATE,
            "settings": self.settings.model_dump(),
            "version": TRANSCRIPTION_CARD_VERSION,
        }

    def transcribe(self, audio: np.ndarray) -> list[Note]:
        """The notes of a mono clip at SAMPLE_RATE, by onset then pitch."""
        with _quiet_import():
            import basic_pitch.note_creation as creation
            from basic_pitch.constants import ANNOTATIONS_FPS, AUDIO_N_SAMPLES, FFT_HOP
            from basic_pitch.inference import unwrap_output, window_audio_file

        s = self.settings
        min_note_len = round(s.minimum_note_length_ms / 1000 * SAMPLE_RATE / FFT_HOP)
        # the frames decoded, as basic_pitch.inference.unwrap_output trims them (86 a second)
        n_frames = int(np.floor(audio.size * (ANNOTATIONS_FPS / SAMPLE_RATE)))
        if n_frames < min_note_len + 3:
            # Basic Pitch keeps a note only when it spans more than `min_note_len` frames, and
            # the longest a clip of n frames can hold spans n - 2 (the first frame is never an
            # onset peak, the last never inside a note): this clip has no note. Its decoding
            # would fail outright on a clip under one frame (a 9 ms answer).
            return []
        n_overlap = 30  # frames, as basic_pitch.inference.run_inference overlaps its windows
        overlap = n_overlap * FFT_HOP
        padded = np.concatenate([np.zeros(overlap // 2, np.float32), audio.astype(np.float32)])
        outputs: dict[str, list[np.ndarray]] = {"note": [], "onset": [], "contour": []}
        for window, _ in window_audio_file(padded, AUDIO_N_SAMPLES - overlap):
            for key, value in self._model.predict(window[np.newaxis]).items():
                outputs[key].append(value)
        if not outputs["note"]:
            return []
        frames = {
            k: unwrap_output(np.concatenate(v), audio.size, n_overlap) for k, v in outputs.items()
        }
        _, events = creation.model_output_to_notes(
            frames,
            onset_thresh=s.onset_threshold,
            frame_thresh=s.frame_threshold,
            min_note_len=min_note_len,
            melodia_trick=s.melodia_trick,
        )
        notes = [
            Note(float(a), float(b), int(m), int(np.clip(round(127 * float(v)), 0, 127)))
            for a, b, m, v, *_ in events
        ]
        kept = drop_partials(notes, s.ghost_velocity_ratio)
        return sorted(kept, key=lambda n: (n.onset_s, n.midi))


def is_partial_of(note: Note, louder: Note, velocity_ratio: float) -> bool:
    """Whether `note` is a harmonic of `louder` sounding with it (see `ghost_velocity_ratio`)."""
    return (
        note.midi - louder.midi in HARMONIC_STEPS
        and abs(note.onset_s - louder.onset_s) <= GHOST_SLACK_S
        and note.velocity < velocity_ratio * louder.velocity
    )


def drop_partials(notes: list[Note], velocity_ratio: float) -> list[Note]:
    """`notes` without those that are a partial of another note (none dropped at ratio 0)."""
    return [n for n in notes if not any(is_partial_of(n, o, velocity_ratio) for o in notes)]


class TranscriptionCache:
    """Transcriptions on disk, keyed by the transcription card's hash and the clip's sha256."""

    def __init__(self, root: Path | None = None):
        self.root = root if root is not None else cache_dir("transcriptions")

    def path(self, card: str, clip_sha256: str) -> Path:
        return self.root / card / clip_sha256[:2] / f"{clip_sha256}.json"

    def get(self, card: str, clip_sha256: str) -> list[Note] | None:
        """The cached notes, or None when absent or damaged (a damaged entry is recomputed)."""
        path = self.path(card, clip_sha256)
        try:
            notes = notes_from_json(path.read_text())
        except (OSError, ValueError, TypeError):
            return None
        if not all(math.isfinite(n.onset_s) and n.offset_s >= n.onset_s for n in notes):
            return None
        return notes

    def put(self, card: str, clip_sha256: str, notes: list[Note]) -> list[Note]:
        """Store `notes` and return them as stored (times rounded to 0.1 ms): a clip scored
        from a fresh transcription then gives the numbers a later read of the cache gives, so a
        rescoring or a reproduction on this machine repeats them exactly."""
        text = notes_to_json(notes)
        atomic.write_text(self.path(card, clip_sha256), text)
        return notes_from_json(text)
