"""check_events must reject each kind of broken batch (so a passing check means something)."""

from __future__ import annotations

import copy
import datetime as dt
import random
from collections.abc import Callable

import pytest

from functions.shared import domains
from functions.shared.dimensions import Dimensions, generate_dimensions
from tests.functions.invariants import check_events
from tests.functions.worlds import generate_events

WINDOW_END = dt.datetime(2026, 11, 26, 2, 45, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def dims() -> Dimensions:
    return generate_dimensions(seed=42, customers=200, titles=150, campaigns=5)


@pytest.fixture(scope="module")
def batch(dims: Dimensions) -> list[dict]:
    events = generate_events(4000, dims, window_end=WINDOW_END, rng=random.Random(5))
    check_events(events, dims)
    return events


def _session_with(events: list[dict], types: tuple[str, ...]) -> list[int]:
    """Indexes of the first session whose event types start with `types`."""
    by_session: dict[str, list[int]] = {}
    for i, ev in enumerate(events):
        by_session.setdefault(ev["session_id"], []).append(i)
    for indexes in by_session.values():
        if tuple(events[i]["event_type"] for i in indexes[: len(types)]) == types:
            return indexes
    raise LookupError(f"no session starting {types}")


Breakage = Callable[[list[dict], Dimensions], None]


def _swap_session_order(ev: list[dict], d: Dimensions) -> None:
    i, j = _session_with(ev, ("start", "pause"))[:2]
    ev[i]["event_timestamp"], ev[j]["event_timestamp"] = ev[j]["event_timestamp"], ev[i]["event_timestamp"]


def _reposition(ev: dict, d: Dimensions, position: int) -> None:
    """Move an event's playhead, keeping its completion consistent so only the session rule is broken."""
    duration = next(t["duration_minutes"] for t in d.titles if t["title_id"] == ev["title_id"]) * 60
    ev["position_seconds"] = position
    ev["completion_percentage"] = round(100 * position / duration, 2)


def _position_backwards(ev: list[dict], d: Dimensions) -> None:
    i, j = _session_with(ev, ("resume", "stop"))[:2]
    _reposition(ev[j], d, ev[i]["position_seconds"] - 1)


def _event_after_end(ev: list[dict], d: Dimensions) -> None:
    i = _session_with(ev, ("start", "pause", "resume"))[1]
    ev[i]["event_type"] = "stop"


def _move_while_paused(ev: list[dict], d: Dimensions) -> None:
    j = _session_with(ev, ("pause", "resume"))[1]
    _reposition(ev[j], d, ev[j]["position_seconds"] + 1)


def _set(field: str, value: object) -> Breakage:
    def breakage(ev: list[dict], d: Dimensions) -> None:
        ev[10][field] = value

    return breakage


def _other_title_type(ev: list[dict], d: Dimensions) -> None:
    ev[10]["title_type"] = next(t for t in ("movie", "series", "documentary") if t != ev[10]["title_type"])


def _quality_above_tier(ev: list[dict], d: Dimensions) -> None:
    tiers = {c["customer_id"]: c["subscription_tier"] for c in d.customers}
    target = next(e for e in ev if tiers[e["customer_id"]] == "free_with_ads")
    target["quality"] = "4K"
    target["bandwidth_mbps"] = 900.0
    target["connection_type"] = "fiber"


def _duplicate_id(ev: list[dict], d: Dimensions) -> None:
    ev[20]["event_id"] = ev[19]["event_id"]


def _unsorted_batch(ev: list[dict], d: Dimensions) -> None:
    ev[5], ev[6] = ev[6], ev[5]
    ev[5]["event_timestamp"], ev[6]["event_timestamp"] = "2026-11-26T02:44:59.999Z", "2026-11-26T02:40:00.001Z"


def _app_updated_mid_session(ev: list[dict], d: Dimensions) -> None:
    j = _session_with(ev, ("start", "pause"))[1]
    ev[j]["app_version"] = next(v for v in domains.APP_VERSIONS if v != ev[j]["app_version"])


def _device_of_another_customer(ev: list[dict], d: Dimensions) -> None:
    """Every event of one session reports the device of an earlier event's (different) customer."""
    first = ev[0]
    other = next(e for e in ev if e["customer_id"] != first["customer_id"] and e["session_id"] != first["session_id"])
    for e in ev:
        if e["session_id"] == other["session_id"]:
            e["device_id"] = first["device_id"]


def _complete_short_of_the_end(ev: list[dict], d: Dimensions) -> None:
    (i,) = _session_with(ev, ("complete",))[:1]
    _reposition(ev[i], d, ev[i]["position_seconds"] - 60)
    ev[i]["watch_duration_seconds"] = max(0, ev[i]["watch_duration_seconds"] - 60)


BREAKAGES: dict[str, tuple[Breakage, str]] = {
    "app version changes within a session": (_app_updated_mid_session, "app_version .* changed within the session"),
    "device of another customer": (_device_of_another_customer, "device_id dev_[0-9a-f]{16} belongs to"),
    "complete short of the title's end": (_complete_short_of_the_end, "a complete event must reach the title's end"),
    "session out of time order": (_swap_session_order, "went backwards|may not follow"),
    "position goes backwards": (_position_backwards, "position_seconds went backwards"),
    "event after an end": (_event_after_end, "may not follow stop"),
    "playhead moves while paused": (_move_while_paused, "playhead moved while paused"),
    "unknown customer": (_set("customer_id", "cust_999999"), "not in the customers table"),
    "unknown title": (_set("title_id", "title_99999"), "not in the titles table"),
    "title type not the title's": (_other_title_type, "title_type .* but title_"),
    "city not the customer's": (_set("city", "Atlantis"), "city 'Atlantis' differs from the customer's"),
    "timestamp without milliseconds": (_set("event_timestamp", "2026-11-26T02:44:00Z"), "not ISO 8601"),
    "event id not a uuid": (_set("event_id", "not-a-uuid"), "not a version-4 UUID"),
    "extra field": (_set("year", "2026"), "unknown field"),
    "int field given a string": (_set("error_count", "0"), "'error_count' must be int"),
    "completion not from position": (_set("completion_percentage", 12.345), "completion_percentage 12.345"),
    "bandwidth outside connection range": (_set("bandwidth_mbps", 10_000.0), "outside .* range"),
    "quality above the tier allows": (_quality_above_tier, "quality 4K but tier free_with_ads"),
    "duplicate event id": (_duplicate_id, "appears twice"),
    "batch not sorted by time": (_unsorted_batch, "earlier than the previous"),
}


@pytest.mark.parametrize("name", list(BREAKAGES))
def test_check_events_rejects_a_broken_batch(dims: Dimensions, batch: list[dict], name: str) -> None:
    broken = copy.deepcopy(batch)
    breakage, message = BREAKAGES[name]
    breakage(broken, dims)
    # Session-level breakages are checked on their own, without the batch-order rule firing first.
    with pytest.raises(AssertionError, match=message):
        check_events(broken, dims, sorted_by_time=name == "batch not sorted by time")


def test_check_events_enforces_the_window_when_given(dims: Dimensions, batch: list[dict]) -> None:
    check_events(batch, dims, window=(WINDOW_END - dt.timedelta(seconds=300), WINDOW_END))
    last = dt.datetime.strptime(batch[-1]["event_timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    with pytest.raises(AssertionError, match="outside the window"):  # the end is exclusive
        check_events(batch, dims, window=(WINDOW_END - dt.timedelta(seconds=300), last))


def test_check_events_accepts_an_unsorted_batch_when_told(dims: Dimensions, batch: list[dict]) -> None:
    shuffled = list(batch)
    random.Random(1).shuffle(shuffled)
    check_events(shuffled, dims, sorted_by_time=False)
