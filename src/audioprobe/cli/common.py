"""Helpers every command shares: one console, and errors shown as sentences, not tracebacks."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from audioprobe.errors import AudioprobeError, is_disk_full
from audioprobe.runlock import hold_run
from audioprobe.safetext import printable

console = Console()
err_console = Console(stderr=True)
P = ParamSpec("P")
R = TypeVar("R")
EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130  # the shell's code for a command stopped by SIGINT

_interrupt_hint = ["run the same command again to continue"]


def on_interrupt(hint: str) -> None:
    """What the Ctrl-C line should advise, once a command knows (e.g. the run folder)."""
    _interrupt_hint[0] = hint


def safe(text: object) -> str:
    """Text from a model, a script, an endpoint or a file, fit for the terminal and rich markup."""
    return escape(printable(str(text)))


def fail(message: str, code: int = EXIT_USER_ERROR) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {safe(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def holds_run(command: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Hold the lock of the command's `run_dir` argument while it works (see runlock)."""

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            run_dir = Path(str(kwargs["run_dir"]))
            on_interrupt(f"run `audioprobe {command} {run_dir}` to continue")
            with hold_run(run_dir, command):
                return func(*args, **kwargs)

        return wrapper

    return decorate


def user_errors(func: Callable[P, R]) -> Callable[P, R]:
    """AudioprobeError, a full disk and Ctrl-C each end the command with one line, no traceback:
    exit 2 for the errors, 130 for Ctrl-C. Anything else is a real bug and shows its traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except AudioprobeError as exc:
            raise fail(str(exc)) from exc
        except Exception as exc:  # OSError ENOSPC, or SQLite's "database or disk is full"
            if not is_disk_full(exc):
                raise
            name = getattr(exc, "filename", None)
            where = f" writing {name}" if name else ""
            raise fail(f"disk full{where}; free space and run the command again") from exc
        except KeyboardInterrupt:
            err_console.print(
                f"interrupted; {safe(_interrupt_hint[0])}", highlight=False, soft_wrap=True
            )
            raise typer.Exit(EXIT_INTERRUPTED) from None

    return wrapper
