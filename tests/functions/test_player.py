"""The player's story (functions/shared/player.py): its tables, the look-back that bounds every session, and the
incidents' effects, in the stream and in the backfill alike."""

from __future__ import annotations

import collections
import datetime as dt
import functools
import itertools
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from functions.generator import events as generator
from functions.generator.events import clear_window_cache, window_events
from functions.shared import devices, domains, player
from functions.shared import world as wm
from functions.shared.dimensions import Dimensions, generate_dimensions
from functions.shared.world import World
from tests.functions.invariants import check_events

WEEK_START_MS = 1794268800000
"""2026-11-10 00:00 UTC: seed 1's world has an app crash on Android 5.14.0 from 08:45 the next day, for 5.8 h."""
HOUR_MS = 3_600_000


@functools.cache
def dims() -> Dimensions:
    return generate_dimensions(1, customers=1000, titles=500, campaigns=1)


def test_every_viewer_moves_between_at_least_two_rungs_of_its_own_quality_within_its_screen() -> None:
    for device in domains.DEVICE_TYPES:
        for quality in domains.QUALITY_ORDER:
            if domains.QUALITY_ORDER.index(quality) > domains.QUALITY_ORDER.index(player.DEVICE_MAX_QUALITY[device]):
                continue
            for bandwidth in (2.0, 4.9, 5.0, 9.0, 15.0, 40.0, 900.0):
                low, top = player.rungs(quality, device, bandwidth)
                assert top > low, (device, quality, bandwidth)
                assert {player.RUNG_QUALITY[r] for r in range(low, top + 1)} == {quality}
                assert player.LADDER_KBPS[top] <= player.DEVICE_MAX_KBPS[device]


def test_quality_is_capped_by_tier_screen_network_and_bandwidth() -> None:
    assert player.max_quality("premium", "tv", "fiber", 500.0) == "4K"
    assert player.max_quality("premium", "web", "fiber", 500.0) == "HD"
    assert player.max_quality("premium", "mobile", "5g", 300.0) == "SD"  # data saving on cellular
    assert player.max_quality("premium", "mobile", "wifi", 100.0) == "HD"
    assert player.max_quality("free_with_ads", "tv", "fiber", 500.0) == "SD"
    assert player.max_quality("premium", "tv", "dsl", 4.0) == "SD"


