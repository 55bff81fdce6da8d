"""Run planning: what a run streams and backfills, given what the lake already holds."""

from __future__ import annotations

from local.plan import plan_stretches

P = 300_000
"""A 5-minute tick."""


def _plan(taken: list[tuple[int, int]], want_from: int | None = None, max_history: int = 10**12):
    return plan_stretches(
        taken=taken, ticks_from=10 * P, end_ms=13 * P, period_ms=P, want_from=want_from, max_history_ms=max_history
    )


def test_a_new_lake_streams_the_ticks_and_backfills_the_history_asked_for() -> None:
    assert _plan([], want_from=0) == ([(10 * P, 11 * P), (11 * P, 12 * P), (12 * P, 13 * P)], [(0, 10 * P)])


def test_what_the_lake_holds_whole_or_held_is_never_written_again() -> None:
    windows, history = _plan([(0, 5 * P), (10 * P, 11 * P), (12 * P, 13 * P)], want_from=0)
    assert windows == [(11 * P, 12 * P)]  # the held or covered ticks are skipped
    assert history == [(5 * P, 10 * P)]  # the gap since the lake's last stretch


def test_the_gap_between_the_lake_and_the_ticks_is_backfilled_without_being_asked() -> None:
    assert _plan([(2 * P, 4 * P)]) == ([(10 * P, 11 * P), (11 * P, 12 * P), (12 * P, 13 * P)], [(4 * P, 10 * P)])


def test_a_tick_the_lake_holds_in_part_streams_only_the_rest() -> None:
    windows, history = _plan([(0, 10 * P + 1000)])
    assert windows[0] == (10 * P + 1000, 11 * P) and history == []


def test_long_history_is_cut_into_ranges_of_at_most_the_bound() -> None:
    _, history = _plan([], want_from=0, max_history=4 * P)
    assert history == [(0, 4 * P), (4 * P, 8 * P), (8 * P, 10 * P)]


def test_a_lake_that_holds_everything_plans_nothing() -> None:
    assert _plan([(0, 13 * P)], want_from=0) == ([], [])
