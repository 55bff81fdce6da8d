"""A live-event surge's extra volume is its own scope's: the same world streamed with its incidents and without them,
the scope's attempts rise by about the surge's factor and everyone else's not at all; the backfill equals the stream
and the admission guarantee holds through the surge (docs/incidents.md)."""

from __future__ import annotations

import collections
import datetime as dt
import functools
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from functions.generator.events import clear_window_cache, window_events
from functions.shared import domains, households
from functions.shared.dimensions import Dimensions, generate_dimensions
from functions.shared.incidents import Incident
from functions.shared.world import World
from tests.functions.invariants import check_events
from tests.functions.test_concurrency import _most_at_once

HOUR_MS = 3_600_000
TICK_MS = 300_000
SURGE_DAY_MS = 1_796_169_600_000
"""2026-12-02 00:00 UTC: seed 1's world has a live surge in the US from 02:50 UTC (x2.417, 3 h)."""
BATCH = 200
"""With 4,350 customers (households.audience_size: 21.75 a unit), an audience that carries the volume."""
ATTEMPTS = ("start", "start_failed", "exit_before_start")


@functools.cache
def dims() -> Dimensions:
    return generate_dimensions(1, customers=4500, titles=500, campaigns=100)


@functools.cache
def world() -> World:
    return World(1, dims(), BATCH)


@functools.cache
def surge() -> Incident:
    day = world().incidents(SURGE_DAY_MS, SURGE_DAY_MS + 86_400_000)
    return next(i for i in day if i.incident_type == "live_surge")


def _window() -> tuple[int, int]:
    """The surge's hours, an hour either side."""
    s = surge()
    return s.start_ms - s.start_ms % HOUR_MS - HOUR_MS, s.end_ms - s.end_ms % HOUR_MS + 2 * HOUR_MS


def _stream(w: World) -> list[dict]:
    clear_window_cache()
    start, end = _window()
    return [ev for t in range(start, end, TICK_MS) for ev in window_events(w, t, t + TICK_MS)]


@functools.cache
def shaped() -> list[dict]:
    return _stream(world())


@functools.cache
def calm() -> list[dict]:
    w = World(1, dims(), BATCH)
    w.incidents = lambda start_ms, end_ms: ()  # type: ignore[method-assign]
    return _stream(w)


def _epoch_ms(timestamp: str) -> int:
    return int(dt.datetime.fromisoformat(timestamp).timestamp() * 1000)


def _attempts(events: list[dict]) -> collections.Counter[str]:
    """Attempts (a session's start, start_failed or exit_before_start) in the surge's window, by country."""
    s = surge()
    return collections.Counter(
        ev["country"]
        for ev in events
        if ev["event_type"] in ATTEMPTS
        and s.start_ms <= _epoch_ms(ev["event_timestamp"]) - ev["startup_time_ms"] < s.end_ms
    )


def _sessions(events: list[dict]) -> dict[str, list[dict]]:
    by_id: dict[str, list[dict]] = collections.defaultdict(list)
    for ev in events:
        by_id[ev["session_id"]].append(ev)
    return by_id


def test_the_surge_is_a_countrys_and_its_world_carries_its_volume() -> None:
    s = surge()
    assert s.country == "US" and s.volume_permille > 2000 and s.end_ms - s.start_ms > 2 * HOUR_MS
    assert world().exclusive  # the admission pass applies: extra candidates compete with the scope's own
    assert households.subscriber_hours(BATCH, len(dims().customers)) < households.HOURS_PER_SUBSCRIBER_BAND[1]


def test_the_scopes_attempts_rise_by_about_the_surges_factor_and_no_other_countrys_move() -> None:
    s = surge()
    hot, cold = _attempts(shaped()), _attempts(calm())
    assert cold[s.country] >= 500
    assert hot[s.country] / cold[s.country] == pytest.approx(s.volume_permille / 1000, rel=0.25)
    others = [c for c in cold if c != s.country]
    assert sum(cold[c] for c in others) >= 250
    for c in others:
        assert hot[c] == pytest.approx(cold[c], rel=0.10), c