def test_the_startup_table_is_log_normal_around_its_median_with_a_heavy_tail() -> None:
    table = player.STARTUP_PERMILLE
    assert table == tuple(sorted(table))
    assert table[len(table) // 2] == 1000
    p95 = table[int(0.95 * len(table))] / 1000
    assert 2.5 < p95 < 4  # p95 / median of a log-normal with sigma 0.7 is exp(1.645 * 0.7) = 3.2
    assert 0.02 < player.UNSTARTED_SHARE < 0.07  # VSF ~0.9 % plus EBVS ~3 % (derived band 2-6 %)


def test_no_session_reaches_a_window_from_before_the_worlds_look_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """world.max_session_ms bounds every session's last event: a look-back twice as long finds no more events."""
    world = World(1, dims(), 300)
    start = WEEK_START_MS + 20 * HOUR_MS
    clear_window_cache()
    events = window_events(world, start, start + 300_000)
    longer = World(1, dims(), 300)
    monkeypatch.setattr(longer, "max_session_ms", 2 * world.max_session_ms)
    clear_window_cache()
    assert window_events(longer, start, start + 300_000) == events
    assert world.max_session_ms >= max(world.title_seconds) * 1000 + wm.MAX_PAUSED_MS + wm.MAX_QOE_MS


def test_no_session_lasts_longer_than_the_look_back_from_first_to_last_event() -> None:
    world = World(1, dims(), 300)
    events = window_events(world, WEEK_START_MS, WEEK_START_MS + 12 * HOUR_MS)
    spans: dict[str, list[int]] = collections.defaultdict(list)
    for ev in events:
        spans[ev["session_id"]].append(generator.epoch_ms(dt.datetime.fromisoformat(ev["event_timestamp"])))
    assert max(max(t) - min(t) for t in spans.values()) <= world.max_session_ms
    check_events(events, dims())


def _in_scope(ev: dict, inc: object) -> bool:
    return all(
        getattr(inc, f) is None or getattr(inc, f) == ev[f]
        for f in ("country", "state", "isp", "device_os", "app_version")
    )


def test_an_app_crash_fails_most_starts_in_its_scope_and_the_backfill_equals_the_stream(tmp_path: Path) -> None:
    from lakewriter.backfill import run_backfill

    world = World(1, dims(), 300)
    (crash,) = [
        i for i in world.incidents(WEEK_START_MS, WEEK_START_MS + 2 * 86_400_000) if i.incident_type == "app_crash"
    ]
    start, end = crash.start_ms - crash.start_ms % HOUR_MS, crash.end_ms - crash.end_ms % HOUR_MS + HOUR_MS
    clear_window_cache()
    streamed = [ev for t in range(start, end, 300_000) for ev in window_events(world, t, t + 300_000)]
    check_events(streamed, dims())
    at = lambda ms: dt.datetime.fromtimestamp(ms / 1000, dt.UTC)  # noqa: E731
    run_backfill(at(start), at(end), seed=1, batch_size=300, out=str(tmp_path), dims=dims())
    lake = [r for p in sorted(tmp_path.rglob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    assert {r["event_id"]: r for r in lake} == {ev["event_id"]: ev for ev in streamed}

    during = [
        ev
        for ev in streamed
        if ev["event_type"] in ("start", "start_failed", "exit_before_start")
        and crash.start_ms + 60_000
        <= generator.epoch_ms(dt.datetime.fromisoformat(ev["event_timestamp"]))
        < crash.end_ms
    ]
    scoped = [ev for ev in during if _in_scope(ev, crash)]
    others = [ev for ev in during if not _in_scope(ev, crash)]
    failed = lambda evs: sum(ev["event_type"] == "start_failed" for ev in evs) / len(evs)  # noqa: E731
    assert len(scoped) >= 10 and len(others) >= 200
    assert failed(scoped) > 0.5 > 0.05 > failed(others)
    assert {ev["error_code"] for ev in scoped if ev["event_type"] == "start_failed"} <= set(player.START_ERROR_CODES)


def test_congestion_caps_the_ladder_at_a_share_of_the_top_rung_keeping_two_rungs() -> None:
    tv_4k = (5, 10)  # 2000 .. 15000 kbps
    assert player.congested_top(*tv_4k, 1000) == 10
    assert player.congested_top(*tv_4k, 600) == 8  # 9000 kbps cap: 7800
    assert player.congested_top(*tv_4k, 400) == 7  # 6000 kbps cap: 6000 fits
    assert player.congested_top(*tv_4k, 350) == 6  # 5250 kbps cap: 4500
    assert player.congested_top(0, 3, 100) == 1  # below the second rung: low and the one above stay


def test_a_cdn_degradation_caps_bitrate_in_its_scope_and_the_backfill_equals_the_stream(tmp_path: Path) -> None:
    """Research §4a sizes prime-time CDN degradations at bitrate -30-60 % (docs/research/qoe-ads-incidents.md)."""
    from lakewriter.backfill import run_backfill

    world = World(1, dims(), 300)
    week = world.incidents(WEEK_START_MS, WEEK_START_MS + 7 * 86_400_000)
    cdn = next(i for i in week if i.incident_type == "cdn_degradation" and i.country == "US")
    assert cdn.bitrate_permille < 1000
    start, end = cdn.start_ms - cdn.start_ms % HOUR_MS, cdn.end_ms - cdn.end_ms % HOUR_MS + HOUR_MS
    clear_window_cache()
    streamed = [ev for t in range(start, end, 300_000) for ev in window_events(world, t, t + 300_000)]
    at = lambda ms: dt.datetime.fromtimestamp(ms / 1000, dt.UTC)  # noqa: E731
    run_backfill(at(start), at(end), seed=1, batch_size=300, out=str(tmp_path), dims=dims())
    lake = [r for p in sorted(tmp_path.rglob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    assert {r["event_id"]: r for r in lake} == {ev["event_id"]: ev for ev in streamed}

    customers = {c["customer_id"]: c for c in dims().customers}
    homes = devices.Households(dims().customers)
    index = {  # device_id -> its index among its household's devices of its type (devices.py)
        generator.device_identity(c["customer_id"], devices.TYPES[t], i)[0]: i
        for n, c in enumerate(dims().customers)
        for t, i in homes.of(n)[1]
    }
    attempts = {
        ev["session_id"]: generator.epoch_ms(dt.datetime.fromisoformat(ev["event_timestamp"])) - ev["startup_time_ms"]
        for ev in streamed
        if ev["event_type"] == "start"
    }
    capped = 0
    for ev in streamed:
        attempt = attempts.get(ev["session_id"])
        if ev["bitrate_kbps"] is None or attempt is None or not (cdn.start_ms <= attempt < cdn.end_ms):
            continue
        q = generator.viewer_profile(customers[ev["customer_id"]], ev["device_type"], index[ev["device_id"]]).qoe
        if _in_scope(ev, cdn):
            top = player.congested_top(q.rung_low, q.rung_top, cdn.bitrate_permille)
            assert ev["bitrate_kbps"] <= player.LADDER_KBPS[top], ev
            capped += top < q.rung_top
    assert capped >= 20  # sessions whose ladder the degradation cut


def test_each_rung_is_played_at_a_throughput_level_where_it_is_the_highest_that_fits() -> None:
    """Throughput-based ABR (ExoPlayer's bandwidth fraction 0.7): the rung is the highest within 70 % of the level."""
    fits = lambda level: max(r for r in range(len(player.LADDER_KBPS)) if player.NEED10[r] <= level)  # noqa: E731
    for r in range(len(player.LADDER_KBPS) - 1):
        assert player.LADDER_KBPS[r] * 10 <= player.NEED10[r] * player.THROUGHPUT_SAFETY_PERMILLE
        for fraction in (0, 1 << 15, (1 << 16) - 1):
            assert fits(player.rung_level(r, r + 1, r + 1, 10_000, fraction)) == r
    assert player.rung_level(8, 8, 8, 5000, 0) == 5000  # the top rung plays at the session's line
    assert player.rung_level(8, 8, 8, 50, 0) == player.NEED10[8]  # ... or at least at what it needs
    assert player.rung_level(8, 8, 10, 5000, 0) == player.NEED10[9] - 1  # a capped top stays under the next rung
    assert player.loaded_top(5, 10, 150) == 8  # 15 Mbps carries 7,800 kbps (needs 11.2), not 11,600 (16.6)
    assert player.loaded_top(5, 10, 10) == 6  # two rungs stay


def _played(world: World, start_ms: int, hours: int) -> dict[str, list[dict]]:
    clear_window_cache()
    events = [
        ev for t in range(start_ms, start_ms + hours * HOUR_MS, 300_000) for ev in window_events(world, t, t + 300_000)
    ]
    sessions: dict[str, list[dict]] = collections.defaultdict(list)
    for ev in events:
        if ev["bitrate_kbps"] is not None:
            sessions[ev["session_id"]].append(ev)
    for evs in sessions.values():
        evs.sort(key=lambda ev: ev["event_timestamp"])
    return sessions


def test_bitrate_follows_the_sessions_bandwidth_and_switches_follow_its_moves() -> None:
    """Within sessions bandwidth and bitrate correlate (they did not, -0.0008, before the ladder followed the level);
    a switch down comes with a bandwidth drop, a switch up with a rise, most of the time (the reading is jittered
    ±15 % around the level)."""
    sessions = _played(World(1, dims(), 300), WEEK_START_MS + 17 * HOUR_MS, 6)
    sxy = sxx = syy = 0.0
    moves = {True: [0, 0], False: [0, 0]}  # down?: [switches, with the bandwidth moving the same way]
    for evs in sessions.values():
        mean_bw = sum(ev["bandwidth_mbps"] for ev in evs) / len(evs)
        mean_kbps = sum(ev["bitrate_kbps"] for ev in evs) / len(evs)
        for ev in evs:
            dx, dy = ev["bandwidth_mbps"] - mean_bw, ev["bitrate_kbps"] - mean_kbps
            sxy, sxx, syy = sxy + dx * dy, sxx + dx * dx, syy + dy * dy
        for before, ev in itertools.pairwise(evs):
            if ev["event_type"] == "bitrate_change":
                down = ev["bitrate_kbps"] < before["bitrate_kbps"]
                assert ev["bitrate_kbps"] != before["bitrate_kbps"]
                moves[down][0] += 1
                moves[down][1] += (ev["bandwidth_mbps"] < before["bandwidth_mbps"]) == down
    assert sxy / (sxx * syy) ** 0.5 > 0.3
    assert moves[True][0] > 500 and moves[False][0] > 500
    assert moves[True][1] > 0.8 * moves[True][0] and moves[False][1] > 0.8 * moves[False][0]


def test_prime_time_load_lowers_throughput_a_little_and_a_zones_peak_is_its_busiest_hour() -> None:
    """FCC Measuring Broadband America 2011: "modest performance declines" in the 7-11 pm peak period."""
    monday = WEEK_START_MS // HOUR_MS - 24  # 2026-11-09 00:00 UTC
    berlin = [player.load_factors("Europe/Berlin", monday + h) for h in range(24)]
    peak = max(range(24), key=lambda h: player.hour_load("Europe/Berlin", monday + h))
    assert peak == 19  # 21:00 CET (UTC+1 in November)
    assert 900 <= berlin[peak][1] < berlin[3][1] <= 1000  # berlin[3]: 04:00 CET
    assert 1100 <= berlin[peak][0] <= 1150 and berlin[3][0] <= 1010


PEAK_STARTUP_RISE_BAND = (1.05, 1.20)
"""Start-up p50 in the local prime-time peak (20-23 h) over the small hours (03-06 h): player.load_factors gives
+11-13 % against +1-2 % (STARTUP_PEAK_RISE_PERMILLE, judgement); the band allows two weeks' sampling noise."""


def test_start_up_is_longer_in_each_zones_local_prime_time_than_in_its_small_hours(tmp_path: Path) -> None:
    import statistics
    import zoneinfo

    import pyarrow.compute as pc

    from lakewriter.backfill import run_backfill

    start = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    run_backfill(start, start + dt.timedelta(days=14), seed=1, batch_size=300, out=str(tmp_path), dims=dims())
    zones = {c["customer_id"]: zoneinfo.ZoneInfo(c["timezone"]) for c in dims().customers}
    by_hour: dict[int, list[int]] = collections.defaultdict(list)
    for part in sorted(tmp_path.rglob("*.parquet")):
        table = pq.read_table(part, columns=["event_type", "event_timestamp", "customer_id", "startup_time_ms"])
        table = table.filter(pc.equal(table["event_type"], "start"))
        for ts, customer, startup in zip(*(table[c].to_pylist() for c in table.column_names[1:]), strict=True):
            moment = dt.datetime.fromisoformat(ts) if isinstance(ts, str) else ts.replace(tzinfo=dt.UTC)
            by_hour[moment.astimezone(zones[customer]).hour].append(startup)
    small = [ms for h in (3, 4, 5) for ms in by_hour[h]]
    peak = [ms for h in (20, 21, 22) for ms in by_hour[h]]
    assert len(small) > 1000 and len(peak) > 20_000
    low, high = PEAK_STARTUP_RISE_BAND
    assert low < statistics.median(peak) / statistics.median(small) < high
