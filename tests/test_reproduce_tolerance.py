"""The declared tolerances of `reproduce`: which published cell may differ from its reproduction,
by how much, and which must be equal."""

from __future__ import annotations

import pytest

from audioprobe.publication.compare import (
    EXACT,
    FLOAT,
    NEURAL,
    Comparison,
    Redrawn,
    close,
    compare_table,
    tolerance_of,
)
from audioprobe.publication.tables import Table


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


def test_a_set_value_over_a_redrawn_clip_is_reported_not_judged_and_the_rest_still_is():
    """A value over other audio is a new draw: far outside its published interval it is
    "redrawn", not a mismatch; the same change in a set with no redrawn clip is a mismatch."""
    trials = Table("trials", ("trial_id",), ["trial_id", "model", "tier", "class_key"], [
        {"trial_id": "m/notes/a/0", "model": "m", "tier": "notes", "class_key": "keyboard"},
        {"trial_id": "m/speech/b/0", "model": "m", "tier": "speech", "class_key": "speech"},
    ])  # fmt: skip
    keys = ("model", "tier", "class_key", "column")
    columns = [*keys, "value", "ci_low", "ci_high"]

    def sets(notes: str, speech: str) -> Table:
        return Table("sets", keys, columns, [
            {"model": "m", "tier": "notes", "class_key": "", "column": "fad",
             "value": notes, "ci_low": "0.4", "ci_high": "0.6"},
            {"model": "m", "tier": "speech", "class_key": "", "column": "fad",
             "value": speech, "ci_low": "0.4", "ci_high": "0.6"},
        ])  # fmt: skip

    out = Comparison()
    redrawn = Redrawn.of({"m/notes/a/0"}, trials)
    compare_table(out, sets("0.5", "0.5"), sets("0.9", "0.9"), redrawn)
    verdicts = {d.key.split("/")[1]: d.verdict for d in out.diffs if d.column == "value"}
    assert verdicts == {"notes": "redrawn", "speech": "mismatch"}


def test_metrics_through_a_network_get_the_neural_tolerance_the_rest_float():
    assert tolerance_of("fad") is NEURAL and tolerance_of("wer") is NEURAL
    assert tolerance_of("pitch") is FLOAT and tolerance_of("duration") is FLOAT
