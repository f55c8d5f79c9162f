"""Technique detection, measured: precision and recall per family on a labelled corpus of real
synthesis scripts (tests/data/techniques: pyo's own public examples and scripts written the ways
models answer), printed as the table docs/report.md shows, and equal to the numbers
scoring/techniques.toml declares (the report shows a family only where its precision >= 0.9)."""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

from audioprobe.techniques import SHOWN_PRECISION, load_rules, script_use

CORPUS = Path(__file__).parent / "data" / "techniques"
DOCS = Path(__file__).parents[1] / "docs" / "report.md"


def _measure() -> tuple[dict[str, Counter], int]:
    labels = tomllib.loads((CORPUS / "labels.toml").read_text())["scripts"]
    assert sorted(labels) == sorted(p.name for p in CORPUS.glob("*.py")), "label every script"
    counts: dict[str, Counter] = {f.name: Counter() for f in load_rules().family}
    for name, wanted in labels.items():
        assert set(wanted) <= counts.keys(), f"{name}: unknown family in {wanted}"
        found = set(script_use((CORPUS / name).read_text()).families)
        for family, c in counts.items():
            c["tp"] += family in found and family in wanted
            c["fp"] += family in found and family not in wanted
            c["fn"] += family not in found and family in wanted
    return counts, len(labels)


def _ratio(a: int, b: int) -> float:
    return round(a / b, 2) if b else float("nan")


def test_labelled_corpus_precision_and_recall_per_family() -> None:
    counts, scripts = _measure()
    assert scripts >= 40
    rows = [
        "| family | scripts labelled | precision | recall | shown in the report |",
        "|---|---|---|---|---|",
    ]
    declared = {f.name: f for f in load_rules().family}
    for family, c in counts.items():
        labelled = c["tp"] + c["fn"]
        assert labelled >= 3, f"{family}: only {labelled} labelled scripts"
        precision, recall = _ratio(c["tp"], c["tp"] + c["fp"]), _ratio(c["tp"], labelled)
        shown = "yes" if precision >= SHOWN_PRECISION else "no"
        rows.append(f"| {family} | {labelled} | {precision:.2f} | {recall:.2f} | {shown} |")
        assert declared[family].precision == precision, (family, precision)
        assert declared[family].recall == recall, (family, recall)
        assert declared[family].shown == (precision >= SHOWN_PRECISION)
    table = "\n".join(rows)
    print(f"\ntechnique detection on {scripts} labelled scripts\n{table}")
    assert table in DOCS.read_text(), "docs/report.md must show the measured table"
