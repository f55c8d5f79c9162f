"""The item view's data: per item, which trials made it and how their scripts differ.

The page shows every system's clip of one item side by side (from the trial list it already
has); what it lacks is the comparison of the scripts. That comes from difflib's HtmlDiff, here at
report time (the page is offline, so no JS diff library can be fetched, and difflib is the
standard library's): every script of the item against the first one, as a side-by-side table.
Like the detail shards, each item's diffs are a small JS file added when the item is opened.
"""

from __future__ import annotations

import difflib
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from audioprobe import atomic
from audioprobe.report.detail import TEXT_CAP
from audioprobe.report.gather import TrialView

CONTEXT_LINES = 3


def item_key(view: TrialView) -> str:
    return f"{view.trial.tier}/{view.trial.item}"


def _script(view: TrialView) -> str | None:
    raw = view.trial.read_code(TEXT_CAP)
    return None if raw is None else raw.decode("utf-8", errors="replace")


def item_diffs(views: list[TrialView]) -> list[dict[str, Any]]:
    """The scripts of one item's trials against the first trial that has one.

    Each entry: {"a": base trial id, "b": trial id, "same": bool, "html": side-by-side table}.
    """
    scripts = [(v.trial.trial_id, s) for v in views if (s := _script(v)) is not None]
    if len(scripts) < 2:
        return []
    base_id, base = scripts[0]
    maker = difflib.HtmlDiff(tabsize=4, wrapcolumn=72)
    out = []
    for trial_id, script in scripts[1:]:
        same = script == base
        html = "" if same else maker.make_table(
            base.splitlines(), script.splitlines(), base_id, trial_id,
            context=True, numlines=CONTEXT_LINES,
        )  # fmt: skip
        out.append({"a": base_id, "b": trial_id, "same": same, "html": html})
    return out


def item_path(number: int) -> str:
    return f"data/item/{number:05d}.js"


def write_items(folder: Path, views: list[TrialView]) -> dict[str, int]:
    """Write each item's diff file; {"tier/item": file number} for the page's metadata."""
    groups: dict[str, list[TrialView]] = defaultdict(list)
    for view in views:
        groups[item_key(view)].append(view)
    (folder / "data" / "item").mkdir(parents=True, exist_ok=True)
    numbers: dict[str, int] = {}
    for number, (key, group) in enumerate(sorted(groups.items())):
        numbers[key] = number
        payload = json.dumps(item_diffs(group), ensure_ascii=True, separators=(",", ":"))
        atomic.write_text(folder / item_path(number), f"AP.itemLoaded({number},{payload});\n")
    for stale in (folder / "data" / "item").glob("*.js"):
        if int(stale.stem) >= len(numbers):
            stale.unlink()
    return numbers