def test_every_session_outside_the_scope_is_as_without_incidents_and_every_new_one_is_the_scopes() -> None:
    s = surge()
    hot, cold = _sessions(shaped()), _sessions(calm())
    outside = [k for k, evs in cold.items() if evs[0]["country"] != s.country]
    assert len(outside) > 500
    assert all(hot.get(k) == cold[k] for k in outside)
    assert {evs[0]["country"] for k, evs in hot.items() if evs[0]["country"] != s.country} == set(
        cold[k][0]["country"] for k in outside
    )
    new = [evs for k, evs in hot.items() if k not in cold]
    assert len(new) > 300
    assert {evs[0]["country"] for evs in new} == {s.country}


def test_extra_viewers_are_the_scopes_subscribers_not_only_the_days_usual_viewers() -> None:
    """A live event draws whoever subscribes in its country: the new sessions reach more of its households than the
    sessions without incidents did in the same hours."""
    s = surge()
    cold = _sessions(calm())
    cold_homes = {evs[0]["customer_id"] for evs in cold.values() if evs[0]["country"] == s.country}
    new_homes = {evs[0]["customer_id"] for k, evs in _sessions(shaped()).items() if k not in cold}
    assert len(new_homes - cold_homes) > 0.5 * len(new_homes)


def test_devices_play_one_session_at_a_time_and_households_stay_within_their_plan_through_the_surge() -> None:
    events = shaped()
    check_events(events, dims())
    tier = {c["customer_id"]: c["subscription_tier"] for c in dims().customers}
    assert max(_most_at_once(events, "device_id").values()) == 1
    by_household = _most_at_once(events, "customer_id")
    assert not {c: n for c, n in by_household.items() if n > domains.PLAN_STREAM_LIMITS[tier[c]]}
    assert any(n > 1 for c, n in by_household.items() if tier[c] == "premium")  # not vacuous


def test_the_backfill_of_the_surge_equals_the_stream_event_for_event(tmp_path: Path) -> None:
    from lakewriter.backfill import run_backfill

    start, end = _window()
    at = lambda ms: dt.datetime.fromtimestamp(ms / 1000, dt.UTC)  # noqa: E731
    run_backfill(at(start), at(end), seed=1, batch_size=BATCH, out=str(tmp_path), dims=dims())
    lake = [r for p in sorted(tmp_path.rglob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    streamed = {ev["event_id"]: ev for ev in shaped()}
    assert len(streamed) > 15_000
    assert {r["event_id"]: r for r in lake} == streamed


def test_a_surges_extra_rate_is_its_factor_of_the_scopes_share_whatever_the_audiences_size() -> None:
    """A surge's extra candidates per slot over the hour's rate are (factor - 1) x its scope's share of the hour's
    expected viewers: a share, the same for any audience, not a sum over the audience's 4,096-customer blocks (it
    grew with them: x3.97 attempts for a x2.42 surge on the default world, bench/surge_attempts.py)."""
    from functions.shared.dimensions import world_dimensions

    s = surge()
    shares = {}
    for customers in (4_500, 21_750, 400_000):
        big = World(1, world_dimensions(1, customers=customers, titles=500, campaigns=100), BATCH)
        plan = big.hour(s.start_ms // HOUR_MS + 1)
        (weight,) = (w for scope, w in plan.scoped if scope == s.country)
        shares[customers] = weight / plan.cumulative[-1]
        (extra,) = World._surge_rates(plan, [s])
        assert extra / plan.rate == pytest.approx((s.volume_permille / 1000 - 1) * shares[customers], rel=1e-6)
    assert 0.5 < shares[400_000] < 0.9, shares  # the US at its prime time, other markets in their small hours
    assert shares[4_500] == pytest.approx(shares[400_000], rel=0.05), shares
    assert shares[21_750] == pytest.approx(shares[400_000], rel=0.02), shares
