"""A metric is one module: written into a folder named by $AUDIOPROBE_METRICS_PATH, it is
registered, computed by `score`, exported, and shown by `show` and the report, with no other
file touched."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from score_helpers import FakeEmbedding, make_refs, make_run, patch_models, tone
from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.cli.common import console
from audioprobe.scoring.registry import PATH_ENV, registry

PLUGIN = '''
"""Peak level of a clip in dBFS (a test plugin)."""

import numpy as np

from audioprobe.scoring.registry import ClipMetric, Column


class PeakLevel(ClipMetric):
    name = "peak_level"
    version = 1
    columns = (
        Column("peak_dbfs", label="peak dBFS", unit="dBFS", direction="lower", quality=True),
    )

    def measure(self, ctx, setup, clip):
        audio = ctx.load(clip, 16000).audio
        return {"peak_dbfs": 20 * np.log10(np.max(np.abs(audio)))}


METRIC = PeakLevel()
'''
LEVELS = [0.5, 0.25, 0.125]
ITEMS = ["keyboard-c4", "keyboard-a4", "keyboard-e5"]


def _cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False, terminal_width=250)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_metric_module_in_the_plugin_folder_is_scored_exported_and_shown(
    tmp_path, isolated_cache, monkeypatch
):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "peak_level.py").write_text(PLUGIN)
    monkeypatch.setenv(PATH_ENV, str(plugins))
    assert "peak_level" in registry()
    monkeypatch.setattr(console, "_width", 300)  # one line per table row (undone after)

    refs = make_refs(tmp_path / "refs", {"keyboard": 440.0})
    patch_models(monkeypatch, {"aisfx": FakeEmbedding("aisfx")}, {"notes": refs})
    clips = [2 * level * tone(440.0, 1.0) for level in LEVELS]  # tone() peaks at 0.5
    store = make_run(tmp_path / "run", "notes", ITEMS, {"m": clips})
    scored = _cli("score", str(store.root), "-q")  # every registered metric: the plugin too
    assert "peak dBFS" in " ".join(scored.split()), scored

    out = tmp_path / "trials.parquet"
    _cli("export", str(store.root), "--format", "parquet", "-o", str(out))
    df = pd.read_parquet(out)
    assert df["metric.peak_dbfs"].dtype == np.float64
    expected = [20 * np.log10(level) for level in LEVELS]
    got = df.set_index("item")["metric.peak_dbfs"]
    assert [got[i] for i in ITEMS] == pytest.approx(expected, abs=0.01)

    shown = " ".join(_cli("show", str(store.root)).split())
    mean = float(np.mean(expected))
    assert "peak dBFS" in shown and f"{mean:.3g}" in shown

    _cli("report", str(store.root), "--refs-per-trial", "0")
    html = (store.root / "report" / "index.html").read_text()
    header = re.search(
        r'<th class="num metric-col"><a href="#(card-peak[^"]+)"[^>]*>peak dBFS</a>', html
    )
    assert header and f'id="{header.group(1)}"' in html  # the heading opens the plugin's card
    assert "peak_dbfs (lower" not in html  # not tier-comparable: in its tier's table only


def test_a_broken_plugin_is_named_in_one_line(tmp_path, isolated_cache, monkeypatch):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "broken.py").write_text("import no_such_module\n")
    monkeypatch.setenv(PATH_ENV, str(plugins))
    patch_models(monkeypatch, {}, {})
    store = make_run(tmp_path / "run", "notes", ITEMS[:1], {"m": [None]})
    result = CliRunner().invoke(app, ["score", str(store.root), "-q"])
    assert result.exit_code == 2
    assert "broken.py failed to load" in result.output and "Traceback" not in result.output


def test_an_embedding_defined_in_a_plugin_folder_registers(tmp_path, monkeypatch):
    from audioprobe.scoring.embeddings import EMBEDDINGS, get_embedding

    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "band_energy.py").write_text(
        "from audioprobe.scoring.embeddings.base import Embedding\n\n\n"
        "class BandEnergy(Embedding):\n"
        '    name = "band-energy-test"\n'
        '    weights = "none"\n'
        "    sample_rate = 16000\n"
        "    dim = 4\n"
        '    pooling = "mean"\n\n'
        "    def _load(self, found):\n"
        "        return None\n\n"
        "    def _embed_frames(self, model, clips):\n"
        "        return []\n"
    )
    monkeypatch.setenv(PATH_ENV, str(plugins))
    get_embedding.cache_clear()
    try:
        assert type(get_embedding("band-energy-test")).__name__ == "BandEnergy"
        assert "band-energy-test" in EMBEDDINGS
    finally:
        EMBEDDINGS.pop("band-energy-test", None)
        get_embedding.cache_clear()
