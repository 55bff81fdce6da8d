"""The world: windows of it, their shards and ticks, the backfill of the same range, and the local-time curve."""

from __future__ import annotations

import collections
import datetime as dt
import math
import zoneinfo
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.generator.events import (
    best_quality,
    device_identity,
    epoch_ms,
    format_timestamp_ms,
    window_events,
    window_records,
)
from functions.shared import domains, households
from functions.shared import world as wm
from functions.shared.dimensions import Dimensions, generate_dimensions
from functions.shared.schema import STREAMING_EVENTS
from functions.shared.world import World
from tests.functions.invariants import autoplayed, check_events

DAY = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
DAY_MS = epoch_ms(DAY)
TICK_MS = 300_000


@pytest.fixture(scope="module")
def dims() -> Dimensions:
    return generate_dimensions(seed=42, customers=300, titles=200)  # the default campaigns: ads fill as calibrated


@pytest.fixture(scope="module")
def small_world(dims: Dimensions) -> World:
    return World(2026, dims, 40)


@pytest.fixture(scope="module")
def day_ticks(small_world: World) -> list[list[dict]]:
    """The stream's 288 ticks over DAY, at 40 events per 5 minutes."""
    return [window_events(small_world, DAY_MS + i * TICK_MS, DAY_MS + (i + 1) * TICK_MS) for i in range(288)]


def test_the_days_ticks_satisfy_every_invariant_and_stay_in_their_windows(
    dims: Dimensions, day_ticks: list[list[dict]]
) -> None:
    for i, tick in enumerate(day_ticks[::24]):
        start = DAY + dt.timedelta(milliseconds=i * 24 * TICK_MS)
        check_events(tick, dims, window=(start, start + dt.timedelta(milliseconds=TICK_MS)))
    check_events([ev for tick in day_ticks for ev in tick], dims)
    assert all(tuple(ev) == STREAMING_EVENTS.column_names for ev in day_ticks[200])


