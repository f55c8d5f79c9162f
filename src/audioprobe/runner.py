"""Running and resuming an experiment: plan the trials, open the models, run what is unfinished.

`run` and `resume` share one path: a resume is a run whose plan comes from run.json and whose
finished trials are read back instead of redone.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from audioprobe import __version__
from audioprobe.errors import AudioprobeError, ConfigError
from audioprobe.executors import ExecutorChoice, ScriptRunner, open_runner
from audioprobe.feedback.rounds import run_feedback_trial
from audioprobe.feedback.success import success_settings
from audioprobe.languages import get_language
from audioprobe.manifest import Manifest
from audioprobe.model_kinds import model_kind
from audioprobe.models import open_models
from audioprobe.plan import plan_trials, select_items
from audioprobe.prompts import RenderedPrompt, read_template, render_prompt
from audioprobe.sandbox import SandboxBackend, SandboxUnavailable, get_backend, runtime_hash
from audioprobe.sandbox.rootfs import debian_problem
from audioprobe.shard import Shard
from audioprobe.spec import ExperimentSpec, ModelSpec, Overrides
from audioprobe.store import RunStore, TrialKey
from audioprobe.tiers import Item, Tier, load_tier
from audioprobe.trial import TrialContext, isolated, run_audio_trial, run_code_trial
from audioprobe.trial_record import TrialResult

ProgressHook = Callable[[TrialKey, TrialResult], None]
_VERSIONED = ("numpy", "scipy", "soundfile", "openai", "pydantic", "pyo", "pydub")


def package_versions() -> dict[str, str]:
    versions = {"audioprobe": __version__}
    for name in _VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def git_commit(here: Path | None = None) -> str | None:
    """The checkout's commit (of audioprobe's own source unless `here` is given), with `+dirty`
    when tracked files differ from it.

    A run started with uncommitted changes is not the code at that commit: a reader of run.json
    or a publication must be told, since the commit alone would claim otherwise.
    """
    here = here or Path(__file__).resolve().parent
    head = _git(here, "rev-parse", "HEAD")
    if not head:
        return None
    changed = _git(here, "status", "--porcelain", "--untracked-files=no")
    return f"{head}+dirty" if changed else head


def _git(cwd: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def new_run_id(spec: ExperimentSpec) -> str:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return f"{spec.name}-{stamp}"


@dataclass(frozen=True)
class RunPlan:
    """A checked run, not yet on disk: nothing is written until every model can be asked."""

    root: Path
    manifest: Manifest
    keys: list[TrialKey]
    #: What the user should know before the run (a replay file without some items' answers).
    notes: tuple[str, ...] = ()
    # for a dry run only: what a real run would still need (a model's weights, a sandbox), by
    # the model's name or "sandbox"; a real run is planned only when nothing is missing
    needs: dict[str, str] = field(default_factory=dict)

    @property
    def models(self) -> list[ModelSpec]:
        return [ModelSpec.model_validate(m.stored()) for m in self.manifest.models]

    @property
    def spec(self) -> ExperimentSpec:
        """The experiment spec as planned (overrides in)."""
        return ExperimentSpec.model_validate(self.manifest.spec.stored())

    def prompts(self) -> list[tuple[str, Item, RenderedPrompt]]:
        """(tier, item, prompt) of each planned item, as the language models will be asked:
        one prompt per language the models answer that tier in."""
        spec = self.spec
        coders = [m for m in self.models if model_kind(m.kind).writes_code]
        out = []
        for tier_name, ids in self.manifest.item_ids().items():
            tier = load_tier(tier_name)
            languages = dict.fromkeys(spec.language_for(m, tier_name) for m in coders)
            for item_id in ids:
                item = tier.item(item_id)
                for language in languages or [spec.language]:
                    prompt = render_prompt(tier, item, spec.system_prompt, language)
                    out.append((tier_name, item, prompt))
        return out


def check_models(models: list[ModelSpec]) -> None:
    """Fail now, with the fix, on what would otherwise fail every trial: a missing API key, an
    unknown local model or baseline, a replay file that is absent or malformed. (A baseline's
    missing weights are not checked: they are its trials' `unavailable` outcome.)"""
    for spec in models:
        model_kind(spec.kind).check(spec)


def coverage_notes(models: list[ModelSpec], keys: list[TrialKey]) -> tuple[str, ...]:
    """What each model's kind can tell, offline, about the trials it cannot answer (a replay
    file lacking items); raises when it can answer none of them."""
    notes = []
    for spec in models:
        items = sorted({k.item for k in keys if k.model == spec.name})
        note = model_kind(spec.kind).coverage(spec, items)
        if note:
            notes.append(note)
    return tuple(notes)


def preflight(models: list[ModelSpec]) -> None:
    """Ask each model once, the way its kind allows, whether it can answer at all (an endpoint
    is reached): a model that cannot stops the run before its first trial, with the URL and the
    cause, instead of failing every trial after its retries."""
    for spec in models:
        model_kind(spec.kind).preflight(spec)


def missing_for_run(spec: ExperimentSpec, models: list[ModelSpec]) -> dict[str, str]:
    """What a real run would still need, by model name (and "sandbox"), found without side
    effects: a dry run reports it instead of failing. Input errors still raise."""
    needs = {m.name: why for m in models if (why := model_kind(m.kind).needs(m))}
    try:
        sandbox_for(spec, models)
    except SandboxUnavailable as exc:
        needs["sandbox"] = str(exc)
    return needs


def plan_run(
    spec: ExperimentSpec,
    spec_path: Path,
    models: list[ModelSpec],
    *,
    tier_filter: list[str] | None = None,
    limit: int | None = None,
    out: Path | None = None,
    overrides: Overrides | None = None,
    shard: Shard | None = None,
    dry_run: bool = False,
) -> RunPlan:
    """Everything `run` needs, checked before the run folder exists (so an error leaves none).

    With `dry_run`, what is missing for a real run (weights, a sandbox) is listed in the plan's
    `needs` instead of stopping it, and nothing is joined or built.

    With `shard`, the run holds only that shard's part of the plan (see shard.py); run.json still
    records the whole plan, so `audioprobe merge` can check that the shards join into it.
    """
    overrides = overrides or Overrides()
    spec, models = overrides.apply(spec, models)
    if not models:
        raise AudioprobeError(
            f"spec {spec.name!r} names no models; add [[models]] or name one to run"
        )
    if limit is not None and limit < 1:
        raise ConfigError(f"limit {limit}: give at least 1 item per tier")
    names = [m.name for m in models]
    if len(set(names)) < len(names):
        repeated = sorted({n for n in names if names.count(n) > 1})
        raise ConfigError(
            f"two models would be named {', '.join(map(repr, repeated))}; name them in the spec"
            " ([[models]] name = ...) to tell them apart"
        )
    selected = select_items(spec, tier_filter, limit)
    keys = plan_trials(models, selected, spec.samples)
    if not keys:
        raise ConfigError(f"spec {spec.name!r} selects no trials; check its tiers and items")
    planned = len(keys)
    if shard is not None:
        keys = [k for k in keys if shard.holds(k.trial_id)]
    if dry_run:
        needs = missing_for_run(spec, models)
    else:
        check_models(models)
        needs = {}
    notes = coverage_notes(models, keys)
    if spec.feedback is not None:  # a missing feedback template fails now, not after round 0
        read_template(spec.feedback.template)
    check_languages(spec, models, list(selected))
    if not dry_run:
        sandbox_for(spec, models)
    suffix = f"-shard{shard.index}of{shard.count}" if shard else ""
    root = out or Path(spec.output_dir) / (new_run_id(spec) + suffix)
    raw = {
        "run_id": root.name,
        "created": dt.datetime.now(dt.UTC).isoformat(),
        "spec_path": str(spec_path),
        "spec": spec.model_dump(mode="json"),
        "models": [m.model_dump(mode="json") for m in models],
        "versions": package_versions(),
        "git_commit": git_commit(),
        # the sandbox runtime scripts run in (sandbox/runtime.toml); each trial's exec.runtime
        # says which one actually ran it, should a resume happen under another
        "sandbox_runtime": runtime_hash(),
        "tiers": {
            name: {"title": t.title, "level": t.level, "sample_rate": t.sample_rate}
            for name, (t, _) in selected.items()
        },
        "items": {
            name: [i.model_dump(mode="json", by_alias=True) for i in items]
            for name, (_, items) in selected.items()
        },
        "plan": {"tiers": list(selected), "limit": limit, "trials": planned},
        "overrides": overrides.given(),
    }
    if shard is not None:
        raw["shard"] = shard.to_dict() | {"trials": len(keys)}
    return RunPlan(root, Manifest.model_validate(raw), keys, notes, needs)


def create_run(plan: RunPlan) -> RunStore:
    """Write the planned run's folder (the caller holds its lock: see runlock.hold_run)."""
    store = RunStore.create(plan.root, plan.manifest)
    store.register(plan.keys)
    return store


def run_models(store: RunStore) -> list[ModelSpec]:
    return store.model_specs()


def sandbox_for(spec: ExperimentSpec, models: list[ModelSpec]) -> SandboxBackend | None:
    """The spec's sandbox backend, or None when only baselines (which write no code) take part.

    Called before any work starts so that a missing backend stops the run with its how-to.
    """
    coders = [m for m in models if model_kind(m.kind).writes_code]
    if not coders:
        return None
    backend = get_backend(spec.sandbox.backend)
    chosen = {spec.language_for(m, t.name) for m in coders for t in spec.tiers}
    for name in sorted(chosen):
        problem = debian_problem(get_language(name).debian, f"the {name} language")
        if problem:
            raise SandboxUnavailable(problem)
    return backend


def check_languages(spec: ExperimentSpec, models: list[ModelSpec], tiers: list[str]) -> None:
    """ConfigError now for a language that cannot answer a selected tier (ABC has no speech),
    and for feedback rounds in any language but Python (prompts/feedback.txt speaks Python)."""
    coders = [m for m in models if model_kind(m.kind).writes_code]
    chosen = {(spec.language_for(m, tier), tier) for m in coders for tier in tiers}
    for name, tier in sorted(chosen):
        language = get_language(name)
        if not language.supports(tier):
            raise ConfigError(
                f"language {name!r} cannot answer the {tier} tier (only {language.answers});"
                " choose"
                " tiers with --tier or another language"
            )
    other = sorted({name for name, _ in chosen} - {"python"})
    if spec.feedback is not None and other:
        raise ConfigError(
            f"feedback rounds are written for Python answers only; this run asks for"
            f" {', '.join(other)}: drop [feedback] or ask for python"
        )


def _resolved(count: int | None) -> int:
    """A count the spec left to this machine, filled in when the run started (run.json)."""
    if count is None:
        raise AudioprobeError("run.json holds an unresolved concurrency; resume the run to fill it")
    return count


async def _run_all(
    store: RunStore,
    keys: list[TrialKey],
    handles: dict[str, Any],
    backend: ScriptRunner | None,
    on_done: ProgressHook | None,
) -> None:
    spec = store.spec()
    specs = {m.name: m for m in run_models(store)}
    ctx = TrialContext(
        store=store,
        backend=backend,
        limits=spec.sandbox.limits,
        llm_slots={name: asyncio.Semaphore(_resolved(m.concurrency)) for name, m in specs.items()},
        exec_slots=asyncio.Semaphore(backend.slots if backend else 1),
        base_seed=spec.seed,
    )
    tiers: dict[str, Tier] = {name: load_tier(name) for name in {k.tier for k in keys}}
    rules = success_settings(spec.scoring.model_dump()) if spec.feedback is not None else None

    def item_of(key: TrialKey) -> Item:
        return store.item(key.tier, key.item)

    async def attempt(key: TrialKey, item: Item) -> TrialResult:
        tier = tiers[key.tier]
        handle = handles[key.model]
        if not model_kind(specs[key.model].kind).writes_code:
            return await run_audio_trial(ctx, key, handle, tier, item)
        language = get_language(spec.language_for(specs[key.model], key.tier))
        prompt = render_prompt(tier, item, spec.system_prompt, language.name)
        if spec.feedback is not None and rules is not None:
            return await run_feedback_trial(
                ctx, key, handle, tier, item, prompt, spec.feedback, rules
            )
        return await run_code_trial(ctx, key, handle, tier, item, prompt, language)

    async def one(key: TrialKey) -> None:
        item = item_of(key)
        record = await isolated(ctx, key, item, attempt(key, item))
        if on_done:
            on_done(key, record)

    await asyncio.gather(*(one(k) for k in keys))
    for handle in handles.values():
        close = getattr(handle, "aclose", None)
        if close:
            await close()


async def execute_async(
    store: RunStore,
    todo: list[TrialKey],
    on_done: ProgressHook | None = None,
    executor: ExecutorChoice | None = None,
) -> Counter[str]:
    """Run the trials `todo` (from `store.pending_keys()`) on the running event loop with
    `executor` (default: local); the status counts of the whole run."""
    if todo:
        needed = [m for m in run_models(store) if m.name in {k.model for k in todo}]
        spec = store.spec()
        backend = sandbox_for(spec, needed)
        with ExitStack() as stack:
            runner = None
            if backend is not None:
                runner = open_runner(
                    executor or ExecutorChoice(),
                    backend,
                    _resolved(spec.sandbox.parallel),
                    spec.sandbox.limits,
                )
                stack.callback(runner.close)
            handles = open_models(needed, stack)
            await _run_all(store, todo, handles, runner, on_done)
    return Counter(t.status for t in store.trials())
