"""Speculative decoding and prompt reuse on the real server, with the smallest shipped model.

The target model verifies every drafted token, so a greedy answer is the one it would write
alone, up to floating point: a batch of drafted tokens is evaluated in one pass, whose sums run
in another order than one token at a time, and where two candidates are nearly tied (this
model's repetition loops) the pick can flip. Seen here: identical with n-gram drafts, the first
~85 characters identical with a model draft. The tests hold the answers to a long common prefix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openai import OpenAI
from pydantic import ValidationError

from audioprobe.llm.local import LocalServer
from audioprobe.prompts import render_prompt
from audioprobe.spec import ModelSpec
from audioprobe.tiers import load_tier


def _common_prefix(a: str, b: str) -> int:
    pairs = enumerate(zip(a, b, strict=False))
    return next((i for i, (x, y) in pairs if x != y), min(len(a), len(b)))


def _answer(gguf: Path, **settings: Any) -> tuple[str, dict[str, Any]]:
    tier = load_tier("notes")
    item = tier.item("sine-a4")
    with LocalServer(gguf, ctx_size=2048, **settings) as server:
        client = OpenAI(base_url=server.base_url, api_key="none", max_retries=0, timeout=300)
        response = client.chat.completions.create(
            model=server.model_id,
            messages=render_prompt(tier, item).messages(),
            max_tokens=48,
            temperature=0,
            seed=0,
        )
    return response.choices[0].message.content or "", (response.model_extra or {}).get(
        "timings"
    ) or {}


def test_greedy_answers_are_unchanged_by_ngram_speculation_and_drafts_are_verified(
    tiny_gguf: Path,
) -> None:
    plain, plain_timings = _answer(tiny_gguf)
    drafted, timings = _answer(tiny_gguf, speculative="ngram-simple", draft_max=8)
    assert not plain_timings.get("draft_n")
    assert _common_prefix(drafted, plain) >= 60
    assert timings.get("draft_n", 0) >= timings.get("draft_n_accepted", 0)


@pytest.mark.slow  # kept out of make test's 15 minutes; make test-all runs it
def test_a_draft_model_drafts_and_the_same_weights_as_draft_are_all_accepted(
    tiny_gguf: Path,
) -> None:
    plain, _ = _answer(tiny_gguf)
    drafted, timings = _answer(tiny_gguf, speculative="draft", draft=tiny_gguf, draft_max=4)
    assert _common_prefix(drafted, plain) >= 60
    assert timings["draft_n"] > 0
    # a draft identical to the target proposes what the target picks at temperature 0
    assert timings["draft_n_accepted"] >= 0.9 * timings["draft_n"]


def test_server_command_carries_the_decoding_flags(tiny_gguf: Path) -> None:
    draft = LocalServer(tiny_gguf, speculative="draft", draft=tiny_gguf, draft_max=6)
    assert draft.decoding_args() == ["-md", str(tiny_gguf), "--draft-max", "6"]
    ngram = LocalServer(tiny_gguf, speculative="ngram-mod", draft_max=16, cache_reuse=256)
    assert ngram.decoding_args() == [
        "--spec-type", "ngram-mod", "--draft-max", "16", "--cache-reuse", "256"
    ]  # fmt: skip
    short = LocalServer(tiny_gguf, speculative="ngram-simple", draft_max=8, ngram_size=3)
    assert short.decoding_args() == [
        "--spec-type", "ngram-simple", "--draft-max", "8", "--spec-ngram-size-n", "3"
    ]  # fmt: skip
    assert LocalServer(tiny_gguf).decoding_args() == []


def test_a_draft_comes_from_the_catalog_pair_and_is_recorded_in_the_spec() -> None:
    spec = ModelSpec(name="q", kind="local", model="qwen2.5-coder-1.5b", speculative="draft")
    assert spec.draft_model == "qwen2.5-coder-0.5b"
    assert spec.model_dump()["draft_model"] == "qwen2.5-coder-0.5b"  # what run.json keeps
    with pytest.raises(ValidationError, match="declares no draft for 'smollm2-135m'"):
        ModelSpec(name="s", kind="local", model="smollm2-135m", speculative="draft")


def test_a_local_request_waits_longer_than_an_endpoint_unless_the_spec_says() -> None:
    local = ModelSpec(name="l", kind="local", model="smollm2-135m")
    assert local.timeout_s == 900
    assert ModelSpec(name="l", kind="local", model="smollm2-135m", timeout_s=60).timeout_s == 60
    assert ModelSpec(name="o", model="gpt", base_url="http://127.0.0.1:1/v1").timeout_s == 180
    # a recorded spec keeps its value when a resume validates it again
    assert ModelSpec.model_validate(local.model_dump()).timeout_s == 900
