"""Measures across rounds on hand-made trial records: a trial that stopped early keeps its last
round's result, a later round may break what rendered, unknown verdicts and infrastructure faults
stay out of the denominators."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from audioprobe.cli.rounds import rounds_table
from audioprobe.results.rounds import round_curves
from audioprobe.store import TrialRecord
from audioprobe.trial_record import TrialResult


def trial(item: str, sample: int, rounds: list[tuple[str, bool | None]], tier="speech"):
    listed = [{"round": r, "status": s, "round_success": ok} for r, (s, ok) in enumerate(rounds)]
    status, success = rounds[-1]
    record = {"rounds": listed, "round": len(rounds) - 1, "round_success": success}
    record["feedback"] = {"rounds": 3}
    return TrialRecord(
        trial_id=f"m/{tier}/{item}/{sample}", model="m", model_kind="replay", tier=tier,
        item=item, sample=sample, status=status, error=None, dir=Path("/x"),
        record=TrialResult.read(record),
        run_root=Path("/"),
    )  # fmt: skip


def test_rates_by_round_carry_the_last_result_forward_and_count_regressions():
    trials = [
        trial("a", 0, [("ok", True)]),  # right at once: stops
        trial("a", 1, [("invalid_audio", False), ("ok", True)]),  # repaired at round 1
        trial("b", 0, [("ok", False), ("runtime_error", False), ("ok", False)]),  # broke, then not
        trial("b", 1, [("ok", None), ("ok", None), ("ok", None)]),  # no recogniser: unknown
        trial("c", 0, [("llm_error", None)]),  # infrastructure: left out everywhere
    ]
    (curve,) = round_curves(trials)
    assert curve.rounds == 3
    assert [str(p.rendered) for p in curve.points] == ["75% (3/4)", "75% (3/4)", "100% (4/4)"]
    assert [str(p.success) for p in curve.points] == ["33% (1/3)", "67% (2/3)", "67% (2/3)"]
    assert abs(curve.gain("render") - 0.25) < 1e-12
    assert abs(curve.gain("task success") - 1 / 3) < 1e-12
    assert str(curve.repaired) == "50% (1/2)"
    got = {(p.what, p.k): p.value for p in curve.pass_at}
    # items a (2 samples, 2 successes) and b (1 known sample, 0 successes)
    assert got[("task success", 1)] == (1.0 + 0.0) / 2
    assert got[("task success", 2)] == 1.0  # only item a has two known samples
    assert got[("render", 1)] == (1.0 + 1.0) / 2


def test_a_cell_where_nothing_failed_at_round_zero_has_none_to_repair():
    (curve,) = round_curves([trial("a", 0, [("ok", True)], tier="notes")])
    console = Console(width=200, record=True)
    console.print(rounds_table([curve]))
    assert "none to repair" in console.export_text()
