"""The declared tolerances of `reproduce`: which published cell may differ from its reproduction,
by how much, and which must be equal."""

from __future__ import annotations

import pytest

from audioprobe.publication.compare import EXACT, FLOAT, NEURAL, close, inside, tolerance_of


@pytest.mark.parametrize(
    "published,reproduced,tolerance,verdict",
    [
        ("0.1", "0.1", EXACT, "equal"),
        ("3", "3.0", EXACT, "mismatch"),  # a count written otherwise is another count
        ("0.30000000000000004", "0.3", FLOAT, "within"),  # summation order
        ("0.3", "0.3000001", FLOAT, "mismatch"),
        ("12.5", "12.504", NEURAL, "within"),  # 3.2e-4 relative
        ("12.5", "12.52", NEURAL, "mismatch"),
        ("0", "5e-7", NEURAL, "within"),  # near zero the absolute bound holds
        ("ok", "error", NEURAL, "mismatch"),
        ("nan", "nan", FLOAT, "equal"),
        ("nan", "0.1", FLOAT, "mismatch"),
        ("", "0.1", FLOAT, "mismatch"),  # a number where none was published
    ],
)
def test_close_applies_each_declared_tolerance(published, reproduced, tolerance, verdict):
    assert close(published, reproduced, tolerance) == verdict


def test_a_value_over_a_redrawn_clip_must_stay_inside_the_published_interval():
    row = {"value": "0.5", "ci_low": "0.4", "ci_high": "0.6"}
    names = ("value", "ci_low", "ci_high")
    assert inside(row, "0.55", names) == "redrawn"
    assert inside(row, "0.61", names) == "mismatch"
    assert inside({"value": "0.5", "ci_low": "", "ci_high": ""}, "0.7", names) == "redrawn"


def test_metrics_through_a_network_get_the_neural_tolerance_the_rest_float():
    assert tolerance_of("fad") is NEURAL and tolerance_of("wer") is NEURAL
    assert tolerance_of("pitch") is FLOAT and tolerance_of("duration") is FLOAT
