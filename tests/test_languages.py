"""Languages without a sandbox: how each finds its code, what it asks for, how a spec and the
command line choose one, and the one-line refusals a user sees."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from audioprobe import api
from audioprobe.cli import app
from audioprobe.errors import ConfigError
from audioprobe.languages import get_language, languages
from audioprobe.paths import data_dir
from audioprobe.prompts import render_prompt
from audioprobe.sandbox.rootfs import RuntimeSpec, debian_problem, debian_version
from audioprobe.spec import ExperimentSpec
from audioprobe.tiers import load_tier

NOTES = load_tier("notes")


def test_every_shipped_language_is_registered_with_its_prompts() -> None:
    assert {"python", "csound", "chuck", "abc", "supercollider"} <= set(languages.names())
    for name in ("csound", "chuck", "abc", "supercollider"):
        prompt = render_prompt(NOTES, NOTES.item("sine-a4"), language=name)
        assert f"```{name} code block" in prompt.user
        contract = prompt.user.split("Requirements:")[1]  # the language's part, not the task's
        assert "2 seconds" in contract
        assert ("16000 Hz" in contract) == (name != "abc")  # abc: the harness picks the rate
        assert "Python" not in prompt.user + prompt.system


def test_python_prompt_is_todays() -> None:
    prompt = render_prompt(NOTES, NOTES.item("sine-a4"))
    assert "Answer with the script in a single ```python code block." in prompt.user
    assert prompt.system.startswith("You are an expert audio programmer. You write complete")


def test_code_is_taken_from_the_block_tagged_with_the_language() -> None:
    piece = "<CsoundSynthesizer>\n</CsoundSynthesizer>"
    answer = f"Try this:\n```xml\n<x/>\n```\nand the piece:\n```csound\n{piece}\n```\n"
    got = get_language("csound").extract(answer)
    assert got.method == "csound_fence" and got.code.startswith("<CsoundSynthesizer>")
    untagged = get_language("chuck").extract("```\nSinOsc s => dac;\n```")
    assert untagged.method == "largest_fence"
    prose = get_language("abc").extract("X:1\nK:C\nA2|")  # unfenced: only Python reads bare code
    assert prose.code is None and prose.method == "none"


def test_abc_is_played_with_the_items_instrument_and_checked_as_written() -> None:
    abc = get_language("abc")
    tune = "X:1\nT:t\nK:C\nA2|\n"
    flute = NOTES.item("flute-c6")
    job = abc.job(tune, NOTES, flute)
    assert job["source"] == "X:1\nT:t\nK:C\n%%MIDI program 73\nA2|\n"
    assert job["check_source"] == tune  # messages keep the answer's own line numbers
    assert job["render"][-1][-2:] == ["/usr/share/sounds/sf2/TimGM6mb.sf2", "tune.mid"]
    assert "-r" in job["render"][-1] and "16000" in job["render"][-1]


def _spec(**extra) -> ExperimentSpec:
    base = {"name": "langs", "tiers": [{"name": "notes", "items": ["sine-a4"]}]}
    return ExperimentSpec.model_validate(base | extra)


def test_the_most_specific_language_wins() -> None:
    spec = _spec(
        language="csound",
        tiers=[{"name": "notes", "items": ["sine-a4"], "language": "abc"}],
        models=[
            {"name": "a", "kind": "replay", "model": "x.jsonl"},
            {"name": "b", "kind": "replay", "model": "x.jsonl", "language": "chuck"},
        ],
    )
    assert spec.language_for(spec.model("a"), "notes") == "abc"
    assert spec.language_for(spec.model("b"), "notes") == "chuck"
    assert spec.language_for(spec.model("a"), "speech") == "csound"


def test_an_unknown_language_names_the_registered_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown language 'fortran'; registered: abc, chuck"):
        _spec(language="fortran")


def test_a_notation_answers_every_tier_whose_items_name_their_notes(monkeypatch) -> None:
    """ABC can write notes, not a dog's bark: it answers the notes tier and a researcher's own
    note-bearing tier (the melody plugin), by what the items ask for, never by tier name."""
    from audioprobe.languages import get_language
    from audioprobe.registry import PLUGINS_ENV

    monkeypatch.setenv(PLUGINS_ENV, str(Path(__file__).parent.parent / "plugins" / "melody"))
    abc, python = get_language("abc"), get_language("python")
    assert abc.supports("notes") and abc.supports("melody")
    assert not abc.supports("environmental") and not abc.supports("speech")
    assert all(python.supports(t) for t in ("notes", "melody", "environmental", "speech"))


def test_a_language_that_cannot_answer_a_tier_is_refused_in_the_spec() -> None:
    with pytest.raises(ValueError, match="language 'abc' cannot answer the speech tier"):
        _spec(
            tiers=[{"name": "speech", "items": ["harvard-01"]}],
            models=[{"name": "a", "kind": "replay", "model": "x.jsonl", "language": "abc"}],
        )


def test_language_flag_is_recorded_and_checked_against_the_tiers(tmp_path: Path) -> None:
    replay = tmp_path / "a.jsonl"
    replay.write_text(json.dumps({"item": "sine-a4", "completion": "```abc\nX:1\nK:C\nA2|\n```"}))
    spec = _spec(tiers=[{"name": "notes"}, {"name": "speech"}])
    planned = api.prepare(
        spec, models=[f"replay:{replay}"], language="abc", tiers=["notes"], dry_run=True
    )
    assert planned.manifest.overrides == {"language": "abc"}
    assert planned.manifest.models[0].language == "abc"
    assert all("```abc code block" in p.user for _, _, p in planned.prompts())
    with pytest.raises(ConfigError, match="language 'abc' cannot answer the speech tier"):
        api.prepare(spec, models=[f"replay:{replay}"], language="abc", dry_run=True)


def test_cli_refuses_an_unknown_language_in_one_line() -> None:
    result = CliRunner().invoke(
        app, ["run", "smoke", "--model", "replay:smoke-ok", "--language", "fortran", "--dry-run"]
    )
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "unknown language 'fortran'" in lines[0], result.output
    assert "Traceback" not in result.output


def test_a_missing_interpreter_is_refused_with_the_apt_line() -> None:
    spec = RuntimeSpec.load()
    wrong = RuntimeSpec(spec.libraries, spec.tools, spec.debian | {"chuck": "0.0-nonesuch"})
    problem = debian_problem(("chuck",), "the chuck language", wrong)
    assert "apt-get install chuck=0.0-nonesuch" in problem
    assert "chuck=0.0-nonesuch" in wrong.debian_missing()  # what install_language_deps.sh installs
    # a package installed here at its pin is no problem (dash: on every Debian machine)
    here = RuntimeSpec(spec.libraries, spec.tools, {"dash": debian_version("dash") or "absent"})
    assert debian_problem(("dash",), "the dash language", here) == ""
    assert here.debian_missing() == []


def test_a_language_battery_without_its_interpreter_skips_with_the_command(monkeypatch) -> None:
    """Off CI, a machine without chuck skips its tests saying how to install it; under CI
    (AUDIOPROBE_REQUIRE_DOCKER=1) nothing is skipped, so its absence fails the run."""
    from sandbox_helpers import language_skip_reason

    spec = RuntimeSpec.load()
    wrong = RuntimeSpec(spec.libraries, spec.tools, spec.debian | {"chuck": "0.0-nonesuch"})
    monkeypatch.setattr(RuntimeSpec, "load", classmethod(lambda cls, path=None: wrong))
    monkeypatch.delenv("AUDIOPROBE_REQUIRE_DOCKER", raising=False)
    why = language_skip_reason("chuck")
    assert "\n" not in why and "chuck battery NOT run" in why
    assert "apt-get install chuck=0.0-nonesuch" in why and "install_language_deps.sh" in why
    monkeypatch.setenv("AUDIOPROBE_REQUIRE_DOCKER", "1")
    assert language_skip_reason("chuck") == ""


def _drive(tmp_path: Path, **job) -> subprocess.CompletedProcess:
    """The sandbox's render driver, run here on a job of plain shell commands."""
    job = {"source_name": "a.txt", "source": "x", "check_source": None, "syntax_exit": 65} | job
    job.setdefault("fail_pattern", None)
    job.setdefault("check_exit", True)
    call = f"import _audioprobe_render; _audioprobe_render.main({json.dumps(job)!r})"
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(data_dir("sandbox") / "shim")}
    return subprocess.run(
        [sys.executable, "-c", call], cwd=tmp_path, env=env, capture_output=True, text=True
    )


