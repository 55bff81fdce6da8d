"""Households: heavy-tailed viewing propensity and the days each one watches."""

from __future__ import annotations

import statistics

import pytest

from functions.shared import households
from functions.shared import world as wm
from functions.shared.dimensions import generate_dimensions
from functions.shared.world import World


def test_propensity_is_lognormal_with_median_one_and_a_heavy_tail() -> None:
    values = [households.propensity(((2 * i + 1) << 53) // 20_000) for i in range(10_000)]
    assert statistics.median(values) == pytest.approx(1.0, rel=0.01)
    top = sorted(values)[-1000:]
    assert sum(top) / sum(values) > 0.3  # the heaviest tenth of households watches about a third of the hours
    assert max(values) <= households.MAX_PROPENSITY


def test_about_half_of_the_subscribers_watch_on_a_day_and_heavy_viewers_on_more_days() -> None:
    dims = generate_dimensions(seed=42, customers=600, titles=20, campaigns=1)
    world = World(1, dims, 100)
    day = 20_500  # 2026-02-16
    subscribed = {i for i in range(world.count) if world.subscribed(i, day)[0]}
    days_watched = {i: sum(world.watches(i, vday) for vday in range(day, day + 30)) for i in subscribed}
    share = sum(days_watched.values()) / (30 * len(subscribed))
    assert 0.35 < share < 0.65
    by_propensity = sorted(subscribed, key=world.propensity)
    light, heavy = by_propensity[: len(by_propensity) // 4], by_propensity[-len(by_propensity) // 4 :]
    assert statistics.mean(days_watched[i] for i in heavy) > 2 * statistics.mean(days_watched[i] for i in light)


def test_the_viewing_day_starts_at_four_in_the_morning_local() -> None:
    assert households.viewing_day(1440 + 3 * 60 + 59) == 0
    assert households.viewing_day(1440 + 4 * 60) == 1


def test_customers_who_cancel_watch_ever_less_in_their_last_two_months() -> None:
    dims = generate_dimensions(seed=42, customers=600, titles=20, campaigns=1)
    world = World(2, dims, 100)
    leaving = [
        (i, wm.epoch_day(c["subscription_end_date"]))
        for i, c in enumerate(dims.customers)
        if c["subscription_end_date"]
        and wm.epoch_day(c["subscription_end_date"]) - wm.epoch_day(c["subscription_start_date"]) > 200
    ]
    assert len(leaving) > 50

    def watched(offsets: range) -> float:
        days = 0
        for i, end in leaving:
            days += sum(world.subscribed(i, end - k)[0] and world.watches(i, end - k) for k in offsets)
        return days / (len(leaving) * len(offsets))

    assert watched(range(1, 31)) < 0.5 * watched(range(91, 121))
    assert watched(range(1, 31)) > 0


def test_households_watch_their_preferred_genres_far_more_than_chance() -> None:
    """About half of the plays go to a fan of the title's genre (households.GENRE_AFFINITY): a customer's preferred
    genres (1-3 of 14) take over half of their plays, against about one in seven by chance."""
    import datetime as dt
    import json

    from functions.generator.events import epoch_ms, window_events

    dims = generate_dimensions(seed=42, customers=600, titles=300, campaigns=1)
    start = epoch_ms(dt.datetime(2026, 11, 26, tzinfo=dt.UTC))
    starts = [ev for ev in window_events(World(3, dims, 200), start, start + 43_200_000) if ev["event_type"] == "start"]
    likes = {c["customer_id"]: set(json.loads(c["preferred_genres"])) for c in dims.customers}
    genre = {t["title_id"]: t["genre"] for t in dims.titles}
    matched = sum(genre[ev["title_id"]] in likes[ev["customer_id"]] for ev in starts) / len(starts)
    chance = sum(len(likes[ev["customer_id"]]) for ev in starts) / len(starts) / 14
    assert len(starts) > 2000
    assert matched > max(0.45, 3 * chance)
