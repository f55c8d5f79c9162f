"""Device selection on a machine without a GPU: auto falls back, cuda stops with the fix."""

from __future__ import annotations

import pytest

from audioprobe.devices import parse_device, resolve_device
from audioprobe.errors import ConfigError
from audioprobe.scoring.embeddings import get_embedding


def test_auto_is_cpu_without_a_gpu_and_cuda_is_refused_with_the_fix() -> None:
    assert resolve_device("auto") == "cpu"
    assert resolve_device("cpu") == "cpu"
    with pytest.raises(ConfigError, match=r"torch sees no GPU.*--device cpu"):
        resolve_device("cuda:1")
    with pytest.raises(ConfigError, match="expected cpu, cuda, cuda:N or auto"):
        parse_device("gpu")


def test_a_gpu_embedding_takes_larger_batches_than_on_the_cpu() -> None:
    lengths = [32000] * 70
    cpu, gpu = get_embedding("aisfx", device="cpu"), get_embedding("aisfx", device="cuda")
    assert max(len(b) for b in cpu._batches(lengths)) == cpu.batch_size
    assert [len(b) for b in gpu._batches(lengths)] == [gpu.gpu_batch_size, 70 - gpu.gpu_batch_size]


def test_score_on_a_gpu_that_is_not_there_stops_with_one_line_before_any_work(tmp_path) -> None:
    from score_helpers import make_run
    from typer.testing import CliRunner

    from audioprobe.cli import app

    store = make_run(tmp_path / "run", "notes", ["sine-a4"], {"m": [None]})
    result = CliRunner().invoke(app, ["score", str(store.root), "--device", "cuda"])
    assert result.exit_code == 2
    assert "torch sees no GPU" in result.output and "--device cpu" in result.output
    assert "Traceback" not in result.output
    assert not (store.root / "cards.json").exists()  # nothing was scored
