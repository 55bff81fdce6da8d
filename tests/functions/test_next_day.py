"""Binge on later days (functions/shared/binge.py, followed_title): a household that follows a series plays its own
next episodes of it, a pure function of (world, household, series, time); every end bound still holds whichever
episode it plays, and the compiled backfill picks the same episodes."""

from __future__ import annotations

import datetime as dt
import functools
import random

import numpy as np
import pytest

from functions.generator.events import clear_window_cache, window_events
from functions.shared import ads, binge, concurrency, player
from functions.shared.dimensions import generate_dimensions
from functions.shared.world import SLOT_MS, World
from tests.functions import busy_day
from tests.functions.busy_day import DAY_MS

GAP_MS = binge.COUNTDOWN_MAX_MS + player.MAX_STARTUP_MS
DAY = DAY_MS // 86_400_000


@pytest.fixture(scope="module")
def world() -> World:
    return busy_day.world()


def test_a_following_household_goes_through_a_series_in_order_from_the_first_episode_each_cycle() -> None:
    rnd = random.Random(7)
    cycles = following = 0
    for _ in range(300):
        base = rnd.getrandbits(64)
        phase = ((base >> 40) * binge.CYCLE_MINUTES) >> 24
        first = DAY * 1440 - (DAY * 1440 + phase) % binge.CYCLE_MINUTES  # the first minute of its cycle
        positions = [binge.followed_position(base, first + m) for m in range(0, binge.CYCLE_MINUTES, 360)]
        cycles += 1
        if positions[0] < 0:
            assert set(positions) == {-1}, "a cycle is followed throughout or not at all"
            continue
        following += 1
        assert positions[0] == 0, "a household new to the series starts at its first episode"
        assert positions == sorted(positions), "never behind where it was"
        days = binge.FOLLOW_CYCLE_DAYS - 0.25
        pace = positions[-1] / days
        assert binge.PACE_MIN_Q16 / 65536 - 0.05 <= pace <= binge.PACE_MAX_Q16 / 65536 + 0.01
    assert following / cycles == pytest.approx(binge.FOLLOW_SHARE, abs=0.06)


def test_a_household_plays_released_episodes_of_the_series_drawn_and_a_film_as_drawn(world: World) -> None:
    catalogue = world.catalogue
    rnd = random.Random(3)
    own = 0
    for _ in range(3000):
        customer, title = rnd.randrange(world.count), rnd.randrange(len(catalogue.seconds))
        slot = DAY * 1440 + rnd.randrange(-400 * 1440, 60 * 1440)
        if catalogue.release[title] > slot // 1440:
            continue  # never drawn before its release
        played = world.played_title(customer, title, slot)
        assert catalogue.release[played] <= slot // 1440
        if catalogue.series_of[title] < 0:
            assert played == title
        else:
            assert catalogue.series_of[played] == catalogue.series_of[title]
            own += played != title
    assert own > 300, "followers play their own episode, not the drawn one"


def test_every_bound_holds_whichever_episode_of_the_series_a_household_plays(world: World) -> None:
    """The look-back's cheap tests bound a session before its viewer is known: by its series' longest episode and
    the most links a chain from any of its episodes has (DayTitles.reach, Catalogue.bound_seconds, bound_links)."""
    catalogue = world.catalogue
    longest = catalogue.longest_ms()
    for day in (DAY, DAY - 200):
        titles = catalogue.on(day)
        for field in range(0, 1 << 16, 97):
            drawn = titles.title[field]
            s = catalogue.series_of[drawn]
            for played in catalogue.order[s] if s >= 0 else [drawn]:
                if catalogue.release[played] > day:
                    continue
                links = catalogue.links_out(played, day)
                seconds = catalogue.seconds[played]
                assert seconds <= catalogue.bound_seconds[drawn]
                assert links <= catalogue.bound_links[drawn]
                reach = seconds * 1000 + ads.max_ad_ms(seconds) + SLOT_MS + catalogue.chain_reach(played, links)
                assert reach <= titles.reach[field]
                assert reach - SLOT_MS <= longest, "the look-back (max_session_ms) covers it"


