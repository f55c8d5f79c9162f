"""kind = "replay": recorded answers from a JSONL file (tests, and re-scoring answers gathered
elsewhere). `extra = {delay_s = 2}` waits that long before each answer, to rehearse a slow
endpoint (progress lines, ETA) without one.

The value is a file's path, or the name of a replay shipped with audioprobe (`replay:smoke-ok`,
from experiments/replays/), so the documented examples work from any folder.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

from audioprobe.errors import ConfigError
from audioprobe.model_kinds import ModelKind, model_kinds
from audioprobe.paths import data_dir
from audioprobe.spec import ModelSpec

SUFFIX = ".jsonl"


def shipped_replays() -> dict[str, Path]:
    """The replays shipped with audioprobe, by name: the file's path under experiments/replays
    without .jsonl (`smoke-ok`; `demo/qwen2.5-coder-1.5b`, whose model is named after the file,
    so its tables read as the recorded model's)."""
    folder = data_dir("experiments") / "replays"
    return {
        path.relative_to(folder).with_suffix("").as_posix(): path
        for path in sorted(folder.rglob(f"*{SUFFIX}"))
    }


def resolve_replay(value: str) -> Path:
    """The replay file `value` names: a path as given, else a shipped replay of that name."""
    path = Path(value).expanduser()
    if path.is_file():
        return path
    shipped = shipped_replays().get(value.removesuffix(SUFFIX))
    if shipped is not None:
        return shipped
    raise ConfigError(
        f"replay file {value} does not exist, and no shipped replay has that name"
        f" (shipped: {', '.join(shipped_replays()) or 'none'}; use one as replay:NAME)"
    )


def _delay(spec: ModelSpec) -> float:
    unknown = sorted(set(spec.extra) - {"delay_s"})
    if unknown:
        raise ConfigError(f"model {spec.name!r} (replay): unknown option(s) {', '.join(unknown)}")
    delay = spec.extra.get("delay_s", 0.0)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= 3600:
        raise ConfigError(f"model {spec.name!r} (replay): delay_s must be 0 to 3600 seconds")
    return float(delay)


@model_kinds.register("replay")
class ReplayKind(ModelKind):
    file_suffix = SUFFIX

    def is_file(self, value: str) -> bool:
        return True

    def check(self, spec: ModelSpec) -> None:
        self.open(spec, ExitStack())

    def coverage(self, spec: ModelSpec, items: list[str]) -> str | None:
        model = self.open(spec, ExitStack())
        missing = model.unanswered(items)
        if not missing:
            return None
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        where = f"replay file {model.path} (model {spec.name!r})"
        if len(missing) == len(items):
            raise ConfigError(
                f"{where} answers none of the {len(items)} planned items ({shown}); check the"
                " file, or pick its tier with --tier"
            )
        return (
            f"{where} has no answer for {len(missing)} of {len(items)} items ({shown}): their"
            " trials will end no_code"
        )

    def open(self, spec: ModelSpec, stack: ExitStack) -> Any:
        from audioprobe.llm.replay import ReplayModel

        return ReplayModel(spec.name, resolve_replay(spec.model), delay_s=_delay(spec))
