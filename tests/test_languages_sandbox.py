"""Every shipped language end to end on every backend: a replayed answer in that language goes
through the whole trial path (prompt, extraction, the language's check, the sandbox, the WAV
check) and a tone at 440 Hz ends `ok` at 440 Hz within a cent, by the harness's pitch
estimator and by an independent spectral peak; a broken answer ends `syntax_error` carrying the
language's own message; hostile answers are contained."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from sandbox_helpers import backend_params, language_params, require_language
from typer.testing import CliRunner

from audioprobe import api
from audioprobe.cli import app
from audioprobe.languages import get_language
from audioprobe.report.detail import trial_detail
from audioprobe.scoring.pitch import PitchSettings, cents, estimate_f0
from audioprobe.spec import ExperimentSpec
from audioprobe.store import RunStore
from audioprobe.summary import script_facts
from audioprobe.tiers import load_tier

BACKENDS = backend_params()
SR = 16000

TONE = {
    "csound": """<CsoundSynthesizer>
<CsOptions>
-odac
</CsOptions>
<CsInstruments>
sr = 16000
ksmps = 16
nchnls = 1
0dbfs = 1
instr 1
  aenv linseg 0, 0.02, 1, p3 - 0.04, 1, 0.02, 0
  asig oscili 0.5 * aenv, 440
  out asig
endin
</CsInstruments>
<CsScore>
i 1 0 2
</CsScore>
</CsoundSynthesizer>""",
    "chuck": """SinOsc s => WvOut w => blackhole;
"output.wav" => w.wavFilename;
440.0 => s.freq;
0.5 => s.gain;
2::second => now;
w.closeFile();""",
    "supercollider": """~score = Score([
    [0.0, ['/d_recv', SynthDef(\\tone, { |freq = 440|
        Out.ar(0, SinOsc.ar(freq, 0, 0.5))
    }).asBytes]],
    [0.0, ['/s_new', \\tone, 1000, 0, 0, \\freq, 440]],
    [2.0, ['/c_set', 0, 0]]
]);""",
    "abc": """X:1
T:A above middle C
M:4/4
L:1/4
Q:1/4=60
K:C
A2 z2|""",
}
BROKEN = {
    "csound": (
        TONE["csound"].replace("oscili 0.5 * aenv, 440", "oscili 0.5 * aenv 440 +"),
        "syntax error",
    ),
    "chuck": ("SinOsc s => dac\n2::second => now;\n", "[piece.ck]:line(2)"),
    "abc": ("X:1\nT:B\nM:4/4\nL:1/4\nK:C\nA ][ B (( c 4/ |\n", "Error in line-char 6"),
    "supercollider": (
        TONE["supercollider"].replace("SinOsc.ar(freq, 0, 0.5)", "SinOsc.ar(freq 0, 0.5)"),
        "ERROR: syntax error, unexpected INTEGER",
    ),
}


LANGUAGES = language_params(sorted(TONE))


def _answer(lang: str, code: str) -> str:
    return f"Here it is.\n\n```{lang}\n{code}\n```\n"


def _run(tmp_path: Path, backend: str, lang: str, answers: dict[str, str]) -> dict[str, dict]:
    """Replay `answers` (item id -> answer) in `lang` on `backend`; the trial records by item."""
    replay = tmp_path / f"{lang}.jsonl"
    replay.write_text(
        "".join(json.dumps({"item": i, "completion": a}) + "\n" for i, a in answers.items())
    )
    spec = ExperimentSpec.model_validate(
        {
            "name": f"lang-{lang}",
            "tiers": [{"name": "notes", "items": list(answers)}],
            "sandbox": {"backend": backend, "limits": {"wall_s": 30, "cpu_s": 20, "pids": 32}},
        }
    )
    planned = api.prepare(spec, models=[f"replay:{replay}"], out=tmp_path / "run", language=lang)
    run = api.run_plan(planned, progress=False)
    manifest = json.loads((run.root / "run.json").read_text())
    assert manifest["overrides"]["language"] == lang
    assert {m["language"] for m in manifest["models"]} == {lang}
    records = {}
    for path in (run.root / "trials").rglob("trial.json"):
        record = json.loads(path.read_text())
        records[record["item"]] = record | {"_dir": str(path.parent)}
    return records


def _spectral_peak_hz(mono: np.ndarray, rate: int) -> float:
    """The strongest frequency, from a Hann-windowed DFT zero-padded to 0.01 Hz bins and a
    parabola through the peak bin: independent of the harness's pitch estimator."""
    window = mono * np.hanning(mono.size)
    n = 1 << int(np.ceil(np.log2(rate * 100)))
    spectrum = np.abs(np.fft.rfft(window, n))
    k = int(np.argmax(spectrum))
    a, b, c = np.log(spectrum[k - 1 : k + 2])
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * rate / n


