"""kind = "baseline": a neural generator from the baseline catalog; it answers with audio."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from audioprobe.model_kinds import ModelKind, model_kinds
from audioprobe.spec import ModelSpec


@model_kinds.register("baseline")
class BaselineKind(ModelKind):
    writes_code = False

    def check(self, spec: ModelSpec) -> None:
        # Unknown baselines and options fail here; missing weights are the trials' `unavailable`.
        self.open(spec, ExitStack())

    def open(self, spec: ModelSpec, stack: ExitStack) -> Any:
        from audioprobe.baselines import get_baseline

        return get_baseline(spec.model, name=spec.name, options=spec.extra)
