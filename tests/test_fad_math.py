"""FAD: agreement with frechet-audio-distance, stability when N < D, the two-way root check."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import numpy as np
import pytest
from scipy import linalg

from audioprobe.scoring import fad as fad_mod
from audioprobe.scoring.fad import (
    checked_frechet_distance,
    frechet_distance,
    frechet_distance_from_stats,
)
from audioprobe.scoring.intervals import bootstrap_interval, fad_infinity


def _reference_fad():
    """frechet-audio-distance's own calculate_frechet_distance, taken from the installed file.

    Importing the package pulls torch, laion_clap and encodec; the function itself needs only
    numpy and scipy, so its definition is compiled alone from the package's source.
    """
    pytest.importorskip("scipy")
    spec = importlib.util.find_spec("frechet_audio_distance")
    if spec is None or spec.origin is None:
        pytest.skip("frechet-audio-distance not installed (pip install --no-deps it)")
    tree = ast.parse((Path(spec.origin).parent / "fad.py").read_text())
    node = next(
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.FunctionDef) and n.name == "calculate_frechet_distance"
    )
    namespace = {"np": np, "linalg": linalg}
    exec(compile(ast.Module(body=[node], type_ignores=[]), "fad_reference", "exec"), namespace)
    return lambda mu1, s1, mu2, s2: namespace["calculate_frechet_distance"](None, mu1, s1, mu2, s2)


@pytest.mark.parametrize(("n", "d"), [(300, 32), (400, 128)])
def test_matches_frechet_audio_distance_on_same_statistics(n: int, d: int) -> None:
    reference = _reference_fad()
    rng = np.random.default_rng(d)
    a = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) * 0.2
    b = rng.normal(size=(n + 17, d)) * 1.5 + 0.3
    stats = (a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))
    expected = reference(*stats)
    assert frechet_distance_from_stats(*stats) == pytest.approx(expected, rel=1e-6)
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)


def test_finite_and_non_negative_when_fewer_clips_than_dimensions() -> None:
    rng = np.random.default_rng(0)
    gen = rng.normal(size=(5, 512))
    ref = rng.normal(size=(40, 512))
    result = checked_frechet_distance(gen, ref)
    assert isinstance(result.value, float) and np.isfinite(result.value) and result.value > 0
    assert result.check.agree, result.warnings
    # Same set on both sides: zero up to rounding, never negative.
    assert 0.0 <= frechet_distance(ref, ref) < 1e-9


def test_near_identical_sines_against_200_reference_clips() -> None:
    """8 almost equal clips have a near-zero covariance: the classic sqrtm route goes complex
    or NaN here; the value must be a finite, non-negative real number."""
    rng = np.random.default_rng(1)
    sine = rng.normal(size=(1, 128))
    gen = np.repeat(sine, 8, axis=0) + 1e-9 * rng.normal(size=(8, 128))
    ref = rng.normal(size=(200, 128))
    result = checked_frechet_distance(gen, ref)
    assert type(result.value) is float and np.isfinite(result.value) and result.value >= 0
    expected = float(((sine[0] - ref.mean(0)) ** 2).sum() + np.trace(np.cov(ref, rowvar=False)))
    assert result.value == pytest.approx(expected, rel=1e-6)


def test_root_checked_two_ways_warns_on_disagreement(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(2)
    gen, ref = rng.normal(size=(20, 16)), rng.normal(size=(50, 16))
    assert checked_frechet_distance(gen, ref).warnings == []
    monkeypatch.setattr(fad_mod, "trace_sqrt_general", lambda a, b: 1e6)
    result = checked_frechet_distance(gen, ref)
    assert not result.check.agree
    assert "disagree" in result.warnings[0]


def test_rejects_single_clip_and_nan() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        frechet_distance(np.zeros((1, 4)), np.zeros((5, 4)))
    bad = np.ones((3, 4))
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        frechet_distance(bad, np.ones((3, 4)))


def test_bootstrap_and_fad_inf_repeat_exactly() -> None:
    rng = np.random.default_rng(3)
    gen, ref = rng.normal(size=(24, 32)) + 0.2, rng.normal(size=(80, 32))
    point = frechet_distance(gen, ref)

    def run():
        iv = bootstrap_interval(
            frechet_distance,
            point,
            gen,
            ref,
            n_boot=40,
            seed=7,
            key=("m", "notes"),
            bounds=(0.0, None),
        )
        inf = fad_infinity(
            gen, ref, steps=5, min_fraction=0.25, repeats=2, seed=7, key=("m", "notes")
        )
        return iv, inf

    (iv1, inf1), (iv2, inf2) = run(), run()
    assert iv1 == iv2 and inf1 == inf2
    assert iv1.low <= point <= iv1.high and iv1.se > 0
    assert np.isfinite(inf1.value) and len(inf1.points) == 5
    other = bootstrap_interval(
        frechet_distance, point, gen, ref, n_boot=40, seed=8, key=("m", "notes"), bounds=(0.0, None)
    )
    assert other.se != iv1.se
