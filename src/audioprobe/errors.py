"""Errors a user can act on: each names the file, the field and what was expected."""

from __future__ import annotations

import difflib
import errno
import sqlite3
import tomllib
from pathlib import Path
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class AudioprobeError(Exception):
    """Base for errors shown to the user without a traceback."""


class ConfigError(AudioprobeError):
    """A spec, tier or prompt file that cannot be used as written."""


def _lookup(raw: Any, loc: tuple) -> Any:
    node = raw
    for key in loc:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _describe_loc(raw: Any, loc: tuple) -> str:
    """'models[0] (name="gpt").temperature' reads better than 'models.0.temperature'."""
    parts: list[str] = []
    for depth, key in enumerate(loc):
        if isinstance(key, int):
            label = f"[{key}]"
            entry = _lookup(raw, loc[: depth + 1])
            for id_field in ("name", "id"):
                if isinstance(entry, dict) and id_field in entry:
                    label += f" ({id_field}={entry[id_field]!r})"
                    break
            parts.append(label)
        else:
            parts.append(("." if parts else "") + str(key))
    return "".join(parts) or "(top level)"


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model an annotation holds (`Spec`, `list[Spec]`, `Spec | None`), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _fields_at(model: type[BaseModel] | None, loc: tuple) -> list[str]:
    """The field names a key at `loc` could have meant: those of the model that holds it."""
    for key in loc[:-1]:
        if model is None:
            return []
        if isinstance(key, int):  # an entry of a list: the list's model is already in hand
            continue
        field = model.model_fields.get(str(key))
        model = _model_in(field.annotation) if field else None
    return list(model.model_fields) if model is not None else []


def _suggestion(model: type[BaseModel] | None, loc: tuple) -> str:
    """'; did you mean temperature?' for a misspelt field, else ''."""
    if not loc or not isinstance(loc[-1], str):
        return ""
    close = difflib.get_close_matches(loc[-1], _fields_at(model, loc), n=1, cutoff=0.7)
    return f"; did you mean {close[0]!r}?" if close else ""


def format_validation_error(
    path: Path | str, exc: ValidationError, raw: Any, model: type[BaseModel] | None = None
) -> str:
    """Every problem with where it is; an unknown field gets the closest known one from `model`
    (the class that was validated)."""
    lines = [f"{path}: {exc.error_count()} problem(s)"]
    for err in exc.errors():
        loc = tuple(err["loc"])
        where = _describe_loc(raw, loc)
        got = err.get("input")
        shown = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
        hint = _suggestion(model, loc) if err["type"] == "extra_forbidden" else ""
        lines.append(f"  {where}: {err['msg']}{shown}{hint}")
    return "\n".join(lines)


def one_line_problem(path: Path | str, exc: ValidationError, raw: Any, prefix: str = "") -> str:
    """The first problem of `exc` as one line naming the file and the field, e.g.
    `run/run.json: spec.sandbox.limits.wall_s: Input should be a valid number (got 'abc')`."""
    err = exc.errors()[0]
    where = _describe_loc(raw, tuple(err["loc"]))
    field = f"{prefix}.{where}" if prefix and where != "(top level)" else (prefix or where)
    got = err.get("input")
    shown = "" if isinstance(got, dict | list) or got is None else f" (got {got!r:.80})"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{path}: {field}: {err['msg']}{shown}{more}"


def stored_record(model: type[M], raw: Any, path: Path | str, prefix: str = "") -> M:
    """`raw`, read from a file the harness wrote (run.json, trial.json), as `model`; a value
    that does not fit (the file was edited or damaged) is an AudioprobeError of one line."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problem = one_line_problem(path, exc, raw, prefix)
        raise AudioprobeError(f"{problem}; correct the value or restore the file") from exc


class DiskFull(AudioprobeError):
    """No space left to write a trial or the index: the run stops, to be resumed after cleanup."""


def is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return isinstance(exc, sqlite3.OperationalError) and "disk is full" in str(exc)


class Unavailable(AudioprobeError):
    """A capability whose weights or tools are absent here; the message says how to get them."""


def load_toml_model(path: Path, model: type[M]) -> M:
    """Parse a TOML file into `model`; any fault becomes a ConfigError naming file and field.

    The file's stem is the default `name`, so a spec or tier need not repeat its file name.
    """
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    raw.setdefault("name", path.stem)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(path, exc, raw, model)) from exc
