"""`reproduce`: re-render every published answer through the published spec, re-score, and
compare every number with the publication (publication.compare says how).

The published code-writing systems become replay systems of the same names reading their
answers/*.jsonl (each sample its own answer); baselines run as published (they are seeded by the
trial, as the source run's were). The items are the published ones, in the published order, so
a tier file that has since grown changes nothing; a prompt that has changed shows up as a
mismatch of its sha256. The reproduction is an ordinary run folder: a killed reproduction is
resumed by running the same command again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audioprobe import api
from audioprobe.errors import AudioprobeError
from audioprobe.model_kinds import model_kind
from audioprobe.publication import CARDS_FILE, FORMAT, PUBLICATION_FILE
from audioprobe.publication.compare import Comparison, Redrawn, compare_table
from audioprobe.publication.tables import build_tables, cell_text, read_table
from audioprobe.results.measures import RunResults
from audioprobe.runner import RunPlan
from audioprobe.sandbox import runtime_hash
from audioprobe.scoring.registry import describe
from audioprobe.spec import ExperimentSpec, ModelSpec
from audioprobe.store import RunStore

#: Tables over every item: with --limit their published values are not comparable.
WHOLE_RUN_TABLES = ("cells", "sets", "measures", "claim")


@dataclass
class Reproduction:
    run_dir: Path
    comparison: Comparison
    trials: int
    limit: int | None
    skipped: list[str] = field(default_factory=list)


def load_publication(folder: Path) -> dict[str, Any]:
    path = folder / PUBLICATION_FILE
    if not path.is_file():
        raise AudioprobeError(
            f"{folder} is not a publication (no {PUBLICATION_FILE}); make one with"
            " `audioprobe publish RUN --out results/<study-id>`"
        )
    try:
        publication = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise AudioprobeError(f"{path} is damaged: {type(exc).__name__}") from exc
    if not isinstance(publication, dict) or publication.get("format") != FORMAT:
        got = publication.get("format") if isinstance(publication, dict) else None
        raise AudioprobeError(
            f"{path}: publication format {got!r}; this audioprobe reads format {FORMAT}"
        )
    return publication


def _spec(publication: dict[str, Any]) -> ExperimentSpec:
    """The published spec with its tiers pinned to the published items, in published order."""
    raw = dict(publication["spec"])
    items = publication["items"]
    raw["tiers"] = [
        {**tier, "items": items[tier["name"]], "limit": None}
        for tier in raw["tiers"]
        if tier["name"] in items
    ]
    return ExperimentSpec.model_validate(raw)


def _systems(folder: Path, publication: dict[str, Any]) -> list[ModelSpec]:
    answers = publication.get("answers") or {}
    out = []
    for raw in publication["models"]:
        spec = ModelSpec.model_validate(raw)
        if not model_kind(spec.kind).writes_code:
            out.append(spec)
            continue
        if spec.name not in answers:
            raise AudioprobeError(f"{folder}: no answers file for system {spec.name!r}")
        path = (folder / answers[spec.name]).resolve()
        out.append(ModelSpec(name=spec.name, kind="replay", model=str(path)))
    return out


def plan(folder: Path, publication: dict[str, Any], out: Path, limit: int | None) -> RunPlan:
    planned = api.prepare(
        _spec(publication), models=_systems(folder, publication), limit=limit, out=out
    )
    planned.manifest.reproduces = publication["source_run"]
    return planned


def render(
    folder: Path, publication: dict[str, Any], out: Path, limit: int | None, *, progress: bool
) -> RunStore:
    """The reproduction run in `out`, rendered (resumed when `out` already holds it)."""
    if not (out / "run.json").is_file():
        api.run_plan(plan(folder, publication, out, limit), progress=progress)
        return api.open_store(out)
    store = api.open_store(out)
    published = publication["source_run"]
    if (
        store.manifest.reproduces != published
        or (store.manifest.plan.limit if store.manifest.plan else None) != limit
    ):
        raise AudioprobeError(
            f"{out} holds another run (not the reproduction of {published} with --limit"
            f" {limit}); choose another --out"
        )
    api.resume(out, progress=progress)
    return api.open_store(out)


def _environment(out: Comparison, publication: dict[str, Any]) -> None:
    here = runtime_hash()
    published = str(publication.get("sandbox_runtime"))
    verdict = "equal" if here == published else "mismatch"
    out.add("environment", "sandbox", "runtime", published, here, "exact", verdict)


def _set_metrics() -> set[str]:
    from audioprobe.scoring.registry import SetMetric, registry

    return {name for name, metric in registry().items() if isinstance(metric, SetMetric)}


def _cards(out: Comparison, folder: Path, store: RunStore, *, clip_only: bool) -> None:
    """The cards' settings must be equal; their package versions may differ (a note). With
    `clip_only` (--limit), set metrics' cards are left out: they name the reference clips of
    the items the sets cover, which --limit changes; and a published card the check made none
    of (an embedding only the set metrics use) is not asked for, as those were not computed."""
    try:
        published = json.loads((folder / CARDS_FILE).read_text())
        ours = json.loads((store.root / CARDS_FILE).read_text())
    except (OSError, ValueError) as exc:
        raise AudioprobeError(f"cannot read the metric cards: {exc}") from exc

    def settings(cards: dict[str, Any]) -> dict[str, tuple[str, dict]]:
        found = {}
        for entry in cards.values():
            if clip_only and entry["metric"] in set_metrics:
                continue
            card = {k: v for k, v in entry["card"].items() if k != "packages"}
            key = f"{entry['metric']}/{entry.get('embedding') or ''}/{entry.get('tier') or ''}"
            found[key] = (json.dumps(card, sort_keys=True), entry["card"].get("packages") or {})
        return found

    set_metrics = _set_metrics()
    current = {h: c for h, c in ours["cards"].items() if c.get("current")}
    theirs, mine = settings(published), settings(current)
    for key in sorted(theirs.keys() | mine.keys()):
        pub, rep = theirs.get(key), mine.get(key)
        if rep is None and clip_only:
            continue
        if pub is None or rep is None:
            sides = ("published" if pub else "", "reproduced" if rep else "")
            out.add("cards", key, "(card)", *sides, "exact", "mismatch")
            continue
        same = "equal" if pub[0] == rep[0] else "mismatch"
        out.add("cards", key, "settings", pub[0], rep[0], "exact", same)
        versions = [
            f"{name} {pub[1].get(name)} → {rep[1].get(name)}"
            for name in sorted(pub[1].keys() | rep[1].keys())
            if pub[1].get(name) != rep[1].get(name)
        ]
        if versions:
            out.notes.append(f"card {key}: other package versions here ({', '.join(versions)})")


def compare(
    folder: Path, publication: dict[str, Any], store: RunStore, limit: int | None
) -> Reproduction:
    tables = build_tables(RunResults.of(store, describe))
    comparison = Comparison()
    _environment(comparison, publication)
    published = {t.name: read_table(folder, t.name, t.keys) for t in tables}
    reproduced = {t.name: t for t in tables}
    only: set[tuple[str, ...]] | None = None
    if limit is not None:
        only = {(t.trial_id,) for t in store.trials()}

    ours = reproduced["renders"].by_key()
    differs = {
        key[0]
        for key, row in published["renders"].by_key().items()
        if key in ours
        and row.get("wav_sha256")
        and ours[key].get("wav_sha256")
        and cell_text(ours[key]["wav_sha256"]) != row["wav_sha256"]
    }
    redrawn = Redrawn.of(differs, published["trials"])
    skipped = []
    for name, table in reproduced.items():
        if limit is not None and name in WHOLE_RUN_TABLES:
            skipped.append(name)
            continue
        compare_table(comparison, published[name], table, redrawn, only=only)
    _cards(comparison, folder, store, clip_only=limit is not None)
    if limit is not None:
        skipped.append("the cards of the set metrics and of what only they use")
    return Reproduction(store.root, comparison, len(store.trials()), limit, skipped)


def reproduce(
    folder: Path,
    out: Path,
    *,
    limit: int | None = None,
    device: str = "cpu",
    progress: bool = True,
    say: Callable[[str], None] | None = None,
) -> Reproduction:
    say = say or (lambda _m: None)
    publication = load_publication(folder)  # a folder that is none says so before anything runs
    say(f"rendering the published answers into {out}")
    render(folder, publication, out, limit, progress=progress)
    say(f"scoring {out}")
    api.score(out, _clip_metrics(publication) if limit is not None else None, device=device)
    return compare(folder, publication, api.open_store(out), limit)


def _clip_metrics(publication: dict[str, Any]) -> list[str]:
    """What --limit scores: the published spec's metrics less the set metrics, whose sets would
    span other items than the published ones and so are not compared; computing them (every
    reference clip of every tier embedded) would cost a check of a few items most of its time.
    Task success stays: it is a set metric, but each trial's verdict, compared in the trials
    table, is the item's own (results/verdicts.py)."""
    from audioprobe.results.verdicts import TASK_SUCCESS
    from audioprobe.scoring.config import load_config
    from audioprobe.scoring.run import chosen_metrics

    sets = _set_metrics() - {TASK_SUCCESS}
    chosen = chosen_metrics(load_config(dict(publication["spec"].get("scoring") or {})), None)
    return [metric.name for metric in chosen if metric.name not in sets]
