"""A metric is one module: written into a folder named by $AUDIOPROBE_METRICS_PATH, it is
registered, computed by `score`, exported, and shown by `show` and the report, with no other
file touched."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest
from score_helpers import FakeEmbedding, make_refs, make_run, patch_models, tone
from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.cli.common import console
from audioprobe.results import RunResults
from audioprobe.scoring.registry import PATH_ENV, describe, registry

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


def _scored_with_plugin(tmp_path, monkeypatch):
    """A run scored with the peak_level plugin on the path, and its plugin folder."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "peak_level.py").write_text(PLUGIN)
    monkeypatch.setenv(PATH_ENV, str(plugins))
    monkeypatch.setattr(console, "_width", 300)
    refs = make_refs(tmp_path / "refs", {"keyboard": 440.0})
    patch_models(monkeypatch, {"aisfx": FakeEmbedding("aisfx")}, {"notes": refs})
    clips = [2 * level * tone(440.0, 1.0) for level in LEVELS]
    store = make_run(tmp_path / "run", "notes", ITEMS, {"m": clips})
    _cli("score", str(store.root), "-q", "--metrics", "peak_level,duration")
    return store, plugins


def test_a_run_scored_with_a_plugin_metric_shows_it_after_the_plugin_is_gone(
    tmp_path, isolated_cache, monkeypatch
):
    """Views describe values from what was stored with their cards, not from the metrics
    installed now: the plugin's heading, unit and numbers stay after its folder is removed."""
    store, plugins = _scored_with_plugin(tmp_path, monkeypatch)
    shutil.rmtree(plugins)
    monkeypatch.delenv(PATH_ENV)
    assert "peak_level" not in registry()

    shown = " ".join(_cli("show", str(store.root)).split())
    mean = float(np.mean([20 * np.log10(level) for level in LEVELS]))
    assert "peak dBFS" in shown and f"{mean:.3g}" in shown, shown

    out = tmp_path / "trials.parquet"
    _cli("export", str(store.root), "--format", "parquet", "-o", str(out))
    got = pd.read_parquet(out).set_index("item")["metric.peak_dbfs"]
    assert [got[i] for i in ITEMS] == pytest.approx([20 * np.log10(x) for x in LEVELS], abs=0.01)


def test_a_run_scored_before_descriptions_were_stored_is_described_by_the_registry(
    tmp_path, isolated_cache, monkeypatch
):
    """A run folder scored by an audioprobe that stored no descriptions (no score_card_info
    table) shows its built-in metrics as before; a plugin metric gone since has nothing to
    describe it and is left out, as it was then."""
    store, plugins = _scored_with_plugin(tmp_path, monkeypatch)
    with store.connect() as db:
        db.execute("DROP TABLE score_card_info")
    shutil.rmtree(plugins)
    monkeypatch.delenv(PATH_ENV)

    shown = " ".join(_cli("show", str(store.root)).split())
    assert "peak dBFS" not in shown
    assert "duration error s" in shown, shown
    results = RunResults.of(store, describe)
    assert {v.metric for v in results.clips} == {"duration"}
    assert results.catalog.column("duration", "duration_s").unit == "s"


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
    from audioprobe.scoring.embeddings import embeddings, get_embedding

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
        assert "band-energy-test" in embeddings.names()
        monkeypatch.delenv(PATH_ENV)  # listed while its folder is named, as a metric is
        assert "band-energy-test" not in embeddings.names()
    finally:
        get_embedding.cache_clear()
