"""Builds `builtin-notes`: GM soundfont notes rendered with tinysoundfont, resampled to 16 kHz.

Each class (instrument family) is rendered with the GM programs of the tier items of that class,
at every item pitch and its neighbours, several velocities and key-down lengths, so a class holds
enough clips for a Fréchet distance. Rendering is sample-exact and repeatable: the synthesizer is
reset before each note and has no random elements.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from audioprobe.errors import Unavailable
from audioprobe.hashing import sha256_file
from audioprobe.references.audio import ANALYSIS_RATE, prepare
from audioprobe.references.recipes import package_version
from audioprobe.references.store import SetWriter
from audioprobe.tiers import load_tier

NOTE_NAMES = ("C", "Cs", "D", "Ds", "E", "F", "Fs", "G", "Gs", "A", "As", "B")


def note_name(midi: int) -> str:
    return f"{NOTE_NAMES[midi % 12]}{midi // 12 - 1}"


def soundfont_path(recipe: dict[str, Any]) -> Path:
    package, _, rel = recipe["soundfont"]["file"].partition("/")
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise Unavailable(
            f"the soundfont {recipe['soundfont']['file']} comes with the PyPI package {package}, "
            f"which is not installed: pip install {package}"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / rel
    if not path.is_file():
        raise Unavailable(f"{path} is missing from the installed {package} package")
    return path


def open_synth(path: Path, rate: int) -> Any:
    """The soundfont loaded into tinysoundfont, rendering mono at `rate`."""
    try:
        from tinysoundfont._tinysoundfont import OutputMode, SoundFont
    except ImportError as exc:
        raise Unavailable(
            "tinysoundfont is not installed: pip install --no-deps tinysoundfont "
            "(--no-deps: it declares pyaudio, which is not needed to render)"
        ) from exc
    synth = SoundFont(str(path))
    synth.set_output(OutputMode.Mono, rate, 0.0)
    return synth


def render_note(
    synth: Any,
    preset: int,
    midi: int,
    velocity: float,
    length_s: float,
    release_s: float,
    rate: int,
) -> np.ndarray:
    """One note on a freshly reset synthesizer: key held `length_s`, then `release_s` of release."""
    synth.reset()
    synth.note_on(preset, midi, velocity)
    held = bytearray(round(length_s * rate) * 4)
    synth.render(held)
    synth.note_off(preset, midi)
    tail = bytearray(round(release_s * rate) * 4)
    synth.render(tail)
    return np.frombuffer(bytes(held) + bytes(tail), dtype=np.float32).astype(np.float64)


def render_sequence(
    synth: Any,
    preset: int,
    notes: list[tuple[float, float, int]],
    velocity: float,
    release_s: float,
    rate: int,
) -> np.ndarray:
    """Several notes (onset_s, duration_s, midi), overlapping or not, on a freshly reset
    synthesizer: each key goes down at its onset and up after its duration (a key released at
    the moment another goes down is released first), then `release_s` more is rendered."""
    events = sorted(
        [(round(o * rate), 1, m) for o, _, m in notes]
        + [(round((o + d) * rate), 0, m) for o, d, m in notes]
    )
    synth.reset()
    chunks: list[bytes] = []
    now = 0
    for frame, down, midi in events:
        if frame > now:
            buffer = bytearray((frame - now) * 4)
            synth.render(buffer)
            chunks.append(bytes(buffer))
            now = frame
        if down:
            synth.note_on(preset, midi, velocity)
        else:
            synth.note_off(preset, midi)
    tail = bytearray(round(release_s * rate) * 4)
    synth.render(tail)
    chunks.append(bytes(tail))
    return np.frombuffer(b"".join(chunks), dtype=np.float32).astype(np.float64)


def fingerprint_extra(recipe: dict[str, Any]) -> dict[str, Any]:
    try:
        sf2 = sha256_file(soundfont_path(recipe))
    except Unavailable as exc:
        sf2 = f"unavailable: {exc}"
    return {"soundfont_sha256": sf2, "tinysoundfont": package_version("tinysoundfont")}


def class_plan(recipe: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """class -> {programs, pitches} from the tier items, the recipe's extras and its offsets."""
    tier = load_tier(recipe["tier"])
    offsets = recipe["render"]["pitch_offsets"]
    extra = recipe.get("extra_programs", {})
    plan: dict[str, dict[str, Any]] = {}
    for item in tier.items:
        assert item.note is not None
        entry = plan.setdefault(item.class_key, {"programs": set(), "pitches": set()})
        if item.note.gm_program is not None:
            entry["programs"].add(item.note.gm_program)
        entry["pitches"].update(
            item.note.midi + o for o in offsets if 0 <= item.note.midi + o <= 127
        )
    for class_key, programs in extra.items():
        plan.setdefault(class_key, {"programs": set(), "pitches": set()})["programs"].update(
            programs
        )
    return {
        k: {"programs": sorted(v["programs"]), "pitches": sorted(v["pitches"])}
        for k, v in sorted(plan.items())
    }


def build(recipe: dict[str, Any], writer: SetWriter) -> dict[str, Any]:
    sf_info = recipe["soundfont"]
    path = soundfont_path(recipe)
    rate = int(sf_info["render_rate"])
    synth = open_synth(path, rate)
    render = recipe["render"]
    recipe_missing: dict[str, str] = {k: " ".join(v.split()) for k, v in recipe["missing"].items()}
    reasons: dict[str, str] = {}
    source = f"pypi:{sf_info['package']}/{path.name}"
    for class_key, entry in class_plan(recipe).items():
        if class_key in recipe_missing:
            reasons[class_key] = recipe_missing[class_key]
            continue
        if not entry["programs"]:
            reasons[class_key] = "no tier item of this class names a GM program to render"
            continue
        for program in entry["programs"]:
            preset = synth.get_preset_index(0, program)
            if preset < 0:
                reasons[class_key] = f"{path.name} has no preset for GM program {program}"
                continue
            preset_name = synth.get_preset_name(preset)
            for midi in entry["pitches"]:
                for velocity in render["velocities"]:
                    for length in render["lengths_s"]:
                        raw = render_note(
                            synth, preset, midi, velocity, length, render["release_s"], rate
                        )
                        vel = round(velocity * 100)
                        stem = f"p{program:03d}_{note_name(midi)}_v{vel:03d}_l{length:g}"
                        writer.add(
                            stem,
                            prepare(raw, rate, ANALYSIS_RATE),
                            class_key=class_key,
                            source=source,
                            license=sf_info["license"],
                            original_sample_rate=rate,
                            meta={
                                "midi": midi,
                                "f0_hz": round(440.0 * 2 ** ((midi - 69) / 12), 4),
                                "gm_program": program,
                                "preset": preset_name,
                                "velocity": velocity,
                                "key_down_s": length,
                                "release_s": render["release_s"],
                            },
                        )
    sources = [
        {
            "source": source,
            "package": f"pypi:{sf_info['package']} {package_version(sf_info['package'])}",
            "renderer": f"pypi:tinysoundfont {package_version('tinysoundfont')}",
            "license": sf_info["license"],
            "sha256": sha256_file(path),
            "how": "rendered note by note at the render rate, mono, then soxr HQ to 16 kHz",
        }
    ]
    return {"sources": sources, "reasons": reasons}
