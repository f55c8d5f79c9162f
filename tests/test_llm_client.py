import asyncio

import pytest
from fault_server import FAULTS, FaultServer, ServerState, dead_url

from audioprobe.llm import openai_compat
from audioprobe.llm.base import LLMError
from audioprobe.llm.endpoint_faults import parse_retry_after, retry_after
from audioprobe.llm.openai_compat import OpenAICompatModel
from audioprobe.llm.replay import ReplayModel
from audioprobe.spec import ModelSpec

MESSAGES = [{"role": "user", "content": "write a sine"}]


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch):
    monkeypatch.setattr(openai_compat, "BACKOFF_BASE_S", 0.01)
    monkeypatch.setattr(openai_compat.random, "random", lambda: 0.0)


def model_for(url: str, **overrides) -> OpenAICompatModel:
    fields = {"max_retries": 3, "timeout_s": 1, **overrides}
    spec = ModelSpec(name="stub", kind="openai", model="stub-model", base_url=url, **fields)
    return OpenAICompatModel(spec)


def ask(model: OpenAICompatModel, sample: int = 0):
    return asyncio.run(model.complete(MESSAGES, item_id="sine-a4", sample=sample, seed=1))


def test_retries_server_errors_then_records_answer_and_usage(isolated_cache):
    with FaultServer(ServerState(answer="hello")) as server:
        server.fail("*", "503", times=2)
        completion = ask(model_for(server.base_url))
        assert completion.text == "hello"
        assert completion.attempts == 3
        assert (completion.prompt_tokens, completion.completion_tokens) == (11, 7)
        assert completion.raw["choices"][0]["message"]["content"] == "hello"
        assert server.state.count() == 3
        sent = server.state.requests[-1]
        assert sent["temperature"] == 0.7 and sent["max_tokens"] == 1024 and sent["seed"] == 1


INFRA_FAULTS = sorted(set(FAULTS) - {"length"})


@pytest.mark.parametrize("kind", INFRA_FAULTS)
def test_every_endpoint_fault_is_an_llm_error_naming_url_and_is_never_cached(kind, isolated_cache):
    with FaultServer(ServerState(answer="healed", hang_s=1.5)) as server:
        server.fail("*", kind)
        model = model_for(server.base_url, max_retries=1, retry_budget_s=5)
        with pytest.raises(LLMError) as caught:
            ask(model)
        message = str(caught.value)
        assert server.base_url + "/chat/completions" in message
        status = FAULTS[kind]
        if status is not None and status != 200:
            assert f"HTTP {status}" in message
        if kind == "html":
            assert "502 Bad Gateway" in message and "\x1b" not in message
        # retried once, except a Retry-After longer than the whole retry budget
        assert server.state.count() == (1 if kind == "429-retry-after-inf" else 2)
        server.heal()
        assert ask(model).text == "healed"  # the fault was not cached as an answer
        assert ask(model).cached


def test_text_parts_are_an_answer_and_retry_after_ms_is_read(isolated_cache):
    parts = [{"type": "text", "text": "part one, "}, {"type": "text", "text": "part two"}]
    with FaultServer(ServerState(answer=parts)) as server:
        assert ask(model_for(server.base_url)).text == "part one, part two"
    assert retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after({"retry-after-ms": "soon", "retry-after": "9"}) == 9.0


def test_retry_after_is_honoured_up_to_the_budget():
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after("inf") == float("inf")
    assert parse_retry_after("soon") is None and parse_retry_after("nan") is None
    assert parse_retry_after("-5") == 0.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past


def test_total_retry_time_is_bounded_by_the_budget(isolated_cache):
    with FaultServer() as server:
        server.fail("*", "429-retry-after-1")
        model = model_for(server.base_url, max_retries=10, retry_budget_s=1.5)
        with pytest.raises(LLMError, match="retry budget"):
            ask(model)
        assert server.state.count() == 2  # waited 1 s once; a second wait would pass 1.5 s


def test_dead_endpoint_names_its_url(isolated_cache):
    url = dead_url()
    with pytest.raises(LLMError, match=rf"{url}/chat/completions: cannot connect") as caught:
        ask(model_for(url, max_retries=1))
    assert "connection refused" in str(caught.value)  # the real cause, not asyncio's noise
    assert "event loop" not in str(caught.value)


def test_client_error_is_not_retried(isolated_cache):
    with FaultServer() as server:
        server.fail("*", "400")
        with pytest.raises(LLMError, match=r"HTTP 400.*not retried"):
            ask(model_for(server.base_url))
        assert server.state.count() == 1


def test_answer_cut_at_max_tokens_is_the_models_and_is_cached(isolated_cache):
    with FaultServer() as server:
        server.fail("*", "length")
        first = ask(model_for(server.base_url))
        assert first.finish_reason == "length" and "waveform" in first.text
        assert ask(model_for(server.base_url)).cached
        assert server.state.count() == 1


def test_cache_makes_no_second_call_but_new_sample_does(isolated_cache):
    with FaultServer(ServerState(answer="cached?")) as server:
        first = ask(model_for(server.base_url))
        again = ask(model_for(server.base_url))
        assert (first.cached, again.cached) == (False, True)
        assert again.text == "cached?"
        assert server.state.count() == 1
        ask(model_for(server.base_url), sample=1)
        assert server.state.count() == 2
        ask(model_for(server.base_url, temperature=0.1))
        assert server.state.count() == 3


def test_a_fault_cached_by_an_older_version_is_asked_again(isolated_cache):
    with FaultServer(ServerState(answer="fresh")) as server:
        model = model_for(server.base_url)
        ask(model)
        (entry,) = isolated_cache.rglob("*.json")
        entry.write_text(entry.read_text().replace('"fresh"', "null"))
        assert ask(model).text == "fresh"
        assert server.state.count() == 2


def test_replay_serves_samples_in_order_and_wildcard(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(
        '{"item": "dog", "completion": "one"}\n{"item": "dog", "completion": "two"}\n'
        '{"item": "*", "completion": "any"}\n'
    )
    model = ReplayModel("r", path)
    got = [
        asyncio.run(model.complete(MESSAGES, item_id="dog", sample=s, seed=0)).text
        for s in range(3)
    ]
    assert got == ["one", "two", "one"]
    assert asyncio.run(model.complete(MESSAGES, item_id="cat", sample=0, seed=0)).text == "any"


def test_replay_file_errors_name_the_line(tmp_path):
    from audioprobe.errors import ConfigError

    path = tmp_path / "a.jsonl"
    path.write_text('{"item": "dog", "completion": "x"}\n{"item": "dog"}\n')
    with pytest.raises(ConfigError, match=r"a\.jsonl:2"):
        ReplayModel("r", path)
