"""Replayed answers that play given notes: a plain numpy additive synthesiser, as a model would
write one, so note-level scoring is tested on audio rendered in the real sandbox."""

from __future__ import annotations

import json
from pathlib import Path

ANSWER = """Here is the phrase, rendered with additive synthesis.

```python
import numpy as np
from scipy.io import wavfile

sr = 16000
notes = {notes}  # [onset_s, duration_s, midi]
out = np.zeros(int(sr * {total}))
for onset, duration, midi in notes:
    f0 = 440.0 * 2 ** ((midi - 69) / 12)
    t = np.arange(int(sr * duration)) / sr
    tone = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 6))
    envelope = np.minimum(1.0, np.minimum(t / 0.01, (duration - t) / 0.03))
    start = int(sr * onset)
    out[start:start + t.size] += 0.2 * tone * envelope
out = out / max(1.0, np.abs(out).max())
wavfile.write("output.wav", sr, (out * 32767).astype(np.int16))
```
"""


def answers_file(path: Path, versions: dict[str, list[list[float]]], total: float) -> Path:
    """A replay file: one answer per key (an item id, or a version name), each playing its
    notes = [[onset_s, duration_s, midi], ...] in a clip `total` seconds long."""
    lines = [
        {"item": name, "completion": ANSWER.format(notes=json.dumps(notes), total=total)}
        for name, notes in versions.items()
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return path
