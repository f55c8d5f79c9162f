"""One-note fidelity (the notes tier's check, for any item that asks for exactly one note): the
clip's main note — the longest transcribed — must be at the requested MIDI pitch (octave-exact),
start within `onset_tolerance_s` of the requested onset, and last the requested duration within
`duration_tolerance` (a share of it); and no other note may last `extra_note_s` or more. A
sustained note that the transcription splits in pieces of its pitch (gaps under `merge_gap_s`) is
one note: the requested note is one, so a re-articulation there is the transcriber's. Each
fact is exported per trial beside the combined pass, so a clip that plays the right pitch late,
for half its length, or with extra notes is told apart from one that does what was asked.

The main note's onset is measured against the clip's own amplitude envelope, not only as Basic
Pitch places it: the transcriber places a low note late (a pure 55 Hz sine from 0 at 0.104 s,
one at 32.7 Hz at 0.209 s), because a low pitch takes several of its periods to resolve. Where
the clip already sounds — within `onset_level_db` of the note's loudest frame, without a
break — in the `onset_lead_periods` periods of the note's pitch before the transcribed onset,
and no other note sounds there, the note began where that sound begins. A late start (silence,
then the note) has nothing before its onset to move it; docs/notes-fidelity.md has the
measurements."""

from __future__ import annotations

import librosa
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from audioprobe.scoring.context import ClipInput, ScoreContext
from audioprobe.scoring.contract import Column, Measured, Missing, Setup
from audioprobe.scoring.metrics.transcription import NoteMetric, clip_notes
from audioprobe.scoring.transcription import SAMPLE_RATE, Note
from audioprobe.tiers import Item, TargetNote

FLAG = (0.0, 1.0)
#: Envelope frame, samples at SAMPLE_RATE: Basic Pitch's own hop (11.6 ms).
ENVELOPE_HOP = 256


class NoteFidelitySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    onset_tolerance_s: float = Field(0.1, gt=0, description="|onset - requested onset| allowed")
    duration_tolerance: float = Field(
        0.25, gt=0, lt=1, description="|duration - requested| allowed, as a share of requested"
    )
    extra_note_s: float = Field(0.25, gt=0, description="another note this long is an extra note")
    merge_gap_s: float = Field(0.05, ge=0, description="same-pitch pieces this close are one note")
    onset_lead_periods: float = Field(
        8.0, ge=0, description="periods of its pitch the main note's onset may move earlier"
    )
    onset_level_db: float = Field(
        -20.0, lt=0, description="the clip sounds where its envelope is within this of the note's"
    )


def sustained(played: list[Note], main: Note, gap_s: float) -> tuple[Note, list[Note]]:
    """`main` extended over the notes of its pitch that follow or precede it within `gap_s`,
    and the notes it took in."""
    pieces = [main]
    same = sorted(
        (n for n in played if n.midi == main.midi and n is not main), key=lambda n: n.onset_s
    )
    grew = True
    while grew:
        grew = False
        start, end = min(p.onset_s for p in pieces), max(p.offset_s for p in pieces)
        for n in same:
            if n not in pieces and n.onset_s <= end + gap_s and n.offset_s >= start - gap_s:
                pieces.append(n)
                grew = True
    start, end = min(p.onset_s for p in pieces), max(p.offset_s for p in pieces)
    return Note(start, end, main.midi, max(p.velocity for p in pieces)), pieces


