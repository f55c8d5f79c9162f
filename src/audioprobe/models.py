"""Opening the systems under test for the length of a run.

A local model's server and a baseline's weights live only as long as the run; an ExitStack owns
them so that Ctrl-C or an error still stops every server the run started.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

from audioprobe.llm.base import CodeModel
from audioprobe.llm.openai_compat import OpenAICompatModel
from audioprobe.llm.replay import ReplayModel
from audioprobe.spec import ModelSpec


def open_model(spec: ModelSpec, stack: ExitStack) -> Any:
    """A CodeModel for openai/local/replay kinds, an audio generator for baselines."""
    if spec.kind == "replay":
        return ReplayModel(spec.name, Path(spec.model))
    if spec.kind == "openai":
        return OpenAICompatModel(spec)
    if spec.kind == "local":
        from audioprobe.llm.local import LocalServer, resolve_gguf

        gguf = resolve_gguf(spec.model)
        server = stack.enter_context(
            LocalServer(gguf, ctx_size=spec.ctx_size, parallel=spec.slots or 1)
        )
        # The port changes every run; the weights do not, so they key the answer cache.
        identity = f"local://{gguf.name}?bytes={gguf.stat().st_size}"
        return OpenAICompatModel(
            spec, base_url=server.base_url, model_id=server.model_id, cache_identity=identity
        )
    if spec.kind == "baseline":
        from audioprobe.baselines import get_baseline

        return get_baseline(spec.model, name=spec.name, options=spec.extra)
    raise AssertionError(f"unhandled model kind {spec.kind}")


def open_models(specs: list[ModelSpec], stack: ExitStack) -> dict[str, CodeModel | Any]:
    return {spec.name: open_model(spec, stack) for spec in specs}
