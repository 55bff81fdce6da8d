"""A session stays in order within a tick: payloads are cut only between sessions, so one producer invocation puts
all of a session's events of the tick under its partition key, in order."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter
from typing import Any

import pytest

from functions.generator import handler as gen
from functions.generator.events import window_events, window_records
from functions.shared.dimensions import DEFAULT_DIMENSION_SEED, generate_dimensions
from functions.shared.domains import DEFAULT_BATCH_SIZE
from functions.shared.schema import CUSTOMERS, TITLES
from functions.shared.world import DEFAULT_WORLD_SEED, World
from tests.functions.worlds import generate_records

PRODUCER = "acme-telemetry-producer"
TICK_MS = 300_000


@pytest.fixture(scope="module")
def stack_world() -> World:
    """The world a default stack's generator observes: default seeds, counts and batch size."""
    dims = generate_dimensions(DEFAULT_DIMENSION_SEED, CUSTOMERS.default_rows, TITLES.default_rows)
    return World(DEFAULT_WORLD_SEED, dims, DEFAULT_BATCH_SIZE)


def ms(*args: int) -> int:
    return int(dt.datetime(*args, tzinfo=dt.UTC).timestamp() * 1000)


def check_sessions_whole(world: World, end_ms: int) -> int:
    """Pack one tick; every session in exactly one payload, in the tick's order; returns the payload count."""
    reference = window_events(world, end_ms - TICK_MS, end_ms)
    payloads = gen.pack_payloads(window_records(world, end_ms - TICK_MS, end_ms))
    assert all(len(p.data) <= gen.MAX_PAYLOAD_BYTES and not p.wait for p in payloads)
    carried = [json.loads(p.data)["events"] for p in payloads]
    homes = Counter(session for events in carried for session in {ev["session_id"] for ev in events})
    straddling = [session for session, count in homes.items() if count > 1]
    assert straddling == [], f"{len(straddling)} sessions straddle two payloads"
    for events in carried:  # each session's events in the tick's order (time, then the world's own order)
        for session in {ev["session_id"] for ev in events}:
            ids = [ev["event_id"] for ev in events if ev["session_id"] == session]
            assert ids == [ev["event_id"] for ev in reference if ev["session_id"] == session]
    assert sorted(ev["event_id"] for events in carried for ev in events) == sorted(ev["event_id"] for ev in reference)
    return len(payloads)


def test_three_default_ticks_keep_every_session_in_one_payload(stack_world: World) -> None:
    ends = [ms(2026, 11, 26, 2, 55) + i * TICK_MS for i in range(3)]
    counts = [check_sessions_whole(stack_world, end) for end in ends]
    assert max(counts) >= 2, counts  # at least one tick needed more than one payload


def test_a_prime_time_tick_of_about_1500_events_cuts_only_between_sessions(stack_world: World) -> None:
    end = ms(2026, 11, 26, 3, 0)
    assert 1_400 <= len(window_records(stack_world, end - TICK_MS, end)) <= 1_800
    assert check_sessions_whole(stack_world, end) == 2


def records_with_a_giant_session(count: int, giant: int) -> list[dict]:
    dims = generate_dimensions(seed=42, customers=50, titles=20, campaigns=2)
    end = dt.datetime(2026, 11, 26, 2, 45, tzinfo=dt.UTC)
    records = generate_records(count, dims, window_end=end, rng=random.Random(9))
    for i in range(0, 2 * giant, 2):  # every other record of the first stretch belongs to one long session
        records[i] = {**records[i], "PartitionKey": "giant"}
    return records


def test_a_session_larger_than_a_payload_fills_consecutive_payloads_of_its_own_in_order() -> None:
    records = records_with_a_giant_session(60, giant=12)
    payloads = gen.pack_payloads(records, max_bytes=2_500)
    giant = [i for i, p in enumerate(payloads) if _keys(records, p) == {"giant"}]
    parts = [p for p in payloads if _keys(records, p) == {"giant"}]
    assert len(parts) >= 3 and [p.wait for p in parts] == [True] * (len(parts) - 1) + [False]
    assert giant == list(range(giant[0], giant[0] + len(parts)))  # consecutive
    sent = [ev["event_id"] for p in parts for ev in json.loads(p.data)["events"]]
    assert sent == [json.loads(r["Data"])["event_id"] for r in records if r["PartitionKey"] == "giant"]
    others = Counter(k for p in payloads for k in _keys(records, p) - {"giant"})
    size = Counter()
    for r in records:
        size[r["PartitionKey"]] += len(r["Data"]) + 1  # each event and its separator
    fits = {k for k in others if size[k] + 64 <= 2_500}  # room for the payload's envelope
    assert fits and all(others[k] == 1 for k in fits)  # every other session that fits a payload is whole in one


def _keys(records: list[dict], payload: gen.Payload) -> set[str]:
    ids = {ev["event_id"] for ev in json.loads(payload.data)["events"]}
    return {r["PartitionKey"] for r in records if json.loads(r["Data"])["event_id"] in ids}


class OrderedLambda:
    """Records each invoke with its type; a synchronous one answers 200 as Lambda does."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bytes]] = []

    def invoke(self, *, FunctionName: str, InvocationType: str, Payload: bytes) -> dict[str, Any]:
        self.calls.append((InvocationType, Payload))
        return {"StatusCode": 200 if InvocationType == "RequestResponse" else 202}


def test_run_tick_waits_for_each_part_of_a_giant_session_before_sending_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records = records_with_a_giant_session(60, giant=12)
    packed = gen.pack_payloads
    monkeypatch.setattr(gen, "window_records", lambda *a, **k: records)
    monkeypatch.setattr(gen, "pack_payloads", lambda recs: packed(recs, max_bytes=2_500))
    client = OrderedLambda()
    summary = gen.run_tick(client, function_name=PRODUCER, world=None, start_ms=0, end_ms=TICK_MS)  # type: ignore[arg-type]
    expected = packed(records, max_bytes=2_500)
    assert [c[1] for c in client.calls] == [p.data for p in expected] and summary["payloads"] == len(expected)
    kinds = [kind for kind, _ in client.calls]
    assert kinds == ["RequestResponse" if p.wait else "Event" for p in expected] and "RequestResponse" in kinds


def test_a_failed_synchronous_part_stops_the_tick_naming_it() -> None:
    class Failing(OrderedLambda):
        def invoke(self, **kwargs: Any) -> dict[str, Any]:
            super().invoke(**kwargs)
            return {"StatusCode": 200, "FunctionError": "Unhandled"}

    with pytest.raises(gen.InvokeError, match=r"failed \(Unhandled\) for payload 1 of 3"):
        gen._invoke(Failing(), PRODUCER, b"{}", "payload 1 of 3", wait=True)
