"""The checkpointed coordinator: one admission pass per window, saved to S3 (moto), verdicts handed to the shards,
a bootstrap chain under a fake clock; every path ends with the records of a tick without a store."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from functions.generator import checkpoint as cp
from functions.generator import events
from functions.generator import handler as gen
from functions.generator.events import epoch_ms, window_events
from functions.shared import concurrency, households
from functions.shared.dimensions import world_dimensions
from functions.shared.world import World
from tests.functions.conftest import STATE_BUCKET as BUCKET
from tests.functions.fakes import RecordingLambda
from tests.functions.test_checkpoint import FaultyS3

PRODUCER = "acme-telemetry-producer"
GENERATOR = "acme-telemetry-generator"
NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
MAX_SHARD_EVENTS = 40
"""Small enough that the test world's windows are split into a few shards."""
TICK = 300_000
T1 = epoch_ms(dt.datetime(2026, 11, 26, 16, 30, tzinfo=dt.UTC))
"""A window whose look-back (world.slot_range) lies in its admission day (from 10:00 UTC): a bootstrap judges the
day's look-back and 6.5 hours of slots."""


@pytest.fixture(scope="module")
def world() -> World:
    batch = 120
    built = World(11, world_dimensions(42, households.audience_size(batch), 100, 5), batch)
    assert built.exclusive
    return built


@pytest.fixture(autouse=True)
def cold() -> Iterator[None]:
    events.clear_window_cache()
    yield
    events.clear_window_cache()


class Clock:
    """Lambda's time left, going down `step_ms` each time it is read (the pass reads it between slots)."""

    def __init__(self, remaining_ms: int = 60_000, step_ms: int = 0) -> None:
        self.remaining_ms = remaining_ms
        self.step_ms = step_ms

    def __call__(self) -> int:
        self.remaining_ms -= self.step_ms
        return self.remaining_ms


def _serve(
    client: RecordingLambda, s3: Any, request: gen.Request, world: World, clock: Callable[[], int] | None = None
) -> dict:
    return gen.run_request(
        client,
        request,
        world=world,
        producer_name=PRODUCER,
        generator_name=GENERATOR,
        max_shard_events=MAX_SHARD_EVENTS,
        s3_client=s3,
        state_bucket=BUCKET if s3 is not None else "",
        time_left_ms=clock,
    )


def _parse(payload: bytes) -> gen.Request:
    return gen.parse_request(json.loads(payload), window_seconds=300, now=NOW)


def _run_shards(client: RecordingLambda, s3: Any, world: World, *, cold: bool = True) -> list[dict]:
    """Run every shard request the coordinator sent (each in a new container unless `cold` is False)."""
    summaries = []
    for payload in client.of(GENERATOR):
        if cold:
            events.clear_window_cache()
        summaries.append(_serve(client, s3, _parse(payload), world))
    return summaries


def _delivered(client: RecordingLambda) -> list[str]:
    return sorted(json.dumps(e, sort_keys=True) for p in client.of(PRODUCER) for e in json.loads(p)["events"])


def _expected(world: World, start: int, end: int) -> list[str]:
    events.clear_window_cache()
    try:
        return sorted(json.dumps(e, sort_keys=True) for e in window_events(world, start, end))
    finally:
        events.clear_window_cache()


