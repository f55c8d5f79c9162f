"""Reading the README's commands and printed tables, for the tests that run them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def section(title: str) -> str:
    """The README's text from the heading `title` to the next heading of its level or above
    (a `#` line inside a code block is no heading)."""
    lines = README.read_text(encoding="utf-8").splitlines()
    assert title in lines, f"README has no section {title!r}"
    level = len(title.split(" ", 1)[0])
    start, fenced = lines.index(title) + 1, False
    for end in range(start, len(lines)):
        fenced ^= lines[end].startswith("```")
        heading = re.match(r"(#+) ", lines[end])
        if not fenced and heading and len(heading.group(1)) <= level:
            return "\n".join(lines[start:end]) + "\n"
    return "\n".join(lines[start:]) + "\n"


def blocks(text: str) -> list[tuple[str, list[str]]]:
    """The fenced code blocks of `text`: (language, lines) each."""
    found: list[tuple[str, list[str]]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("```") and current is None:
            current = []
            found.append((line[3:].strip(), current))
        elif line.startswith("```"):
            current = None
        elif current is not None:
            current.append(line)
    return found


def commands(text: str) -> list[str]:
    """The commands of a section, in order: each line of its bash blocks (comments aside) and
    each `$ ` line of its output blocks, each command once (an output block repeats the
    commands whose output it shows)."""
    found = []
    for lang, lines in blocks(text):
        for line in lines:
            if lang == "bash" and line.strip() and not line.lstrip().startswith("#"):
                found.append(line.split(" #", 1)[0].strip())
            elif line.startswith("$ "):
                found.append(line[2:])
    return list(dict.fromkeys(found))


def shown_output(text: str, command: str) -> list[str]:
    """The lines the README shows under `$ command`, up to the next `$ ` line or block end."""
    for _, lines in blocks(text):
        if f"$ {command}" in lines:
            rest = lines[lines.index(f"$ {command}") + 1 :]
            end = next((i for i, line in enumerate(rest) if line.startswith("$ ")), len(rest))
            return rest[:end]
    raise AssertionError(f"README shows no output of {command!r}")


def table_rows(lines: list[str]) -> list[str]:
    """The rows of every box-drawn table in `lines` (borders and titles aside)."""
    return [line.strip() for line in lines if line.strip().startswith(("│", "┃"))]


def cells(row: str) -> list[str]:
    """A table row's cells, without the padding that depends on the widest cell shown."""
    return [cell.strip() for cell in row.strip().strip("│┃").split("│" if "│" in row else "┃")]


def tier_table(lines: list[str], tier: str) -> list[str]:
    """The rows of the `tier N: <tier>` metrics table in `lines` (header rows included)."""
    start = next(i for i, line in enumerate(lines) if re.match(rf"tier \d+: {tier}$", line.strip()))
    end = next(
        (
            i
            for i in range(start + 1, len(lines))
            if not lines[i].startswith(("┏", "┃", "┡", "│", "└"))
        ),
        len(lines),
    )
    return table_rows(lines[start + 1 : end])


def run_from(folder: Path, command: str) -> str:
    """`command` run by bash in `folder`, with the installed audioprobe first on PATH."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=folder,
        env=dict(os.environ, PATH=path, COLUMNS="150"),
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    assert "error" not in done.stderr.lower(), f"{command}\n{done.stderr}"
    return done.stdout
