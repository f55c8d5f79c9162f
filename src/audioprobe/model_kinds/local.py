"""kind = "local": a catalog key or a .gguf file, served by llama-server for the run's length."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from audioprobe.model_kinds import ModelKind, model_kinds
from audioprobe.spec import ModelSpec


@model_kinds.register("local")
class LocalKind(ModelKind):
    file_suffix = ".gguf"

    def check(self, spec: ModelSpec) -> None:
        from audioprobe.llm.local import resolve_gguf

        resolve_gguf(spec.model)
        if spec.speculative == "draft":
            resolve_gguf(spec.draft_model or "")

    def needs(self, spec: ModelSpec) -> str:
        from audioprobe.llm.local.weights import weights_needed

        return weights_needed(spec.model)

    def open(self, spec: ModelSpec, stack: ExitStack) -> Any:
        from audioprobe.llm.local import LocalServer, resolve_gguf
        from audioprobe.llm.openai_compat import OpenAICompatModel

        gguf = resolve_gguf(spec.model)
        server = stack.enter_context(
            LocalServer(
                gguf,
                ctx_size=spec.ctx_size,
                parallel=spec.slots or 1,
                **spec.local_server_options(),
            )
        )
        # The port changes every run; the weights do not, so they key the answer cache.
        identity = f"local://{gguf.name}?bytes={gguf.stat().st_size}"
        return OpenAICompatModel(
            spec, base_url=server.base_url, model_id=server.model_id, cache_identity=identity
        )
