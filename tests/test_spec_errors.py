from pathlib import Path

import pytest

from audioprobe.errors import ConfigError
from audioprobe.spec import load_spec, parse_model_arg
from audioprobe.tiers import load_all_tiers

GOOD = """
name = "t"
[[tiers]]
name = "notes"
[[models]]
name = "m1"
kind = "openai"
model = "gpt-x"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "exp.toml"
    path.write_text(text)
    return path


def test_shipped_specs_and_tiers_are_valid():
    for name in ("smoke", "quick"):
        spec, path = load_spec(name)
        assert path.name == f"{name}.toml"
        assert {t.name for t in spec.tiers} == {"notes", "environmental", "speech"}
    tiers = load_all_tiers()
    assert len(tiers["notes"].items) >= 24
    assert len(tiers["environmental"].items) >= 20
    assert len(tiers["speech"].items) >= 10


def test_wrong_type_names_file_field_and_value(tmp_path):
    path = write(tmp_path, GOOD.replace('model = "gpt-x"', 'model = "gpt-x"\ntemperature = "hot"'))
    with pytest.raises(ConfigError) as err:
        load_spec(path)
    text = str(err.value)
    assert str(path) in text
    assert "models[0] (name='m1').temperature" in text
    assert "'hot'" in text


def test_unknown_field_and_unknown_tier_are_named(tmp_path):
    path = write(tmp_path, GOOD + "\nsampels = 3\n")
    with pytest.raises(ConfigError, match="sampels"):
        load_spec(path)
    path = write(tmp_path, GOOD.replace('name = "notes"', 'name = "music"'))
    with pytest.raises(ConfigError, match=r"tiers\[0\].*name"):
        load_spec(path)


def test_broken_toml_is_reported_with_path(tmp_path):
    path = write(tmp_path, "name = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_spec(path)


def test_model_argument_forms():
    spec, _ = load_spec("smoke")
    replay = parse_model_arg("replay:tests/data/answers_ok.jsonl", spec)
    assert (replay.kind, replay.name) == ("replay", "answers_ok")
    assert parse_model_arg("qwen2.5-coder-1.5b", spec).kind == "local"
    with pytest.raises(ConfigError, match="KIND:VALUE"):
        parse_model_arg("nonsense", spec)


def test_unset_parallelism_is_chosen_from_the_machine_and_explicit_values_win(tmp_path):
    from audioprobe.machine import default_local_slots, default_sandbox_parallel

    local = GOOD.replace('kind = "openai"\nmodel = "gpt-x"', 'kind = "local"\nmodel = "x.gguf"')
    spec, _ = load_spec(write(tmp_path, local))
    assert spec.sandbox.parallel == default_sandbox_parallel(spec.sandbox.limits.memory_mb) >= 2
    assert spec.models[0].slots == spec.models[0].concurrency == default_local_slots()

    pinned = local + "slots = 3\nconcurrency = 1\n[sandbox]\nparallel = 1\n"
    spec, _ = load_spec(write(tmp_path, pinned))
    assert (spec.models[0].slots, spec.models[0].concurrency, spec.sandbox.parallel) == (3, 1, 1)

    remote, _ = load_spec(write(tmp_path, GOOD))
    assert remote.models[0].slots is None and remote.models[0].concurrency == 2
