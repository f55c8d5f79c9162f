"""kind = "openai": any OpenAI-compatible chat endpoint (base_url + the env var holding a key)."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from audioprobe.errors import ConfigError
from audioprobe.model_kinds import ModelKind, model_kinds
from audioprobe.spec import ModelSpec


@model_kinds.register("openai")
class OpenAIKind(ModelKind):
    def check(self, spec: ModelSpec) -> None:
        from audioprobe.llm.openai_compat import missing_key

        problem = missing_key(spec)
        if problem:
            raise ConfigError(problem)

    def preflight(self, spec: ModelSpec) -> None:
        from audioprobe.llm.openai_compat import probe_endpoint

        probe_endpoint(spec)

    def open(self, spec: ModelSpec, stack: ExitStack) -> Any:
        from audioprobe.llm.openai_compat import OpenAICompatModel

        return OpenAICompatModel(spec)
