"""The registry is the one place a metric is named: each built-in metric's name occurs as a
string literal only in its own module (its column names may be words of the data too, like an
item's f0_hz), and every view takes metrics from the registry."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

import pytest

from audioprobe.scoring.registry import registry

SRC = Path(__file__).resolve().parents[1] / "src" / "audioprobe"
# Same word, other meaning: NSynth's metadata field. And task success's name is defined once in
# the results layer (results/verdicts.py, TASK_SUCCESS), which names the export's verdict column
# after it and cannot import the metric; the metric module takes its name from there.
OTHER_MEANINGS = {
    ("pitch", "references/adapters.py"),
    ("pitch", "baselines/espeak.py"),
    ("task_success", "results/verdicts.py"),
}


def _literals(path: Path) -> set[str]:
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
    out = set()
    for tok in tokens:
        if tok.type == tokenize.STRING and not tok.string.startswith(('"""', "'''", 'f"')):
            out.add(tok.string.strip("'\""))
    return out


@pytest.mark.parametrize("name", list(registry()))
def test_a_metric_is_named_in_its_own_module_only(name: str) -> None:
    metric = registry()[name]
    home = Path(__import__(type(metric).__module__, fromlist=["_"]).__file__).resolve()
    words = {name}
    found = []
    for path in SRC.rglob("*.py"):
        if path.resolve() == home:
            continue
        rel = str(path.relative_to(SRC))
        found += [(w, rel) for w in words & _literals(path) if (w, rel) not in OTHER_MEANINGS]
    assert not found, f"{name}'s names outside {home.name}: {found}"


def test_every_quality_column_says_which_way_is_better_or_is_signed() -> None:
    for metric in registry().values():
        for column in metric.columns:
            if column.quality and column.direction is None:
                low, _ = column.range
                assert low is None, (
                    f"{metric.name}.{column.name}: a bounded score needs a direction"
                )
