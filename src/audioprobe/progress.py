"""Telling a researcher how a run goes: counts, ETA and tokens while it runs, a summary after.

On a terminal (or in Jupyter) rich draws one bar per model with its counts and ETA. Anywhere
else (nohup, Slurm, a CI log) a plain line is printed every AUDIOPROBE_PROGRESS_EVERY seconds
(default 30) whether or not a trial finished, so a log never goes quiet for long: a resume whose
trials each take minutes still says it is alive and when it should end.
"""

from __future__ import annotations

import math
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from audioprobe.errors import ConfigError
from audioprobe.outcomes import Outcome, is_infrastructure, is_model_outcome
from audioprobe.safetext import printable
from audioprobe.store import RunStore, TrialKey
from audioprobe.summary import model_usage, tokens
from audioprobe.trial_record import TrialResult

EVERY_ENV = "AUDIOPROBE_PROGRESS_EVERY"
DEFAULT_EVERY_S = 30.0
#: In a notebook someone watches the cell: a line every few seconds, not every half minute.
NOTEBOOK_EVERY_S = 5.0


def progress_every(default: float = DEFAULT_EVERY_S) -> float:
    """Seconds between plain progress lines: $AUDIOPROBE_PROGRESS_EVERY, else `default`."""
    raw = os.environ.get(EVERY_ENV, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(f"{EVERY_ENV}={raw!r}: expected a number of seconds above 0")
    return value


def duration(seconds: float) -> str:
    """'2h05m', '4m10s', '12s': short enough for a log line."""
    s = round(seconds)
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s}s"


@dataclass
class Tally:
    """One model's trials in this session."""

    planned: int = 0
    done: int = 0
    ok: int = 0
    failed: int = 0  # the model's own failures (no_code, runtime_error, ...)
    infra: int = 0  # the infrastructure's (llm_error, sandbox_error): resume retries them
    tokens_in: int = 0
    tokens_out: int = 0

    @property
    def not_run(self) -> int:
        """Trials with nothing to measure (a baseline's missing weights, a tier it lacks)."""
        return self.done - self.ok - self.failed - self.infra

    def counts(self) -> str:
        text = f"{self.ok} ok, {self.failed} failed"
        text += f", {self.infra} infrastructure" if self.infra else ""
        return text + (f", {self.not_run} not run" if self.not_run else "")


class RunProgress:
    """Counts of the trials finished since the run (or resume) started, and the ETA they give.

    Updated from the event loop's thread and read from the ticker's, hence the lock.
    """

    def __init__(
        self, store: RunStore, todo: list[TrialKey], clock: Callable[[], float] = time.monotonic
    ):
        self.run_id = store.manifest.run_id or store.root.name
        self.total = store.count()
        self.before = self.total - len(todo)
        # the trials a resume keeps: counted in, so "5/12 trials, 5 ok" agrees with the total
        # and the final "12 trials: 12 ok" agrees with the last progress line
        self.earlier = Tally()
        pending = {k.trial_id for k in todo}
        for trial in store.trials():
            if trial.trial_id not in pending:
                self.earlier.done += 1
                self.earlier.ok += trial.status == Outcome.OK
                self.earlier.failed += trial.status != Outcome.OK and is_model_outcome(trial.status)
                self.earlier.infra += is_infrastructure(trial.status)
        self.models: dict[str, Tally] = {}
        for key in todo:
            self.models.setdefault(key.model, Tally()).planned += 1
        self._clock = clock
        self.started = clock()
        self._lock = threading.Lock()

    def record(self, key: TrialKey, record: TrialResult) -> Tally:
        status = record.status
        tokens_in, tokens_out = tokens(record)
        with self._lock:
            tally = self.models.setdefault(key.model, Tally())
            tally.done += 1
            tally.ok += status == Outcome.OK
            tally.failed += status != Outcome.OK and is_model_outcome(status)
            tally.infra += is_infrastructure(status)
            tally.tokens_in += tokens_in
            tally.tokens_out += tokens_out
        return tally

    def totals(self) -> Tally:
        with self._lock:
            out = Tally()
            for t in self.models.values():
                out.planned += t.planned
                out.done += t.done
                out.ok += t.ok
                out.failed += t.failed
                out.infra += t.infra
                out.tokens_in += t.tokens_in
                out.tokens_out += t.tokens_out
            return out

    def run_counts(self) -> str:
        """ok / failed / infrastructure / not run over the whole run: kept trials and new ones."""
        now = self.totals()
        earlier = self.earlier
        return Tally(
            done=now.done + earlier.done,
            ok=now.ok + earlier.ok,
            failed=now.failed + earlier.failed,
            infra=now.infra + earlier.infra,
        ).counts()

    def elapsed_s(self) -> float:
        return self._clock() - self.started

    def eta_s(self) -> float | None:
        """Seconds left at this session's pace; None until a trial has finished."""
        all_ = self.totals()
        if not all_.done:
            return None
        return self.elapsed_s() / all_.done * (all_.planned - all_.done)

    def line(self) -> str:
        """One log line: done/total, ok, failures, ETA, tokens, elapsed."""
        all_ = self.totals()
        eta = self.eta_s()
        if all_.done == all_.planned:
            eta_text = "finished"
        else:
            eta_text = "ETA " + (duration(eta) if eta is not None else "unknown (none done yet)")
        return (
            f"{self.run_id}: {self.before + all_.done}/{self.total} trials, {self.run_counts()};"
            f" {eta_text}; tokens {all_.tokens_in:,} in / {all_.tokens_out:,} out;"
            f" elapsed {duration(self.elapsed_s())}"
        )


