"""Model kinds: how each `kind` of [[models]] entry is checked before a run and opened for it.

A kind is one class registered by the module that defines it; audioprobe's own are openai,
local, replay (language models that write code) and baseline (generators that answer with
audio). A new kind is one file in a plugin folder (audioprobe.registry):

    from audioprobe.model_kinds import ModelKind, model_kinds

    @model_kinds.register("mykind")
    class MyKind(ModelKind):
        def open(self, spec, stack):
            return MyCodeModel(spec)     # has async complete(messages, item_id=, sample=, seed=)

`ModelSpec.kind` accepts every registered name, and `--model mykind:VALUE` works at once.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from audioprobe.registry import Registry

if TYPE_CHECKING:
    from audioprobe.spec import ModelSpec


class ModelKind:
    """One kind of system under test. Subclasses override `open`, and `check` when something
    can be known to fail every trial before the run starts."""

    #: False for systems that answer with audio (no code, no sandbox): baselines.
    writes_code: ClassVar[bool] = True
    #: The suffix of the file a `--model KIND:VALUE` names, when VALUE is a file ("" if never).
    file_suffix: ClassVar[str] = ""

    def check(self, spec: ModelSpec) -> None:
        """Raise AudioprobeError with the fix for what would fail every trial (a missing key)."""

    def coverage(self, spec: ModelSpec, items: list[str]) -> str | None:
        """Offline, before the run: a note on the `items` (ids) the model will not answer (their
        trials end as the model's outcome), or None; raise AudioprobeError when it answers none."""
        return None

    def preflight(self, spec: ModelSpec) -> None:
        """Just before the first trial: ask the system once whether it can answer at all (an
        endpoint reached); raise AudioprobeError naming the URL or file and the cause."""

    def needs(self, spec: ModelSpec) -> str:
        """What a real run still needs before this model can answer ("" when nothing), for a
        dry run; a kind whose `check` has side effects (joining weights) overrides this with a
        look that has none. Input errors (an unknown model) still raise."""
        from audioprobe.errors import Unavailable

        try:
            self.check(spec)
        except Unavailable as exc:
            return str(exc)
        return ""

    def open(self, spec: ModelSpec, stack: ExitStack) -> Any:
        """The model for the length of a run (a CodeModel, or an AudioGenerator); `stack` owns
        whatever must be stopped afterwards (a server)."""
        raise NotImplementedError

    def is_file(self, value: str) -> bool:
        return bool(self.file_suffix) and (value.endswith(self.file_suffix) or "/" in value)

    def adhoc_name(self, value: str) -> str:
        """The name a `--model KIND:VALUE` gets: VALUE as written (a catalog key, an endpoint's
        model id), or for a file its name without the suffix."""
        if self.is_file(value):
            return Path(value).name.removesuffix(self.file_suffix) or value
        return value


model_kinds: Registry[type[ModelKind]] = Registry(
    "model kind",
    (
        "audioprobe.model_kinds.openai",
        "audioprobe.model_kinds.local",
        "audioprobe.model_kinds.replay",
        "audioprobe.model_kinds.baseline",
    ),
)


def model_kind(name: str) -> ModelKind:
    """The registered kind `name`, ready to use."""
    return model_kinds.get(name)()
