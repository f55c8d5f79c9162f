"""`publish`: a finished, scored run as results/<study-id>/ (publication/__init__.py lists the
files). Only small files are written: answers, tables, cards, the summary and figures."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audioprobe import atomic
from audioprobe.errors import AudioprobeError
from audioprobe.manifest import Manifest
from audioprobe.outcomes import FINAL_OUTCOMES
from audioprobe.publication import (
    ANSWERS_DIR,
    CARDS_FILE,
    FIGURES_DIR,
    FORMAT,
    PUBLICATION_FILE,
    SUMMARY_FILE,
)
from audioprobe.publication.answers import (
    answer_lines,
    answers_file_name,
    code_models,
    write_answers,
)
from audioprobe.publication.figures import draw_figures
from audioprobe.publication.summary_md import summary_markdown
from audioprobe.publication.tables import build_tables, write_table
from audioprobe.results import tables as score_tables
from audioprobe.results.measures import RunResults
from audioprobe.scoring.registry import describe
from audioprobe.store import RunStore


@dataclass
class Published:
    folder: Path
    files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _current_cards(store: RunStore) -> dict[str, Any]:
    """The cards every published number was computed under (retired ones are left out)."""
    return {
        digest: {
            "metric": row["metric"],
            "embedding": row["embedding"] or None,
            "tier": row["tier"] or None,
            "card": json.loads(row["card"]),
        }
        for digest, row in sorted(score_tables.current_cards(store).items())
    }


def _packages(cards: dict[str, Any], manifest: Manifest) -> dict[str, str]:
    """Every package version the run and its cards recorded, one version per package."""
    found: dict[str, str] = dict(manifest.versions)
    for entry in cards.values():
        found.update(entry["card"].get("packages") or {})
    return dict(sorted(found.items()))


def _generators(results: RunResults) -> dict[str, Any]:
    """Each baseline's generator description (program versions, options), from its trials."""
    out: dict[str, Any] = {}
    for trial in results.trials:
        if trial.record.generator is not None:
            out.setdefault(trial.model, trial.record.generator)
    return out


def _check_finished(store: RunStore) -> None:
    unfinished = [t for t in store.trials() if t.status not in FINAL_OUTCOMES]
    if unfinished:
        raise AudioprobeError(
            f"{store.root}: {len(unfinished)} trials are unfinished (e.g."
            f" {unfinished[0].trial_id}); finish them first: audioprobe resume {store.root}"
        )
    if not score_tables.current_cards(store):
        raise AudioprobeError(f"{store.root} is not scored; first: audioprobe score {store.root}")


def _check_target(out: Path, run_id: str) -> None:
    """An existing folder is rewritten only when it holds this run's publication."""
    if not out.exists():
        return
    if not out.is_dir():
        raise AudioprobeError(f"--out {out} is a file; name a folder")
    marker = out / PUBLICATION_FILE
    if marker.is_file():
        try:
            source = json.loads(marker.read_text()).get("source_run")
        except (OSError, ValueError, AttributeError):
            source = None
        if source == run_id:
            return
        raise AudioprobeError(
            f"{out} holds the publication of another run ({source}); choose another --out"
        )
    if any(out.iterdir()):
        raise AudioprobeError(f"{out} is not empty and holds no publication; choose another --out")


def publish(store: RunStore, out: Path) -> Published:
    _check_finished(store)
    manifest = store.manifest
    _check_target(out, manifest.run_id)
    results = RunResults.of(store, describe)
    done = Published(out)
    (out / ANSWERS_DIR).mkdir(parents=True, exist_ok=True)

    answers: dict[str, list[dict[str, Any]]] = {}
    answer_files: dict[str, str] = {}
    for spec in code_models(store):
        lines = answer_lines(store, spec)
        name = f"{ANSWERS_DIR}/{answers_file_name(spec.name)}"
        write_answers(out / name, lines)
        answers[spec.name], answer_files[spec.name] = lines, name
        done.files.append(name)

    tables = {t.name: t for t in build_tables(results)}
    for table in tables.values():
        write_table(out, table)
        done.files.append(table.file)
    cards = _current_cards(store)
    atomic.write_json(out / CARDS_FILE, cards)
    done.files.append(CARDS_FILE)

    publication = {
        "format": FORMAT,
        "study_id": out.name,
        "published": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "source_run": manifest.run_id,
        "created": manifest.created,
        "trials": len(results.trials),
        "spec": manifest.spec.stored(),
        "models": [m.stored() for m in manifest.models],
        "items": manifest.item_ids(),
        "plan": manifest.plan.stored() if manifest.plan else None,
        "overrides": manifest.overrides,
        "sandbox_runtime": manifest.sandbox_runtime,
        "git_commit": manifest.git_commit,
        "versions": manifest.versions,
        "packages": _packages(cards, manifest),
        "generators": _generators(results),
        "answers": answer_files,
        "tables": [t.file for t in tables.values()],
    }
    figures, why = draw_figures(out / FIGURES_DIR, tables["cells"], tables["measures"])
    done.files += [f"{FIGURES_DIR}/{name}" for name in figures]
    if why:
        done.notes.append(why)
    publication["figures"] = [f"{FIGURES_DIR}/{name}" for name in figures]
    from audioprobe.results.paired import claim_steps, claim_summary

    verdicts = claim_summary(claim_steps(results))
    atomic.write_text(
        out / SUMMARY_FILE, summary_markdown(publication, tables, answers, verdicts, figures)
    )
    done.files.append(SUMMARY_FILE)
    atomic.write_json(out / PUBLICATION_FILE, publication)
    done.files.append(PUBLICATION_FILE)
    return done
