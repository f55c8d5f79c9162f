"""Files the harness writes get the user's umask, as `open(path, "w")` would give them: a report
copied to a static server, or a run folder shared with colleagues, is readable there (mkstemp
alone made every file 0600)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from report_helpers import assembled_run
from typer.testing import CliRunner

from audioprobe import atomic
from audioprobe.cli import app


@pytest.fixture
def umask():
    """Set a umask for one test and restore the previous one."""
    saved = os.umask(0o022)
    os.umask(saved)

    def use(mask: int) -> None:
        os.umask(mask)

    yield use
    os.umask(saved)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_atomic_writes_follow_the_umask(tmp_path: Path, umask, mask: int, expected: int) -> None:
    umask(mask)
    assert atomic.umask() == mask
    atomic.write_json(tmp_path / "a.json", {"x": 1})
    atomic.write_text(tmp_path / "b.txt", "x")
    assert _mode(tmp_path / "a.json") == expected
    assert _mode(tmp_path / "b.txt") == expected


def test_an_atomic_write_replaces_a_link_not_its_target(tmp_path: Path) -> None:
    target = tmp_path / "target.txt"
    target.write_text("kept")
    (tmp_path / "link.txt").symlink_to(target)
    atomic.write_text(tmp_path / "link.txt", "new")
    assert target.read_text() == "kept" and not (tmp_path / "link.txt").is_symlink()


def test_a_report_and_its_run_are_readable_by_others_under_umask_022(
    tmp_path: Path, isolated_cache: Path, umask
) -> None:
    umask(0o022)
    store = assembled_run(tmp_path / "run", {("alpha", "notes"): ["ok", "ok", "no_code"]})
    result = CliRunner().invoke(app, ["report", str(store.root), "--refs-per-trial", "0"])
    assert result.exit_code == 0, result.output
    files = [p for p in store.root.rglob("*") if p.is_file()]
    report = [p for p in files if "report" in p.parts]
    assert len(report) > 8 and (store.root / "run.json") in files
    private = [str(p.relative_to(store.root)) for p in files if not _mode(p) & stat.S_IROTH]
    assert private == [], private
