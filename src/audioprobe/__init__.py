"""audioprobe: measure how well text-only language models make sound by writing code.

    import audioprobe
    run = audioprobe.run("smoke", models=["replay:smoke-ok"], out="runs/s")
    audioprobe.score(run.root)
    audioprobe.open_run(run.root).trials_df()

The functions live in audioprobe.api and are imported on first use, so `import audioprobe` stays
quick and loads neither the CLI nor torch. See docs/api.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "AudioprobeError",
    "ExecutorChoice",
    "ExperimentSpec",
    "ModelSpec",
    "Run",
    "__version__",
    "open_run",
    "prepare",
    "resume",
    "resume_async",
    "run",
    "run_async",
    "run_plan",
    "run_plan_async",
    "score",
]
_ELSEWHERE = {
    "ExperimentSpec": "audioprobe.spec",
    "ModelSpec": "audioprobe.spec",
    "AudioprobeError": "audioprobe.errors",
    "ExecutorChoice": "audioprobe.executors",
}

if TYPE_CHECKING:
    from audioprobe.api import (
        Run,
        open_run,
        prepare,
        resume,
        resume_async,
        run,
        run_async,
        run_plan,
        run_plan_async,
        score,
    )
    from audioprobe.errors import AudioprobeError
    from audioprobe.executors import ExecutorChoice
    from audioprobe.spec import ExperimentSpec, ModelSpec


def __getattr__(name: str) -> Any:
    module = _ELSEWHERE.get(name, "audioprobe.api")
    if name not in __all__ or name == "__version__":
        raise AttributeError(f"module 'audioprobe' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