def _keys(s3: Any) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_a_bootstrap_chain_of_several_hops_ends_with_the_records_of_a_tick_without_a_store(
    s3: Any, world: World
) -> None:
    request = gen.Request(T1 - TICK, T1)
    client = RecordingLambda()
    hops = 0
    summary = _serve(client, s3, request, world, Clock(60_000, step_ms=250))  # ~144 slots judged a hop
    while summary.get("pass_done") is False:
        assert summary["next_hop"] == hops + 1 and summary["checkpoint"] in _keys(s3)
        (link,) = client.of(GENERATOR)
        client.calls.clear()
        assert _parse(link) == gen.Request(request.start_ms, request.end_ms, hop=hops + 1)
        hops += 1
        events.clear_window_cache()  # each link is a new container: it has only the checkpoint
        summary = _serve(client, s3, _parse(link), world, Clock(60_000, step_ms=250))
    assert hops >= 3 and summary["hop"] == hops and summary["pass_from"] == "checkpoint"
    assert summary["shards"] == len(client.of(GENERATOR)) > 1 and not client.of(PRODUCER)
    shard_runs = _run_shards(client, s3, world)
    last = events.window_admission(world)  # the last shard's container
    assert last.judged == 0 and last.position is None  # it judged nothing: its verdicts came in its request
    assert sum(s["events"] for s in shard_runs) == len(_delivered(client))
    assert _delivered(client) == _expected(world, request.start_ms, request.end_ms)


def test_warm_and_cold_coordinators_send_the_same_shard_requests(s3: Any, world: World) -> None:
    first, second = gen.Request(T1 - TICK, T1), gen.Request(T1, T1 + TICK)
    _serve(RecordingLambda(), s3, first, world)  # the tick before, which saves its checkpoint
    warm = RecordingLambda()
    warm_summary = _serve(warm, s3, second, world)
    s3.delete_object(Bucket=BUCKET, Key=warm_summary["checkpoint"])  # the cold one starts from the tick before's
    events.clear_window_cache()
    cold = RecordingLambda()
    cold_summary = _serve(cold, s3, second, world)
    assert (warm_summary["pass_from"], cold_summary["pass_from"]) == ("memory", "checkpoint")
    assert warm_summary["pass_began"] == cold_summary["pass_began"] == world.slot_range(T1 - TICK, T1).stop
    assert warm.of(GENERATOR) == cold.of(GENERATOR) and len(warm.of(GENERATOR)) > 1
    assert all(_parse(p).verdicts is not None for p in cold.of(GENERATOR))
    _run_shards(cold, s3, world)
    assert _delivered(cold) == _expected(world, second.start_ms, second.end_ms)


def test_a_container_behind_the_newest_checkpoint_takes_it_over_its_own_pass(s3: Any, world: World) -> None:
    _serve(RecordingLambda(), s3, gen.Request(T1 - TICK, T1), world)  # this container's last tick
    elsewhere = concurrency.Admission(world)  # another container served the next one
    second = world.slot_range(T1, T1 + TICK)
    assert elsewhere.prepare(second.start, second.stop)
    cp.CheckpointStore(s3, BUCKET, gen.STATE_PREFIX, cp.world_id(world)).save(second.stop, elsewhere.snapshot())
    third = gen.Request(T1 + TICK, T1 + 2 * TICK)
    client = RecordingLambda()
    summary = _serve(client, s3, third, world)
    assert (summary["pass_from"], summary["pass_began"]) == ("checkpoint", second.stop)
    _run_shards(client, s3, world)
    assert _delivered(client) == _expected(world, third.start_ms, third.end_ms)


def test_a_shard_with_supplied_verdicts_runs_no_pass(s3: Any, world: World) -> None:
    request = gen.Request(T1 - TICK, T1)
    client = RecordingLambda()
    _serve(client, s3, request, world)
    payload = client.of(GENERATOR)[1]
    shard = _parse(payload)
    events.clear_window_cache()
    _serve(client, None, shard, world)  # a shard needs no state bucket: its request holds all it needs
    admission = events.window_admission(world)
    assert admission.judged == 0 and admission.position is None and admission.strict  # it judged nothing
    assert shard.verdicts is not None and set(shard.verdicts.slots) <= set(admission.verdicts)


