"""Binge on later days (functions/shared/binge.py, followed_title): a household that follows a series plays its own
next episodes of it, a pure function of (world, household, series, time); every end bound still holds whichever
episode it plays, and the compiled backfill picks the same episodes."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pytest

from functions.shared import ads, binge, player
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


def test_a_days_first_episode_plays_are_the_households_own_episodes(world: World) -> None:
    """In a day of ticks, each episode play that no autoplay chain started is, when its household follows the
    series then, the household's own episode (its slot is the minute its first event falls in, or one of the
    minutes of the start-up before). Plays within the look-back of the day's start may be links of a chain whose
    first play the day's ticks do not hold: left out."""
    dims, catalogue = world.dims, world.catalogue
    index = {c["customer_id"]: i for i, c in enumerate(dims.customers)}
    by_id = {t["title_id"]: i for i, t in enumerate(dims.titles)}
    plays: dict[str, dict] = {}
    for tick in busy_day.day_ticks():
        for ev in tick:
            ms = _ms(ev["event_timestamp"])
            p = plays.setdefault(ev["session_id"], {"first": ms, "last": ms, "complete": False, "ev": ev})
            p["first"], p["last"] = min(p["first"], ms), max(p["last"], ms)
            p["complete"] = p["complete"] or ev["event_type"] == "complete"
    by_device: dict[str, list[dict]] = {}
    for p in plays.values():
        by_device.setdefault(p["ev"]["device_id"], []).append(p)
    checked = 0
    for device_plays in by_device.values():
        device_plays.sort(key=lambda p: p["first"])
        before = None
        for p in device_plays:
            linked = before is not None and before["complete"] and p["first"] - before["last"] <= GAP_MS
            before = p
            title = by_id[p["ev"]["title_id"]]
            s = catalogue.series_of[title]
            if linked or s < 0 or p["first"] < DAY_MS + world.max_session_ms:
                continue  # an autoplayed link (of a chain that may have begun the day before), or a film
            base = binge.follow_draw(world.follow_key, index[p["ev"]["customer_id"]], s)
            minute = p["first"] // SLOT_MS
            own = set()
            for slot in range(minute - player.MAX_STARTUP_MS // SLOT_MS - 1, minute + 1):
                at = binge.followed_position(base, slot)
                episode = catalogue.order[s][at % len(catalogue.order[s])] if at >= 0 else -1
                own.add(episode if episode >= 0 and catalogue.release[episode] <= slot // 1440 else -1)
            if -1 in own:
                continue  # not following (or caught up) at some of its possible slots: the drawn episode
            checked += 1
            assert title in own
    assert checked > 50


def _ms(ts: str) -> int:
    return int(dt.datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000)
