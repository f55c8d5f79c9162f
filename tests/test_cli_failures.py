"""Every mistake a researcher makes in the first hour ends in one line: the path or URL, what is
wrong and the fix, exit code 2, no traceback. Each case runs the real command line in a
subprocess, as a user's shell would."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

import pytest

ANSWERS = Path(__file__).resolve().parent / "data" / "answers_ok.jsonl"


def audioprobe(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUDIOPROBE_CACHE": str(cwd / "cache"), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "audioprobe", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    """The single error line, after checking exit 2, no traceback and every needle in it."""
    everything = result.stdout + result.stderr
    assert result.returncode == 2, everything
    assert "Traceback" not in everything, everything
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    return errors[0]


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a finished smoke run (`run`), a file, a folder and a published table."""
    root = tmp_path_factory.mktemp("cli-failures")
    made = audioprobe("run", "smoke", "--model", f"replay:{ANSWERS}", "--out", "run", cwd=root)
    assert made.returncode == 0, made.stdout + made.stderr
    (root / "smoke.csv").write_text("a,b\n")
    (root / "folder").mkdir()
    (root / "table.csv").write_text("model,tier,metric,value\nanswers_ok,notes,duration,2.0\n")
    return root


def spec_file(folder: Path, text: str = "", top: str = "") -> Path:
    """A one-item spec; `top` goes before the tables (top-level keys), `text` after them."""
    path = folder / "spec.toml"
    path.write_text(f'name = "t"\n{top}[[tiers]]\nname = "notes"\nitems = ["sine-a4"]\n{text}')
    return path


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


LONG = "x" * 300
# (arguments, what the one line must name): each is a way a write to a user's path goes wrong
WRITE_FAILURES = [
    (["export", "run", "-o", "/proc/smoke.csv"], ["/proc/smoke.csv", "choose another folder"]),
    (["export", "run", "-o", "smoke.csv/x.csv"], ["smoke.csv is a file, not a folder"]),
    (
        ["export", "run", "-f", "parquet", "-o", "a/missing/folder/x.parquet"],
        ["folder a does not exist", "mkdir -p a/missing/folder"],
    ),
    (["export", "run", "-o", "folder"], ["folder is a folder", "name a file"]),
    (["export", "run", "-o", "/dev/full"], ["/dev/full", "disk is full"]),
    (["export", "run", "-o", f"{LONG}.csv"], ["name is too long"]),
    (["export", "run", "-f", "jsonl", "-o", "/sys/x.jsonl"], ["/sys/x.jsonl", "choose a folder"]),
    (["report", "run", "--out", "/proc/rep"], ["/proc/rep", "choose another folder"]),
    (["report", "run", "--out", "smoke.csv"], ["smoke.csv is a file, not a folder"]),
    (
        ["compare", "run", "--against", "table.csv", "-o", "/proc/x.md"],
        ["/proc/x.md", "choose another folder"],
    ),
    (
        ["compare", "run", "--against", "table.csv", "-o", "folder/none/x.csv"],
        ["folder folder/none does not exist", "mkdir -p"],
    ),
    (["compare", "run", "--against", "table.csv", "-o", "x.txt"], ["x.txt", ".csv or .md"]),
    (["listen", "export", "run", "--out", "/proc/listening"], ["/proc/listening"]),
    (["merge", "run", "--out", "/proc/merged"], ["/proc/merged", "choose another folder"]),
    (
        ["sandbox", "run", "smoke.csv", "--workdir", "smoke.csv/work"],
        ["smoke.csv is a file, not a folder"],
    ),
    (
        ["run", "smoke", "--model", f"replay:{ANSWERS}", "--out", "/proc/newrun"],
        ["/proc/newrun", "choose another folder"],
    ),
    (
        ["run", "smoke", "--model", f"replay:{ANSWERS}", "--out", "smoke.csv/run"],
        ["smoke.csv is a file, not a folder"],
    ),
]


@pytest.mark.parametrize(("args", "needles"), WRITE_FAILURES, ids=lambda a: " ".join(a)[:60])
def test_a_path_that_cannot_be_written_is_one_line_naming_it_and_the_fix(work, args, needles):
    one_line_error(audioprobe(*args, cwd=work), *needles)
    assert not (work / "a").exists()  # nothing was made on the way to the error


MODEL = '[[models]]\nname = "m"\nkind = "replay"\nmodel = "x.jsonl"\n'
SPEC_FAILURES = [
    ("", "sampels = 2\n", ["sampels", "did you mean 'samples'"]),
    ("", "output_dri = 'runs'\n", ["output_dri", "did you mean 'output_dir'"]),
    (MODEL + "temprature = 0.2\n", "", ["temprature", "did you mean 'temperature'"]),
    (MODEL + "max_token = 5\n", "", ["max_token", "did you mean 'max_tokens'"]),
    ("[sandbox]\nbackend = 'auto'\nparalel = 2\n", "", ["did you mean 'parallel'"]),
]


@pytest.mark.parametrize(("text", "top", "needles"), SPEC_FAILURES, ids=lambda t: str(t)[:24])
def test_a_misspelt_spec_field_gets_the_closest_known_one(tmp_path, text, top, needles):
    spec = spec_file(tmp_path, text, top)
    result = audioprobe("run", str(spec), "--dry-run", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stdout + result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("shard", "needle"),
    [("1/0", "N is the number of shards, at least 1"), ("5/4", "from 1 to 4, e.g. 1/4")],
)
def test_a_shard_out_of_range_says_what_i_and_n_are(tmp_path, shard, needle):
    result = audioprobe(
        "run", "smoke", "--model", f"replay:{ANSWERS}", "--shard", shard, "--dry-run", cwd=tmp_path
    )
    one_line_error(result, f"shard {shard!r}", needle)


def test_a_replay_file_answering_none_of_the_plan_stops_before_the_run(tmp_path):
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"item": "no-such-item", "completion": "x"}) + "\n")
    result = audioprobe(
        "run", "smoke", "--model", f"replay:{other}", "--out", "r", "--dry-run", cwd=tmp_path
    )
    one_line_error(result, str(other), "answers none of the 3 planned items")
    assert not (tmp_path / "r").exists()


def test_show_on_a_folder_of_runs_points_to_audioprobe_runs(work):
    one_line_error(audioprobe("show", ".", cwd=work), "audioprobe runs .")


def test_a_closed_port_fails_before_the_first_trial_naming_url_and_cause(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/v1"
    spec = spec_file(
        tmp_path, f'[[models]]\nname = "down"\nkind = "openai"\nmodel = "m"\nbase_url = "{url}"\n'
    )
    started = time.monotonic()
    result = audioprobe("run", str(spec), "--out", "r", cwd=tmp_path)
    elapsed = time.monotonic() - started
    one_line_error(result, url, "connection refused", "start the server or fix base_url")
    assert elapsed < 10, elapsed
    assert not (tmp_path / "r").exists()  # the run did not start


class _Refusing(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"error": {"message": "Incorrect API key provided"}}'
        self.send_response(401)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_an_endpoint_refusing_the_key_fails_before_the_first_trial(tmp_path, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    spec = spec_file(
        tmp_path,
        f'[[models]]\nname = "k"\nkind = "openai"\nmodel = "m"\nbase_url = "{url}"\n'
        'api_key_env = "MY_KEY"\n',
    )
    monkeypatch.setenv("MY_KEY", "wrong")
    try:
        result = audioprobe("run", str(spec), "--out", "r", cwd=tmp_path)
    finally:
        server.shutdown()
    one_line_error(result, f"{url}/models", "HTTP 401", "Incorrect API key", "check $MY_KEY")