def test_a_retried_coordinator_sends_the_same_requests_and_writes_nothing_new(s3: Any, world: World) -> None:
    request = gen.Request(T1 - TICK, T1)
    first = RecordingLambda()
    summary = _serve(first, s3, request, world)
    keys = _keys(s3)
    saved = s3.get_object(Bucket=BUCKET, Key=summary["checkpoint"])["LastModified"]
    events.clear_window_cache()  # the retry lands in another container
    again = RecordingLambda()
    retry = _serve(again, s3, request, world)
    assert again.of(GENERATOR) == first.of(GENERATOR)
    assert retry["pass_from"] == "checkpoint" and "checkpoint" not in retry  # the checkpoint it saved is there
    assert _keys(s3) == keys and s3.get_object(Bucket=BUCKET, Key=summary["checkpoint"])["LastModified"] == saved


def test_a_corrupt_newest_checkpoint_is_passed_over_for_the_one_before(
    s3: Any, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = gen.Request(T1 - TICK, T1), gen.Request(T1, T1 + TICK)
    _serve(RecordingLambda(), s3, first, world)
    store = cp.CheckpointStore(s3, BUCKET, gen.STATE_PREFIX, cp.world_id(world))
    newest = next(store.positions(world.slot_range(T1, T1 + TICK).stop))
    torn = s3.get_object(Bucket=BUCKET, Key=store.key(newest))["Body"].read()[:-100]
    s3.put_object(Bucket=BUCKET, Key=store.key(newest + 2), Body=torn)  # a newer, torn checkpoint
    events.clear_window_cache()
    client = RecordingLambda()
    with caplog.at_level(logging.WARNING):
        summary = _serve(client, s3, second, world)
    assert summary["pass_from"] == "checkpoint" and summary["pass_began"] == newest
    assert f"{newest + 2:010d}.pass refused, taking an older one" in caplog.text
    _run_shards(client, s3, world)
    assert _delivered(client) == _expected(world, second.start_ms, second.end_ms)


def test_a_long_ticks_windows_go_one_after_another_each_from_the_pass_before(s3: Any, world: World) -> None:
    tick = gen.Request(T1, T1 + 9_000_000)  # 2.5 hours: three windows of at most MAX_WINDOW_SECONDS
    client = RecordingLambda()
    summary = _serve(client, s3, tick, world)
    assert (summary["windows"], summary["dispatched"]) == (3, 1)
    queue, coordinators = client.of(GENERATOR), []
    while queue:  # every invocation the generator is sent, in order, each in a new container
        client.calls = [c for c in client.calls if c[0] != GENERATOR]
        request = _parse(queue.pop(0))
        events.clear_window_cache()
        done = _serve(client, s3, request, world)
        if request.shards is None:
            assert request.until_ms == tick.end_ms
            coordinators.append((done["pass_began"], world.slot_range(request.start_ms, request.end_ms)))
        queue += client.of(GENERATOR)
    assert len(coordinators) == 3
    assert [b for b, _ in coordinators[1:]] == [r.stop for _, r in coordinators[:-1]]  # each from the one before
    assert _delivered(client) == _expected(world, tick.start_ms, tick.end_ms)


def test_a_one_shard_window_is_generated_with_the_verdicts_just_made(s3: Any, world: World) -> None:
    request = gen.Request(T1 - 60_000, T1)
    assert gen.shard_count(world, request.start_ms, request.end_ms, 10_000) == 1
    client = RecordingLambda()
    summary = gen.run_request(
        client, request, world=world, producer_name=PRODUCER, generator_name=GENERATOR, s3_client=s3,
        state_bucket=BUCKET,
    )  # fmt: skip
    assert summary["shards"] == 1 and summary["pass_from"] == "none" and summary["checkpoint"] in _keys(s3)
    assert not client.of(GENERATOR)
    assert _delivered(client) == _expected(world, request.start_ms, request.end_ms)


def test_a_chain_past_its_maximum_hops_is_refused_naming_it(s3: Any, world: World) -> None:
    request = gen.Request(T1 - TICK, T1, hop=gen.MAX_CHAIN_HOPS)
    client = RecordingLambda()
    with pytest.raises(RuntimeError, match=rf"not done after {gen.MAX_CHAIN_HOPS} chain hops \(MAX_CHAIN_HOPS\)"):
        _serve(client, s3, request, world, Clock(60_000, step_ms=250))
    assert client.calls == []


def test_a_failed_hop_save_raises_and_invokes_no_next_link(s3: Any, world: World) -> None:
    client = RecordingLambda()
    with pytest.raises(cp.CheckpointError, match=r"saving s3://.* injected PutObject"):
        _serve(client, FaultyS3(s3, {"PutObject"}), gen.Request(T1 - TICK, T1), world, Clock(60_000, step_ms=250))
    assert client.calls == []


def test_a_failed_final_save_still_sends_the_window(s3: Any, world: World, caplog: pytest.LogCaptureFixture) -> None:
    request = gen.Request(T1 - TICK, T1)
    client = RecordingLambda()
    with caplog.at_level(logging.WARNING):
        summary = _serve(client, FaultyS3(s3, {"PutObject"}), request, world)
    assert "checkpoint" not in summary and "the window's shards are sent all the same" in caplog.text
    _run_shards(client, s3, world)
    assert _delivered(client) == _expected(world, request.start_ms, request.end_ms)


def test_a_failed_listing_fails_the_coordinator_before_anything_is_sent(s3: Any, world: World) -> None:
    client = RecordingLambda()
    with pytest.raises(cp.CheckpointError, match="listing s3://"):
        _serve(client, FaultyS3(s3, {"ListObjectsV2"}), gen.Request(T1 - TICK, T1), world)
    assert client.calls == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda v: {**v, "first": v["first"] + 1}, r"verdicts must be those of shard 1 of \d+'s \d+ slots from"),
        (lambda v: v, r"verdicts of slot \d+ must hold one byte per candidate \(\d+\), got \d+"),
    ],
)
def test_a_shard_refuses_verdicts_that_are_not_its_slots(
    s3: Any, world: World, change: Callable[[dict], dict], message: str
) -> None:
    client = RecordingLambda()
    _serve(client, s3, gen.Request(T1 - TICK, T1), world)
    body = json.loads(client.of(GENERATOR)[1])
    body["verdicts"] = change(body["verdicts"])
    if "one byte per candidate" in message:  # a slot's count off by 8, its bits consistent so parse_request takes it
        from functions.generator.verdicts import ShardVerdicts

        old = ShardVerdicts.from_json(json.loads(client.of(GENERATOR)[1])["verdicts"], body["shard"]["count"])
        flags = {**old.verdicts, old.slots[-1]: old.verdicts[old.slots[-1]] + b"\x00" * 8}
        body["verdicts"] = ShardVerdicts.of(old.slots, flags.__getitem__).to_json()
    with pytest.raises(ValueError, match=message):
        _serve(client, None, _parse(json.dumps(body).encode()), world)


