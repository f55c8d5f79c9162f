"""The conversation of a trial with feedback, and the feedback turn itself.

The turn's wording is prompts/feedback.txt (data, so a researcher can change what the model is
told without touching code); this module only fills its fields: the round's outcome, its error,
the end of its stderr, the measurements of what it rendered, and the task check.
"""

from __future__ import annotations

from dataclasses import dataclass

from audioprobe.feedback.analysis import AudioAnalysis
from audioprobe.feedback.success import SuccessSettings, TaskSuccess, rule_of
from audioprobe.prompts import fill, item_fields, read_template
from audioprobe.tiers import Item, Tier

NONE = "(none)"


@dataclass(frozen=True)
class Conversation:
    """The messages so far: system, the task, then each answer and the feedback on it."""

    turns: tuple[dict[str, str], ...]

    def messages(self) -> list[dict[str, str]]:
        return [dict(t) for t in self.turns]

    def as_text(self) -> str:
        """The verbatim conversation as stored beside each round (prompt.txt)."""
        return "\n\n".join(f"[{t['role']}]\n{t['content']}" for t in self.turns) + "\n"

    def then(self, answer: str, feedback: str) -> Conversation:
        return Conversation(
            (
                *self.turns,
                {"role": "assistant", "content": answer},
                {"role": "user", "content": feedback},
            )
        )


def _number(value: float | None, fmt: str, unit: str = "") -> str:
    if value is None:
        return "n/a"
    return f"{value:{fmt}}{unit}"


def _level(db: float | None) -> str:
    return "-inf dBFS" if db is None else f"{db:.1f} dBFS"  # None: a zero level


def analysis_lines(a: AudioAnalysis | None) -> str:
    """The measurements as short lines, only those that apply, with the reasons for gaps."""
    if a is None:
        return "(no output.wav to measure)"
    lines = []
    if a.duration_s is not None:
        asked = _number(a.target_duration_s, "g", " s")
        lines.append(
            f"- duration: {a.duration_s:.2f} s (asked for {asked}), {a.sample_rate} Hz,"
            f" {a.channels} channel(s)"
        )
    if a.peak is not None:
        lines.append(f"- peak: {a.peak:.4g} ({_level(a.peak_dbfs)})")
        lines.append(f"- RMS: {a.rms:.4g} ({_level(a.rms_dbfs)})")
        lines.append(f"- clipped samples: {100 * (a.clipped_share or 0):.2f}%")
    if a.silent is not None:
        quiet = (
            "" if a.silent_share is None else f", {100 * a.silent_share:.0f}% of it below -60 dBFS"
        )
        lines.append(f"- silent: {'yes' if a.silent else 'no'}{quiet}")
    if a.centroid_hz is not None:
        lines.append(f"- spectral centroid: {a.centroid_hz:.0f} Hz")
    if a.bands:
        parts = ", ".join(f"{b.low_hz:g}-{b.high_hz:g} Hz {100 * b.share:.0f}%" for b in a.bands)
        lines.append(f"- energy by band: {parts}")
    if a.target_f0_hz is not None:
        lines.append(
            f"- measured f0: {_number(a.f0_hz, '.1f', ' Hz')} (target {a.target_f0_hz:g} Hz,"
            f" error {_number(a.cents_error, '+.0f', ' cents')})"
        )
    if a.transcript is not None:
        lines.append(f'- a speech recogniser heard: "{a.transcript}" (WER {a.transcript_wer:.2f})')
    lines += [f"- note: {n}" for n in a.notes]
    return "\n".join(lines) or "(nothing could be measured)"


def _stderr_tail(stderr: str, lines: int) -> str:
    tail = [line for line in stderr.strip().splitlines() if line.strip()][-lines:] if lines else []
    return "\n".join(tail) if tail else NONE


def feedback_text(
    template: str,
    tier: Tier,
    item: Item,
    *,
    round_: int,
    rounds: int,
    status: str,
    error: str | None,
    stderr: str,
    stderr_lines: int,
    analysis: AudioAnalysis | None,
    success: TaskSuccess,
    rules: SuccessSettings | None = None,
) -> str:
    """The feedback turn after round `round_` (0-based; the template sees it 1-based)."""
    verdict = {True: "met", False: "not met", None: "unknown"}[success.value]
    fields: dict[str, object] = dict(item_fields(tier, item))
    fields.update(
        round=round_ + 1,
        rounds=rounds,
        status=status,
        error=f"Error: {error}" if error else "",
        stderr=_stderr_tail(stderr, stderr_lines),
        analysis=analysis_lines(analysis),
        success_rule=rule_of(tier.name, rules),
        success=f"{verdict} ({success.reason})",
    )
    return fill(read_template(template), fields, template)
