"""The backfill's hour plans and compiled viewer draw (lakewriter.backfill.plans, kernel) equal the world's own."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest
from numba import njit

from functions.generator import events as generator
from functions.shared import ads, domains, people
from functions.shared import world as wm
from functions.shared.dimensions import Dimensions, generate_dimensions, world_dimensions
from functions.shared.world import World
from lakewriter.backfill import kernel, model, plans


def _hour(year: int, month: int, day: int) -> int:
    return int(dt.datetime(year, month, day, tzinfo=dt.UTC).timestamp()) // 3600


def assert_same_plans(world: World, hours: range) -> None:
    """Planner's plans are World.hour's, as arrays."""
    planner = plans.Planner(world)
    n = world.sets.zones
    for h in hours:
        expected = world.hour(h)
        got = planner.plan(h)
        assert (got.whole, got.threshold, got.rate, got.admitted) == (
            expected.whole, expected.threshold, expected.rate, expected.admitted
        ), h  # fmt: skip
        assert got.titles is expected.titles and got.scoped == expected.scoped
        assert (got.day, got.blocks, got.tail) == (expected.day, expected.blocks, expected.tail)
        rows = [expected.cumulative, *expected.by_genre] if expected.cumulative else [(0,) * n] * len(got.cumulative)
        assert got.cumulative.tolist() == [list(r) for r in rows], h
        assert got.viewing_days.tolist() == list(expected.viewing_days)
        assert got.day_keys.tolist() == list(expected.day_keys)
        assert planner.counts(h) == (expected.whole, expected.threshold, expected.rate, expected.admitted)


@njit(cache=True)
def _picks(hvs: np.ndarray, plan: np.ndarray, genre: np.ndarray, scope: np.ndarray, viewers: tuple) -> np.ndarray:
    out = np.empty(len(hvs), dtype=np.int64)
    for j in range(len(hvs)):
        out[j] = kernel.pick_customer(hvs[j], plan[j], genre[j], scope[j], viewers)
    return out


@njit(cache=True)
def _layout_reads(lkey: np.uint64, skey: np.uint64, count: int, ids: np.ndarray, q: np.ndarray) -> np.ndarray:
    out = np.empty((len(ids), 3), dtype=np.int64)
    for j in range(len(ids)):
        i = ids[j]
        out[j, 0] = kernel.position(lkey, i >> people.BLOCK_BITS, i & (people.BLOCK - 1))
        out[j, 1], out[j, 2] = kernel.subscription_days(skey, count, i, q)
    return out


@pytest.fixture(scope="module")
def dims() -> Dimensions:
    return generate_dimensions(customers=2400, titles=200, delivery=False)


@pytest.mark.parametrize("count", [300, 2400, 22_500, 1_000_000])
def test_the_compiled_layout_and_subscriptions_equal_peoples(count: int) -> None:
    ids = np.unique(np.concatenate([np.arange(min(count, 3000)), (np.arange(3000) * 7919) % count, [count - 1]]))
    lkey, skey = people.layout_key(42), people.subscription_key(42)
    got = _layout_reads(np.uint64(lkey), np.uint64(skey), count, ids, np.array(people.TENURE_QUANTILES))
    i_list = ids.tolist()
    assert got[:, 0].tolist() == [people.position(lkey, i >> people.BLOCK_BITS, i % people.BLOCK) for i in i_list]
    spans = [people.subscription_days(42, count, i) for i in i_list]
    assert got[:, 1:].tolist() == [list(s) for s in spans]


@pytest.mark.parametrize(
    ("count", "batch", "first_hour", "hours"),
    [
        (2400, 50, _hour(2025, 10, 25), 72),  # Europe's daylight-saving change (Oct 26), an audience its size carries
        (2400, 50, _hour(2025, 11, 1), 48),  # the US's (Nov 2)
        (2400, 1157, _hour(2026, 3, 7), 30),  # too dense for its audience: every candidate played (not exclusive)
        (2400, 50, _hour(2022, 12, 31), 30),  # before anyone signed up, then the first sign-ups
        (22_500, 1000, _hour(2026, 11, 30), 30),  # whole blocks and a partial one
        (300, 13, _hour(2027, 11, 20), 30),  # a partial block alone, late in the sign-up horizon
    ],
)
def test_the_plans_and_the_compiled_viewer_draw_equal_the_worlds(
    count: int, batch: int, first_hour: int, hours: int
) -> None:
    """Planner's plans are World.hour's, and kernel.pick_customer draws World.pick_customer's viewer for every
    viewer draw, genre and scope (a surge's country), the same customer or the same -1."""
    world = World(3, world_dimensions(42, count, 50, 1), batch)
    assert_same_plans(world, range(first_hour, first_hour + hours))
    planner = plans.Planner(world)
    hour_plans = [planner.plan(h) for h in range(first_hour, first_hour + hours)]
    viewers = (
        np.concatenate([p.cumulative for p in hour_plans]),
        np.stack([p.viewing_days for p in hour_plans]),
        np.stack([p.day_keys for p in hour_plans]),
        np.array([[p.day, p.blocks, int(p.tail)] for p in hour_plans], dtype=np.int64),
        *planner.layout,
    )
    n = 4000
    hvs = np.array([wm.draw(first_hour, j) for j in range(n)], dtype=np.uint64)
    plan = np.arange(n) % hours
    genre = np.arange(n) % len(domains.GENRES)
    scope = np.where(np.arange(n) % 5 == 0, np.arange(n) % len(world.layout.countries), -1)
    got = _picks(hvs, plan, genre, scope, viewers).tolist()
    want = [
        world.pick_customer(
            world.hour(first_hour + int(p)), int(h), int(g), world.layout.countries[int(c)] if c >= 0 else None
        )
        for h, p, g, c in zip(hvs.tolist(), plan, genre, scope, strict=True)
    ]
    assert got == want
    if world.hour(first_hour + hours - 1).cumulative:
        assert sum(c >= 0 for c in want) > 0.9 * n


def test_hand_written_customers_are_refused_naming_the_rule() -> None:
    base = generate_dimensions(customers=30, titles=20, campaigns=1, delivery=False)
    with pytest.raises(ValueError, match="generated customers"):
        World(5, dataclasses.replace(base, lifecycle=None), 5)


def test_expected_events_slot_counts_and_surge_sets_equal_the_worlds_across_a_live_surge(dims: Dimensions) -> None:
    world = World(1, dims, 50)
    planner = plans.Planner(world)
    start = _hour(2025, 11, 1) * 3_600_000
    end = start + 7 * 86_400_000
    surges = [i for i in world.incidents(start, end) if i.volume_permille != 1000]
    assert surges, "the week holds a live-event surge"
    assert planner.expected_events(start, end) == world.expected_events(start, end)
    lo = surges[0].start_ms // 60_000 - 90
    hi = lo + 240
    slot_plan = np.arange(lo, hi) // 60 - lo // 60
    hours = range(lo // 60, (hi - 1) // 60 + 1)
    assert_same_plans(world, hours)  # with the surge's scopes
    hour_plans = [planner.plan(h) for h in hours]
    whole, threshold, extra_at, extra_count, extra_set = planner.slot_counts(lo, hi, slot_plan, hour_plans)
    assert whole.tolist() == [world.hour(s // 60).whole for s in range(lo, hi)]
    assert threshold.tolist() == [world.hour(s // 60).threshold for s in range(lo, hi)]
    # The extra candidates: per slot, per surge under way, a count and its scope (a country's index).
    expected = [world.slot_surges(s, world.hour(s // 60)) for s in range(lo, hi)]
    assert np.diff(extra_at).tolist() == [len(e) for e in expected]
    assert extra_count.tolist() == [n for e in expected for n, _ in e]
    assert [world.layout.countries[k] for k in extra_set.tolist()] == [c for e in expected for _, c in e]
    assert sum(extra_count.tolist()) > 0 and sum(len(e) > 0 for e in expected) > 60


def test_the_households_and_viewers_a_backfill_makes_as_drawn_are_the_generators(dims: Dimensions) -> None:
    """model.Households and model.Viewers (made when a candidate draws a customer, whatever the audience) hold
    what the generator's devices.Households and viewer_profile give that customer and device."""
    catalog = model.Catalog.from_dimensions(dims)
    homes, viewers = catalog.households, catalog.viewers
    prepared = generator.PreparedDimensions(dims)
    drawn = np.array([2399, 0, 17, -1, 5, 17], dtype=np.int64)
    houses = homes.rows(drawn)
    assert houses[3] == -1 and houses[2] == houses[5] and homes.size == 4  # one row per household drawn
    keys = []
    for c, h in zip(drawn.tolist(), houses.tolist(), strict=True):
        if c < 0:
            continue
        screens, slots = prepared.devices.of(c)
        tier = prepared.customers[c]["subscription_tier"]
        assert homes.tables[homes.profile[h]].tolist() == list(screens)
        assert homes.type[h * model.MAX_DEVICES : h * model.MAX_DEVICES + len(slots)].tolist() == [t for t, _ in slots]
        assert (homes.limit[h], homes.ad_tier[h]) == (domains.PLAN_STREAM_LIMITS[tier], ads.sees_ads(tier))
        assert homes.zones[homes.zone[h]] == prepared.customers[c]["timezone"]
        keys += [c * model.MAX_DEVICES + s for s in range(len(slots))]
    rows = viewers.rows(np.array(keys, dtype=np.int64))
    assert viewers.size == len(set(keys)) and viewers.keys[rows].tolist() == keys
    for key, r in zip(keys, rows.tolist(), strict=True):
        p = prepared.viewer(key)
        assert [viewers.values[k][c] for k, c in enumerate(viewers.codes[r].tolist())] == [
            p.base[name] for name in model.VIEWER_COLUMNS
        ]
        assert viewers.ints[r].tolist() == [p.bandwidth10, p.floor10, p.high10, *p.qoe]
        assert viewers.scope[r].tolist() == [viewers.code(name, p.base[name]) for name in model.SCOPE_COLUMNS]
