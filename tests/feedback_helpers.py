"""Answers and specs for the feedback-round tests: a round-0 answer that writes silence (a float
signal in [-1, 1] cast to int16, the small models' commonest slip) and a round-1 answer that
renders the note right."""

from __future__ import annotations

import json
from pathlib import Path

SILENT = """```python
import numpy as np
from scipy.io import wavfile
t = np.arange(16000 * 2) / 16000
tone = 0.5 * np.sin(2 * np.pi * 440 * t)
wavfile.write("output.wav", 16000, tone.astype(np.int16))
```"""
GOOD = """```python
import numpy as np
from scipy.io import wavfile
t = np.arange(16000 * 2) / 16000
tone = 0.5 * np.sin(2 * np.pi * 440 * t)
wavfile.write("output.wav", 16000, (tone * 32767).astype(np.int16))
```"""
FLAT = GOOD.replace("440", "415")  # renders, but a semitone flat: the task is not met


def replay_file(path: Path, answers: dict[int, str], item: str = "sine-a4") -> Path:
    lines = [{"item": item, "round": r, "completion": text} for r, text in answers.items()]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return path


def feedback_spec(path: Path, model_toml: str, rounds: int, items: list[str]) -> Path:
    path.write_text(
        f"""
name = "fb"
[[tiers]]
name = "notes"
items = {json.dumps(items)}
{model_toml}
[feedback]
rounds = {rounds}
[sandbox]
backend = "auto"
[sandbox.limits]
wall_s = 30
"""
    )
    return path
