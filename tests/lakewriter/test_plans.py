"""The backfill's numpy hour plans (lakewriter.backfill.plans) equal the world's own (World.hour), array for array."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import numpy as np
import pytest

from functions.shared.dimensions import Dimensions, generate_dimensions
from functions.shared.world import World
from lakewriter.backfill import model, plans


def _hour(year: int, month: int, day: int) -> int:
    return int(dt.datetime(year, month, day, tzinfo=dt.UTC).timestamp()) // 3600


def assert_same_plans(world: World, hours: range) -> None:
    planner = plans.Planner(world)
    for h in hours:
        expected = world.hour(h)
        got = planner.plan(h)
        assert (got.whole, got.threshold, got.rate, got.admitted) == (
            expected.whole, expected.threshold, expected.rate, expected.admitted
        ), h  # fmt: skip
        assert got.titles is expected.titles
        for name, want, have in zip(
            plans.PlanArrays._fields[5:12], plans.audience_arrays(expected), got.arrays, strict=True
        ):
            assert have.dtype == want.dtype == np.int64, (h, name)
            assert np.array_equal(have, want), (h, name)
        assert [(c, w) for c, w, _ in got.scoped] == [(c, w) for c, w, _ in expected.scoped], h
        for (_, _, have_set), (_, _, want_set) in zip(got.scoped, expected.scoped, strict=True):
            for have, want in zip(have_set, plans.viewer_set_arrays(want_set), strict=True):
                assert have.dtype == want.dtype == np.int64 and np.array_equal(have, want), h
        assert plans.Planner(world).counts(h) == (expected.whole, expected.threshold, expected.rate, expected.admitted)


@pytest.fixture(scope="module")
def dims() -> Dimensions:
    return generate_dimensions(customers=2400)


@pytest.mark.parametrize(
    ("batch", "first_hour", "hours"),
    [
        (50, _hour(2025, 10, 25), 72),  # Europe's daylight-saving change (Oct 26), an audience its size carries
        (50, _hour(2025, 11, 1), 48),  # the US's (Nov 2)
        (1157, _hour(2026, 3, 7), 30),  # too dense for its audience: every candidate played (not exclusive)
        (50, _hour(2022, 12, 31), 30),  # before anyone signed up, then the first sign-ups
    ],
)
def test_the_numpy_plans_equal_the_worlds_hour_plans(dims: Dimensions, batch: int, first_hour: int, hours: int) -> None:
    assert_same_plans(World(3, dims, batch), range(first_hour, first_hour + hours))


def test_rows_written_by_hand_open_ended_and_with_a_genre_listed_twice_plan_the_same() -> None:
    base = generate_dimensions(customers=300)
    customers = []
    for i, row in enumerate(base.customers):
        row = dict(row)
        if i % 3 == 0:
            row["subscription_end_date"] = None  # open-ended
        elif i % 3 == 1:
            row["subscription_end_date"] = "2025-11-20"  # ends during the hours below: disengaging before it
        if i % 7 == 0:
            genres = json.loads(row["preferred_genres"])
            row["preferred_genres"] = json.dumps([genres[0], *genres, genres[0]])
        if i % 11 == 0:
            row["preferred_genres"] = None
        customers.append(row)
    dims = dataclasses.replace(base, customers=customers, lifecycle=None)
    assert_same_plans(World(5, dims, 5), range(_hour(2025, 11, 1), _hour(2025, 11, 1) + 30))


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
    assert_same_plans(world, hours)  # with the surge's scoped sets
    hour_plans = [planner.plan(h) for h in hours]
    whole, threshold, extra_at, extra_count, extra_set = planner.slot_counts(lo, hi, slot_plan, hour_plans)
    assert whole.tolist() == [world.hour(s // 60).whole for s in range(lo, hi)]
    assert threshold.tolist() == [world.hour(s // 60).threshold for s in range(lo, hi)]
    # The extra candidates: per slot, per surge under way, a count and the scope's set (the k-th of the plans').
    scoped = [viewers for h in hours for _, _, viewers in world.hour(h).scoped]
    expected = [world.slot_surges(s, world.hour(s // 60)) for s in range(lo, hi)]
    assert np.diff(extra_at).tolist() == [len(e) for e in expected]
    assert extra_count.tolist() == [n for e in expected for n, _ in e]
    assert [scoped[k] for k in extra_set.tolist()] == [v for e in expected for _, v in e]
    assert sum(extra_count.tolist()) > 0 and sum(len(e) > 0 for e in expected) > 60


def test_the_customers_subscribed_in_a_range_are_every_one_an_hour_plan_of_it_holds(dims: Dimensions) -> None:
    world = World(1, dims, 50)
    first, last = _hour(2025, 11, 1) // 24, _hour(2025, 11, 4) // 24
    chosen = set(plans.Planner(world).subscribed_between(first, last).tolist())
    watching = {c for day in range(first, last + 1) for _, members in world.subscribers(day) for c in members}
    assert chosen == watching
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
