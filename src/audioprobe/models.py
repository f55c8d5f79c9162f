"""Opening the systems under test for the length of a run.

A local model's server and a baseline's weights live only as long as the run; an ExitStack owns
them so that Ctrl-C or an error still stops every server the run started. How each kind opens is
its registered ModelKind's business (audioprobe.model_kinds).
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from audioprobe.llm.base import CodeModel
from audioprobe.model_kinds import model_kind
from audioprobe.spec import ModelSpec


def open_model(spec: ModelSpec, stack: ExitStack) -> Any:
    """A CodeModel for kinds that write code, an audio generator for baselines."""
    return model_kind(spec.kind).open(spec, stack)


def open_models(specs: list[ModelSpec], stack: ExitStack) -> dict[str, CodeModel | Any]:
    return {spec.name: open_model(spec, stack) for spec in specs}
