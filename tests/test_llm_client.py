import asyncio

import pytest
from openai_stub import OpenAIStub, StubState

from audioprobe.llm.base import LLMError
from audioprobe.llm.openai_compat import OpenAICompatModel
from audioprobe.llm.replay import ReplayModel
from audioprobe.spec import ModelSpec

MESSAGES = [{"role": "user", "content": "write a sine"}]


def model_for(stub: OpenAIStub, **overrides) -> OpenAICompatModel:
    fields = {"max_retries": 3, "timeout_s": 10, **overrides}
    spec = ModelSpec(
        name="stub", kind="openai", model="stub-model", base_url=stub.base_url, **fields
    )
    return OpenAICompatModel(spec)


def ask(model: OpenAICompatModel, sample: int = 0):
    return asyncio.run(model.complete(MESSAGES, item_id="sine-a4", sample=sample, seed=1))


def test_retries_server_errors_then_records_answer_and_usage(isolated_cache, monkeypatch):
    monkeypatch.setattr("audioprobe.llm.openai_compat.random.random", lambda: 0.0)
    with OpenAIStub(StubState(answer="hello", fail_first=2, fail_status=503)) as stub:
        completion = ask(model_for(stub))
        assert completion.text == "hello"
        assert completion.attempts == 3
        assert (completion.prompt_tokens, completion.completion_tokens) == (11, 7)
        assert completion.raw["choices"][0]["message"]["content"] == "hello"
        assert len(stub.state.requests) == 3
        sent = stub.state.requests[-1]
        assert sent["temperature"] == 0.7 and sent["max_tokens"] == 1024 and sent["seed"] == 1


def test_rate_limit_exhausts_retries_into_llm_error(isolated_cache, monkeypatch):
    monkeypatch.setattr("audioprobe.llm.openai_compat.random.random", lambda: 0.0)
    with OpenAIStub(StubState(fail_first=100, fail_status=429)) as stub:
        with pytest.raises(LLMError, match="RateLimitError after 2 attempt"):
            ask(model_for(stub, max_retries=1))
        assert len(stub.state.requests) == 2


def test_client_error_is_not_retried(isolated_cache):
    with OpenAIStub(StubState(fail_first=100, fail_status=400)) as stub:
        with pytest.raises(LLMError, match="BadRequestError"):
            ask(model_for(stub))
        assert len(stub.state.requests) == 1


def test_cache_makes_no_second_call_but_new_sample_does(isolated_cache):
    with OpenAIStub(StubState(answer="cached?")) as stub:
        first = ask(model_for(stub))
        again = ask(model_for(stub))
        assert (first.cached, again.cached) == (False, True)
        assert again.text == "cached?"
        assert len(stub.state.requests) == 1
        ask(model_for(stub), sample=1)
        assert len(stub.state.requests) == 2
        ask(model_for(stub, temperature=0.1))
        assert len(stub.state.requests) == 3


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
