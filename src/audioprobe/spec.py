"""Experiment specs: which models, tiers, items and limits a run uses, as validated TOML.

A spec is the unit a researcher shares to reproduce a table, so every knob that changes a result
lives here (or in the tier files it names), and a typo fails loudly with the file and field.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from audioprobe.errors import ConfigError, load_toml_model
from audioprobe.machine import default_local_slots, default_sandbox_parallel
from audioprobe.paths import data_dir
from audioprobe.sandbox.base import Limits
from audioprobe.tiers import tier_files, tier_rank

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
LOCAL_TIMEOUT_S = 900.0  # kind=local's default request timeout
SpeculativeKind = Literal["none", "draft", "ngram-simple", "ngram-mod", "ngram-map-k"]
M = TypeVar("M", bound=BaseModel)


class ModelSpec(BaseModel):
    """One system under test. `kind` decides how `model` is read:

    openai: an endpoint's model id (base_url + api_key_env name the endpoint);
    local: a catalog key or a path to a .gguf that audioprobe serves with llama-server;
    replay: a JSONL file of recorded answers; baseline: a neural generator's name.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: str = Field("openai", description="a registered model kind (audioprobe.model_kinds)")
    model: str = Field(min_length=1)
    base_url: str | None = None
    api_key_env: str | None = Field(None, description="name of the env var holding the API key")
    temperature: float = Field(0.7, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    max_tokens: int = Field(1024, gt=0)
    seed: int | None = Field(None, description="per-request seed; defaults to the run seed")
    extra: dict[str, Any] = Field(default_factory=dict, description="extra request parameters")
    concurrency: int | None = Field(
        None, ge=1, le=64, description="requests in flight; local: its slots, else 2"
    )
    timeout_s: float = Field(
        180.0, gt=0, description="seconds an answer may take; kind=local default: 900"
    )
    max_retries: int = Field(4, ge=0, le=20)
    retry_budget_s: float = Field(
        300.0, gt=0, description="the most seconds one answer may spend waiting on retries"
    )
    ctx_size: int = Field(4096, ge=512, description="context of each slot, for kind=local")
    slots: int | None = Field(
        None, ge=1, le=64, description="kind=local: sequences decoded together; from the machine"
    )
    threads: int | None = Field(
        None, ge=1, le=256, description="kind=local: decoding threads; default: usable CPUs"
    )
    speculative: SpeculativeKind = Field(
        "none",
        description="kind=local: speculative decoding: none, draft (a smaller model of the"
        " same family proposes tokens) or a draftless n-gram lookup (ngram-simple, ngram-mod,"
        " ngram-map-k); the target model verifies every token, so answers keep its distribution",
    )
    draft_model: str | None = Field(
        None,
        description="kind=local, speculative = draft: a catalog key or .gguf; default: the"
        " draft the catalog declares for the model",
    )
    draft_max: int = Field(8, ge=1, le=64, description="kind=local: most tokens drafted a step")
    ngram_size: int | None = Field(
        None,
        ge=1,
        le=64,
        description="kind=local, n-gram speculation: tokens that must repeat before a draft is"
        " proposed (llama.cpp's default: 12)",
    )
    cache_reuse: int = Field(
        0,
        ge=0,
        description="kind=local: reuse cached prompt chunks of at least this many tokens by"
        " shifting them (llama.cpp --cache-reuse); 0: only an identical prefix is reused",
    )
    language: str | None = Field(
        None, description="the language this model answers in; default: the tier's, the spec's"
    )
    price_in: float | None = Field(None, ge=0, description="USD per million prompt tokens")
    price_out: float | None = Field(None, ge=0, description="USD per million completion tokens")

    @field_validator("kind")
    @classmethod
    def _registered_kind(cls, kind: str) -> str:
        from audioprobe.model_kinds import model_kinds

        return model_kinds.check(kind)

    @field_validator("language")
    @classmethod
    def _registered_language(cls, name: str | None) -> str | None:
        return _check_language(name)

    @field_validator("name")
    @classmethod
    def _printable_name(cls, name: str) -> str:
        """Any printable text names a model (an endpoint's `org/model`, a catalog key with dots):
        tables show it as written and only its trial folders encode it (store.path_part)."""
        if not name.isprintable() or name != name.strip():
            raise ValueError("a model name is printable text without leading or trailing spaces")
        return name

    @model_validator(mode="after")
    def _endpoint_known(self) -> ModelSpec:
        if self.kind == "openai" and not self.base_url and not self.api_key_env:
            self.api_key_env = "OPENAI_API_KEY"
        return self

    @model_validator(mode="after")
    def _fill_machine_defaults(self) -> ModelSpec:
        """Resolve unset slots/concurrency from this machine; run.json records what was used.

        A local server gets as many requests in flight as it has slots: more would only queue,
        fewer would leave slots idle.
        """
        if self.kind == "local" and self.slots is None:
            self.slots = default_local_slots()
        if self.kind == "local" and "timeout_s" not in self.model_fields_set:
            # A local request waits behind the other slots' requests on cores it shares with
            # the sandbox: 180 s expired under load (make demo, load average 11), and a retry
            # only asks the same busy server again.
            self.timeout_s = LOCAL_TIMEOUT_S
        if self.concurrency is None:
            self.concurrency = self.slots if self.kind == "local" else 2
        return self

    @model_validator(mode="after")
    def _resolve_draft(self) -> ModelSpec:
        """speculative = "draft" without a draft_model takes the catalog's pair, recorded here
        so that run.json names the draft that decoded the run."""
        if self.speculative == "draft" and self.draft_model is None and self.kind == "local":
            from audioprobe.llm.local.weights import catalog

            entry = catalog().get(self.model)
            if entry is None or entry.draft is None:
                raise ValueError(
                    f"speculative = 'draft': the catalog declares no draft for {self.model!r};"
                    " name one with draft_model (a catalog key or a .gguf)"
                )
            self.draft_model = entry.draft
        return self

    def sampling(self) -> dict[str, Any]:
        """The parameters that change an answer, for the request and for its cache key."""
        params: dict[str, Any] = {"temperature": self.temperature, "max_tokens": self.max_tokens}
        if self.top_p is not None:
            params["top_p"] = self.top_p
        params.update(self.extra)
        return params

    def local_server_options(self) -> dict[str, Any]:
        """kind=local: the decoding settings of the llama-server that serves this model, named
        as LocalServer takes them. The one place they are spelled, for the run and the benchmark."""
        return {
            "threads": self.threads,
            "speculative": self.speculative,
            "draft": self.draft_model,
            "draft_max": self.draft_max,
            "ngram_size": self.ngram_size,
            "cache_reuse": self.cache_reuse,
        }


class TierSelection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="a tier file: tiers/<name>.toml or one in a plugin folder")
    items: list[str] | None = Field(None, description="item ids; all items when absent")
    limit: int | None = Field(None, gt=0, description="first N of the selected items")
    references: str = Field("builtin", description="reference set; builtin = built-in for the tier")
    language: str | None = Field(None, description="the language asked for; default: the spec's")

    @field_validator("language")
    @classmethod
    def _registered_language(cls, name: str | None) -> str | None:
        return _check_language(name)

    @field_validator("name")
    @classmethod
    def _known_tier(cls, name: str) -> str:
        known = tier_files()
        if name not in known:
            raise ValueError(
                f"unknown tier {name!r}; known: {', '.join(sorted(known))} (a tier of your own:"
                " <name>.toml and its kind module in a folder of $AUDIOPROBE_PLUGINS)"
            )
        return name


class SandboxSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: str = Field("auto", description="auto or a registered sandbox backend")
    parallel: int | None = Field(
        None, ge=1, le=32, description="scripts run at once; default: cores and memory allow"
    )
    limits: Limits = Field(default_factory=Limits)

    @field_validator("backend")
    @classmethod
    def _registered_backend(cls, name: str) -> str:
        from audioprobe.sandbox import backend_names

        known = backend_names()
        if name not in known:
            raise ValueError(f"unknown sandbox backend {name!r}; expected {', '.join(known)}")
        return name

    @model_validator(mode="after")
    def _fill_parallel(self) -> SandboxSpec:
        if self.parallel is None:
            self.parallel = default_sandbox_parallel(self.limits.memory_mb)
        return self


class ScoringSpec(BaseModel):
    model_config = ConfigDict(extra="allow")

    failed_renders: Literal["exclude", "silence"] = "exclude"
    metrics: list[str] | None = Field(None, description="metric names; defaults from scoring/")


class FeedbackSpec(BaseModel):
    """Rounds of repair: after each round the model is shown what its code produced and asked
    again, until the task succeeds (feedback.success) or `rounds` answers have been given.

    `rounds = 1` asks once, as without the table, but still analyses each clip, so task success
    is known. Baselines write no code and always take one round.
    """

    model_config = ConfigDict(extra="forbid")

    rounds: int = Field(1, ge=1, le=10, description="answers per trial, the first included")
    template: str = Field("feedback.txt", description="feedback prompt, a file under prompts/")
    stderr_lines: int = Field(20, ge=0, le=200, description="last lines of stderr fed back")
    stop_on_success: bool = Field(True, description="end a trial at its first task success")


class ExperimentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    description: str = ""
    seed: int = 0
    samples: int = Field(1, ge=1, le=1000, description="samples per item and model")
    output_dir: str = "runs"
    system_prompt: str = Field("system.txt", description="file under prompts/")
    language: str = Field(
        "python", description="the language answers are asked in (audioprobe.languages)"
    )
    tiers: list[TierSelection] = Field(min_length=1)
    models: list[ModelSpec] = Field(default_factory=list)
    sandbox: SandboxSpec = Field(default_factory=SandboxSpec)
    scoring: ScoringSpec = Field(default_factory=ScoringSpec)
    feedback: FeedbackSpec | None = Field(None, description="rounds of repair; absent: one round")

    @field_validator("models")
    @classmethod
    def _unique_model_names(cls, models: list[ModelSpec]) -> list[ModelSpec]:
        names = [m.name for m in models]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"model names must be unique; repeated: {', '.join(dupes)}")
        return models

    @field_validator("tiers")
    @classmethod
    def _tier_order(cls, tiers: list[TierSelection]) -> list[TierSelection]:
        return sorted(tiers, key=lambda t: tier_rank(t.name))

    @field_validator("language")
    @classmethod
    def _registered_language(cls, name: str) -> str:
        return _check_language(name) or name

    @model_validator(mode="after")
    def _languages_fit_tiers(self) -> ExperimentSpec:
        """A language that cannot answer a tier (ABC has no speech) fails here, not per trial."""
        for model in self.models:
            for tier in self.tiers:
                _check_language(self.language_for(model, tier.name), tier.name)
        return self

    def language_for(self, model: ModelSpec, tier: str) -> str:
        """The language `model` answers `tier` in: the model's, else the tier's, else the spec's."""
        chosen = next((t.language for t in self.tiers if t.name == tier), None)
        return model.language or chosen or self.language

    def model(self, name: str) -> ModelSpec:
        for m in self.models:
            if m.name == name:
                return m
        known = ", ".join(m.name for m in self.models) or "(none)"
        raise ConfigError(f"spec {self.name!r} has no model {name!r}; its models: {known}")


@dataclass(frozen=True)
class Overrides:
    """Values given for one run (command line or API) in place of the spec's; run.json records
    them under "overrides", and the spec and models it records are the ones that ran."""

    samples: int | None = None
    seed: int | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    language: str | None = None

    def given(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def apply(
        self, spec: ExperimentSpec, models: list[ModelSpec]
    ) -> tuple[ExperimentSpec, list[ModelSpec]]:
        """The spec and models with the overrides in, each checked as the spec's own value is;
        temperature, max_tokens and language go to the language models (baselines write no
        text), so `--language` beats a language a model entry or a tier names."""
        run_level = {k: v for k, v in self.given().items() if k in ("samples", "seed")}
        per_model = {
            k: v for k, v in self.given().items() if k in ("temperature", "max_tokens", "language")
        }
        spec = _revalidated(spec, run_level)
        models = [_revalidated(m, per_model) if _writes_code(m) else m for m in models]
        return spec, models


def _check_language(name: str | None, tier: str | None = None) -> str | None:
    from audioprobe.languages import check_language

    return None if name is None else check_language(name, tier)


def _writes_code(model: ModelSpec) -> bool:
    from audioprobe.model_kinds import model_kind

    return model_kind(model.kind).writes_code


def _revalidated(model: M, update: dict[str, Any]) -> M:
    if not update:
        return model
    try:
        return type(model).model_validate({**model.model_dump(), **update})
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "?"
        flag = "--" + field.replace("_", "-")
        raise ConfigError(f"{flag} {update.get(field)!r}: {err['msg']}") from None


def resolve_spec_path(path_or_name: str | Path) -> Path:
    """A path as given, else a spec of that name among the shipped experiments."""
    path = Path(path_or_name)
    if path.is_file():
        return path
    shipped = data_dir("experiments") / (path.name if path.suffix else f"{path.name}.toml")
    if shipped.is_file():
        return shipped
    raise ConfigError(f"no experiment spec at {path} (nor {shipped})")


def load_spec(path_or_name: str | Path) -> tuple[ExperimentSpec, Path]:
    path = resolve_spec_path(path_or_name)
    return load_toml_model(path, ExperimentSpec), path


def _same_model(spec: ModelSpec, kind: str, value: str) -> bool:
    from audioprobe.model_kinds import model_kind

    if spec.kind != kind:
        return False
    if spec.model == value:
        return True
    return model_kind(kind).is_file(value) and Path(spec.model).resolve() == Path(value).resolve()


def parse_model_arg(arg: str, spec: ExperimentSpec) -> ModelSpec:
    """`--model` accepts a spec model's name or an ad-hoc KIND:VALUE.

    replay:FILE.jsonl, local:KEY_OR_PATH.gguf, baseline:NAME, openai:MODEL_ID (OPENAI_BASE_URL and
    OPENAI_API_KEY from the environment, as the openai client reads them). A KIND:VALUE that the
    spec already declares is the spec's entry (its name, temperature, max_tokens, concurrency), so
    two runs of one model compare row for row however it was named on the command line.
    """
    from audioprobe.model_kinds import model_kind, model_kinds

    if any(m.name == arg for m in spec.models):
        return spec.model(arg)
    kind, sep, value = arg.partition(":")
    kinds = model_kinds.names()
    if not sep or kind not in kinds or not value:
        known = ", ".join(m.name for m in spec.models) or "(none)"
        raise ConfigError(
            f"--model {arg!r}: expected a model of the spec ({known}) or KIND:VALUE with KIND one"
            f" of {', '.join(kinds)} (e.g. replay:answers.jsonl, local:qwen2.5-coder-1.5b)"
        )
    for declared in spec.models:
        if _same_model(declared, kind, value):
            return declared
    return ModelSpec(name=model_kind(kind).adhoc_name(value), kind=kind, model=value)
