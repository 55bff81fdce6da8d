"""Binge chains (functions/shared/binge.py): a completed episode autoplays the next one on the same screen, as a
session of its own, in order, after the countdown; chains stay pure functions of seed and time, equal in the
stream and the backfill, and within the admission rule."""

from __future__ import annotations

import collections
import datetime as dt
import itertools
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from functions.generator.events import clear_window_cache, epoch_ms, window_events
from functions.shared import binge, player
from functions.shared.catalogue import Catalogue
from functions.shared.dimensions import Dimensions
from functions.shared.world import SLOT_MS, World
from tests.functions import busy_day
from tests.functions.busy_day import BATCH, DAY, DAY_MS

GAP_MS = binge.COUNTDOWN_MAX_MS + player.MAX_STARTUP_MS
"""A link's first event comes at most this long after the last event of the one before (countdown, start-up)."""


@pytest.fixture(scope="module")
def dims() -> Dimensions:
    return busy_day.dims()


@pytest.fixture(scope="module")
def world() -> World:
    return busy_day.world()


@pytest.fixture(scope="module")
def day_ticks() -> list[list[dict]]:
    return busy_day.day_ticks()


def _ms(ts: str) -> int:
    return epoch_ms(dt.datetime.fromisoformat(ts.replace("Z", "+00:00")))


def _sessions(events: list[dict]) -> dict[str, dict]:
    """Per session: its first and last event times, device, customer, title, first position, whether it completed."""
    out: dict[str, dict] = {}
    for ev in sorted(events, key=lambda e: e["event_timestamp"]):
        s = out.setdefault(
            ev["session_id"],
            {
                "start": _ms(ev["event_timestamp"]),
                "position": ev["position_seconds"],
                "device": ev["device_id"],
                "customer": ev["customer_id"],
                "title": ev["title_id"],
                "complete": False,
            },
        )
        s["end"] = _ms(ev["event_timestamp"])
        s["complete"] = s["complete"] or ev["event_type"] == "complete"
    return out


def _chains(sessions: dict[str, dict]) -> list[list[dict]]:
    """Runs of sessions on one device, each starting within GAP_MS of the last event of the one before."""
    by_device: dict[str, list[dict]] = collections.defaultdict(list)
    for s in sessions.values():
        by_device[s["device"]].append(s)
    runs = []
    for plays in by_device.values():
        plays.sort(key=lambda s: s["start"])
        run = [plays[0]]
        for a, b in itertools.pairwise(plays):
            if b["start"] - a["end"] <= GAP_MS:
                run.append(b)
            else:
                runs.append(run)
                run = [b]
        runs.append(run)
    return [r for r in runs if len(r) > 1]


def _next_by_id(dims: Dimensions) -> dict[str, str]:
    following = binge.next_titles(dims.titles)
    return {t["title_id"]: dims.titles[n]["title_id"] for t, n in zip(dims.titles, following, strict=True) if n >= 0}


def test_next_titles_run_through_each_season_then_the_next_seasons_first(dims: Dimensions) -> None:
    following = binge.next_titles(dims.titles)
    linked = 0
    for t, n in zip(dims.titles, following, strict=True):
        if n < 0:
            continue
        linked += 1
        after = dims.titles[n]
        assert t["title_type"] == after["title_type"] == "series" and t["series_id"] == after["series_id"]
        same_season = after["season_number"] == t["season_number"]
        assert (same_season and after["episode_number"] == t["episode_number"] + 1) or (
            after["season_number"] == t["season_number"] + 1 and after["episode_number"] == 1
        )
    assert linked > 20
    assert all(n < 0 for t, n in zip(dims.titles, following, strict=True) if t["title_type"] != "series")