def _host_abc_render(tmp_path: Path, trial_dir: Path) -> np.ndarray:
    """The trial's tune rendered on this host by the same two programs, for comparison."""
    abc = get_language("abc")
    host = tmp_path / "host"
    host.mkdir()
    notes = load_tier("notes")
    job = abc.job((trial_dir / "tune.abc").read_text(), notes, notes.item("sine-a4"))
    (host / "tune.abc").write_text(job["source"])
    for argv in job["render"]:
        subprocess.run(argv, cwd=host, check=True, capture_output=True, timeout=60)
    return sf.read(host / "output.wav", always_2d=True)[0]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_440_hz_answer_renders_ok_and_a_broken_one_is_a_syntax_error(
    tmp_path: Path, backend: str, lang: str
) -> None:
    broken, message = BROKEN[lang]
    records = _run(
        tmp_path,
        backend,
        lang,
        {"sine-a4": _answer(lang, TONE[lang]), "sine-c4": _answer(lang, broken)},
    )
    tone = records["sine-a4"]
    assert tone["status"] == "ok", tone.get("error")
    assert tone["language"] == lang and tone["extraction"] == f"{lang}_fence"
    assert tone["exec"]["backend"] == backend
    audio, rate = sf.read(Path(tone["_dir"]) / "output.wav", always_2d=True)
    assert rate == SR
    steady = audio.mean(axis=1)[int(0.3 * rate) : int(1.7 * rate)]
    est = estimate_f0(steady, PitchSettings(sample_rate=rate))
    assert est.f0_hz is not None and abs(cents(est.f0_hz, 440.0)) < 1.0, est
    peak = cents(_spectral_peak_hz(steady, rate), 440.0)
    if lang == "abc":
        # A sampled piano: its fundamental alone sits where TimGM6mb's sample is tuned (-1.8
        # cents); the clip is the one fluidsynth makes of that tune outside any sandbox.
        assert abs(peak) < 2.5
        assert np.array_equal(audio, _host_abc_render(tmp_path, Path(tone["_dir"])))
    else:
        assert abs(peak) < 1.0

    bad = records["sine-c4"]
    assert bad["status"] == "syntax_error", bad
    assert message in bad["error"]


SC_LANG = language_params(["supercollider"])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("lang", SC_LANG)
def test_supercollider_says_why_an_answer_failed_in_sclangs_words(
    tmp_path: Path, backend: str, lang: str
) -> None:
    """An error while the program runs is a runtime_error carrying sclang's message without its
    call stack; a program that leaves no Score in ~score renders nothing (no_output); an answer
    that exits sclang itself cannot pass for a syntax error; a one-program file with two
    separately evaluated ( ) blocks is sclang's syntax error."""
    exits = "65.exit;\n" + TONE[lang]
    records = _run(
        tmp_path,
        backend,
        lang,
        {
            "sine-a4": _answer(lang, "x = 1;\nx.fooBar(2);"),
            "sine-c4": _answer(lang, "SynthDef(\\a, { Out.ar(0, SinOsc.ar(440)) }).add;"),
            "keyboard-a4": _answer(lang, exits),
            "keyboard-c4": _answer(lang, "(\n1\n)\n(\n2\n)"),
        },
    )
    failed = records["sine-a4"]
    assert failed["status"] == "runtime_error", failed
    assert "ERROR: Message 'fooBar' not understood." in failed["error"]
    assert "CALL STACK" not in failed["error"]
    assert records["sine-c4"]["status"] == "no_output", records["sine-c4"]
    stdout = (Path(records["sine-c4"]["_dir"]) / "stdout.txt").read_text()
    assert "the answer left no Score in ~score (it holds nil)" in stdout
    assert records["keyboard-a4"]["status"] == "ok", records["keyboard-a4"]
    blocks = records["keyboard-c4"]
    assert blocks["status"] == "syntax_error", blocks
    assert "unexpected '('" in blocks["error"] and "line 4 char 1" in blocks["error"]


