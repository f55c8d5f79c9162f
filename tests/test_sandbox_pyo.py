"""pyo as people write it, GUI calls and real-time habits included, renders offline on every
backend; the GUI entry points neutralised are the ones pyo's own source routes through its GUI
layer, found by reading that source."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from sandbox_helpers import backend_params, explain, run_script

from audioprobe.sandbox import safe_output

BACKENDS = backend_params()


def _rendered(workdir: Path) -> tuple[float, float]:
    """(duration in s, dominant frequency in Hz) of the trial's output.wav."""
    found, why = safe_output(workdir, "output.wav", 50_000_000)
    assert found is not None, why
    data, sr = sf.read(found, always_2d=True)
    mono = data.mean(axis=1)
    spectrum = np.abs(np.fft.rfft(mono))
    return len(mono) / sr, float(np.fft.rfftfreq(len(mono), 1 / sr)[spectrum.argmax()])


@pytest.mark.parametrize("name", BACKENDS)
def test_example_style_script_with_gui_calls_renders(name: str, tmp_path: Path) -> None:
    """A patch built the way pyo's tutorials build them: sliders, table view, scope, spectrum,
    then the server window. Every GUI call is skipped with a note; the recording happens."""
    result = run_script(
        name,
        tmp_path,
        """
        from pyo import *

        s = Server().boot()
        s.amp = 0.5
        wave = HarmTable([1, 0.5, 0.33, 0.25])
        wave.view(title="harmonics")
        lfo = Sine(freq=5, mul=0.005, add=1)
        osc = Osc(table=wave, freq=330 * lfo, mul=0.4)
        osc.ctrl(title="oscillator")
        filt = ButLP(osc, freq=2000).out()
        filt.ctrl()
        scope = Scope(filt)
        spec = Spectrum(filt)
        env = Linseg([(0, 0), (0.05, 1), (1.5, 0.7), (1.8, 0)]).play()
        env.graph()
        s.recordOptions(dur=1.8, filename="output.wav", fileformat=0, sampletype=0)
        s.start()
        s.gui(locals())
        """,
    )
    assert result.status == "ok", explain(result)
    for skipped in ("ctrl", "view", "Scope", "Spectrum", "graph", "Server.gui"):
        assert skipped in result.stderr, f"no note that {skipped} was skipped:\n{result.stderr}"
    duration, peak_hz = _rendered(tmp_path)
    assert 1.8 <= duration < 1.9
    assert abs(peak_hz - 330) < 15


@pytest.mark.parametrize("name", BACKENDS)
def test_realtime_script_records_the_time_it_slept(name: str, tmp_path: Path) -> None:
    """recstart before start, a sleep, then stop: rendered offline for the time slept."""
    result = run_script(
        name,
        tmp_path,
        """
        import time
        from pyo import Server, SuperSaw, MoogLP, Pan

        s = Server(nchnls=2).boot()
        s.recstart("output.wav")
        s.start()
        saw = SuperSaw(freq=110, detune=0.3, bal=0.5, mul=0.2)
        lp = MoogLP(saw, freq=800, res=0.3)
        pan = Pan(lp, outs=2, pan=0.5).out()
        time.sleep(1.2)
        s.stop()
        s.shutdown()
        """,
    )
    assert result.status == "ok", explain(result)
    duration, peak_hz = _rendered(tmp_path)
    assert 1.15 < duration < 1.6
    assert abs(peak_hz - 110) < 10


@pytest.mark.parametrize("name", BACKENDS)
def test_offline_length_and_a_realtime_recording_together(name: str, tmp_path: Path) -> None:
    """recordOptions(dur=...) renders at start(); the recstart/sleep/recstop the script also
    wrote must not reopen the finished file (pyo would leave it empty)."""
    result = run_script(
        name,
        tmp_path,
        """
        import time
        from pyo import *

        s = Server().boot()
        s.recordOptions(dur=1.5, filename="output.wav")
        chord = Sine(freq=[261.6, 329.6, 392.0], mul=0.15).mix(1).out()
        s.start()
        s.recstart()
        time.sleep(0.3)
        s.recstop()
        s.stop()
        """,
    )
    assert result.status == "ok", explain(result)
    assert "recstart() skipped, the recording was already rendered" in result.stderr
    duration, _ = _rendered(tmp_path)
    assert 1.5 <= duration < 1.6


def _gui_entry_points() -> list[tuple[str, str]]:
    """(module, name) of every function pyo's modules import from its GUI layer, by parsing
    pyo's installed source (the same version the sandbox runtime pins)."""
    spec = importlib.util.find_spec("pyo")
    assert spec is not None and spec.submodule_search_locations
    lib = Path(next(iter(spec.submodule_search_locations))) / "lib"
    found = []
    for path in sorted(lib.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "_widgets" and node.level == 1:
                for alias in node.names:
                    if alias.name[0].islower() and alias.name != "*":  # functions, not flags
                        found.append((f"pyo.lib.{path.stem}", alias.asname or alias.name))
    return found


@pytest.mark.parametrize("name", BACKENDS)
def test_every_gui_entry_point_in_pyo_source_is_neutralised(name: str, tmp_path: Path) -> None:
    entry_points = _gui_entry_points()
    modules = {m for m, _ in entry_points}
    assert {"pyo.lib._core", "pyo.lib.analysis", "pyo.lib.server", "pyo.lib.tables"} <= modules
    result = run_script(
        name,
        tmp_path,
        f"""
        import importlib
        import pyo
        missed = []
        for module, fn in {entry_points!r}:
            if not hasattr(getattr(importlib.import_module(module), fn), "_audioprobe_skipped"):
                missed.append(module + "." + fn)
        print("checked", len({entry_points!r}), "missed", missed)
        """,
    )
    assert result.status == "ok", explain(result)
    assert f"checked {len(entry_points)} missed []" in result.stdout, result.stdout
