"""A run folder is data that travels (copied, unpacked, shared): links planted in it, at every
level (report/, its media folders, trials/, a trial folder, a clip, a script, the index), must
not make `report`, `view`, `score`, `export` or `repair` read, write or delete anything outside
it. Each command is run over the same hostile folder and the outside is compared byte for byte,
and no secret from outside may show up in anything a command wrote or served."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from score_helpers import FakeEmbedding, make_refs, make_run, patch_models, tone, write_wav
from starlette.testclient import TestClient
from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.runpath import OutsideRun, inside, read_bytes, real_dir, regular_file
from audioprobe.store import RunStore, TrialKey
from audioprobe.viewer.server import Viewer

SECRET = "SECRET-4f9c-outside-the-run"
ITEMS = ["keyboard-c4", "keyboard-a4", "keyboard-e5", "organ-c3", "organ-c4", "organ-g4"]
runner = CliRunner()


def _snapshot(folder: Path) -> dict[str, tuple[int, str]]:
    """Every entry under `folder` (links not followed): mode and content digest."""
    out = {}
    for path in sorted(folder.rglob("*")):
        st = path.lstat()
        data = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
        out[str(path.relative_to(folder))] = (st.st_mode, hashlib.sha256(data).hexdigest())
    return out


def _outside(tmp_path: Path) -> Path:
    """What a hostile link points at: a secret, a clip, files a prune would delete."""
    out = tmp_path / "outside"
    for sub in ("", "audio", "data", "trialdir/s0", "report-target"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    for name in ("secret.txt", "audio/victim.flac", "data/victim.js", "report-target/index.html"):
        (out / name).write_text(SECRET)
    write_wav(out / "secret.wav", tone(330.0))
    (out / "trialdir" / "s0" / "script.py").write_text(f"print({SECRET!r})\n")
    write_wav(out / "trialdir" / "s0" / "output.wav", tone(550.0))
    return out


def _hostile_run(tmp_path: Path) -> tuple[RunStore, Path]:
    """A scored-able run of 6 notes trials with links planted at every level."""
    store = make_run(
        tmp_path / "run", "notes", ITEMS, {"llm": [tone(440.0 + 10 * i) for i in range(6)]}
    )
    root, out = store.root, _outside(tmp_path)
    manifest = json.loads((root / "run.json").read_text())
    manifest["models"] = [{"name": "llm", "kind": "replay", "model": "answers.jsonl"}]
    (root / "run.json").write_text(json.dumps(manifest))  # `repair` rebuilds from the plan
    store = RunStore.open(root)
    trial = {k.item: store.root / k.rel_dir for k in store.planned_keys()}
    # the report folder and its media folders are links
    (root / "report").symlink_to(out / "report-target")
    # a script and a stdout that are links to a secret
    (trial["keyboard-c4"] / "script.py").symlink_to(out / "secret.txt")
    (trial["keyboard-c4"] / "stdout.txt").symlink_to(out / "secret.txt")
    # a clip that is a link to a file outside
    wav = trial["keyboard-a4"] / "output.wav"
    wav.unlink()
    wav.symlink_to(out / "secret.wav")
    # a whole trial folder that is a link (its trial.json copied there)
    moved = trial["keyboard-e5"]
    record = json.loads((moved / "trial.json").read_text())
    (out / "trialdir" / "s0" / "trial.json").write_text(json.dumps(record))
    for child in moved.iterdir():
        child.unlink()
    moved.rmdir()
    moved.symlink_to(out / "trialdir" / "s0")
    # records whose clip path climbs out, or is absolute
    for item, rel in (("organ-c3", "../outside/secret.wav"), ("organ-c4", str(out / "secret.wav"))):
        key = next(k for k in store.planned_keys() if k.item == item)
        record = json.loads((trial[item] / "trial.json").read_text())
        record["wav"] = rel
        store.save_trial(key, record)
    return store, out


def _written(root: Path) -> str:
    """Everything the commands wrote inside the run, as one text to search for the secret."""
    texts = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.suffix in (".js", ".html", ".txt"):
            texts.append(path.read_text(errors="replace"))
    return "\n".join(texts)


@pytest.fixture
def hostile(tmp_path: Path, isolated_cache: Path, monkeypatch: pytest.MonkeyPatch):
    refs = make_refs(tmp_path / "refs", {"keyboard": 440.0, "organ": 261.63}, per_class=4)
    patch_models(monkeypatch, {"aisfx": FakeEmbedding("aisfx")}, {"notes": refs})
    store, out = _hostile_run(tmp_path)
    return store, out, _snapshot(out)


def test_every_command_stays_inside_a_hostile_run_folder(hostile, tmp_path: Path) -> None:
    store, out, before = hostile
    root = store.root
    outputs = []
    for command in (
        ["repair", str(root)],
        ["score", str(root), "--metrics", "duration,fad", "--quiet"],
        ["report", str(root), "--refs-per-trial", "0"],
        ["export", str(root)],
        ["export", str(root), "--table", "sets", "--format", "jsonl"],
        ["show", str(root)],
    ):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, f"{command}: {result.output}"
        assert "Traceback" not in result.output
        outputs.append(result.output)
        assert _snapshot(out) == before, f"`{command[0]}` changed files outside the run"

    # the report folder is now a real folder of the run; its target is as it was
    assert (root / "report").is_dir() and not (root / "report").is_symlink()
    assert (root / "report" / "index.html").is_file()
    assert SECRET not in _written(root) and not any(SECRET in o for o in outputs)
    # the linked clips were not scored as the model's
    rows = [json.loads(line) for line in outputs[4].splitlines() if line.startswith("{")]
    assert rows, outputs[4]

    viewer = Viewer(tmp_path, refs_per_trial=0)
    client = TestClient(viewer.app(), base_url="http://127.0.0.1:7575")
    assert client.get("/").status_code == 200
    page = client.get("/runs/run/report/index.html")
    assert page.status_code == 200 and SECRET not in page.text
    for path in (
        "/runs/run/report/../../outside/secret.txt",
        "/runs/run/report/%2e%2e/%2e%2e/outside/secret.txt",
        "/runs/run/report/data/../../trials/llm/notes/keyboard-c4/s0/script.py",
    ):
        answer = client.get(path)
        assert answer.status_code in (400, 404), (path, answer.status_code)
        assert SECRET not in answer.text
    for name in os.listdir(root / "report" / "data"):
        assert SECRET not in client.get(f"/runs/run/report/data/{name}").text
    assert _snapshot(out) == before


def test_the_viewer_writes_no_report_through_a_link(hostile, tmp_path: Path) -> None:
    """Opening a run in `view` first (its report written on demand) stays inside the run."""
    store, out, before = hostile
    client = TestClient(Viewer(tmp_path, refs_per_trial=0).app(), base_url="http://127.0.0.1")
    assert client.get("/runs/run/").status_code == 200
    assert client.get("/runs/run/report/index.html").status_code == 200
    assert client.get("/runs/run/report/secret.txt").status_code == 404
    assert _snapshot(out) == before
    assert not (store.root / "report").is_symlink()


def test_links_inside_a_real_report_folder_are_dropped_not_followed(hostile) -> None:
    store, out, before = hostile
    root = store.root
    (root / "report").unlink()
    report = root / "report"
    (report / "img").mkdir(parents=True)
    (report / "audio").symlink_to(out / "audio")  # a media folder that is a link
    (report / "data").symlink_to(out / "data")
    (report / "index.html").symlink_to(out / "report-target" / "index.html")
    (report / "img" / "spec").symlink_to(out)
    os.mkfifo(report / "style.css")  # a FIFO would block a reader or writer
    result = runner.invoke(app, ["report", str(root), "--refs-per-trial", "0"])
    assert result.exit_code == 0, result.output
    assert _snapshot(out) == before
    for name in ("audio", "data", "index.html", "img/spec", "style.css"):
        path = report / name
        assert not path.is_symlink() and (path.is_dir() or path.is_file()), name


def test_a_linked_index_is_replaced_not_written_through(hostile) -> None:
    store, out, _ = hostile
    root = store.root
    target = out / "index.sqlite"
    (root / "index.sqlite").replace(target)
    (root / "index.sqlite").symlink_to(target)
    outside_before = _snapshot(out)
    result = runner.invoke(app, ["repair", str(root)])
    assert result.exit_code == 0, result.output
    assert "6 trials" in result.output
    assert _snapshot(out) == outside_before
    assert not (root / "index.sqlite").is_symlink()


def test_a_trial_folder_behind_a_link_is_refused_for_writing(hostile) -> None:
    store, _out, _ = hostile
    key = next(k for k in store.planned_keys() if k.item == "keyboard-e5")
    with pytest.raises(OutsideRun, match="symbolic link"):
        store.save_trial(key, {"status": "ok"})


def test_run_json_that_is_a_link_is_refused(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (tmp_path / "elsewhere.json").write_text(json.dumps({"spec": {}, "models": [], "items": {}}))
    (run / "run.json").symlink_to(tmp_path / "elsewhere.json")
    result = runner.invoke(app, ["show", str(run)])
    assert result.exit_code == 2
    assert "run.json is a symbolic link" in result.output and "Traceback" not in result.output


def test_paths_resolve_inside_without_following_links(tmp_path: Path) -> None:
    root = tmp_path / "run"
    (root / "a").mkdir(parents=True)
    (root / "a" / "f.txt").write_text("x")
    (root / "link").symlink_to(tmp_path)
    (root / "a" / "flink").symlink_to(root / "a" / "f.txt")
    os.mkfifo(root / "a" / "fifo")
    assert inside(root, "a/f.txt") == root / "a" / "f.txt"
    assert inside(root, "a/new/deeper.txt") == root / "a" / "new" / "deeper.txt"
    for bad in ("../x", "/etc/passwd", "a/../../x", "link/x", "a/flink", "a/\x00", ""):
        with pytest.raises(OutsideRun):
            inside(root, bad)
    assert regular_file(root, "a/f.txt") is not None
    assert regular_file(root, "a/fifo") is None and read_bytes(root, "a/fifo", 10) is None
    assert read_bytes(root, "a/flink", 10) is None and read_bytes(root, "a/f.txt", 10) == b"x"
    assert real_dir(root, "b/c").is_dir()
    with pytest.raises(OutsideRun):
        real_dir(root, "link/c")
    assert not (tmp_path / "c").exists()


def test_names_from_run_json_cannot_climb_out_of_trials(tmp_path: Path) -> None:
    """Tier and item names are one folder name each, whatever run.json says."""
    key = TrialKey("m", "replay", "../../..", "../../etc", 0)
    rel = Path(key.rel_dir)
    assert ".." not in rel.parts and rel.parts[0] == "trials" and len(rel.parts) == 5
    assert TrialKey("m", "replay", "notes", "keyboard-c4", 0).rel_dir == (
        "trials/m/notes/keyboard-c4/s0"
    )  # the names of existing runs are unchanged
