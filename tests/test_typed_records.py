"""No module outside the store reads a trial record or run.json as a dict.

The store (store.py, trial_record.py, manifest.py) turns trial.json, round.json and run.json into
typed models; every other module reads their fields. This test walks the syntax tree of every
module of src/audioprobe and fails on a dict-style read outside the store: a subscript, `.get`,
`.items()`/`.keys()`/`.values()` or an `in` test on something named `record`, `rec` or
`manifest` (a trial's `.record`, a store's `.manifest`, a local holding either), and a
`json.load(s)` of a record file by its name (opening one by hand).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "audioprobe"
STORE_MODULES = {"store.py", "trial_record.py", "manifest.py"}
RECORD_NAMES = {"record", "rec", "manifest"}
RECORD_FILES = {"trial.json", "round.json", "run.json"}
DICT_METHODS = {"get", "items", "keys", "values", "setdefault", "pop", "update"}
#: Folders whose `manifest` is another file than run.json, and which it is.
OTHER_MANIFESTS = {
    "references/": "a reference set's manifest.json (references/store.py writes it)",
}


def _holder(node: ast.expr) -> str | None:
    """The record-like name `node` is (`trial.record`, `store.manifest`, `record`), or None."""
    if isinstance(node, ast.Attribute) and node.attr in RECORD_NAMES:
        return ast.unparse(node)
    if isinstance(node, ast.Name) and node.id in RECORD_NAMES:
        return node.id
    return None


def _is_json_load(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("load", "loads")
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "json"
    )


def dict_reads(source: str) -> list[str]:
    """Each dict-style read of a trial record or run.json in `source`, as `line: code`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        target = None
        if isinstance(node, ast.Subscript):
            target = _holder(node.value)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in DICT_METHODS
        ):
            target = _holder(node.func.value)
        elif isinstance(node, ast.Compare) and any(
            isinstance(op, ast.In | ast.NotIn) for op in node.ops
        ):
            target = next(filter(None, map(_holder, node.comparators)), None)
        elif _is_json_load(node):
            target = next(
                (
                    c.value
                    for c in ast.walk(node)
                    if isinstance(c, ast.Constant) and c.value in RECORD_FILES
                ),
                None,
            )
        if target is not None:
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return sorted(found, key=lambda r: int(r.split(":")[0]))


def test_the_check_finds_each_kind_of_dict_read() -> None:
    """The check is not blind: each way of reading a record as a dict is reported."""
    source = "\n".join(
        [
            "a = trial.record['status']",
            "b = trial.record.get('audio')",
            "c = 'rounds' in t.record",
            "d = store.manifest['spec']",
            "e = manifest.get('run_id')",
            "f = json.loads((root / 'run.json').read_text())",
            "exists = (root / 'run.json').is_file()",  # naming the file is no read
            "g = [k for k in record.items()]",
            "h = trial.record.status",  # a typed read: not reported
        ]
    )
    assert [line.split(":")[0] for line in dict_reads(source)] == [
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "8",
    ]


def test_no_module_outside_the_store_reads_a_record_as_a_dict() -> None:
    offences = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel in STORE_MODULES or any(rel.startswith(f) for f in OTHER_MANIFESTS):
            continue
        offences += [f"{rel}:{read}" for read in dict_reads(path.read_text())]
    assert not offences, "dict-style reads of a trial record or run.json:\n" + "\n".join(offences)
