"""A built reference set checked against its own labels: every labelled pitch is measured.

A reference set is the yardstick of its tier; a clip that is not the note its label names would
make every system look worse (or better) for the wrong reason. So when a set whose clips carry
`f0_hz` is built, one rendering of each (program, pitch) is measured with the pitch metric's own
estimator (the velocity and length variants share preset, label and pitch) and the result is
stored in the set's manifest, for `refs show` to report per family:

- a family whose median |pitch-class error| exceeds the tolerance is out of tune: a problem;
- a family measured a whole number of octaves off, in tune by pitch class, is accepted only
  where the recipe's [self_check.octave_rules] documents why (the Church Organ preset sounds a
  sub-octave rank as loud as its fundamental), and listed with that rule;
- single clips out of tune by pitch class are listed as outliers.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import soundfile as sf

from audioprobe.references.model import RefClip

TOLERANCE_CENTS = 50.0  # the pitch metric's in-tune tolerance
OUTLIERS_SHOWN = 20


def check_pitch(clips: list[RefClip], octave_rules: dict[str, str]) -> dict[str, Any] | None:
    """The self-check record of `clips` (None when no clip is labelled with a pitch)."""
    labelled = [c for c in clips if "f0_hz" in c.meta]
    if not labelled:
        return None
    try:
        from audioprobe.scoring.pitch import ESTIMATOR, PitchSettings, estimate_f0, pitch_error
    except ImportError as exc:  # librosa is a scoring extra
        return {"unavailable": f"pitch estimator not installed ({exc.name}): pip install librosa"}
    settings = PitchSettings()
    seen: set[tuple[Any, ...]] = set()
    by_family: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for clip in labelled:
        key = (clip.class_key, clip.meta.get("preset"), clip.meta["f0_hz"])
        if key in seen:
            continue
        seen.add(key)
        audio, _ = sf.read(str(clip.path), dtype="float32")
        est = estimate_f0(audio, settings)
        row: dict[str, Any] = {"clip": clip.path.name, "label_hz": clip.meta["f0_hz"]}
        if est.f0_hz is not None:
            err = pitch_error(est.f0_hz, clip.meta["f0_hz"], TOLERANCE_CENTS)
            row |= {
                "f0_hz": round(est.f0_hz, 3),
                "cents": round(err.cents, 1),
                "pitch_class": round(err.pitch_class, 1),
                "octaves": err.octaves,
            }
        if "preset" in clip.meta:
            row["preset"] = clip.meta["preset"]
        by_family[clip.class_key].append(row)
    families = [
        _family(name, rows, octave_rules.get(name)) for name, rows in sorted(by_family.items())
    ]
    outliers = [
        {"family": f["family"], **r}
        for f, rows in zip(families, (by_family[f["family"]] for f in families), strict=True)
        for r in rows
        if "pitch_class" not in r or abs(r["pitch_class"]) > TOLERANCE_CENTS
    ]
    return {
        "estimator": ESTIMATOR,
        "tolerance_cents": TOLERANCE_CENTS,
        "measured": sum(len(r) for r in by_family.values()),
        "families": families,
        "outliers": outliers[:OUTLIERS_SHOWN],
        "outliers_total": len(outliers),
    }


def _family(name: str, rows: list[dict[str, Any]], rule: str | None) -> dict[str, Any]:
    pitched = [r for r in rows if "cents" in r]
    out: dict[str, Any] = {
        "family": name,
        "presets": sorted({r["preset"] for r in rows if "preset" in r}),
        "measured": len(rows),
        "unpitched": len(rows) - len(pitched),
    }
    if not pitched:
        return out | {"verdict": "no pitch measured"}
    cents = float(np.median([r["cents"] for r in pitched]))
    pitch_class = float(np.median([np.abs(r["pitch_class"]) for r in pitched]))
    shifted = sum(r["octaves"] != 0 for r in pitched)
    out |= {
        "median_cents": round(cents, 1),
        "median_abs_pitch_class": round(pitch_class, 1),
        "octave_shifted": shifted,
    }
    if pitch_class > TOLERANCE_CENTS:
        verdict = "out of tune"
    elif abs(cents) <= TOLERANCE_CENTS:
        verdict = "in tune"
    elif rule:
        verdict = "octave (rule)"
        out["rule"] = " ".join(rule.split())
    else:
        verdict = "octave: no rule"
    return out | {"verdict": verdict}