def test_a_packages_soname_links_stay_links_in_the_runtime_tree() -> None:
    """libQt5WebEngineCore (132 MB) is in the tree once, under the names sclang loads it by."""
    require_language("supercollider")
    from audioprobe.sandbox.rootfs import ensure_rootfs

    lib = ensure_rootfs() / "usr/lib/x86_64-linux-gnu"
    real = lib / "libQt5WebEngineCore.so.5.15.13"
    assert real.is_file() and not real.is_symlink()
    for name in ("libQt5WebEngineCore.so.5", "libQt5WebEngineCore.so.5.15"):
        assert (lib / name).is_symlink() and (lib / name).resolve() == real.resolve()


@pytest.fixture
def udp_listener():
    """A UDP socket on the host's loopback that records whatever reaches it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.5)
    yield sock
    sock.close()


def _received(sock: socket.socket) -> bytes:
    try:
        return sock.recv(1024)
    except TimeoutError:
        return b""


BOMB = "apbomb29"  # the fork bomb's function name: no other process on the host has it


def _bombs_alive() -> int:
    """Host processes running the fork bomb (its shell children keep its command line)."""
    alive = 0
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            alive += BOMB.encode() in cmdline.read_bytes()
        except OSError:  # gone meanwhile
            continue
    return alive


CSOUND_HOSTILE = """<CsoundSynthesizer>
<CsInstruments>
sr = 16000
ksmps = 16
nchnls = 1
0dbfs = 1
instr 1
{attack}
asig oscili 0.5, 440
out asig
endin
</CsInstruments>
<CsScore>
i 1 0 0.5
</CsScore>
</CsoundSynthesizer>"""
CHUCK_TONE = 'SinOsc s => WvOut w => blackhole; "output.wav" => w.wavFilename; 0.5::second => now;'
SHELL_BOMB = f"{BOMB}(){{ {BOMB}|{BOMB}& }}; {BOMB}"


def _hostile(lang: str, port: int, outside: Path) -> dict[str, str]:
    """Answers that try the network, a file outside the trial folder, and a fork bomb through
    the language's own system call, each keyed by the notes item it is replayed for."""
    if lang == "csound":
        attacks = {
            "sine-a4": f'asend oscili 0.5, 440\nsocksend asend, "127.0.0.1", {port}, 256',
            "sine-c4": f'fprints "{outside}", "ESCAPED"',
            "keyboard-a4": f'ir system_i 1, "{SHELL_BOMB}"',
        }
        return {item: CSOUND_HOSTILE.format(attack=a) for item, a in attacks.items()}
    if lang == "chuck":
        attacks = {
            "sine-a4": f'OscOut o; o.dest("127.0.0.1", {port}); o.start("/x"); o.add(1); o.send();',
            "sine-c4": f'FileIO f; f.open("{outside}", FileIO.WRITE); f.write("ESCAPED");',
            "keyboard-a4": f'Std.system("touch {outside}; {SHELL_BOMB}");',
        }
        return {item: f"{a}\n{CHUCK_TONE}" for item, a in attacks.items()}
    if lang == "supercollider":
        attacks = {
            "sine-a4": f'NetAddr("127.0.0.1", {port}).sendMsg("/x", 1);',
            "sine-c4": f'File.use("{outside}", "w", {{ |f| f.write("ESCAPED") }});',
            "keyboard-a4": f'"touch {outside}; {SHELL_BOMB}".systemCmd;',
        }
        return {item: f"{a}\n{TONE[lang]}" for item, a in attacks.items()}
    # ABC has no network, files or system calls: its attack is a tune of many hours
    return {"sine-a4": "X:1\nT:long\nL:1/4\nQ:1/4=60\nK:C\nA100000|\n"}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_hostile_answers_are_contained(
    tmp_path: Path, backend: str, lang: str, udp_listener: socket.socket
) -> None:
    outside = tmp_path / "outside" / "escaped.txt"
    outside.parent.mkdir()
    os.chmod(outside.parent, 0o777)  # writable by anyone: only the sandbox can stop the write
    port = udp_listener.getsockname()[1]
    answers = {item: _answer(lang, code) for item, code in _hostile(lang, port, outside).items()}
    records = _run(tmp_path, backend, lang, answers)
    assert set(records) == set(answers)
    assert _received(udp_listener) == b"", "a datagram from the sandbox reached the host"
    assert not outside.exists(), "an answer wrote outside its trial folder"
    assert _bombs_alive() == 0, "a process of the sandbox outlived its trial"
    for record in records.values():
        assert record["status"] not in ("sandbox_error", "pending"), record
        assert record["exec"]["wall_s"] < 30
    if lang == "abc":
        # stopped by a limit, or rendered in full and refused as far longer than any clip
        assert records["sine-a4"]["status"] in ("killed", "timeout", "invalid_audio")


