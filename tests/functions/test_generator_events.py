"""generate_events: session invariants over many seeds, model shares, windowing and reproducibility."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.generator.events import best_quality, device_identity, format_timestamp_ms, generate_events
from functions.shared import domains
from functions.shared.dimensions import Dimensions, generate_dimensions
from functions.shared.schema import STREAMING_EVENTS
from tests.functions.invariants import check_events

WINDOW_END = dt.datetime(2026, 11, 26, 2, 45, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def dims() -> Dimensions:
    return generate_dimensions(seed=42, customers=300, titles=200, campaigns=5)


@pytest.fixture(scope="module")
def big_batch(dims: Dimensions) -> list[dict]:
    return generate_events(60_000, dims, window_end=WINDOW_END, rng=random.Random(2026))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 2**32),
    count=st.integers(1, 600),
    window_seconds=st.sampled_from([1, 7, 60, 300, 3600]),
    end_offset_ms=st.integers(0, 10**10),
)
def test_invariants_hold_for_any_seed_count_and_window(
    dims: Dimensions, seed: int, count: int, window_seconds: int, end_offset_ms: int
) -> None:
    window_end = WINDOW_END + dt.timedelta(milliseconds=end_offset_ms)
    events = generate_events(count, dims, window_end=window_end, window_seconds=window_seconds, rng=random.Random(seed))
    assert len(events) == count
    check_events(events, dims, window=(window_end - dt.timedelta(seconds=window_seconds), window_end))


def test_events_carry_exactly_the_schema_columns_in_order(big_batch: list[dict]) -> None:
    assert all(tuple(ev) == STREAMING_EVENTS.column_names for ev in big_batch[:2000])


def test_a_large_batch_satisfies_every_invariant(dims: Dimensions, big_batch: list[dict]) -> None:
    check_events(big_batch, dims, window=(WINDOW_END - dt.timedelta(seconds=300), WINDOW_END))


def test_event_type_shares_match_the_session_model(big_batch: list[dict]) -> None:
    # A session has 1 start, k pauses and k resumes (E[k] = PAUSES_PER_SESSION_MEAN) and one end, so
    # each type's share of all events is its expected count per session over E[events per session].
    pauses = domains.PAUSES_PER_SESSION_MEAN
    per_session = 2 + 2 * pauses
    expected = {
        "start": 1 / per_session,
        "pause": pauses / per_session,
        "resume": pauses / per_session,
        "complete": domains.COMPLETE_SHARE / per_session,
        "stop": (1 - domains.COMPLETE_SHARE) / per_session,
    }
    counts = Counter(ev["event_type"] for ev in big_batch)
    # Tolerance 0.01: the ~47k sessions behind 60k events give a standard error of about 0.002 per
    # share (events of one session are correlated, so this is wider than a binomial over events).
    for event_type, share in expected.items():
        assert counts[event_type] / len(big_batch) == pytest.approx(share, abs=0.01), event_type


def test_device_and_title_type_shares_match_their_weights(dims: Dimensions, big_batch: list[dict]) -> None:
    n = len(big_batch)
    devices = Counter(ev["device_type"] for ev in big_batch)
    for device, weight in domains.DEVICE_TYPES.items():
        # Same clustering argument as for event types: tolerance 0.01 is about 5 standard errors.
        assert devices[device] / n == pytest.approx(weight, abs=0.01), device
    # Titles are drawn uniformly from the catalog, so the expectation is the catalog's own mix.
    catalog = Counter(t["title_type"] for t in dims.titles)
    seen = Counter(ev["title_type"] for ev in big_batch)
    for title_type, in_catalog in catalog.items():
        assert seen[title_type] / n == pytest.approx(in_catalog / len(dims.titles), abs=0.015), title_type


def test_sessions_are_cut_at_the_window_edges_but_most_are_whole(big_batch: list[dict]) -> None:
    by_session: dict[str, list[str]] = {}
    for ev in big_batch:
        by_session.setdefault(ev["session_id"], []).append(ev["event_type"])
    without_start = sum(types[0] != "start" for types in by_session.values())
    without_end = sum(types[-1] not in domains.SESSION_END_TYPES for types in by_session.values())
    assert without_start > 0 and without_end > 0
    multi_event = sum(len(types) > 1 for types in by_session.values())
    assert multi_event > 0.05 * len(by_session)


def test_only_active_customers_watch(dims: Dimensions, big_batch: list[dict]) -> None:
    active = {c["customer_id"] for c in dims.customers if c["is_active"]}
    assert {ev["customer_id"] for ev in big_batch} <= active
    assert len({ev["customer_id"] for ev in big_batch}) > 0.9 * len(active)


def test_poor_connections_buffer_and_fail_more(big_batch: list[dict]) -> None:
    def mean(field: str, poor: bool) -> float:
        rows = [ev[field] for ev in big_batch if (ev["connection_type"] in domains.POOR_CONNECTIONS) is poor]
        return sum(rows) / len(rows)

    assert mean("buffering_events", True) > 2 * mean("buffering_events", False)
    assert mean("error_count", True) > 2 * mean("error_count", False)


def test_same_seed_gives_identical_events_and_another_seed_does_not(dims: Dimensions) -> None:
    def run(seed: int) -> list[dict]:
        return generate_events(500, dims, window_end=WINDOW_END, rng=random.Random(seed))

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_device_ids_are_stable_per_customer_and_device_across_runs(dims: Dimensions) -> None:
    a = generate_events(3000, dims, window_end=WINDOW_END, rng=random.Random(1))
    b = generate_events(3000, dims, window_end=WINDOW_END + dt.timedelta(hours=5), rng=random.Random(99))
    ids_a = {(ev["customer_id"], ev["device_type"]): ev["device_id"] for ev in a}
    ids_b = {(ev["customer_id"], ev["device_type"]): ev["device_id"] for ev in b}
    shared = ids_a.keys() & ids_b.keys()
    assert shared and all(ids_a[key] == ids_b[key] for key in shared)
    assert len(set(ids_a.values())) == len(ids_a)
    assert device_identity("cust_000001", "tv") == device_identity("cust_000001", "tv")
    assert device_identity("cust_000001", "tv")[0] != device_identity("cust_000001", "web")[0]


@pytest.mark.parametrize(
    ("tier", "bandwidth", "quality"),
    [
        ("premium", 15.0, "4K"),
        ("premium", 14.9, "HD"),
        ("premium", 4.9, "SD"),
        ("standard", 900.0, "HD"),
        ("basic", 5.0, "HD"),
        ("free_with_ads", 900.0, "SD"),
    ],
)
def test_best_quality_is_capped_by_tier_and_bandwidth(tier: str, bandwidth: float, quality: str) -> None:
    assert best_quality(tier, bandwidth) == quality


def test_zero_count_gives_no_events(dims: Dimensions) -> None:
    assert generate_events(0, dims, window_end=WINDOW_END, rng=random.Random(1)) == []


@pytest.mark.parametrize(("argument", "value"), [("count", -1), ("count", 2.0), ("count", True), ("window_seconds", 0)])
def test_bad_arguments_raise_naming_them(dims: Dimensions, argument: str, value: object) -> None:
    kwargs = {"count": 10, "window_seconds": 300, argument: value}
    with pytest.raises(ValueError, match=f"^{argument} must be an int"):
        generate_events(kwargs.pop("count"), dims, window_end=WINDOW_END, rng=random.Random(1), **kwargs)  # type: ignore[arg-type]


def test_a_naive_window_end_is_rejected(dims: Dimensions) -> None:
    with pytest.raises(ValueError, match="window_end must be timezone-aware"):
        generate_events(1, dims, window_end=dt.datetime(2026, 1, 1), rng=random.Random(1))


def test_timestamps_use_the_fast_path_format_exactly(big_batch: list[dict]) -> None:
    for ev in big_batch[:500]:
        moment = dt.datetime.strptime(ev["event_timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
        epoch_ms = round(moment.timestamp() * 1000)
        assert format_timestamp_ms(epoch_ms) == ev["event_timestamp"]
    assert format_timestamp_ms(0) == "1970-01-01T00:00:00.000Z"
    assert format_timestamp_ms(59_999) == "1970-01-01T00:00:59.999Z"