class PlainDisplay:
    """A line every `every_s` seconds from a ticker thread, and one when the run ends."""

    def __init__(self, console: Console, every_s: float):
        self.console = console
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.progress: RunProgress | None = None

    def start(self, progress: RunProgress) -> None:
        if not progress.models:
            self._say(f"{progress.run_id}: nothing to run; all {progress.total} trials finished")
            return
        self.progress = progress
        self._say(
            f"{progress.run_id}: {progress.totals().planned} of {progress.total} trials to run"
            f" ({len(progress.models)} model(s)); a progress line every {duration(self.every_s)}"
        )
        self._thread = threading.Thread(target=self._tick, name="audioprobe-progress", daemon=True)
        self._thread.start()

    def _say(self, text: str) -> None:
        self.console.print(printable(text), markup=False, highlight=False, soft_wrap=True)

    def _tick(self) -> None:
        assert self.progress is not None
        while not self._stop.wait(self.every_s):
            self._say(self.progress.line())

    def done(self, key: TrialKey, record: TrialResult) -> None:
        if self.progress:
            self.progress.record(key, record)

    def close(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        if self.progress:
            self._say(self.progress.line())


class RichDisplay:
    """A bar for the run and one per model, each with its ok/failed counts and ETA."""

    def __init__(self, console: Console):
        self.bars = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.progress: RunProgress | None = None
        self._tasks: dict[str, TaskID] = {}

    def start(self, progress: RunProgress) -> None:
        self.progress = progress
        if not progress.models:
            self.bars.console.print(
                f"{escape(printable(progress.run_id))}: nothing to run; all {progress.total}"
                " trials finished"
            )
            return
        self.bars.start()
        self._all = self.bars.add_task(
            escape(printable(progress.run_id)),
            total=progress.total,
            completed=progress.before,
            counts="",
        )
        if len(progress.models) > 1:
            for name, tally in progress.models.items():
                self._tasks[name] = self.bars.add_task(
                    escape(printable(name)), total=tally.planned, counts=""
                )

    def done(self, key: TrialKey, record: TrialResult) -> None:
        assert self.progress is not None
        tally = self.progress.record(key, record)
        if key.model in self._tasks:
            self.bars.update(self._tasks[key.model], advance=1, counts=tally.counts())
        all_ = self.progress.totals()
        tokens = f"; tokens {all_.tokens_in:,} in / {all_.tokens_out:,} out"
        counts = self.progress.run_counts() + tokens
        self.bars.update(self._all, advance=1, counts=escape(counts))

    def close(self) -> None:
        self.bars.stop()


Display = PlainDisplay | RichDisplay


def in_notebook() -> bool:
    """Whether this process is a Jupyter kernel (rich's own test: an IPython kernel shell)."""
    return Console().is_jupyter


#: What libraries warn in a kernel without ipywidgets (tqdm.autonotebook, rich.live): their bars
#: fall back to text, and audioprobe prints its own progress lines there.
WIDGET_WARNINGS = (r"IProgress not found", r"install \"ipywidgets\" for Jupyter support")


@contextmanager
def without_widget_warnings() -> Iterator[None]:
    """Silence the missing-ipywidgets warnings of libraries used inside the block."""
    with warnings.catch_warnings():
        for message in WIDGET_WARNINGS:
            warnings.filterwarnings("ignore", message=message)
        yield


def default_console(*, stderr: bool = False) -> Console:
    """The console the Python API prints to when given none.

    In Jupyter it is plain text on the cell's stdout: rich's Jupyter output repeats itself with
    escape codes in its text/plain part, and its live bars need ipywidgets (without them, a
    warning per update). Elsewhere it is rich's usual console.
    """
    if in_notebook():
        return Console(
            stderr=stderr, force_jupyter=False, force_terminal=False, no_color=True, highlight=False
        )
    return Console(stderr=stderr)


def display_for(console: Console) -> Display:
    """Bars on a terminal; elsewhere periodic lines: every few seconds in a notebook, where
    someone watches the cell, and every half minute in a log (nohup, Slurm, CI)."""
    if console.is_terminal:
        return RichDisplay(console)
    if console.is_jupyter:  # a rich Jupyter console given by the caller: lines, not widgets
        return PlainDisplay(console, progress_every(NOTEBOOK_EVERY_S))
    return PlainDisplay(
        console, progress_every(NOTEBOOK_EVERY_S if in_notebook() else DEFAULT_EVERY_S)
    )


def usage_table(store: RunStore) -> Table | None:
    """Tokens in/out per model over the whole run, and the cost where the spec gives prices;
    None when no model reported tokens (baselines, replays without usage)."""
    rows = model_usage(store)
    if not any(u.tokens_in or u.tokens_out for u in rows):
        return None
    priced = any(u.cost_usd is not None for u in rows)
    table = Table(title="tokens per model", title_justify="left")
    for col in ("model", "trials", "tokens in", "tokens out", *(["cost (USD)"] if priced else [])):
        table.add_column(col, justify="left" if col == "model" else "right", no_wrap=True)
    for u in rows:
        cells = [escape(printable(u.model)), str(u.trials), f"{u.tokens_in:,}", f"{u.tokens_out:,}"]
        if priced:
            cells.append("-" if u.cost_usd is None else _usd(u.cost_usd))
        table.add_row(*cells)
    return table


def _usd(cost: float) -> str:
    """Cents where they matter, and a small cost still shown as more than zero."""
    return f"{cost:,.2f}" if cost >= 1 else f"{cost:.2g}"
