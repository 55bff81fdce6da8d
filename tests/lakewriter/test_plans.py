"""The backfill's hour plans and compiled viewer draw (lakewriter.backfill.plans, kernel) equal the world's own."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest
from numba import njit

from functions.shared import domains, people
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
    start, end = plans.subscription_arrays(42, count, ids)
    assert list(zip(start.tolist(), end.tolist(), strict=True)) == spans


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


def test_the_customers_subscribed_in_a_range_are_every_one_a_viewer_draw_of_it_may_accept(dims: Dimensions) -> None:
    world = World(1, dims, 50)
    first, last = _hour(2025, 11, 1) // 24, _hour(2025, 11, 4) // 24
    chosen = set(plans.Planner(world).subscribed_between(first, last).tolist())
    subscribed = {c for c in range(world.count) for day in range(first, last + 1) if world.subscribed(c, day)[0]}
    assert chosen == subscribed
    assert 0 < len(chosen) < len(dims.customers)


def test_a_catalog_of_some_customers_gives_their_viewers_what_the_whole_catalog_does(dims: Dimensions) -> None:
    chosen = np.array([0, 5, 17, 2399], dtype=np.int64)
    whole, part = model.Catalog.from_dimensions(dims), model.Catalog.from_dimensions(dims, chosen)
    first = whole.device_first  # each household's devices (devices.Layout)
    viewers = np.concatenate([np.arange(first[c], first[c + 1]) for c in chosen.tolist()])
    for name in model.VIEWER_COLUMNS:
        want = whole.viewer_columns[name].column(viewers).to_pylist()
        assert part.viewer_columns[name].column(viewers).to_pylist() == want, name
        assert part.viewer_columns[name].column(viewers, own_values=True).to_pylist() == want, name
    assert np.array_equal(part.viewer_ints[viewers], whole.viewer_ints[viewers])
    values = {name: part.viewer_columns[name].values.to_pylist() for name in model.SCOPE_COLUMNS}
    for k, name in enumerate(model.SCOPE_COLUMNS):
        scope = [values[name][c] for c in part.viewer_scope[viewers, k]]
        assert scope == whole.viewer_columns[name].column(viewers).to_pylist()