def test_the_ticks_of_a_day_equal_the_backfill_of_that_day_ids_and_values(
    dims: Dimensions, small_world: World, day_ticks: list[list[dict]], tmp_path: Path
) -> None:
    from lakewriter.backfill import run_backfill

    run_backfill(DAY, DAY + dt.timedelta(days=1), seed=small_world.seed, batch_size=40, out=str(tmp_path), dims=dims)
    lake = [r for p in sorted(tmp_path.rglob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    streamed = {ev["event_id"]: ev for tick in day_ticks for ev in tick}
    assert len(streamed) == sum(map(len, day_ticks)) > 8000
    assert sum(ev["event_type"] == "ad_complete" for ev in streamed.values()) > 500  # ads are in what is compared
    assert {r["event_id"]: r for r in lake} == streamed


def test_sessions_continue_across_ticks_under_one_session_id(day_ticks: list[list[dict]]) -> None:
    ticks_of: dict[str, set[int]] = collections.defaultdict(set)
    for i, tick in enumerate(day_ticks):
        for ev in tick:
            ticks_of[ev["session_id"]].add(i)
    spanning = [sid for sid, ticks in ticks_of.items() if len(ticks) > 1]
    assert len(spanning) > 0.5 * len(ticks_of)
    by_session: dict[str, list[str]] = collections.defaultdict(list)
    for tick in day_ticks:
        for ev in tick:
            by_session[ev["session_id"]].append(ev["event_type"])
    # Whole sessions (begun and ended that day) read start ... end across however many ticks they span; an attempt
    # that never started is one event.
    whole = [
        t
        for t in by_session.values()
        if (t[0] == "start" and t[-1] in domains.SESSION_END_TYPES)
        or t == ["exit_before_start"]
        or t == ["start_failed"]
    ]
    assert len(whole) > 0.85 * len(by_session)  # the rest run across midnight at either end, or end in an error


def test_a_replayed_tick_is_byte_identical_and_its_shards_partition_it(small_world: World) -> None:
    start = DAY_MS + 20 * 3_600_000
    records = window_records(small_world, start, start + TICK_MS)
    assert records == window_records(small_world, start, start + TICK_MS)
    shards = [window_records(small_world, start, start + TICK_MS, shard=i, shards=3) for i in range(3)]
    assert all(shards)
    assert sorted(r["Data"] for s in shards for r in s) == sorted(r["Data"] for r in records)


@settings(max_examples=20, deadline=None)
@given(cut_ms=st.integers(1, TICK_MS - 1), offset_ms=st.integers(0, 10**9))
def test_any_split_of_a_window_holds_exactly_the_whole_windows_events(
    small_world: World, cut_ms: int, offset_ms: int
) -> None:
    start = DAY_MS + offset_ms
    whole = window_events(small_world, start, start + TICK_MS)
    parts = window_events(small_world, start, start + cut_ms) + window_events(
        small_world, start + cut_ms, start + TICK_MS
    )
    assert parts == whole


def test_the_hourly_rate_follows_the_audiences_local_evening(dims: Dimensions, small_world: World) -> None:
    """Counted by each session's start in its viewer's local hour, prime time outweighs the small hours, and the
    day's total matches batchSize per 5 minutes times the day's weight."""
    events = window_events(small_world, DAY_MS, DAY_MS + 86_400_000)
    zones = {c["customer_id"]: zoneinfo.ZoneInfo(c["timezone"]) for c in dims.customers}
    local_hours = collections.Counter()
    links = autoplayed(small_world, small_world.slot_range(DAY_MS, DAY_MS + 86_400_000))  # chains' episodes
    for ev in events:
        if ev["event_type"] == "start" and ev["session_id"] not in links:
            utc = dt.datetime.strptime(ev["event_timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
            local_hours[utc.astimezone(zones[ev["customer_id"]]).hour] += 1
    # What the hour plans expect in each local hour: each zone's share of its UTC hour's starts.
    planned = collections.Counter()
    for hour in range(DAY_MS // 3_600_000, DAY_MS // 3_600_000 + 24):
        plan, previous = small_world.hour(hour), 0
        for tz, running in zip(small_world.layout.zones, plan.cumulative, strict=True):
            offset = wm.hour_offset(tz, hour)
            planned[(hour * 60 + offset) // 60 % 24] += (running - previous) / plan.cumulative[-1] * plan.rate * 60
            previous = running
    prime, small_hours = ((19, 20, 21), (3, 4, 5))
    bare_ratio = sum(wm.HOUR_WEIGHTS[h] for h in prime) / sum(wm.HOUR_WEIGHTS[h] for h in small_hours)
    planned_ratio = sum(planned[h] for h in prime) / sum(planned[h] for h in small_hours)
    assert planned_ratio == pytest.approx(bare_ratio, rel=0.15)  # the curve, moved by half-hour zones and weekdays
    for hours in (prime, small_hours):  # starts are Poisson counts of the planned means: within four deviations
        expected = sum(planned[h] for h in hours)
        assert abs(sum(local_hours[h] for h in hours) - expected) <= 4 * math.sqrt(expected), (hours, expected)
    # The day's total against the curve's expectation (Thursday, weights relative to the week's mean): the plays' own
    # events (the ads' volume depends on the campaigns fitting these 300 customers: tests/functions/test_ad_events.py).
    content = sum(ev["event_type"] not in domains.AD_EVENT_TYPES for ev in events)
    own = (wm.EVENTS_PER_SESSION - wm.AD_EVENTS_PER_SESSION) / wm.EVENTS_PER_SESSION
    assert content == pytest.approx(small_world.expected_events(DAY_MS, DAY_MS + 86_400_000) * own, rel=0.05)


def test_batch_size_is_the_weekly_mean_of_events_per_five_minutes(dims: Dimensions) -> None:
    world = World(5, dims, 1000)
    week_ms = 7 * 86_400_000
    assert world.expected_events(DAY_MS, DAY_MS + week_ms) / (week_ms / TICK_MS) == pytest.approx(1000, rel=0.01)
    weekday = [world.expected_events(DAY_MS + d * 86_400_000, DAY_MS + (d + 1) * 86_400_000) for d in range(7)]
    assert max(weekday) > 1.1 * min(weekday)  # Friday and Saturday busier than Tuesday


def test_other_seeds_give_other_worlds(dims: Dimensions) -> None:
    a = window_events(World(1, dims, 200), DAY_MS, DAY_MS + TICK_MS)
    b = window_events(World(2, dims, 200), DAY_MS, DAY_MS + TICK_MS)
    assert a and b and not {e["event_id"] for e in a} & {e["event_id"] for e in b}


def test_customers_watch_only_while_subscribed_and_churned_ones_watched_before_they_left(dims: Dimensions) -> None:
    """Every event lies within its customer's subscription (never before the start date, nothing on or after the end
    date); customers who later cancelled watched while they were subscribed."""
    churned = [c for c in dims.customers if c["subscription_end_date"]]
    start_ms = epoch_ms(dt.datetime(2024, 6, 1, tzinfo=dt.UTC))
    events = window_events(World(3, dims, 300), start_ms, start_ms + 86_400_000)
    by_id = {c["customer_id"]: c for c in dims.customers}
    for ev in events:
        c = by_id[ev["customer_id"]]
        assert c["subscription_start_date"] <= ev["event_timestamp"][:10], ev
        if c["subscription_end_date"]:  # no event at all on or after the end date, a session's end included
            assert ev["event_timestamp"][:10] < c["subscription_end_date"], ev
    still_subscribed = {
        c["customer_id"] for c in churned if c["subscription_start_date"] <= "2024-06-01" < c["subscription_end_date"]
    }
    assert still_subscribed and {ev["customer_id"] for ev in events} & still_subscribed


@pytest.mark.parametrize(
    ("seed", "batch", "message"),
    [
        (-1, 10, "worldSeed must be an integer from 0 to"),
        (2**63, 10, "worldSeed must be an integer from 0 to"),
        (True, 10, "worldSeed must be an integer"),
        (1, 0, "batchSize must be an integer from 1 to 1,000,000"),
        (1, 1_000_001, "batchSize must be an integer from 1 to 1,000,000"),
        (1, 2.5, "batchSize must be an integer"),
    ],
)
def test_bad_world_seeds_and_batch_sizes_are_refused_naming_them(
    dims: Dimensions, seed: object, batch: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        World(seed, dims, batch)  # type: ignore[arg-type]


def test_the_python_and_compiled_draws_agree_bit_for_bit() -> None:
    import numpy as np

    from lakewriter.backfill import kernel

    keys = [0, 1, 2**63, 2**64 - 1, 0x0123456789ABCDEF]
    for n in (0, 7, wm.D_EVENT + 3 * 25, -3):
        assert [int(kernel.draw(np.uint64(k), n)) for k in keys] == [wm.draw(k, n) for k in keys]


@pytest.mark.parametrize(
    ("start", "minutes", "batch"),
    [
        (dt.datetime(2026, 3, 8, 6, 40, tzinfo=dt.UTC), 40, 3000),  # US daylight saving starts (07:00 UTC in New York)
        (dt.datetime(2026, 3, 29, 0, 45, tzinfo=dt.UTC), 30, 3000),  # the EU's starts (01:00 UTC)
        (dt.datetime(2026, 4, 4, 15, 45, tzinfo=dt.UTC), 30, 3000),  # Sydney's ends (16:00 UTC)
        (dt.datetime(2031, 12, 31, 23, 52, tzinfo=dt.UTC), 16, 3000),  # a busy world, across a year's end
    ],
)
def test_the_backfill_equals_the_stream_across_daylight_saving_changes_and_a_years_end(
    dims: Dimensions, tmp_path: Path, start: dt.datetime, minutes: int, batch: int
) -> None:
    from lakewriter.backfill import run_backfill

    world = World(77, dims, batch)
    end = start + dt.timedelta(minutes=minutes)
    streamed = window_events(world, epoch_ms(start), epoch_ms(end))
    run_backfill(start, end, seed=77, batch_size=batch, out=str(tmp_path), dims=dims)
    lake = [r for p in sorted(tmp_path.rglob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    assert len(streamed) > 20
    assert sorted(lake, key=lambda r: r["event_id"]) == sorted(streamed, key=lambda r: r["event_id"])


@pytest.mark.parametrize(
    "start",
    [dt.datetime(1970, 1, 1, tzinfo=dt.UTC), dt.datetime(1971, 3, 1, 11, 0, tzinfo=dt.UTC)],
)
def test_before_anyone_subscribed_the_stream_and_the_backfill_are_empty(
    dims: Dimensions, tmp_path: Path, start: dt.datetime
) -> None:
    from lakewriter.backfill import run_backfill

    end = start + dt.timedelta(minutes=40)
    assert window_events(World(77, dims, 300), epoch_ms(start), epoch_ms(end)) == []
    report = run_backfill(start, end, seed=77, batch_size=300, out=str(tmp_path), dims=dims)
    assert report.events == 0 and not list(tmp_path.rglob("*.parquet"))


@pytest.mark.parametrize(
    ("tier", "bandwidth", "quality"),
    [("premium", 15.0, "4K"), ("premium", 14.9, "HD"), ("standard", 900.0, "HD"), ("free_with_ads", 900.0, "SD")],
)
def test_best_quality_is_capped_by_tier_and_bandwidth(tier: str, bandwidth: float, quality: str) -> None:
    assert best_quality(tier, bandwidth) == quality


def test_device_ids_are_stable_per_customer_and_device() -> None:
    assert device_identity("cust_000001", "tv") == device_identity("cust_000001", "tv")
    assert device_identity("cust_000001", "tv")[0] != device_identity("cust_000001", "web")[0]


def test_timestamps_format_exactly() -> None:
    assert format_timestamp_ms(0) == "1970-01-01T00:00:00.000Z"
    assert format_timestamp_ms(59_999) == "1970-01-01T00:00:59.999Z"


def test_daylight_saving_moves_a_zones_curve_at_the_hour_it_changes() -> None:
    """New York springs forward at 07:00 UTC on 2026-03-08 and Berlin at 01:00 UTC on 2026-03-29: the hour
    before keeps the old offset, the hour of the change has the new one (not one offset for the whole UTC day)."""
    ny = epoch_ms(dt.datetime(2026, 3, 8, tzinfo=dt.UTC)) // 3_600_000
    assert [wm.hour_offset("America/New_York", ny + h) for h in (6, 7)] == [-300, -240]
    berlin = epoch_ms(dt.datetime(2026, 3, 29, tzinfo=dt.UTC)) // 3_600_000
    assert [wm.hour_offset("Europe/Berlin", berlin + h) for h in (0, 1)] == [60, 120]
    sydney = epoch_ms(dt.datetime(2026, 4, 4, tzinfo=dt.UTC)) // 3_600_000
    assert [wm.hour_offset("Australia/Sydney", sydney + h) for h in (15, 16)] == [660, 600]


def test_a_worlds_audience_follows_each_zones_offset_hour_by_hour(dims: Dimensions) -> None:
    """A zone weighs its local hour's weight at the offset it has in that UTC hour (daylight saving exact to the
    hour), watches on the viewing day of that local time, and a viewer drawn in it lives there."""
    world = World(1, dims, 100)
    ny = epoch_ms(dt.datetime(2026, 3, 8, tzinfo=dt.UTC)) // 3_600_000
    z = world.layout.zones.index("America/New_York")
    for hour, offset in ((ny + 6, -300), (ny + 7, -240)):
        plan = world.hour(hour)
        assert plan.viewing_days[z] == households.viewing_day(hour * 60 + offset)
        before = plan.cumulative[z - 1] if z else 0
        weight = (world._full_weight if plan.blocks else world._tail_weight)[z]
        assert plan.cumulative[z] - before == weight * wm.local_weight((hour * 60 + offset) // 60)
        share = (plan.cumulative[z] - before) / plan.cumulative[-1]
        picked = [world.pick_customer(plan, wm.draw(hour, n) | 0xFFFF, 0) for n in range(600)]
        assert all(c >= 0 and world.subscribed(c, plan.day)[0] for c in picked)
        new_yorkers = sum(world.customers[c]["timezone"] == "America/New_York" for c in picked) / len(picked)
        assert share / 2 < new_yorkers < share * 2, (share, new_yorkers)


def test_the_week_peaks_on_sunday_and_weekend_days_have_more_daytime_viewing() -> None:
    """Day volumes (Conviva, Nielsen: Sunday busiest) and the weekend's daytime lift, in the curve itself."""
    day_totals = [sum(wm.local_weight(d * 24 + h) for h in range(24)) for d in range(7)]
    # local day 0 is Thursday 1970-01-01: rotate to Monday first
    monday_first = day_totals[4:] + day_totals[:4]
    assert monday_first.index(max(monday_first)) == 6
    assert sorted(monday_first)[-3:] == sorted(monday_first[4:])  # Friday, Saturday, Sunday the busiest three
    daytime = range(10, 17)
    assert sum(wm.WEEKEND_HOUR_WEIGHTS[h] for h in daytime) > 1.1 * sum(wm.HOUR_WEIGHTS[h] for h in daytime)
    for curve in (wm.HOUR_WEIGHTS, wm.WEEKEND_HOUR_WEIGHTS):
        assert curve.index(max(curve)) == 20  # 8-9 pm local


def test_a_sundays_events_outnumber_a_tuesdays_in_the_stream(dims: Dimensions) -> None:
    world = World(4, dims, 200)
    sunday = epoch_ms(dt.datetime(2026, 11, 29, tzinfo=dt.UTC))
    tuesday = epoch_ms(dt.datetime(2026, 11, 24, tzinfo=dt.UTC))
    assert world.expected_events(sunday, sunday + 86_400_000) > 1.15 * world.expected_events(
        tuesday, tuesday + 86_400_000
    )


def test_no_title_is_played_before_its_release_date_and_new_releases_draw_a_crowd() -> None:
    """Titles released during a window of history join the draw on their release day, with a spike that fades."""
    dims = generate_dimensions(seed=42, customers=200, titles=300, campaigns=1)
    world = World(8, dims, 200)
    released = {t["title_id"]: t["release_date"] for t in dims.titles}
    start = epoch_ms(dt.datetime(2025, 9, 1, tzinfo=dt.UTC))
    events = [
        ev
        for d in range(0, 120, 20)
        for ev in window_events(world, start + d * 86_400_000, start + d * 86_400_000 + 6 * 3_600_000)
    ]
    assert events
    assert all(released[ev["title_id"]] <= ev["event_timestamp"][:10] for ev in events)
    releases = sorted(wm.epoch_day(t["release_date"]) for t in dims.titles if t["release_date"] >= "2024-01-01")
    day = releases[len(releases) // 2] + 3
    new = [i for i, t in enumerate(dims.titles) if 0 <= day - wm.epoch_day(t["release_date"]) < 7]
    old = [i for i, t in enumerate(dims.titles) if day - wm.epoch_day(t["release_date"]) > 365]
    weights = world.catalogue.weights(day)
    base = world.catalogue.base
    assert new and old
    assert min(weights[i] / base[i] for i in new) > 4 * max(weights[i] / base[i] for i in old)
    assert all(weights[i] == 0 for i, t in enumerate(dims.titles) if wm.epoch_day(t["release_date"]) > day)


def test_plays_follow_popularity_score() -> None:
    """The more popular half of the catalogue takes most plays (weights exp(score / POPULARITY_SCALE))."""
    dims = generate_dimensions(seed=42, customers=200, titles=300, campaigns=1)
    start = epoch_ms(dt.datetime(2026, 11, 26, 18, tzinfo=dt.UTC))
    events = window_events(World(9, dims, 3000), start, start + 3 * 3_600_000)
    score = {t["title_id"]: t["popularity_score"] for t in dims.titles}
    median = sorted(score.values())[len(score) // 2]
    starts = [ev for ev in events if ev["event_type"] == "start"]
    assert sum(score[ev["title_id"]] > median for ev in starts) > 0.8 * len(starts)


def test_batch_size_one_streams_the_same_day_as_the_backfill(dims: Dimensions, tmp_path: Path) -> None:
    from lakewriter.backfill import run_backfill

    world = World(11, dims, 1)
    ticks = [window_events(world, DAY_MS + i * TICK_MS, DAY_MS + (i + 1) * TICK_MS) for i in range(288)]
    streamed = [ev for tick in ticks for ev in tick]
    check_events(streamed, dims)
    run_backfill(DAY, DAY + dt.timedelta(days=1), seed=11, batch_size=1, out=str(tmp_path), dims=dims)
    lake = [r for p in sorted(tmp_path.rglob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    assert 100 < len(streamed) < 600  # about 288 a day
    assert sorted(lake, key=lambda r: r["event_id"]) == sorted(streamed, key=lambda r: r["event_id"])


def test_batch_size_one_million_gives_a_valid_shard_of_a_prime_time_window(dims: Dimensions) -> None:
    from functions.generator.handler import shard_count

    world = World(12, dims, domains.MAX_BATCH_SIZE)
    start = DAY_MS + 2 * 3_600_000  # prime time in the Americas
    shards = shard_count(world, start, start + 5 * 60_000)  # as the handler splits this tick
    assert shards > 50
    shard = window_events(world, start, start + 1_000, shard=3, shards=shards)
    check_events(shard, dims, window=(DAY + dt.timedelta(hours=2), DAY + dt.timedelta(hours=2, seconds=1)))
    expected = world.expected_events(start, start + 1_000) / shards
    assert 0.3 * expected < len(shard) < 3 * expected
