"""Write a listening test of a run: a folder of pages to hand to raters, and the key kept back.

  RUN_DIR/listening/<test_id>/key.json       which stimulus id is which trial (not for raters)
  RUN_DIR/listening/<test_id>/page/          what raters get: open rater-NN.html, no server
      rater-01.html ...                      one page per rater, its own shuffled order
      audio/<stimulus id>.flac               browser-safe copies (report.media), named blind
      audio/ref-NN.flac                      the labelled references (MUSHRA)

The page writes the answers as a CSV the rater downloads and sends back (`listen import`).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from audioprobe import atomic
from audioprobe.errors import AudioprobeError
from audioprobe.listening.anchor import lowpass
from audioprobe.listening.design import Plan, pick_clips, plan_test, rater_order
from audioprobe.report.media import playable
from audioprobe.store import RunStore

TEMPLATES = Path(__file__).parent / "templates"
KEY_FILE = "key.json"


def tests_dir(store: RunStore) -> Path:
    return store.root / "listening"


@dataclass(frozen=True)
class Export:
    test_id: str
    folder: Path
    pages: list[Path]
    screens: int
    stimuli: int
    skipped: list[str]


def _references(store: RunStore, items: list[str]) -> dict[str, Path | str]:
    """Per item, the first reference clip of its class in the set the run names for its tier."""
    from audioprobe.report.refsets import run_reference_sets
    from audioprobe.results.run import Run

    tiers = sorted({i.split("/", 1)[0] for i in items})
    sets = run_reference_sets(Run(store), tiers)
    out: dict[str, Path | str] = {}
    for key in items:
        tier, item = key.split("/", 1)
        source = sets.get(tier)
        if isinstance(source, str) or source is None:
            out[key] = source or "no reference set"
            continue
        class_key = store.item(tier, item).class_key
        clips = list(source.clips(class_key))
        out[key] = Path(clips[0].path) if clips else f"no reference clip of class {class_key!r}"
    return out


def _place(plan: Plan, audio: Path) -> dict[str, str]:
    """Write every stimulus and reference into `audio/`; {source path: page-relative file}."""
    audio.mkdir(parents=True, exist_ok=True)
    for stimulus in plan.stimuli.values():
        target = audio / f"{stimulus.id}.flac"
        if stimulus.kind == "anchor":
            lowpass(Path(stimulus.source or ""), target)
        else:
            shutil.copyfile(playable(Path(stimulus.source or "")), target)
    refs: dict[str, str] = {}
    for n, screen in enumerate(plan.screens, 1):
        if screen.reference:
            name = f"ref-{n:02d}.flac"
            shutil.copyfile(playable(Path(screen.reference)), audio / name)
            refs[screen.item] = f"audio/{name}"
    return refs


def export_test(
    store: RunStore,
    design: str,
    items: list[str] | None,
    raters: int,
    out: Path | None = None,
) -> Export:
    if raters < 1:
        raise AudioprobeError(f"raters {raters}: give at least 1")
    clips = pick_clips(store, items)
    prompts = {k: store.item(*k.split("/", 1)).request for k in clips}
    references = _references(store, list(clips)) if design == "mushra" else {}
    plan = plan_test(design, clips, references, prompts)
    folder = out or tests_dir(store) / plan.test_id
    if (folder / KEY_FILE).exists():
        raise AudioprobeError(f"{folder} already holds a listening test; choose another folder")
    page_dir = folder / "page"
    refs = _place(plan, page_dir / "audio")
    template = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"])
    ).get_template("test.html")
    pages = []
    names = [f"rater-{rater:02d}" for rater in range(1, raters + 1)]
    for rater in range(1, raters + 1):
        screens = rater_order(plan, rater)
        for screen in screens:
            screen["reference"] = refs.get(screen["item"])
            screen["item"] = None  # blind: the page shows the request, not the run's item id
        data = {
            "test_id": plan.test_id,
            "design": plan.design,
            "rater": f"rater-{rater:02d}",
            "screens": screens,
        }
        page = page_dir / f"rater-{rater:02d}.html"
        # "</" escaped: a request text holding "</script>" must not end the script element
        payload = json.dumps(data, ensure_ascii=True).replace("</", "<\\/")
        page.write_text(template.render(data=payload, design=plan.design))
        pages.append(page)
    atomic.write_json(folder / KEY_FILE, plan.key(names))
    return Export(plan.test_id, folder, pages, len(plan.screens), len(plan.stimuli), plan.skipped)
