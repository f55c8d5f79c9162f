"""Write the report folder: index.html, its script and style, data files, plots, clips, images.

Layout (all paths relative, so the folder works from file:// and from any static server):
  index.html  app.js  style.css
  data/trials.js          every trial's list row, loaded once
  data/detail/NNNNN.js    long texts of 50 trials each, loaded when one of them is opened
  data/item/NNNNN.js      per item, its trials' scripts diffed (report.items), for the item view
  img/plot-NN.png         overview plots
  img/spec/<hash>.png     spectrograms, one per distinct clip (kept across re-runs)
  audio/<hash>.flac       browser-safe copies of the trials' clips (report.media), for the players
  orig/<hash>.wav         the clips as the scripts wrote them and scoring read them, for download
  refs/<hash>.flac        browser-safe copies of reference clips
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from audioprobe import atomic, runpath
from audioprobe.hashing import sha256_file
from audioprobe.report import detail, spectrogram
from audioprobe.report.assets import (
    ReferenceChoice,
    ReferenceSet,
    first_references,
    item_clips,
    place,
    place_picks,
)
from audioprobe.report.gather import TrialView, overview, trial_views
from audioprobe.report.items import write_items
from audioprobe.report.media import playable
from audioprobe.report.nearest import NearestFinder
from audioprobe.report.overview import cards, tier_tables
from audioprobe.report.plots import overview_plots
from audioprobe.report.rounds import rounds_section
from audioprobe.report.scores import numeric_series
from audioprobe.report.source import SOURCE_FILE
from audioprobe.results.coverage import stale_note
from audioprobe.results.measures import RunResults, tier_rank
from audioprobe.results.verdicts import scored_verdicts
from audioprobe.scoring.registry import describe
from audioprobe.store import RunStore

TEMPLATES = Path(__file__).parent / "templates"
STATIC = ("app.js", "style.css")
# What the report writes into its folder; anything of these names that is a link goes first.
OWN_FOLDERS = ("audio", "orig", "refs", "img", "data")
OWN_FILES = (*STATIC, "index.html", "pygments.css", SOURCE_FILE)
LIST_COLUMNS = (
    "id", "model", "tier", "item", "sample", "status", "error", "class", "dur", "audio", "spec",
    "metrics", "orig",
)  # fmt: skip
ERROR_CHARS = 200


@dataclass
class ReportResult:
    index: Path
    trials: int
    spectrograms: int
    seconds: dict[str, float] = field(default_factory=dict)


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


@dataclass(frozen=True)
class _Media:
    play: str | None = None  # browser-safe copy, for the player (audio/)
    orig: str | None = None  # the file that was scored, for download (orig/)
    spec: dict[str, Any] | None = None
    problem: str | None = None  # why an ok trial's clip is not shown (unreadable, missing)


def _media(view: TrialView, folder: Path) -> _Media:
    """Place one ok trial's clip (a playable copy and the original) and draw its spectrogram;
    a clip that cannot be read is named as such, and the rest of the report goes on."""
    if view.trial.status != "ok":
        return _Media()
    wav = view.trial.wav_path
    if wav is None:
        return _Media(problem="clip missing: no regular file inside the run at the recorded path")
    try:
        return _placed(wav, folder)
    except Exception as exc:  # an empty or garbled file: this trial's clip, not the report
        return _Media(problem=f"clip unreadable ({type(exc).__name__}: {exc})")


def _placed(wav: Path, folder: Path) -> _Media:
    """The clip's copies (named by the hash of its bytes now) and spectrogram in the report."""
    sha = sha256_file(wav)
    image = f"img/spec/{spectrogram.image_name(sha)}"
    facts = spectrogram.render(wav, folder / image)
    return _Media(
        play=place(playable(wav, sha), folder, "audio", sha),
        orig=place(wav, folder, "orig", sha),
        spec={"src": image, "dur": round(facts.duration_s, 3), "maxhz": facts.max_hz},
    )


def _short_error(error: str | None) -> str | None:
    if not error:
        return None
    first = error.strip().splitlines()[-1] if error.strip() else error
    return first if len(first) <= ERROR_CHARS else first[: ERROR_CHARS - 1] + "…"


