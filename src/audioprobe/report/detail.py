"""The long texts of each trial (prompt, answer, script, output), loaded by the page on demand.

They are written as small JS files of `SHARD` trials each, which the page adds as <script> tags
when a trial is opened: fetch() of file:// URLs is blocked in browsers, a script tag is not, so
the same folder works from disk and from a web server without loading 5,000 answers up front.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import pygments
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_for_filename
from pygments.util import ClassNotFound

from audioprobe.store import TrialRecord

SHARD = 50
# Changes whenever a shard's content would: its layout here, or pygments' highlighting.
FORMAT = f"detail-v2 pygments-{pygments.__version__} shard-{SHARD}"
TEXT_CAP = 64 * 1024
CSS_CLASS = "hl"
_FILES = {
    "prompt": "prompt.txt",
    "response": "response.txt",
    "stdout": "stdout.txt",
    "stderr": "stderr.txt",
}


def pygments_css() -> str:
    return HtmlFormatter(style="default").get_style_defs(f".{CSS_CLASS}")


_FORMATTER = HtmlFormatter(cssclass=CSS_CLASS, linenos="inline", style="default")


@lru_cache(maxsize=4096)
def highlighted(code: str, filename: str = "script.py") -> str:
    """The code as highlighted HTML with line numbers, by the lexer of its file's name (a
    `.csd` as Csound, a `.scd` as SuperCollider; plain text where pygments has none, as for
    ChucK and ABC); identical scripts are done once."""
    try:
        lexer = get_lexer_for_filename(filename)
    except ClassNotFound:
        lexer = TextLexer()
    return highlight(code, lexer, _FORMATTER)


def _read(trial: TrialRecord, name: str) -> tuple[str | None, bool]:
    """The final round's file's text (None if absent or a link) and whether it was cut to
    TEXT_CAP for the page."""
    data = trial.read(name, TEXT_CAP + 1, final=True)
    if data is None:
        return None, False
    cut = len(data) > TEXT_CAP
    return data[:TEXT_CAP].decode("utf-8", errors="replace"), cut


def trial_detail(trial: TrialRecord) -> dict[str, Any]:
    out: dict[str, Any] = {"dir": str(trial.dir.relative_to(trial.run_root))}
    cut = []
    for key, name in _FILES.items():
        text, was_cut = _read(trial, name)
        out[key] = text
        if was_cut:
            cut.append(name)
    code_file = trial.code_file
    if code_file:  # the answer's code, in the file its language wrote
        code, was_cut = _read(trial, code_file)
        if was_cut:
            cut.append(code_file)
        if code is not None:
            out["script_name"] = code_file
            out["script_html"] = highlighted(code, code_file)
    out["cut"] = cut
    out["record"] = trial.record.stored()
    return out


def shard_js(shard: int, details: list[dict[str, Any]]) -> str:
    # ensure_ascii: the file is read with whatever charset the server (or file://) implies
    payload = json.dumps(details, ensure_ascii=True, default=str, separators=(",", ":"))
    return f"AP.detailLoaded({shard},{payload});\n"


def shard_path(shard: int) -> str:
    return f"data/detail/{shard:05d}.js"