def envelope_onset(
    audio: np.ndarray, main: Note, others: list[Note], settings: NoteFidelitySettings
) -> float:
    """Where `main` began: earlier than transcribed where the clip (mono, SAMPLE_RATE) sounds
    without a break, within `onset_level_db` of the note's loudest frame, in the
    `onset_lead_periods` periods of its pitch before its transcribed onset (Basic Pitch's lag on
    low notes), and no note of `others` sounds in that span; else the transcribed onset."""
    rms = librosa.feature.rms(
        y=audio, frame_length=ENVELOPE_HOP, hop_length=ENVELOPE_HOP, center=False
    )[0]
    first = int(main.onset_s * SAMPLE_RATE // ENVELOPE_HOP)
    last = int(np.ceil(main.offset_s * SAMPLE_RATE / ENVELOPE_HOP))
    if first >= rms.size:
        return main.onset_s
    threshold = float(rms[first : max(last, first + 1)].max()) * 10 ** (
        settings.onset_level_db / 20
    )
    period_s = 1 / float(librosa.midi_to_hz(main.midi))
    earliest = main.onset_s - settings.onset_lead_periods * period_s
    if threshold <= 0 or any(o.onset_s < main.onset_s and o.offset_s > earliest for o in others):
        # a silent note has no envelope to measure on; and where another note sounds in the
        # lead-in, the sound there may be its own (a transcribed offset ends early too): the
        # onset stays where the transcriber put it
        return main.onset_s
    frame = first
    while frame > 0 and (frame - 1) * ENVELOPE_HOP / SAMPLE_RATE >= earliest:
        if rms[frame - 1] < threshold:
            break
        frame -= 1
    return frame * ENVELOPE_HOP / SAMPLE_RATE if frame < first else main.onset_s


def _flag(ok: bool) -> float:
    return 1.0 if ok else 0.0


class NoteFidelity(NoteMetric):
    name = "note_fidelity"
    neural = True
    # 2: the main note's onset is measured against the clip's envelope (envelope_onset)
    version = 2
    rank = 21
    description = (
        "one note: right pitch, onset within 0.1 s, duration within 25 %, no extra note;"
        " each fact and the combined pass"
    )
    Settings = NoteFidelitySettings
    columns = (
        Column(
            "note_fidelity",
            label="note fidelity",
            direction="higher",
            range=FLAG,
            quality=True,
            summary="rate",
        ),
        Column("note_pitch_ok", label="pitch ok", direction="higher", range=FLAG, summary="rate"),
        Column("note_onset_ok", label="onset ok", direction="higher", range=FLAG, summary="rate"),
        Column(
            "note_duration_ok", label="duration ok", direction="higher", range=FLAG, summary="rate"
        ),
        Column("note_midi", label="main note MIDI", range=(0.0, 127.0)),
        Column("note_onset_s", label="main note onset s", unit="s", range=(0.0, None)),
        Column("note_duration_s", label="main note duration s", unit="s", range=(0.0, None)),
        Column("extra_notes", label="extra notes", direction="lower", range=(0.0, None)),
    )

    def applies_to_item(self, item: Item) -> bool:
        return len(item.target_notes()) == 1

    def measure(self, ctx: ScoreContext, setup: Setup, clip: ClipInput) -> Measured:
        played = clip_notes(ctx, setup.model, clip)
        audio = ctx.load(clip, SAMPLE_RATE).audio
        settings = ctx.metric_settings(self.name, self.Settings)
        return self.judge(clip.item.target_notes(), played, audio, settings)

    def judge(
        self,
        target: list[TargetNote],
        played: list[Note],
        audio: np.ndarray,
        settings: NoteFidelitySettings,
    ) -> Measured:
        """The columns' values for the notes asked for, the notes transcribed and the clip they
        were transcribed from (mono, SAMPLE_RATE), which the main note's onset is measured on."""
        if len(target) != 1:
            why = Missing(f"the item asks for {len(target)} notes; note_fidelity checks one")
            return {c.name: why for c in self.columns}
        want = target[0]
        if not played:
            none = Missing("no note transcribed")
            out: dict[str, float | str | Missing] = {c.name: none for c in self.columns}
            out.update(note_fidelity=0.0, note_pitch_ok=0.0, note_onset_ok=0.0)
            out.update(note_duration_ok=0.0, extra_notes=0.0)
            return out
        longest = max(played, key=lambda n: (n.duration_s, -n.onset_s))
        main, pieces = sustained(played, longest, settings.merge_gap_s)
        others = [n for n in played if n not in pieces]
        onset = envelope_onset(audio, main, others, settings)
        main = Note(onset, main.offset_s, main.midi, main.velocity)
        pitch_ok = main.midi == want.midi
        onset_ok = abs(main.onset_s - want.onset_s) <= settings.onset_tolerance_s
        duration_ok = (
            abs(main.duration_s - want.duration_s) <= settings.duration_tolerance * want.duration_s
        )
        extra = sum(1 for n in others if n.duration_s >= settings.extra_note_s)
        return {
            "note_fidelity": _flag(pitch_ok and onset_ok and duration_ok and extra == 0),
            "note_pitch_ok": _flag(pitch_ok),
            "note_onset_ok": _flag(onset_ok),
            "note_duration_ok": _flag(duration_ok),
            "note_midi": float(main.midi),
            "note_onset_s": main.onset_s,
            "note_duration_s": main.duration_s,
            "extra_notes": float(extra),
        }


METRIC = NoteFidelity()
