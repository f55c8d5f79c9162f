"""Shared by the sandbox tests: which backends this machine has, tight limits, a trial folder."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from audioprobe.sandbox import ExecResult, Limits, SandboxUnavailable, get_backend

# Tight enough that every attack ends in a second or two, loose enough for numpy and pyo.
TIGHT = Limits(
    wall_s=20, cpu_s=3, memory_mb=256, pids=32, file_size_mb=8, disk_mb=24, output_bytes=8192
)


def docker_engine_reason() -> str:
    """Empty when a Docker engine answers (DOCKER_HOST or sandbox/dockerd.sh's socket)."""
    try:
        from audioprobe.sandbox.engine import engine_status
    except ImportError as exc:
        return f"the docker backend cannot be imported: {exc}"
    ok, why = engine_status()
    return "" if ok else why


def required_battery() -> bool:
    """Whether a battery this machine cannot run must fail rather than skip: CI sets
    AUDIOPROBE_REQUIRE_DOCKER=1 (.ci/run), for the docker battery and the languages' alike."""
    return os.environ.get("AUDIOPROBE_REQUIRE_DOCKER") == "1"


def backend_params() -> list:
    """bwrap always (a failure to start it is a test failure); docker when an engine answers.

    Docker is skipped only when no engine can be reached at all, with the reason in the skip
    message; set AUDIOPROBE_REQUIRE_DOCKER=1 (CI does, after sandbox/dockerd.sh) to turn that
    skip into a failure.
    """
    params = [pytest.param("bwrap", id="bwrap")]
    why = docker_engine_reason()
    if why and not required_battery():
        mark = pytest.mark.skip(reason=f"NO DOCKER ENGINE, docker battery NOT run: {why}")
        params.append(pytest.param("docker", id="docker", marks=mark))
    else:
        params.append(pytest.param("docker", id="docker", marks=pytest.mark.docker))
    return params


def language_skip_reason(name: str) -> str:
    """Why `name`'s battery cannot run here (its Debian interpreter is not installed at its pin),
    naming the command that installs it; "" when it can, or when CI requires it (it then runs
    and fails on the run's own refusal, which carries the same apt-get line)."""
    from audioprobe.languages import get_language
    from audioprobe.sandbox.rootfs import debian_problem

    why = debian_problem(get_language(name).debian, f"the {name} language")
    if not why or required_battery():
        return ""
    return (
        f"NO {name.upper()} INTERPRETER, {name} battery NOT run: {why}; or, as root,"
        " scripts/install_language_deps.sh (make install runs it)"
    )


def language_params(names: list[str]) -> list:
    """A parameter per language, skipped loudly where this machine lacks its interpreter."""
    params = []
    for name in names:
        why = language_skip_reason(name)
        marks = [pytest.mark.skip(reason=why)] if why else []
        params.append(pytest.param(name, id=name, marks=marks))
    return params


def require_language(name: str) -> None:
    """Skip the calling test loudly where this machine lacks `name`'s interpreter."""
    why = language_skip_reason(name)
    if why:
        pytest.skip(why)


_BACKENDS: dict[str, object] = {}


def backend(name: str):
    """One backend object per name for the whole session (the docker image is built once)."""
    if name not in _BACKENDS:
        try:
            _BACKENDS[name] = get_backend(name)
        except SandboxUnavailable as exc:
            pytest.fail(f"backend {name} should run on this machine: {exc}")
    return _BACKENDS[name]


def run_script(name: str, workdir: Path, code: str, limits: Limits = TIGHT) -> ExecResult:
    workdir.mkdir(parents=True, exist_ok=True)
    script = workdir / "script.py"
    script.write_text(textwrap.dedent(code))
    return backend(name).run(script, workdir, limits)


def explain(result: ExecResult) -> str:
    return (
        f"status={result.status} exit={result.exit_code} reason={result.reason!r}\n"
        f"stdout={result.stdout[-1500:]!r}\nstderr={result.stderr[-1500:]!r}"
    )
