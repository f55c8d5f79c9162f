"""Corpora in their published layouts load through the adapters; bad indexes name file and line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from refs_helpers import write_tone
from typer.testing import CliRunner

from audioprobe.cli import app
from audioprobe.errors import ConfigError
from audioprobe.references import load_reference_set, resolve_reference_name
from audioprobe.references.adapters import CorpusError, add_corpus


def _nsynth(root: Path) -> Path:
    examples = {}
    for name, family, pitch in [
        ("keyboard_acoustic_004-060-100", "keyboard", 60),
        ("bass_electronic_018-033-075", "bass", 33),
    ]:
        write_tone(root / "audio" / f"{name}.wav", 440 * 2 ** ((pitch - 69) / 12), 16000)
        examples[name] = {
            "note_str": name,
            "pitch": pitch,
            "velocity": 100,
            "instrument_family_str": family,
            "sample_rate": 16000,
        }
    (root / "examples.json").write_text(json.dumps(examples, indent=4))
    return root


def _esc50(root: Path) -> Path:
    rows = ["filename,fold,target,category,esc10,src_file,take"]
    for n, (cat, target) in enumerate([("dog", 0), ("rain", 10), ("dog", 0)]):
        fname = f"1-{100 + n}-A-{target}.wav"
        write_tone(root / "audio" / fname, 300 + 100 * n, 44100)
        rows.append(f"{fname},1,{target},{cat},True,{100 + n},A")
    (root / "meta").mkdir(parents=True, exist_ok=True)
    (root / "meta" / "esc50.csv").write_text("\n".join(rows) + "\n")
    return root


def _librispeech(root: Path) -> Path:
    chapter = root / "dev-clean" / "84" / "121123"
    lines = []
    for n, text in enumerate(["GO DO YOU HEAR", "BUT IN LESS THAN FIVE MINUTES"]):
        write_tone(chapter / f"84-121123-{n:04d}.flac", 200 + 50 * n, 16000)
        lines.append(f"84-121123-{n:04d} {text}")
    (chapter / "84-121123.trans.txt").write_text("\n".join(lines) + "\n")
    return root


def _ljspeech(root: Path) -> Path:
    lines = []
    for n in range(2):
        write_tone(root / "wavs" / f"LJ001-{n + 1:04d}.wav", 180 + 40 * n, 22050)
        lines.append(
            f"LJ001-{n + 1:04d}|Printing, in the only sense {n}|Printing, in the only sense {n}"
        )
    (root / "metadata.csv").write_text("\n".join(lines) + "\n")
    return root


def _folder(root: Path) -> Path:
    write_tone(root / "siren" / "a.wav", 700, 48000)
    stereo = np.stack([np.zeros(8000), 0.5 * np.ones(8000)], axis=1)
    (root / "car_horn").mkdir(parents=True)
    sf.write(root / "car_horn" / "b.flac", stereo, 16000)
    return root


def test_nsynth_layout_gives_family_classes_and_midi(tmp_path: Path, isolated_cache: Path) -> None:
    add_corpus(_nsynth(tmp_path / "nsynth-valid"), "nsynth", "ns")
    rs = load_reference_set("ns")
    assert rs.classes() == ["bass", "keyboard"]
    assert rs.tier == "notes" and rs.sample_rate == 16000
    assert rs.clips("keyboard")[0].meta["midi"] == 60
    assert "organ" in rs.missing  # a notes-tier class the corpus lacks


def test_esc50_layout_maps_categories_and_resamples(tmp_path: Path, isolated_cache: Path) -> None:
    add_corpus(_esc50(tmp_path / "ESC-50-master"), "esc50", "esc")
    rs = load_reference_set("esc")
    assert [len(rs.clips(k)) for k in rs.classes()] == [2, 1]
    clip = rs.clips("rain")[0]
    assert clip.original_sample_rate == 44100
    data, rate = sf.read(clip.path)
    assert rate == 16000 and data.ndim == 1 and abs(len(data) - 8000) <= 1
    assert "siren" in rs.missing


def test_librispeech_layout_keeps_transcripts(tmp_path: Path, isolated_cache: Path) -> None:
    add_corpus(_librispeech(tmp_path / "LibriSpeech"), "librispeech", "ls")
    rs = load_reference_set("ls")
    assert rs.classes() == ["speech"] and rs.missing == {}
    assert sorted(c.meta["text"] for c in rs.clips()) == [
        "BUT IN LESS THAN FIVE MINUTES",
        "GO DO YOU HEAR",
    ]


def test_ljspeech_layout_keeps_normalized_text(tmp_path: Path, isolated_cache: Path) -> None:
    add_corpus(_ljspeech(tmp_path / "LJSpeech-1.1"), "ljspeech", "lj")
    rs = load_reference_set("lj")
    assert len(rs.clips("speech")) == 2
    assert rs.clips()[0].meta["text"].startswith("Printing, in the only sense")
    assert rs.clips()[0].original_sample_rate == 22050


def test_folder_layout_downmixes_and_guesses_tier(tmp_path: Path, isolated_cache: Path) -> None:
    add_corpus(_folder(tmp_path / "mine"), "folder", "mine")
    rs = load_reference_set("mine")
    assert rs.classes() == ["car_horn", "siren"] and rs.tier == "environmental"
    data, _ = sf.read(rs.clips("car_horn")[0].path)
    assert np.allclose(data[100:-100], 0.25, atol=1e-3)  # mean of the two channels


def test_a_1khz_tone_at_44k1_comes_out_at_1khz_at_16k(tmp_path: Path, isolated_cache: Path) -> None:
    write_tone(tmp_path / "tones" / "tone" / "1k.wav", 1000.0, 44100, seconds=1.0)
    rs = add_corpus(tmp_path / "tones", "folder", "tones")
    clip = rs.clips("tone")[0]
    data, rate = sf.read(clip.path)
    assert (rate, clip.original_sample_rate, rs.sample_rate) == (16000, 44100, 16000)
    spectrum = np.abs(np.fft.rfft(data * np.hanning(len(data))))
    peak_hz = np.fft.rfftfreq(len(data), 1 / rate)[int(np.argmax(spectrum))]
    assert abs(peak_hz - 1000.0) <= 1.0
    assert abs(clip.duration_s - 1.0) < 1e-3


@pytest.mark.parametrize(
    ("fmt", "make", "index", "breaker", "line"),
    [
        ("esc50", _esc50, "meta/esc50.csv", lambda t: t.replace("1-101-A-10.wav", "gone.wav"), 3),
        ("esc50", _esc50, "meta/esc50.csv", lambda t: t.replace(",1,10,rain,True,101,A", ""), 3),
        ("nsynth", _nsynth, "examples.json", lambda t: t.replace('"bass",', '"bass"'), None),
        (
            "ljspeech",
            _ljspeech,
            "metadata.csv",
            lambda t: t.replace("LJ001-0002|", "LJ001-0002 "),
            2,
        ),
        (
            "librispeech",
            _librispeech,
            "dev-clean/84/121123/84-121123.trans.txt",
            lambda t: t.replace("84-121123-0001 ", "84-121123-0009 "),
            2,
        ),
    ],
)
def test_malformed_corpus_error_names_file_and_line(
    tmp_path: Path, isolated_cache: Path, fmt, make, index, breaker, line
) -> None:
    root = make(tmp_path / "corpus")
    path = root / index
    path.write_text(breaker(path.read_text()))
    with pytest.raises(CorpusError) as err:
        add_corpus(root, fmt, "broken")
    message = str(err.value)
    if line is None:  # JSON: the line is where the parser stopped
        line = int(message.split(f"{path}:")[1].split(":")[0])
        assert line > 1
    assert f"{path}:{line}:" in message
    assert not (isolated_cache / "references" / "broken").exists()


def test_resolve_reference_name() -> None:
    assert resolve_reference_name("notes", "builtin") == "builtin-notes"
    assert resolve_reference_name("speech", "ljspeech-mine") == "ljspeech-mine"
    with pytest.raises(ConfigError):
        resolve_reference_name("music", "builtin")


def test_unknown_set_is_a_config_error(isolated_cache: Path) -> None:
    with pytest.raises(ConfigError, match="refs add"):
        load_reference_set("never-added")


def test_cli_add_list_show(tmp_path: Path, isolated_cache: Path) -> None:
    root = _esc50(tmp_path / "ESC-50-master")
    runner = CliRunner()
    added = runner.invoke(app, ["refs", "add", str(root), "--format", "esc50", "--name", "e"])
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["refs", "list"])
    assert "builtin-notes" in listed.output and " e " in listed.output
    shown = runner.invoke(app, ["refs", "show", "e"], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert "dog" in shown.output and "esc50:audio/1-100-A-0.wav" in shown.output
    assert "missing siren" in shown.output
    bad = runner.invoke(app, ["refs", "add", str(tmp_path), "--format", "esc50"])
    assert bad.exit_code == 2 and "esc50.csv" in bad.output