def test_the_compiled_backfill_follows_the_same_episodes(world: World) -> None:
    from lakewriter.backfill import kernel
    from lakewriter.backfill.model import Catalog

    follow = Catalog.from_dimensions(world.dims).follow
    _, series_of, order_at, order, release, title_next = follow
    catalogue = world.catalogue
    rnd = random.Random(11)
    for _ in range(2000):
        customer, title = rnd.randrange(world.count), rnd.randrange(len(catalogue.seconds))
        slot = DAY * 1440 + rnd.randrange(-800 * 1440, 800 * 1440)
        played = world.played_title(customer, title, slot)
        assert played == kernel.followed_title(
            np.uint64(world.follow_key), customer, title, slot, series_of, order_at, order, release
        )
        assert kernel.links_out(played, slot // 1440, title_next, release) == catalogue.links_out(played, slot // 1440)


@functools.cache
def _admission_day() -> tuple[World, list[list[dict]]]:
    """A world with more series than busy_day's (18), and an admission day of its 5-minute ticks."""
    world = World(2026, generate_dimensions(seed=42, customers=500, titles=800, delivery=False), 30)
    assert world.exclusive
    start = concurrency.pass_start(DAY_MS // SLOT_MS) * SLOT_MS
    clear_window_cache()
    return world, [window_events(world, start + i * 300_000, start + (i + 1) * 300_000) for i in range(288)]


def _sittings(world: World, ticks: list[list[dict]]) -> list[dict]:
    """The day of ticks' sittings, each a play that no autoplay chain started and its links: per sitting its
    customer index, series (-1: a film), first play's start and title, its plays' titles, in start order."""
    dims = world.dims
    index = {c["customer_id"]: i for i, c in enumerate(dims.customers)}
    by_id = {t["title_id"]: i for i, t in enumerate(dims.titles)}
    plays: dict[str, dict] = {}
    for tick in ticks:
        for ev in tick:
            ms = _ms(ev["event_timestamp"])
            p = plays.setdefault(ev["session_id"], {"first": ms, "last": ms, "complete": False, "ev": ev})
            p["first"], p["last"] = min(p["first"], ms), max(p["last"], ms)
            p["complete"] = p["complete"] or ev["event_type"] == "complete"
    by_device: dict[str, list[dict]] = {}
    for p in plays.values():
        by_device.setdefault(p["ev"]["device_id"], []).append(p)
    sittings = []
    for device_plays in by_device.values():
        device_plays.sort(key=lambda p: p["first"])
        before = None
        for p in device_plays:
            linked = before is not None and before["complete"] and p["first"] - before["last"] <= GAP_MS
            before = p
            title = by_id[p["ev"]["title_id"]]
            if linked:
                sittings[-1]["titles"].append(title)
                continue
            customer = index[p["ev"]["customer_id"]]
            series = world.catalogue.series_of[title]
            sittings.append({"customer": customer, "series": series, "first": p["first"], "titles": [title]})
    return sorted(sittings, key=lambda x: x["first"])


def _own(world: World, sitting: dict) -> set[int]:
    """The household's own episode of the sitting's series at each slot its first play may start in (-1: not
    following or caught up at one of them)."""
    catalogue, s = world.catalogue, sitting["series"]
    base = binge.follow_draw(world.follow_key, sitting["customer"], s)
    minute = sitting["first"] // SLOT_MS
    own = set()
    for slot in range(minute - player.MAX_STARTUP_MS // SLOT_MS - 1, minute + 1):
        at = binge.followed_position(base, slot)
        episode = catalogue.order[s][at % len(catalogue.order[s])] if at >= 0 else -1
        own.add(episode if episode >= 0 and catalogue.release[episode] <= slot // 1440 else -1)
    return own


def test_a_days_first_episode_plays_are_the_households_own_episodes(world: World) -> None:
    """In a day of ticks, each household's first sitting of a series it follows in an admission day is its own
    episode (its slot is the minute its first event falls in, or one of the minutes of the start-up before).
    Sittings before the admission day's start, and within the look-back of the ticks' start, are left out."""
    day_start = concurrency.pass_start(DAY_MS // SLOT_MS + 1440 - 1) * SLOT_MS
    seen: set[tuple[int, int]] = set()
    checked = 0
    for sitting in _sittings(world, busy_day.day_ticks()):
        key = (sitting["customer"], sitting["series"])
        if sitting["series"] < 0 or sitting["first"] < day_start + player.MAX_STARTUP_MS + SLOT_MS or key in seen:
            continue
        seen.add(key)
        own = _own(world, sitting)
        if -1 in own:
            continue  # not following (or caught up) at some of its possible slots: the drawn episode
        checked += 1
        assert sitting["titles"][0] in own
    assert checked > 30


def test_a_later_sitting_the_same_day_goes_on_after_the_last_episode_played() -> None:
    """In an admission day of ticks, a household's sitting of a series it follows that starts at least 5 minutes
    after an earlier sitting of it in the same admission day (and within concurrency.CONTINUE_WITHIN_SLOTS of it)
    plays an episode after every episode that earlier sitting played, unless one of the day's earlier sittings ended
    at the series' last released episode (the household then goes back to its own)."""
    world, ticks = _admission_day()
    catalogue = world.catalogue
    day_start = concurrency.pass_start(DAY_MS // SLOT_MS) * SLOT_MS
    stop = day_start + concurrency.DAY_SLOTS * SLOT_MS
    margin = 5 * SLOT_MS
    window = (concurrency.CONTINUE_WITHIN_SLOTS - 5) * SLOT_MS
    earlier: dict[tuple[int, int], list[dict]] = {}
    checked = 0
    for sitting in _sittings(world, ticks):
        if sitting["series"] < 0 or not day_start + player.MAX_STARTUP_MS + SLOT_MS <= sitting["first"] < stop:
            continue  # a film, or too near the day's start to know its slot's day
        if -1 in _own(world, sitting):
            continue  # not following at one of its possible slots: plays as drawn, records nothing
        before = earlier.setdefault((sitting["customer"], sitting["series"]), [])
        prior = [b for b in before if b["first"] <= sitting["first"] - margin]
        before.append(sitting)
        if not prior or sitting["first"] - prior[-1]["first"] > window:
            continue
        ends = [catalogue.next[b["titles"][-1]] for b in before[:-1]]
        if any(e < 0 or catalogue.release[e] > sitting["first"] // 86_400_000 for e in ends):
            continue  # passed the series' released end: back to its own episode
        checked += 1
        last = max(catalogue.rank[t] for t in prior[-1]["titles"])
        assert catalogue.rank[sitting["titles"][0]] > last, sitting
    assert checked > 30, checked


def _ms(ts: str) -> int:
    return int(dt.datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000)


def test_a_continued_session_drawn_again_from_its_key_plays_the_same_episode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Warm ticks that keep no stories (every cached session is drawn again from its key when due) write the same
    events as the admission day's ticks: a continued sitting drawn again plays the episode its verdict gave."""
    from functions.generator import events

    world, ticks = _admission_day()
    start = concurrency.pass_start(DAY_MS // SLOT_MS) * SLOT_MS
    monkeypatch.setattr(events, "_MAX_CACHED_STORIES", 0)
    clear_window_cache()
    for i in range(120, 168):  # 12:00 to 16:00 after the day's start: continued sittings drawn again
        assert window_events(world, start + i * 300_000, start + (i + 1) * 300_000) == ticks[i], i
