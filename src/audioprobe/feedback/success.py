"""Task success: did a trial do what its item asked, beyond rendering some audio?

This is the one predicate the feedback loop stops on and every by-round view (show, export,
report, pass@k) counts, so that "succeeded at round 1" means the same everywhere. The rules, per
tier, are declared in RULES and applied to a round's outcome and its audio analysis:

  notes          rendered, and the measured f0 within NOTE_CENTS_MAX cents of the target
  environmental  rendered (valid, non-silent audio); the sound's class is not checked, because
                 recognising it needs the scoring embeddings, which a run does not load
  speech         rendered, and Whisper's transcript within SPEECH_WER_MAX word error rate of
                 the sentence; without the recogniser the success is unknown (None)

A round that did not render never succeeded. An unknown success (None) is neither counted as a
success nor as a failure in rates, and never stops the loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from audioprobe.feedback.analysis import AudioAnalysis
from audioprobe.outcomes import OK

NOTE_CENTS_MAX = 50.0
SPEECH_WER_MAX = 0.5

RULES: dict[str, str] = {
    "notes": f"rendered and |cents error| <= {NOTE_CENTS_MAX:g} against the target f0",
    "environmental": "rendered valid, non-silent audio (the sound's class is not checked)",
    "speech": f"rendered and Whisper's transcript has WER <= {SPEECH_WER_MAX:g}",
}


@dataclass(frozen=True)
class TaskSuccess:
    value: bool | None  # None: could not be decided (a measurement was unavailable)
    reason: str


def rule_of(tier: str) -> str:
    return RULES.get(tier, "rendered valid, non-silent audio")


def task_success(tier: str, status: str, analysis: AudioAnalysis | None) -> TaskSuccess:
    """Whether a round with outcome `status` and measurements `analysis` met its task."""
    if status != OK:
        return TaskSuccess(False, f"it did not render ({status})")
    if tier == "notes":
        if analysis is None or analysis.cents_error is None:
            return TaskSuccess(False, "no pitch could be measured")
        off = abs(analysis.cents_error)
        verdict = off <= NOTE_CENTS_MAX
        return TaskSuccess(verdict, f"{off:.0f} cents from the target f0")
    if tier == "speech":
        if analysis is None or analysis.transcript_wer is None:
            why = "; ".join(analysis.notes) if analysis and analysis.notes else "no transcript"
            return TaskSuccess(None, f"unknown: {why}")
        return TaskSuccess(
            analysis.transcript_wer <= SPEECH_WER_MAX, f"WER {analysis.transcript_wer:.2f}"
        )
    return TaskSuccess(True, "it rendered valid, non-silent audio")