def test_a_days_links_are_only_next_episodes_out_that_day(dims: Dimensions) -> None:
    catalogue = Catalogue(dims.titles, SLOT_MS)
    following = catalogue.next
    for day in (DAY_MS // 86_400_000, DAY_MS // 86_400_000 - 400):
        titles = catalogue.on(day)
        for field in range(0, 1 << 16, 97):
            title, links = titles.title[field], titles.links[field]
            assert 0 <= links <= binge.MAX_AUTOPLAY
            at = title
            for _ in range(links):
                at = following[at]
                assert at >= 0 and catalogue.release[at] <= day
            assert links == binge.MAX_AUTOPLAY or following[at] < 0 or catalogue.release[following[at]] > day


def test_chains_play_the_next_episode_on_the_same_device_after_the_countdown(
    dims: Dimensions, day_ticks: list[list[dict]]
) -> None:
    sessions = _sessions([ev for tick in day_ticks for ev in tick])
    chains = _chains(sessions)
    next_of = _next_by_id(dims)
    assert len(chains) > 40, "a day of the world has binge chains"
    for chain in chains:
        assert len(chain) <= 1 + binge.MAX_AUTOPLAY
        for a, b in itertools.pairwise(chain):
            assert a["complete"], "only a completed episode autoplays the next"
            assert b["title"] == next_of[a["title"]], "the next episode, in order"
            assert b["customer"] == a["customer"] and b["device"] == a["device"]
            assert b["start"] - a["end"] >= binge.COUNTDOWN_MIN_MS, "after the countdown: no overlap"
            assert b["position"] == 0, "an autoplayed episode starts from the beginning"
    lengths = collections.Counter(len(c) for c in chains)
    assert lengths[2] > lengths[3] > 0, "each step is taken with a probability: fewer chains go on"


def test_chains_never_outlast_a_day_so_none_crosses_a_subscription_end(
    dims: Dimensions, world: World, day_ticks: list[list[dict]]
) -> None:
    """A subscription's last session starts on the eve of its end date's eve (World): a session with its chain
    lasts under a day (max_session_ms, which the look-back covers), so nothing plays on the end date."""
    assert world.max_session_ms < 86_400_000
    longest = max(
        world.catalogue.seconds[t] * 1000 + world.catalogue.chain_reach(t, binge.MAX_AUTOPLAY)
        for t in range(len(world.catalogue.seconds))
    )
    assert world.max_session_ms >= longest > max(world.catalogue.seconds) * 1000
    ends = {c["customer_id"]: end for c, (_, end) in zip(dims.customers, dims.subscription_days(), strict=True)}
    for tick in day_ticks:
        for ev in tick:
            assert _ms(ev["event_timestamp"]) < ends[ev["customer_id"]] * 86_400_000


def test_a_cold_window_replays_the_ticks_chains(world: World, day_ticks: list[list[dict]]) -> None:
    """A window cut through chains, with nothing cached, holds exactly the ticks' events in it."""
    clear_window_cache()
    start, end = DAY_MS + 20 * 3_600_000 + 123_456, DAY_MS + 22 * 3_600_000 + 7
    cold = {ev["event_id"]: ev for ev in window_events(world, start, end)}
    ticks = {ev["event_id"]: ev for tick in day_ticks for ev in tick if start <= _ms(ev["event_timestamp"]) < end}
    assert cold == ticks


def test_the_backfill_plays_the_same_chains(
    dims: Dimensions, world: World, day_ticks: list[list[dict]], tmp_path: Path
) -> None:
    from lakewriter.backfill import run_backfill

    run_backfill(DAY, DAY + dt.timedelta(days=1), seed=world.seed, batch_size=BATCH, out=str(tmp_path), dims=dims)
    lake = [r for p in sorted(tmp_path.rglob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    streamed = {ev["event_id"]: ev for tick in day_ticks for ev in tick}
    assert {r["event_id"]: r for r in lake} == streamed
    assert len(_chains(_sessions(lake))) > 40


def test_chained_plays_keep_the_days_volume(world: World, day_ticks: list[list[dict]]) -> None:
    """Chains' autoplayed episodes are plays: the start rate is divided by the day's plays per start."""
    assert world.hour(DAY_MS // 3_600_000).titles.plays_per_start > 1.03
    events = sum(map(len, day_ticks))
    assert events == pytest.approx(world.expected_events(DAY_MS, DAY_MS + 86_400_000), rel=0.15)
