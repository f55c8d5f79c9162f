"""`--executor` and `--ray-address`, shared by the commands that can run on a Ray cluster."""

from __future__ import annotations

from typing import Annotated

import typer

ExecutorOption = Annotated[
    str, typer.Option("--executor", help="local (this machine) or ray (a Ray cluster)")
]
RayAddressOption = Annotated[
    str | None,
    typer.Option("--ray-address", help="the Ray cluster's HOST:PORT (default: $RAY_ADDRESS)"),
]
