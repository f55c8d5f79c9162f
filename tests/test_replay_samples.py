"""Replay files with a "sample" field answer each sample exactly; files without it still cycle."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from audioprobe.errors import ConfigError
from audioprobe.llm.replay import ReplayModel

ASK = [{"role": "user", "content": "make a sound"}]


def _file(tmp_path: Path, lines: list[dict]) -> Path:
    path = tmp_path / "answers.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def _answers(model: ReplayModel, item: str, samples: int) -> list[str]:
    async def ask() -> list[str]:
        done = [model.complete(ASK, item_id=item, sample=s, seed=0) for s in range(samples)]
        return [c.text for c in await asyncio.gather(*done)]

    return asyncio.run(ask())


def test_each_sample_gets_its_own_answer_whatever_the_order_of_the_lines(tmp_path):
    lines = [{"item": "rain", "sample": s, "round": 0, "completion": f"s{s}"} for s in (2, 0, 1)]
    model = ReplayModel("m", _file(tmp_path, lines))
    assert _answers(model, "rain", 3) == ["s0", "s1", "s2"]


def test_lines_without_sample_cycle_as_before_and_fill_the_samples_not_listed(tmp_path):
    lines = [
        {"item": "rain", "completion": "a"},
        {"item": "rain", "completion": "b"},
        {"item": "rain", "sample": 1, "completion": "exact"},
    ]
    model = ReplayModel("m", _file(tmp_path, lines))
    assert _answers(model, "rain", 4) == ["a", "exact", "a", "b"]


def test_a_sample_missing_from_a_published_file_is_an_error_naming_it(tmp_path):
    from audioprobe.llm.base import NoAnswer  # the model's outcome (no_code), not infrastructure

    model = ReplayModel("m", _file(tmp_path, [{"item": "rain", "sample": 0, "completion": "x"}]))
    with pytest.raises(NoAnswer, match="no answer for item 'rain' round 0 sample 1"):
        _answers(model, "rain", 2)


@pytest.mark.parametrize(
    "line,problem",
    [
        ({"item": "rain", "sample": -1, "completion": "x"}, "sample must be a whole number"),
        ({"item": "rain", "sample": True, "completion": "x"}, "sample must be a whole number"),
        ({"item": "rain", "sample": "0", "completion": "x"}, "sample must be a whole number"),
    ],
)
def test_a_bad_sample_field_names_the_line(tmp_path, line, problem):
    with pytest.raises(ConfigError, match=rf"answers\.jsonl:1: {problem}"):
        ReplayModel("m", _file(tmp_path, [line]))


def test_two_answers_for_one_sample_are_refused(tmp_path):
    lines = [{"item": "rain", "sample": 0, "completion": c} for c in ("x", "y")]
    with pytest.raises(ConfigError, match=r"answers\.jsonl:2: a second answer for item 'rain'"):
        ReplayModel("m", _file(tmp_path, lines))
