"""How well the note transcription hears notes whose MIDI is known: every clip of the notes
tier's reference set (builtin-notes: GM soundfont notes, each one key held `key_down_s` from 0 at
a labelled MIDI pitch) is transcribed as scoring transcribes a clip, and judged by the note
metrics against that note. Prints a JSON summary (all clips, and per class).

    python benchmarks/transcription_accuracy.py [--set builtin-notes] [--limit N]
        [--ghost-velocity-ratio R] [--minimum-note-length-ms MS]

docs/notes-fidelity.md reports its result; the set is built (offline) on first use.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from typing import Any

import numpy as np

from audioprobe.references import load_reference_set
from audioprobe.scoring import audio as A
from audioprobe.scoring.metrics.note_f1 import METRIC as NOTE_F1
from audioprobe.scoring.metrics.note_fidelity import METRIC as NOTE_FIDELITY
from audioprobe.scoring.metrics.note_onoff_f1 import METRIC as NOTE_ONOFF_F1
from audioprobe.scoring.transcription import SAMPLE_RATE, Transcriber, TranscriptionSettings
from audioprobe.tiers import TargetNote

MEASURES = {
    "note_f1": (NOTE_F1, "note_f1"),
    "note_onoff_f1": (NOTE_ONOFF_F1, "note_onoff_f1"),
    "note_fidelity": (NOTE_FIDELITY, "note_fidelity"),
    "note_pitch_ok": (NOTE_FIDELITY, "note_pitch_ok"),
    "note_onset_ok": (NOTE_FIDELITY, "note_onset_ok"),
    "note_duration_ok": (NOTE_FIDELITY, "note_duration_ok"),
}


def _number(value: object) -> float:
    """A measure's value; NaN where the metric says why it has none (it shows in the means)."""
    return float(value) if isinstance(value, int | float) else float("nan")


def measure_clip(model: Transcriber, path: Any, target: TargetNote) -> dict[str, float]:
    """The note metrics of one reference clip against the note it was rendered from."""
    audio = A.load(path, SAMPLE_RATE, A.AnalysisSettings(), extend=False).audio
    played = model.transcribe(audio)
    fidelity = NOTE_FIDELITY.judge([target], played, audio, NOTE_FIDELITY.Settings())
    out = {}
    for key, (metric, column) in MEASURES.items():
        if metric is NOTE_FIDELITY:
            out[key] = _number(fidelity[column])
        else:
            out[key] = _number(metric.compare([target], played, metric.Settings())[column])
    out["n_notes"] = float(len(played))
    return out


def summarise(rows: list[dict[str, float]]) -> dict[str, float]:
    return {k: round(float(np.mean([r[k] for r in rows])), 4) for k in rows[0]} | {
        "clips": len(rows)
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="builtin-notes")
    parser.add_argument("--limit", type=int, default=0, help="at most this many clips (0: all)")
    defaults = TranscriptionSettings()
    parser.add_argument("--ghost-velocity-ratio", type=float, default=defaults.ghost_velocity_ratio)
    parser.add_argument(
        "--minimum-note-length-ms", type=float, default=defaults.minimum_note_length_ms
    )
    args = parser.parse_args()
    refs = load_reference_set(args.set)
    settings = defaults.model_copy(
        update={
            "ghost_velocity_ratio": args.ghost_velocity_ratio,
            "minimum_note_length_ms": args.minimum_note_length_ms,
        }
    )
    model = Transcriber(settings)
    clips = sorted(refs.clips(), key=lambda c: c.sha256)
    clips = clips[: args.limit] if args.limit else clips
    start = time.perf_counter()
    by_class: dict[str, list[dict[str, float]]] = defaultdict(list)
    for clip in clips:
        target = TargetNote(onset_s=0.0, duration_s=clip.meta["key_down_s"], midi=clip.meta["midi"])
        by_class[clip.class_key].append(measure_clip(model, clip.path, target))
    seconds = time.perf_counter() - start
    rows = [r for group in by_class.values() for r in group]
    print(
        json.dumps(
            {
                "set": args.set,
                "transcriber": model.card(),
                "seconds_per_clip": round(seconds / max(len(rows), 1), 4),
                "all": summarise(rows),
                "by_class": {k: summarise(v) for k, v in sorted(by_class.items())},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