def test_quick_in_csound_runs_and_compares_with_the_python_run_of_the_same_model(
    tmp_path: Path,
) -> None:
    """The issue's end-to-end command with the local model replaced by a replay of answers
    under its name, then the same model's Python run beside it."""
    require_language("csound")
    runner = CliRunner()
    csound = tmp_path / "csound" / "qwen2.5-coder-1.5b.jsonl"  # a replay named as the model
    csound.parent.mkdir()
    items = ("keyboard-a4", "string-a5", "sine-a4")
    broken = TONE["csound"].replace("oscili 0.5 * aenv, 440", "oscili 0.5 * aenv 440 +")
    answers = {"keyboard-a4": TONE["csound"], "string-a5": broken, "sine-a4": TONE["csound"]}
    csound.write_text(
        "".join(
            json.dumps({"item": i, "completion": _answer("csound", answers[i])}) + "\n"
            for i in items
        )
    )
    python = Path("experiments/replays/demo/qwen2.5-coder-1.5b.jsonl").resolve()
    runs = {}
    for lang, replay in (("csound", csound), ("python", python)):
        runs[lang] = tmp_path / "runs" / lang
        args = ["run", "experiments/quick.toml", "--language", lang, "--model", f"replay:{replay}"]
        done = runner.invoke(app, [*args, "--tier", "notes", "--out", str(runs[lang])])
        assert done.exit_code == 0, done.output
    shown = runner.invoke(app, ["show", str(runs["csound"])])
    assert "answers written in qwen2.5-coder-1.5b: csound" in shown.output, shown.output
    assert "ok 2, syntax_error 1" in shown.output
    compared = runner.invoke(
        app, ["compare", str(runs["csound"]), "--against", str(runs["python"])]
    )
    assert compared.exit_code == 0, compared.output
    row = next(line for line in compared.output.splitlines() if " ok_pct " in line)
    assert row.split()[:4] == ["qwen2.5-coder-1.5b", "notes", "ok_pct", "66.7"], row
    # the views read each trial's code from its language's file: the report's trial page shows
    # the .csd highlighted as Csound; the technique columns, whose rules read Python, stay empty
    views = {lang: {t.item: t for t in RunStore.open(runs[lang]).trials()} for lang in runs}
    csd = views["csound"]["keyboard-a4"]
    assert csd.code_file == "piece.csd" and views["python"]["keyboard-a4"].code_file == "script.py"
    page = trial_detail(csd)
    assert page["script_name"] == "piece.csd"
    assert '<span class="nb">oscili</span>' in page["script_html"]  # Csound's opcode, as such
    assert script_facts(csd)["techniques"] is None
    assert script_facts(views["python"]["keyboard-a4"])["imports"]
