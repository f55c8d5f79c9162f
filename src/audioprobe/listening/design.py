"""Listening tests of a run's clips: which clips a rater hears on which screen, blind and shuffled.

MUSHRA follows ITU-R BS.1534-3: per item a labelled reference, and among the conditions rated on
0-100 sliders a hidden copy of that reference and a low anchor (the reference low-passed at
3.5 kHz, listening.anchor). The reference is the first clip of the item's class in the
reference set the run names for its tier, the set FAD compares against. An A/B test asks which of
two systems' clips is better, every pair of systems once per item, on a random side.

Each rater gets a page with its own order of screens and of conditions (seeded, so an export can
be rebuilt), and stimuli are named by opaque ids: the page says nothing of which system made a
clip. The key that maps ids back to trials stays beside the page folder, not in it.
"""

from __future__ import annotations

import itertools
import random
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from audioprobe.errors import AudioprobeError
from audioprobe.store import RunStore, TrialRecord

Design = Literal["mushra", "ab"]
DESIGNS: tuple[str, ...] = ("mushra", "ab")


@dataclass(frozen=True)
class Stimulus:
    id: str  # opaque: what the page and the answers file name
    kind: str  # system | hidden_reference | anchor
    item: str  # tier/item
    trial_id: str | None = None
    model: str | None = None
    source: str | None = None  # the file it was made from


@dataclass
class Screen:
    item: str  # tier/item
    prompt: str
    reference: str | None  # page-relative file of the labelled reference (MUSHRA)
    stimuli: list[list[str]]  # MUSHRA: [[all ids]]; A/B: [[a, b], ...] pairs


@dataclass
class Plan:
    test_id: str
    design: str
    screens: list[Screen]
    stimuli: dict[str, Stimulus] = field(default_factory=dict)
    #: Items left out, each with why ("item notes/x: no reference clip ..."), for the export's note.
    skipped: list[str] = field(default_factory=list)

    def key(self, raters: list[str] | None = None) -> dict[str, Any]:
        """What `listen import` checks answers against: the stimuli, and the raters given pages."""
        return {
            "test_id": self.test_id,
            "design": self.design,
            "items": [s.item for s in self.screens],
            "stimuli": {k: asdict(v) for k, v in self.stimuli.items()},
            **({"raters": raters} if raters is not None else {}),
        }


def pick_clips(store: RunStore, items: list[str] | None) -> dict[str, list[TrialRecord]]:
    """Per item ("tier/item"), one ok clip per system (its first ok sample), in model order.

    `items` may name "tier/item" or a bare item id; None takes every item with a clip.
    """
    by_item: dict[str, dict[str, TrialRecord]] = {}
    for trial in store.trials():
        if trial.status != "ok" or trial.wav_path is None or not trial.wav_path.is_file():
            continue
        by_item.setdefault(f"{trial.tier}/{trial.item}", {}).setdefault(trial.model, trial)
    if items is None:
        return {k: list(v.values()) for k, v in sorted(by_item.items())}
    chosen: dict[str, list[TrialRecord]] = {}
    for wanted in items:
        keys = [k for k in by_item if wanted in (k, k.split("/", 1)[1])]
        if not keys:
            known = ", ".join(sorted(by_item)) or "none"
            raise AudioprobeError(f"item {wanted!r}: no ok clip of that item (items: {known})")
        for key in keys:
            chosen[key] = list(by_item[key].values())
    return chosen


def _new_id(taken: set[str]) -> str:
    while (token := "s" + secrets.token_hex(4)) in taken:
        pass
    taken.add(token)
    return token


def plan_test(
    design: str,
    clips: dict[str, list[TrialRecord]],
    references: dict[str, Path | str],
    prompts: dict[str, str],
) -> Plan:
    """The screens and stimuli (file placement is the export's job). An item the design cannot
    use (A/B with one system, MUSHRA without a reference clip) is skipped and named in
    `skipped`; only a test left with no item at all is an error.

    references: per item, the reference clip, or the reason it has none (MUSHRA needs one).
    """
    if design not in DESIGNS:
        raise AudioprobeError(f"design {design!r}: choose one of {', '.join(DESIGNS)}")
    plan = Plan(test_id=f"{design}-{secrets.token_hex(3)}", design=design, screens=[])
    taken: set[str] = set()
    for item, trials in clips.items():
        if design == "ab" and len(trials) < 2:
            plan.skipped.append(
                f"item {item}: an ok clip from {len(trials)} system; an A/B test needs two"
            )
            continue
        ref = references.get(item)
        if design == "mushra" and not isinstance(ref, Path):
            plan.skipped.append(
                f"item {item}: no reference clip for MUSHRA ({ref or 'no reference set'})"
            )
            continue
        systems = []
        for trial in trials:
            sid = _new_id(taken)
            plan.stimuli[sid] = Stimulus(
                sid, "system", item, trial.trial_id, trial.model, str(trial.wav_path)
            )
            systems.append(sid)
        if design == "ab":
            pairs = [list(p) for p in itertools.combinations(systems, 2)]
            plan.screens.append(Screen(item, prompts.get(item, ""), None, pairs))
            continue
        assert isinstance(ref, Path)
        for kind in ("hidden_reference", "anchor"):
            sid = _new_id(taken)
            plan.stimuli[sid] = Stimulus(sid, kind, item, source=str(ref))
            systems.append(sid)
        plan.screens.append(Screen(item, prompts.get(item, ""), str(ref), [systems]))
    if not plan.screens:
        why = "; ".join(plan.skipped) if plan.skipped else "no item has an ok clip to listen to"
        hint = " (try --design ab)" if design == "mushra" and plan.skipped else ""
        raise AudioprobeError(f"nothing to listen to: {why}{hint}")
    return plan


def rater_order(plan: Plan, rater: int) -> list[dict[str, Any]]:
    """One rater's screens: screen order, conditions and A/B sides shuffled by a per-rater seed."""
    rng = random.Random(f"{plan.test_id}/{rater}")
    screens = []
    for screen in plan.screens:
        if plan.design == "mushra":
            conditions = list(screen.stimuli[0])
            rng.shuffle(conditions)
            screens.append({"item": screen.item, "prompt": screen.prompt, "stimuli": conditions})
            continue
        for pair in screen.stimuli:
            sides = list(pair)
            rng.shuffle(sides)
            screens.append({"item": screen.item, "prompt": screen.prompt, "stimuli": sides})
    rng.shuffle(screens)
    return screens