def test_the_handler_wires_the_state_bucket_and_lambdas_clock(
    monkeypatch: pytest.MonkeyPatch, s3: Any, world: World
) -> None:
    client = RecordingLambda()
    monkeypatch.setattr(gen, "_lambda_client", client)
    monkeypatch.setattr(gen, "_s3_client", s3)
    monkeypatch.setattr(gen, "_dimensions", world.dims)
    monkeypatch.setattr(gen, "_worlds", {world.seed: world})
    monkeypatch.setattr(
        gen,
        "_config",
        gen.GeneratorConfig(batch_size=world.batch_size, producer_function_name=PRODUCER, world_seed=world.seed,
                            state_bucket=BUCKET),
    )  # fmt: skip

    class Context:
        function_name = GENERATOR
        aws_request_id = "r-1"
        get_remaining_time_in_millis = Clock(60_000, step_ms=250)

    window = {"start": "2026-11-26T16:25:00Z", "end": "2026-11-26T16:30:00Z"}
    summary = gen.handler(window, Context())
    assert summary["pass_done"] is False and summary["next_hop"] == 1  # the clock ran down: a chain began
    assert _keys(s3) == [summary["checkpoint"]] and len(client.of(GENERATOR)) == 1
    assert concurrency.pass_start(summary["pass_position"]) <= summary["pass_position"]
