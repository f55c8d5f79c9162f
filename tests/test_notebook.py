"""A notebook, run by a real Jupyter kernel (nbclient + ipykernel): run, score and open_run print
progress a reader can follow, and no warning (ipywidgets, tqdm's IProgress) and no raw escape
code reaches the cell output."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="pip install -e '.[dev]' (nbclient, ipykernel)")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ANSWERS = Path(__file__).resolve().parent / "data" / "answers_ok.jsonl"


def notebook_cells(run_dir: Path) -> list[str]:
    return [
        "import audioprobe",
        f"run = audioprobe.run('smoke', models=[{str(ANSWERS)!r}.join(['replay:', ''])],"
        f" tiers=['notes', 'environmental'], limit=1, out={str(run_dir)!r})",
        f"scored = audioprobe.score({str(run_dir)!r}, metrics=['duration'])",
        f"opened = audioprobe.open_run({str(run_dir)!r})\nopened.trials_df()[['item', 'status']]",
        f"audioprobe.resume({str(run_dir)!r})",
    ]


def texts(cell: dict) -> list[str]:
    """Everything a cell showed: streams, rich text and HTML outputs, and error tracebacks."""
    shown = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            shown.append(out["text"])
        elif out["output_type"] in ("display_data", "execute_result"):
            shown.extend(str(v) for k, v in out["data"].items() if k.startswith("text/"))
        elif out["output_type"] == "error":
            shown.append("\n".join(out["traceback"]))
    return shown


def test_run_score_open_run_in_a_kernel_print_progress_without_warnings_or_escapes(
    tmp_path, isolated_cache
):
    run_dir = tmp_path / "run"
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell(src) for src in notebook_cells(run_dir)]
    client = nbclient.NotebookClient(
        book, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.kernel_manager_class = "jupyter_client.manager.KernelManager"
    client.km = client.create_kernel_manager()
    client.km.kernel_cmd = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    client.execute()
    outputs = [texts(c) for c in book.cells]
    everything = "\n".join(t for cell in outputs for t in cell)
    assert "\x1b[" not in everything and "\\x1b" not in everything, everything
    for noise in ("Warning", "warning", "IProgress", "ipywidgets", "Traceback"):
        assert noise not in everything, (noise, everything)
    run_cell, score_cell, open_cell, resume_cell = (" ".join(o) for o in outputs[1:])
    assert "2/2 trials" in run_cell and "2 ok" in run_cell  # progress, with counts that agree
    assert "duration" in score_cell  # each scoring step says what it does
    assert "sine-a4" in open_cell and "rain" in open_cell
    assert "nothing to run; all 2 trials finished" in resume_cell
    assert json.loads((run_dir / "run.json").read_text())["plan"]["trials"] == 2