def test_the_driver_tells_a_failed_check_from_a_crashed_one(tmp_path: Path) -> None:
    render = [["sh", "-c", "cat a.txt > output.wav"]]
    said = _drive(tmp_path, check=["sh", "-c", "echo 'E: line 3 bad'; exit 1"], render=render)
    assert said.returncode == 65 and "E: line 3 bad" in said.stderr
    assert not (tmp_path / "output.wav").exists()
    # a checker that reports errors but exits 0 (abc2midi, chuck) fails on its words
    said = _drive(
        tmp_path, check=["sh", "-c", "echo 'Error in line 2'"], fail_pattern="^Error", render=render
    )
    assert said.returncode == 65
    crash = ["sh", "-c", "kill -SEGV $$"]
    said = _drive(tmp_path, check=crash, render=render)
    assert said.returncode == -signal.SIGSEGV  # a crash is the run's, not a syntax verdict
    said = _drive(tmp_path, check=crash, check_exit=False, fail_pattern="^Error", render=render)
    assert said.returncode == 0 and (tmp_path / "output.wav").read_text() == "x"


def test_the_driver_writes_a_jobs_files_and_sets_its_environment_before_the_check(
    tmp_path: Path,
) -> None:
    """SuperCollider's renderer runs a fixed driver file, headless only with its variables."""
    check = ["sh", "-c", 'test "$AP_MODE" = headless && test -f driver.txt']
    render = [["sh", "-c", 'printf "%s " "$AP_MODE" > output.wav; cat driver.txt >> output.wav']]
    job = {"check": check, "render": render, "files": {"driver.txt": "D"}}
    said = _drive(tmp_path, **job, env={"AP_MODE": "headless"})
    assert said.returncode == 0, said.stderr
    assert (tmp_path / "output.wav").read_text() == "headless D"
    said = _drive(tmp_path, **job, env={})
    assert said.returncode == 65  # without the variable the check fails


def test_doctor_says_which_languages_this_machine_can_run(monkeypatch) -> None:
    from audioprobe.cli.doctor import _language_rows

    spec = RuntimeSpec.load()
    wrong = RuntimeSpec(spec.libraries, spec.tools, spec.debian | {"chuck": "0.0-nonesuch"})
    monkeypatch.setattr(RuntimeSpec, "load", classmethod(lambda cls, path=None: wrong))
    rows = {what: (ok, detail) for _, what, ok, detail in _language_rows()}
    assert set(rows) == {"abc", "chuck", "csound", "supercollider"}
    ok, detail = rows["chuck"]
    assert ok is False and "apt-get install chuck=0.0-nonesuch" in detail