def _list_row(view: TrialView, clip: _Media) -> list[Any]:
    t = view.trial
    return [
        t.trial_id,
        t.model,
        t.tier,
        t.item,
        t.sample,
        t.status,
        _short_error(t.error or clip.problem),
        view.row.get("class_key"),
        view.row.get("duration_s"),
        clip.play,
        clip.spec,
        {k: c.to_json() for k, c in view.metrics.items()} or None,
        clip.orig,
    ]


def report_folder(root: Path, out: Path | None) -> Path:
    """The folder to write the report into, made safe to write: `out`, or the run's `report/`
    (a link there is removed, its target left as it is, and a real folder made), with every
    link in the parts the report writes removed, so no write, prune or copy lands outside it."""
    if out is None:
        if (root / "report").is_symlink():
            (root / "report").unlink()
        folder = runpath.real_dir(root, "report")
    else:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
    for name in (*OWN_FOLDERS, *OWN_FILES):
        path = folder / name
        if path.is_symlink() or (path.exists() and not (path.is_dir() or path.is_file())):
            path.unlink()
        elif name in OWN_FOLDERS and path.is_dir():
            runpath.drop_foreign_entries(path)
    return folder


def _prune(folder: Path, keep: set[str]) -> None:
    """Remove media a previous report used that this one does not (the folder stays small)."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.is_file() and path.name not in keep:
            path.unlink()


def _write_details(folder: Path, views: list[TrialView]) -> None:
    """Write the detail shards, skipping those whose trials are unchanged since the last report
    (a trial's files change only together with its record, so the records fingerprint them)."""
    shards = folder / "data" / "detail"
    shards.mkdir(parents=True, exist_ok=True)
    ledger = shards / "fingerprints.json"
    try:
        before = json.loads(ledger.read_text())
    except (OSError, ValueError):
        before = {}
    after: dict[str, str] = {}
    for start in range(0, len(views), detail.SHARD):
        shard = start // detail.SHARD
        chunk = views[start : start + detail.SHARD]
        digest = hashlib.sha256(detail.FORMAT.encode())
        for view in chunk:
            digest.update(
                json.dumps(view.trial.record.stored(), sort_keys=True, default=str).encode()
            )
        path = folder / detail.shard_path(shard)
        after[path.name] = digest.hexdigest()
        if before.get(path.name) != after[path.name] or not path.is_file():
            details = [detail.trial_detail(v.trial) for v in chunk]
            atomic.write_text(path, detail.shard_js(shard, details))
    _prune(shards, set(after) | {ledger.name})
    atomic.write_text(ledger, json.dumps(after, indent=0))


def _js(name: str, value: Any) -> str:
    return f"window.{name}={json.dumps(value, ensure_ascii=True, default=str)};\n"


def _nearest_references(
    store: RunStore,
    views: list[TrialView],
    references: Mapping[str, ReferenceSet | str],
    folder: Path,
    count: int,
) -> dict[str, dict[str, Any]]:
    """Per ok trial ("trial:<id>"): the reference clips of its class nearest to it, in the
    embedding scoring used for its tier, among those of its own sentence where the set labels
    clips by sentence (a speech trial is never offered another sentence's recording); trials
    without cached vectors keep the class list, or their sentence's first clips."""
    if count <= 0:
        return {}
    finder = NearestFinder(store)
    out: dict[str, dict[str, Any]] = {}
    for view in views:
        source = references.get(view.trial.tier)
        key = view.row.get("class_key")
        if view.trial.status != "ok" or isinstance(source, str) or source is None or not key:
            continue
        clips, same = item_clips(list(source.clips(key)), view.trial.item)
        ranked = finder.rank(view.trial, clips, count)
        where = f"reference clips of class {key!r}" + (f" {same}" if same else "")
        if ranked is None:
            if not same:
                continue  # the class's first clips (refs[tier/class]) serve every trial
            picks = place_picks(clips[:count], key, folder)
            how = f"the first {len(picks)} of {len(clips)} {where} (not ranked by similarity)"
        else:
            picks = place_picks(ranked.clips, key, folder)
            how = (
                f"the {len(picks)} of {ranked.total} {where} nearest to this clip"
                f" (cosine similarity of {ranked.embedding} embeddings, as scored)"
            )
        out[f"trial:{view.trial.trial_id}"] = {"how": how, "clips": [p.__dict__ for p in picks]}
    return out


def build_report(
    store: RunStore,
    out: Path | None = None,
    *,
    results: RunResults | None = None,
    references: Mapping[str, ReferenceSet | str] | None = None,
    refs_per_trial: int = 3,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> ReportResult:
    """Write the report of `store` into `out` (default RUN_DIR/report) and return its index.

    results: the run's typed results (read from `store` when not given); every measure of a
    registered metric is shown, and a cell without a number is shown with its status and reason.
    references: per tier, the reference set whose clips are offered beside its trials, or the
    reason there is none.
    """
    say = progress or (lambda _msg: None)
    folder = report_folder(store.root, out)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    results = results or RunResults.of(store, describe)
    rows = overview(results)
    metrics = results.headings()
    views = trial_views(results)
    series = numeric_series(results)
    lap("gather")

    say(f"plots for {len(rows)} model × tier rows")
    plots = overview_plots(rows, series, folder)
    rounds = rounds_section(results.trials, folder, scored_verdicts(results.sets))
    lap("plots")

    say(f"clips and spectrograms for {sum(v.trial.status == 'ok' for v in views)} ok trials")
    with ThreadPoolExecutor(max_workers=workers or min(4, os.cpu_count() or 1)) as pool:
        media = list(pool.map(lambda v: _media(v, folder), views))
    _prune(folder / "audio", {Path(m.play).name for m in media if m.play})
    _prune(folder / "orig", {Path(m.orig).name for m in media if m.orig})
    _prune(folder / "img" / "spec", {Path(m.spec["src"]).name for m in media if m.spec})
    lap("media")

    refs: dict[str, dict[str, Any]] = {}
    wanted = sorted({(v.trial.tier, v.row["class_key"]) for v in views if v.row.get("class_key")})
    for tier, key in wanted:
        source = (references or {}).get(tier, "no reference set was given for this tier")
        choice = (
            ReferenceChoice(picks=[], how=f"unavailable: {source}")
            if isinstance(source, str)
            else first_references(source, key, folder, refs_per_trial)
        )
        refs[f"{tier}/{key}"] = {"how": choice.how, "clips": [p.__dict__ for p in choice.picks]}
    refs.update(_nearest_references(store, views, references or {}, folder, refs_per_trial))
    _prune(folder / "refs", {Path(c["src"]).name for r in refs.values() for c in r["clips"]})
    lap("references")

    say(f"details of {len(views)} trials")
    _write_details(folder, views)
    items = write_items(folder, views)
    lap("details")

    run = results.run
    meta = {
        "run_id": run.run_id,
        "columns": LIST_COLUMNS,
        "shard": detail.SHARD,
        "tiers": sorted({v.trial.tier for v in views}, key=tier_rank),
        "metrics": metrics,
        "items": items,
    }
    listing = [_list_row(v, m) for v, m in zip(views, media, strict=True)]
    atomic.write_text(
        folder / "data" / "trials.js",
        _js("AP_META", meta) + _js("AP_REFS", refs) + _js("AP_TRIALS", listing),
    )
    for name in STATIC:
        atomic.write_bytes(folder / name, (TEMPLATES / name).read_bytes())
    atomic.write_text(folder / "pygments.css", detail.pygments_css())
    from audioprobe.compare import agreement_rows, claim_rows, paired_rows
    from audioprobe.results.paired import claim_steps, claim_summary, model_pairs, rank_agreement

    steps = claim_steps(results)
    html = (
        _environment()
        .get_template("index.html")
        .render(
            run=run.manifest,
            tiers_info={name: info.model_dump() for name, info in run.tiers.items()},
            tables=tier_tables(rows, results),
            cards=cards(results),
            paired=paired_rows(model_pairs(results)),
            agreement=agreement_rows(rank_agreement(results)),
            claim=claim_rows(steps),
            claim_summary=claim_summary(steps),
            plots=plots,
            section=rounds,
            n_trials=len(views),
            scored=bool(metrics or series.cells),
            stale_scores=stale_note(store),
            generated=time.strftime("%Y-%m-%d %H:%M:%S"),
        )
    )
    atomic.write_text(folder / "index.html", html)
    lap("html")
    return ReportResult(
        index=folder / "index.html",
        trials=len(views),
        spectrograms=sum(1 for m in media if m.spec),
        seconds=timings,
    )
