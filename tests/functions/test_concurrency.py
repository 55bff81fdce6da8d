"""A device plays one session at a time and a household never exceeds its plan's stream limit, in the stream and
in the backfill, which stay equal."""

from __future__ import annotations

import collections
import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from functions.shared import concurrency, domains, households
from functions.shared.dimensions import Dimensions
from functions.shared.world import World
from tests.functions import busy_day
from tests.functions.busy_day import BATCH, DAY, DAY_MS
from tests.functions.invariants import check_events


@pytest.fixture(scope="module")
def dims() -> Dimensions:
    return busy_day.dims()


@pytest.fixture(scope="module")
def world() -> World:
    return busy_day.world()


@pytest.fixture(scope="module")
def day_ticks() -> list[list[dict]]:
    return busy_day.day_ticks()


def _most_at_once(events: list[dict], key: str) -> dict[str, int]:
    """Per `key` (customer_id or device_id), the most sessions running at one instant, a session running from its
    first event to its last (an end and a start at the same instant do not overlap), as local.profile counts."""
    span: dict[str, list] = {}
    for ev in events:
        t = ev["event_timestamp"]
        s = span.setdefault(ev["session_id"], [t, t, ev[key]])
        s[0], s[1] = min(s[0], t), max(s[1], t)
    steps: dict[str, list[tuple[str, int]]] = collections.defaultdict(list)
    for start, end, owner in span.values():
        steps[owner] += [(start, 1), (end, -1)]
    most = {}
    for owner, points in steps.items():
        running = peak = 0
        for _, step in sorted(points):  # -1 sorts before +1 at the same instant
            running += step
            peak = max(peak, running)
        most[owner] = peak
    return most


def _check_guarantee(events: list[dict], dims: Dimensions) -> None:
    tier = {c["customer_id"]: c["subscription_tier"] for c in dims.customers}
    by_device = _most_at_once(events, "device_id")
    by_household = _most_at_once(events, "customer_id")
    assert max(by_device.values()) == 1
    over = {c: n for c, n in by_household.items() if n > domains.PLAN_STREAM_LIMITS[tier[c]]}
    assert not over
    # Not vacuous: premium households do run several streams at once.
    assert any(n > 1 for c, n in by_household.items() if tier[c] == "premium")


def test_the_audience_carries_the_volume_so_the_rule_applies(world: World) -> None:
    assert world.exclusive
    assert households.subscriber_hours(BATCH, len(world.customers)) < households.HOURS_PER_SUBSCRIBER_BAND[1]


def test_a_days_ticks_never_overlap_a_device_nor_exceed_a_households_plan(
    dims: Dimensions, day_ticks: list[list[dict]]
) -> None:
    events = [ev for tick in day_ticks for ev in tick]
    check_events(events, dims)
    _check_guarantee(events, dims)


def test_a_day_still_averages_about_batch_size_events_per_five_minutes(
    world: World, day_ticks: list[list[dict]]
) -> None:
    """The start rate is raised by the admitted share, so the played sessions carry the world's volume: within 15 %
    on a world this small, whose ad-tier households fill more or fewer breaks than world.AD_EVENTS_PER_SESSION's."""
    events = sum(map(len, day_ticks))
    assert events == pytest.approx(world.expected_events(DAY_MS, DAY_MS + 86_400_000), rel=0.15)


def test_without_admission_the_same_candidates_would_overlap(world: World) -> None:
    """The rule refuses candidates: every slot's verdicts are a strict subset over a day."""
    admission = concurrency.Admission(world)
    first = DAY_MS // 60_000
    verdicts = [admission.admitted(slot) for slot in range(first, first + 1440)]
    played = sum(sum(v) for v in verdicts)
    candidates = sum(len(v) for v in verdicts)
    assert 0.3 * candidates < played < 0.9 * candidates


def test_a_slots_verdicts_do_not_depend_on_where_the_pass_started(world: World) -> None:
    """Admission is not recursive: a pass started one look-back before a slot and one started a day earlier
    judge it the same (what lets a cold window, a warm tick and a backfill block agree)."""
    slot = DAY_MS // 60_000 + 20 * 60  # 20:00 UTC, evening in the Americas
    long_pass = concurrency.Admission(world)
    for s in range(slot - 1440, slot + 30):
        long_pass.admitted(s)
    for s in range(slot, slot + 30):
        assert concurrency.Admission(world).admitted(s) == long_pass.admitted(s)


def test_the_backfill_plays_the_same_sessions_and_keeps_the_guarantee(
    dims: Dimensions, world: World, day_ticks: list[list[dict]], tmp_path: Path
) -> None:
    from lakewriter.backfill import run_backfill

    run_backfill(DAY, DAY + dt.timedelta(days=1), seed=world.seed, batch_size=BATCH, out=str(tmp_path), dims=dims)
    lake = [r for p in sorted(tmp_path.rglob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    streamed = {ev["event_id"]: ev for tick in day_ticks for ev in tick}
    assert {r["event_id"]: r for r in lake} == streamed
    _check_guarantee(lake, dims)


def test_a_two_day_backfill_keeps_the_guarantee_across_its_blocks(dims: Dimensions, tmp_path: Path) -> None:
    from lakewriter.backfill import run_backfill

    run_backfill(DAY, DAY + dt.timedelta(days=2), seed=5, batch_size=BATCH, out=str(tmp_path), dims=dims)
    lake = [r for p in sorted(tmp_path.rglob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    assert len(lake) > 8000
    _check_guarantee(lake, dims)


def test_a_world_too_dense_for_its_audience_plays_every_candidate(dims: Dimensions) -> None:
    """Too few customers for the volume (over 3 hours a subscriber a day): volume wins, nothing is refused."""
    dense = World(3, dims, 200)
    assert not dense.exclusive and dense.admitted_share == 1.0
    slot = DAY_MS // 60_000 + 20 * 60
    verdicts = concurrency.Admission(dense).admitted(slot)
    assert verdicts and set(verdicts) == {1} and len(verdicts) == dense.slot_count(slot)


def test_the_pass_forgets_ended_holds_and_judges_the_same(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pruning (PRUNE_EVERY) keeps only the households still holding a stream, and changes no verdict: a day's pass
    that never prunes judges every slot alike and ends holding every household it met (up to the day's last slot: at
    the next day's start it takes on that day's look-back state)."""
    day = concurrency.pass_start(DAY_MS // 60_000 + 12 * 60)
    slots = range(day, day + 1439)
    pruned = concurrency.Admission(world)
    kept = b"".join(pruned.admitted(s) for s in slots)
    monkeypatch.setattr(concurrency, "PRUNE_EVERY", 1 << 40)
    whole = concurrency.Admission(world)
    assert b"".join(whole.admitted(s) for s in slots) == kept and kept.count(0) > 50
    assert 0 < pruned.state_size()[1] < whole.state_size()[1] / 5
