"""Generator Lambda: each schedule tick emits the world's events of the period that ends at the tick's time.

The world (functions/shared/world.py) is a pure function of time and the stack's worldSeed, so a tick emits
exactly the events whose timestamps fall in [time - period, time): sessions continue from tick to tick under
the same session_id, and a retried tick repeats its records byte for byte. Events join the dimension tables
the stack wrote (rebuilt here from the same seed and counts), are rendered straight to JSON, packed into UTF-8
payloads `{"events": [...]}` that each fit Lambda's asynchronous invocation limit, and sent to the producer
with `InvocationType="Event"`.

A window expected to hold more than MAX_SHARD_EVENTS events is split into shards (its start slots modulo the
shard count): the invocation becomes a coordinator that asynchronously invokes this same function once per
shard, and each shard generates and delivers its part in parallel. A scheduled tick longer than
MAX_WINDOW_SECONDS (a rate() of hours or a day, a sparse cron()) is first cut into windows of at most that,
each sent to this same function as its own request (and sharded like any window): since the world is a pure
function of time, the windows together emit exactly the tick's events.

With a state bucket (STATE_BUCKET) the admission pass (functions/shared/concurrency.py) runs only in a window's
coordinator, which goes on from the pass's newest state (in memory or checkpointed in the bucket), judges the
window's new slots, saves the pass and sends each shard its slots' verdicts; a pass that cannot reach the window
before the invocation's deadline is saved and continued by a chain of invocations (docs/checkpoint-coordinator.md).

Requests (the event the function is invoked with):
- an EventBridge scheduled event: the tick [time - WINDOW_SECONDS, time), or with a cron() schedule
  (SCHEDULE_EXPRESSION) [previous firing, time), so consecutive ticks meet without gap or overlap;
- `{}` or null: the window of WINDOW_SECONDS that ends now (to the second);
- `{"start": "2026-11-26T02:40:00Z", "end": "2026-11-26T02:45:00Z"}`: that window (ISO 8601, Z or an
  offset, to the millisecond; at most MAX_WINDOW_SECONDS long), optionally with `"seed": S` for another
  world than the stack's;
- the same with `"shard": {"index": i, "count": n}`: one shard of it (what a coordinator sends), with the
  verdicts of its slots' candidates when the coordinator judged them (`"verdicts"`: functions/generator/verdicts.py);
- a window with `"hop": k`: the k-th link of a coordinator's bootstrap chain (docs/checkpoint-coordinator.md);
- a window with `"until": "2026-11-27T00:00:00Z"`: the first window of a long tick whose admission is checkpointed:
  its coordinator, once done, sends the next window of the tick with the same `until`, so the tick's windows advance
  one pass in order instead of each judging the tick up to itself.

Lambda code: standard library, boto3 and mimesis only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import math
import operator
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import boto3

from functions.generator import checkpoint
from functions.generator.events import epoch_ms, format_timestamp_ms, window_admission, window_records
from functions.generator.verdicts import ShardVerdicts
from functions.shared import concurrency, schedule
from functions.shared.dimensions import DEFAULT_DIMENSION_SEED, Dimensions, world_dimensions
from functions.shared.domains import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_WINDOW_SECONDS,
    MAX_ASYNC_PAYLOAD_BYTES,
    MAX_BATCH_SIZE,
    MAX_CHAIN_HOPS,
    MAX_PAYLOAD_BYTES,
    MAX_SHARD_EVENTS,
    MAX_SHARDS,
    MAX_TICK_SECONDS,
    MAX_WINDOW_SECONDS,
    PASS_MARGIN_MS,
    PASS_MARGIN_SHARE,
    STATE_PREFIX,
    TICK_LOG_MESSAGE,
)
from functions.shared.records import RECORD_SEPARATOR
from functions.shared.schema import CAMPAIGNS, CUSTOMERS, TITLES
from functions.shared.world import DEFAULT_WORLD_SEED, MAX_WORLD_SEED, World, check_world_seed

INVOKE_ACCEPTED = 202  # Lambda Invoke: an accepted asynchronous invocation answers HTTP 202
INVOKE_DONE = (
    200  # Lambda Invoke: a synchronous (RequestResponse) invocation answers HTTP 200, FunctionError if it failed
)

_ENVELOPE_HEAD = b'{"events":['
_ENVELOPE_TAIL = b"]}"
_RECORD_END = RECORD_SEPARATOR.encode()
_ends_a_record = operator.methodcaller("endswith", _RECORD_END)
_SCHEDULED_EVENT_KEYS = ("source", "detail-type")
_REQUEST_KEYS = ("start", "end", "seed", "shard", "verdicts", "hop", "until")
_SHARD_KEYS = ("index", "count")


class InvokeError(RuntimeError):
    """The producer could not be invoked for one of the payloads."""


def _env_int(env: Mapping[str, str], name: str, default: int, low: int | None = None, high: int | None = None) -> int:
    """An integer environment variable, or `default` when unset; a bad value fails the invocation, naming it."""
    value = _env_optional_int(env, name, low, high)
    return default if value is None else value


def _env_optional_int(env: Mapping[str, str], name: str, low: int | None = None, high: int | None = None) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"environment variable {name} must be an integer, got {raw!r}") from None
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"{low}..{high}" if high is not None else f">= {low}"
        raise ValueError(f"environment variable {name} must be {bounds}, got {value}")
    return value


@dataclass(frozen=True)
class GeneratorConfig:
    """The generator's settings, read from its Lambda environment when the first invocation needs them."""

    batch_size: int = DEFAULT_BATCH_SIZE
    producer_function_name: str = ""
    dimension_seed: int = DEFAULT_DIMENSION_SEED
    customer_count: int = CUSTOMERS.default_rows or 1
    title_count: int = TITLES.default_rows or 1
    campaign_count: int = CAMPAIGNS.default_rows or 1
    """Campaigns of the table the viewers' ad breaks come from (the stack's campaignCount)."""
    world_seed: int = DEFAULT_WORLD_SEED
    window_seconds: int = DEFAULT_WINDOW_SECONDS
    function_name: str = ""
    """This function's own name, which shards are sent to (Lambda sets AWS_LAMBDA_FUNCTION_NAME)."""
    cron: schedule.Cron | None = None
    """The stack's cron() schedule (SCHEDULE_EXPRESSION): a scheduled tick starts at its previous firing."""
    state_bucket: str = ""
    """The bucket the admission pass is checkpointed in (STATE_BUCKET); without one every invocation runs its own
    pass."""
    state_prefix: str = STATE_PREFIX
    """The checkpoints' key prefix in the state bucket (STATE_PREFIX)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GeneratorConfig:
        """Parse the environment the stack sets (ScheduledGenerator's generator_environment)."""
        return cls(
            batch_size=_env_int(env, "BATCH_SIZE", cls.batch_size, 1, MAX_BATCH_SIZE),
            producer_function_name=env.get("PRODUCER_FUNCTION_NAME", ""),
            dimension_seed=_env_int(env, "DIMENSION_SEED", cls.dimension_seed),
            customer_count=_env_int(env, "CUSTOMER_COUNT", cls.customer_count, 1),
            title_count=_env_int(env, "TITLE_COUNT", cls.title_count, 1),
            campaign_count=_env_int(env, "CAMPAIGN_COUNT", cls.campaign_count, 1),
            world_seed=_env_int(env, "WORLD_SEED", cls.world_seed, 0, MAX_WORLD_SEED),
            window_seconds=_env_int(env, "WINDOW_SECONDS", cls.window_seconds, 1, MAX_TICK_SECONDS),
            function_name=env.get("AWS_LAMBDA_FUNCTION_NAME", ""),
            cron=_env_schedule(env),
            **_env_state(env),
        )


def _env_schedule(env: Mapping[str, str]) -> schedule.Cron | None:
    raw = env.get("SCHEDULE_EXPRESSION", "").strip()
    if not raw:
        return None
    try:
        return schedule.parse(raw)
    except schedule.CronError as exc:
        raise ValueError(f"environment variable SCHEDULE_EXPRESSION must be an EventBridge cron(): {exc}") from None


def _env_state(env: Mapping[str, str]) -> dict[str, str]:
    bucket = env.get("STATE_BUCKET", "").strip()
    prefix = env.get("STATE_PREFIX", "").strip() or STATE_PREFIX
    if bucket:
        checkpoint.check_state_location(bucket, prefix)
    return {"state_bucket": bucket, "state_prefix": prefix}


_config: GeneratorConfig | None = None
_lambda_client: Any = None
_s3_client: Any = None
_dimensions: Dimensions | None = None
_worlds: dict[int, World] = {}


def lambda_client() -> Any:
    """The process-wide Lambda client, created on first use (the region comes from the Lambda environment)."""
    global _lambda_client
    if _lambda_client is None:
        _lambda_client = boto3.client("lambda")
    return _lambda_client


def s3_client() -> Any:
    """The process-wide S3 client (the admission checkpoints), created on first use."""
    global _s3_client
    if _s3_client is None:
        _s3_client = boto3.client("s3")
    return _s3_client


def config() -> GeneratorConfig:
    """This container's settings, parsed from its environment on first use."""
    global _config
    if _config is None:
        _config = GeneratorConfig.from_env(os.environ)
    return _config


def dimensions() -> Dimensions:
    """This container's dimension tables as the world reads them (customers per index, no table), built once from
    the stack's seed and counts."""
    global _dimensions
    if _dimensions is None:
        cfg = config()
        _dimensions = world_dimensions(cfg.dimension_seed, cfg.customer_count, cfg.title_count, cfg.campaign_count)
    return _dimensions


def world(seed: int | None = None) -> World:
    """This container's world for a seed (the stack's worldSeed by default), built once."""
    cfg = config()
    seed = cfg.world_seed if seed is None else seed
    hit = _worlds.get(seed)
    if hit is None:
        if len(_worlds) > 4:
            _worlds.clear()
        hit = _worlds[seed] = World(seed, dimensions(), cfg.batch_size)
    return hit


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Request:
    """What one invocation is asked to do: a window of the world, all of it or one shard."""

    start_ms: int
    end_ms: int
    seed: int | None = None
    """Another world than the stack's, for an ad-hoc request."""
    shard: int = 0
    shards: int | None = None
    """Set only in a shard's request: the window is already split, generate part `shard` of `shards`."""
    verdicts: ShardVerdicts | None = None
    """In a shard's request: the admission verdicts of its slots, judged by the coordinator."""
    hop: int = 0
    """In a window's request: which link of its coordinator's bootstrap chain this is (0: the first)."""
    until_ms: int | None = None
    """In a window's request: the end of the long tick it begins; once done its coordinator sends the next window."""

    def payload(
        self,
        shard: int | None = None,
        shards: int | None = None,
        *,
        verdicts: ShardVerdicts | None = None,
        hop: int = 0,
    ) -> bytes:
        """The request a coordinator sends to one of its shards (with its verdicts, if judged), to the next link of
        its chain (`hop`), or, with neither, for a window of its tick."""
        body: dict[str, Any] = {"start": format_timestamp_ms(self.start_ms), "end": format_timestamp_ms(self.end_ms)}
        if self.seed is not None:
            body["seed"] = self.seed
        if shard is not None:
            body["shard"] = {"index": shard, "count": shards}
            if verdicts is not None:
                body["verdicts"] = verdicts.to_json()
        else:
            if hop:
                body["hop"] = hop
            if self.until_ms is not None:
                body["until"] = format_timestamp_ms(self.until_ms)
        return json.dumps(body, separators=(",", ":")).encode()

    def following(self) -> Request | None:
        """The next window of the long tick this window begins (`until_ms`), or None after its last."""
        if self.until_ms is None or self.end_ms >= self.until_ms:
            return None
        end = min(self.end_ms + MAX_WINDOW_SECONDS * 1000, self.until_ms)
        return Request(self.end_ms, end, self.seed, until_ms=self.until_ms)

    def windows(self) -> list[Request]:
        """The request cut into consecutive windows of at most MAX_WINDOW_SECONDS (itself when it is that short)."""
        step = MAX_WINDOW_SECONDS * 1000
        starts = range(self.start_ms, self.end_ms, step)
        return [Request(s, min(s + step, self.end_ms), self.seed) for s in starts]


def _moment_ms(name: str, value: Any) -> int:
    """Epoch ms of an ISO 8601 time with Z or an offset; ValueError naming `name` otherwise."""
    rule = f"{name} must be an ISO 8601 UTC time like 2026-11-26T02:45:00Z"
    if not isinstance(value, str):
        raise ValueError(f"{rule}, got {value!r}")
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{rule}, got {value!r}") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{rule} (with Z or an offset), got {value!r}")
    if moment.microsecond % 1000:
        raise ValueError(f"{name} must be whole milliseconds, got {value!r}")
    return epoch_ms(moment, name)


def parse_request(event: Any, *, window_seconds: int, now: dt.datetime, cron: schedule.Cron | None = None) -> Request:
    """The Request of an invocation's event (see the module docstring for the shapes)."""
    period_ms = window_seconds * 1000
    if event is None or event == {}:
        end = epoch_ms(now, "now") // 1000 * 1000
        return Request(end - period_ms, end)
    if not isinstance(event, dict):
        raise ValueError(
            'request must be a JSON object like {"start": "2026-11-26T02:40:00Z", "end": "2026-11-26T02:45:00Z"}, '
            f"{{}} or a scheduled event, got {type(event).__name__}"
        )
    if all(key in event for key in _SCHEDULED_EVENT_KEYS):
        end = _moment_ms("time (of the scheduled event)", event.get("time"))
        start = cron.previous(end, MAX_TICK_SECONDS * 1000) if cron is not None else end - period_ms
        if start < 0:
            since = (
                "its schedule's previous firing" if cron is not None else f"the schedule's period ({window_seconds} s)"
            )
            raise ValueError(
                f"time (of the scheduled event) must be at least {since} after 1970-01-01T00:00:00Z, where the world "
                f"begins, got {event.get('time')!r}"
            )
        return Request(start, end)
    unknown = sorted(set(event) - set(_REQUEST_KEYS))
    if unknown:
        raise ValueError(f"request has unknown key(s) {unknown}; allowed: {list(_REQUEST_KEYS)}")
    missing = [key for key in ("start", "end") if key not in event]
    if missing:
        raise ValueError(f"request must name both start and end of its window, missing {missing}")
    start, end = _moment_ms("start", event["start"]), _moment_ms("end", event["end"])
    if start < 0:
        raise ValueError(
            f"start must be at or after 1970-01-01T00:00:00Z, where the world begins, got {event['start']!r}"
        )
    if end <= start:
        raise ValueError(f"end must be after start, got start={event['start']!r} end={event['end']!r}")
    if end - start > MAX_WINDOW_SECONDS * 1000:
        raise ValueError(
            f"the window from start to end must be at most {MAX_WINDOW_SECONDS} s (MAX_WINDOW_SECONDS), "
            f"got {(end - start) / 1000:g} s"
        )
    seed = event.get("seed")
    if seed is not None:
        check_world_seed("seed", seed)
    if "shard" not in event:
        if "verdicts" in event:
            raise ValueError("verdicts may only come with shard (a coordinator's request to one of its shards)")
        hop = event.get("hop", 0)
        if not _is_int(hop) or not 0 <= hop <= MAX_CHAIN_HOPS:
            raise ValueError(f"hop must be an integer from 0 to {MAX_CHAIN_HOPS} (MAX_CHAIN_HOPS), got {hop!r}")
        until = _moment_ms("until", event["until"]) if "until" in event else None
        if until is not None and not end <= until <= start + MAX_TICK_SECONDS * 1000:
            raise ValueError(
                f"until must be at or after end and at most {MAX_TICK_SECONDS} s (MAX_TICK_SECONDS) after start, "
                f"got start={event['start']!r} end={event['end']!r} until={event['until']!r}"
            )
        return Request(start, end, seed, hop=hop, until_ms=until)
    for key in ("hop", "until"):
        if key in event:
            raise ValueError(f"{key} may not come with shard: a shard's request is one part of one window")
    shard = event["shard"]
    if not isinstance(shard, dict) or sorted(shard) != sorted(_SHARD_KEYS):
        raise ValueError(f'shard must be an object {{"index": i, "count": n}}, got {shard!r}')
    count, index = shard["count"], shard["index"]
    if not _is_int(count) or not 1 <= count <= MAX_SHARDS:
        raise ValueError(f"shard.count must be an integer from 1 to {MAX_SHARDS}, got {count!r}")
    if not _is_int(index) or not 0 <= index < count:
        raise ValueError(f"shard.index must be an integer from 0 to {count - 1}, got {index!r}")
    verdicts = ShardVerdicts.from_json(event["verdicts"], count) if "verdicts" in event else None
    return Request(start, end, seed, index, count, verdicts)


def shard_count(world: World, start_ms: int, end_ms: int, max_shard_events: int = MAX_SHARD_EVENTS) -> int:
    """Shards a window is split into: enough that each expects at most `max_shard_events` events."""
    return min(MAX_SHARDS, max(1, math.ceil(world.expected_events(start_ms, end_ms) / max_shard_events)))


def shard_slots(slots: range, shard: int, shards: int) -> range:
    """A shard's slots of a window's `slot_range`: those ≡ its index modulo the shard count (events._window)."""
    return range(slots.start + (shard - slots.start) % shards, slots.stop, shards)


def shard_payloads(
    request: Request, world: World, shards: int, flags_of: Callable[[int], bytes] | None = None
) -> list[bytes]:
    """Each shard's request; with `flags_of` (a slot's verdicts), each carries its slots' verdicts. A request over
    Lambda's asynchronous payload limit is refused, naming its size, before any is sent."""
    slots = world.slot_range(request.start_ms, request.end_ms)
    payloads = []
    for shard in range(shards):
        verdicts = ShardVerdicts.of(shard_slots(slots, shard, shards), flags_of) if flags_of else None
        data = request.payload(shard, shards, verdicts=verdicts)
        if len(data) > MAX_ASYNC_PAYLOAD_BYTES:
            held = f" ({len(verdicts.counts)} slots, {sum(verdicts.counts):,} candidates' verdicts)" if verdicts else ""
            raise ValueError(
                f"shard {shard} of {shards}'s request is {len(data):,} bytes{held}, over Lambda's asynchronous "
                f"invocation limit of {MAX_ASYNC_PAYLOAD_BYTES:,} bytes (domains.MAX_ASYNC_PAYLOAD_BYTES)"
            )
        payloads.append(data)
    return payloads


@dataclass(frozen=True)
class Payload:
    """One producer invocation's body, and how to send it."""

    data: bytes
    wait: bool = False
    """A part of a session too large for one payload, not its last: sent synchronously, so its records are in the
    stream before the session's next part is sent."""


def pack_payloads(records: Sequence[dict], max_bytes: int = MAX_PAYLOAD_BYTES) -> list[Payload]:
    """Pack records' events into UTF-8 JSON payloads `{"events": [...]}` of at most max_bytes, cut only between
    sessions.

    All events of one session (one PartitionKey) go, in their order, into one payload, so one producer invocation
    puts them under one partition key to one shard in that order; whole sessions are packed greedily in the
    order they first appear. A session too large for one payload (a session has at most a few dozen events, so
    this does not happen with the world's sessions) fills consecutive payloads of its own, each but the last marked
    `wait`: run_tick invokes those synchronously, so one part's records are in the stream before the next part is
    sent, and the session keeps its order across them.

    `records` are PutRecords entries as `generate_records` makes them: each Data is one JSON object and the
    newline that ends it, so a payload is those objects joined by commas inside the envelope, with no second
    encoding. (JSON text escapes control characters in strings, so the end is the only newline byte.)
    """
    overhead = len(_ENVELOPE_HEAD) + len(_ENVELOPE_TAIL)
    datas = [record["Data"] for record in records]
    sessions: dict[Any, list[int]] = {}
    for i, size in enumerate(map(len, datas)):
        # A record's newline turns into the comma before the next one, so its share of a payload is `size`.
        if overhead + size - 1 > max_bytes:
            raise ValueError(
                f"record {i} (partition key {records[i].get('PartitionKey')!r}) is {size - 1} bytes, too large "
                f"for a payload of at most {max_bytes} bytes (Lambda's asynchronous invocation limit less room for "
                "the on-failure record)"
            )
        sessions.setdefault(records[i].get("PartitionKey"), []).append(i)
    payloads: list[Payload] = []
    chunk: list[int] = []  # the open payload's records, `taken` bytes with their newlines
    taken = 0

    def close(wait: bool = False) -> None:
        nonlocal chunk, taken
        payloads.append(Payload(_envelope(datas, chunk), wait))
        chunk, taken = [], 0

    for indices in sessions.values():
        size = sum(len(datas[i]) for i in indices)
        if overhead + size - 1 <= max_bytes:  # the session fits one payload: whole, into this one or the next
            if chunk and overhead + taken + size - 1 > max_bytes:
                close()
            chunk += indices
            taken += size
            continue
        if chunk:  # too large for one payload: consecutive payloads of its own, in order
            close()
        for i in indices:
            if chunk and overhead + taken + len(datas[i]) - 1 > max_bytes:
                close(wait=True)
            chunk.append(i)
            taken += len(datas[i])
        close()
    if chunk:
        close()
    return payloads


def build_payloads(records: Sequence[dict], max_bytes: int = MAX_PAYLOAD_BYTES) -> list[bytes]:
    """The bytes of `pack_payloads`: each session's events in one payload unless it is too large for one."""
    return [payload.data for payload in pack_payloads(records, max_bytes)]


def _envelope(datas: list[bytes], indices: list[int]) -> bytes:
    """The payload of the records at `indices`; each must be one JSON object and its newline."""
    chunk = [datas[i] for i in indices]
    joined = b"".join(chunk)
    if joined.count(_RECORD_END) != len(chunk) or not all(map(_ends_a_record, chunk)):
        bad = next(i for i in indices if datas[i].count(_RECORD_END) != 1 or not _ends_a_record(datas[i]))
        raise ValueError(
            f"record {bad}: Data must be one JSON object ending in its only newline, got ...{datas[bad][-20:]!r}"
        )
    return _ENVELOPE_HEAD + joined[:-1].replace(_RECORD_END, b",") + _ENVELOPE_TAIL


def _invoke(lambda_client: Any, function_name: str, payload: bytes, where: str, *, wait: bool = False) -> None:
    """Invoke asynchronously (accepted: 202); with `wait`, synchronously (done without a function error: 200)."""
    kind, expected = ("RequestResponse", INVOKE_DONE) if wait else ("Event", INVOKE_ACCEPTED)
    try:
        response = lambda_client.invoke(FunctionName=function_name, InvocationType=kind, Payload=payload)
    except Exception as exc:
        raise InvokeError(f"invoke failed for {where}: {exc}") from exc
    status = response.get("StatusCode")
    if status != expected:
        raise InvokeError(f"invoke answered StatusCode {status} (expected {expected}) for {where}")
    if wait and response.get("FunctionError"):
        raise InvokeError(f"{function_name} failed ({response['FunctionError']}) for {where}")


def run_tick(
    lambda_client: Any,
    *,
    function_name: str,
    world: World,
    start_ms: int,
    end_ms: int,
    shard: int = 0,
    shards: int = 1,
) -> dict:
    """Generate the window's events (or one shard's) and invoke the producer once per payload, asynchronously (a
    part of an oversized session that another part follows, synchronously: see pack_payloads)."""
    if not function_name:
        raise ValueError("function_name (the producer, PRODUCER_FUNCTION_NAME) must be set")
    records = window_records(world, start_ms, end_ms, shard=shard, shards=shards)
    payloads = pack_payloads(records)
    for sent, payload in enumerate(payloads):
        where = f"payload {sent + 1} of {len(payloads)} to {function_name}; {sent} payload(s) were already sent"
        _invoke(lambda_client, function_name, payload.data, where, wait=payload.wait)
    return {
        "events": len(records),
        "payloads": len(payloads),
        "bytes": sum(len(p.data) for p in payloads),
        "sessions": len({record["PartitionKey"] for record in records}),
    }


def pass_deadline(time_left_ms: Callable[[], int] | None) -> Callable[[], bool] | None:
    """When a coordinator's admission pass must stop (Admission.prepare's `deadline`): once the invocation's time
    left (Lambda's context.get_remaining_time_in_millis) is down to the margin (PASS_MARGIN_MS, PASS_MARGIN_SHARE
    of the time left now); None (never) without a clock."""
    if time_left_ms is None:
        return None
    margin = min(PASS_MARGIN_MS, time_left_ms() * PASS_MARGIN_SHARE)
    return lambda: time_left_ms() <= margin


def _usable(admission: concurrency.Admission, slots: range) -> bool:
    """Whether an admission's own state can prepare `slots`: every verdict it would not judge again is held, and it
    is no further behind than the checkpoints a store looks at (the window's admission day and the one before)."""
    position = admission.position
    if position is None:
        return False
    if position <= slots.stop and position < concurrency.pass_start(slots.stop) - 1440:
        return False
    return all(slot in admission.verdicts for slot in range(slots.start, min(position, slots.stop)))


def _restore(
    admission: concurrency.Admission, store: checkpoint.CheckpointStore, slots: range
) -> tuple[str, int | None]:
    """Bring the window's admission to the newest state at or before the window: its own, or the newest checkpoint
    it takes that is further on (a corrupt or unreadable one skipped for the next older, logged). (Where it came
    from: "memory", "checkpoint" or "none"; the newest stored position.)"""
    stored = store.positions(slots.stop)  # lists the day before's only when read past this day's
    newest = next(stored, None)
    own = admission.position if _usable(admission, slots) else None
    newer = itertools.takewhile(
        lambda position: own is None or position > own, itertools.chain(() if newest is None else (newest,), stored)
    )
    if store.first_readable(newer, accept=admission.restore) is not None:
        return "checkpoint", newest
    if own is not None:
        return "memory", newest
    window_admission(admission.world, fresh=True)
    return "none", newest


def _coordinate(
    lambda_client: Any,
    request: Request,
    *,
    world: World,
    store: checkpoint.CheckpointStore,
    generator_name: str,
    time_left_ms: Callable[[], int] | None,
) -> tuple[concurrency.Admission | None, dict]:
    """Prepare the window's verdicts from the newest pass state (docs/checkpoint-coordinator.md). Done: the pass is
    saved (unless its checkpoint is there already) and the admission returned with what it did. Not done by the
    deadline: the pass is saved, the next link of the chain invoked with the same request, and the summary says
    so (the admission returned is None)."""
    slots = world.slot_range(request.start_ms, request.end_ms)
    deadline = pass_deadline(time_left_ms)
    admission = window_admission(world)
    source, newest = _restore(admission, store, slots)
    admission = window_admission(world)
    began = admission.position
    done = admission.prepare(slots.start, slots.stop, deadline)
    position = admission.position
    info: dict[str, Any] = {"pass_from": source, "pass_began": began, "pass_position": position}
    if done:
        if position is not None and position != newest:
            try:
                info["checkpoint"] = store.save(position, admission.snapshot())
            except checkpoint.CheckpointError as exc:  # the window still goes out; the next cold tick starts earlier
                checkpoint.log.warning("%s; the window's shards are sent all the same", exc)
        return admission, info
    hop = request.hop + 1  # prepare judges a slot at least before it stops: each link advances the pass
    if hop > MAX_CHAIN_HOPS:
        raise RuntimeError(
            f"the admission pass of the window from {format_timestamp_ms(request.start_ms)} is not done after "
            f"{MAX_CHAIN_HOPS} chain hops (MAX_CHAIN_HOPS), at slot {position} of {slots.stop}: give the generator "
            "more memory (a faster vCPU) or a longer timeout"
        )
    if not generator_name:
        raise ValueError("generator_name (this function's name, AWS_LAMBDA_FUNCTION_NAME) must be set to chain")
    info["checkpoint"] = store.save(position, admission.snapshot())  # a failure raises: the retry goes on from here
    _invoke(lambda_client, generator_name, request.payload(hop=hop), f"hop {hop} of the bootstrap chain")
    return None, {**info, "pass_done": False, "next_hop": hop}


def _supply(world: World, request: Request) -> None:
    """Hand a shard's admission the verdicts its request carries, after checking they are its slots' (strict: a
    slot without one raises instead of running a pass)."""
    verdicts = request.verdicts
    assert verdicts is not None and request.shards is not None
    slots = shard_slots(world.slot_range(request.start_ms, request.end_ms), request.shard, request.shards)
    if verdicts.slots != slots:
        raise ValueError(
            f"verdicts must be those of shard {request.shard} of {request.shards}'s {len(slots)} slots from "
            f"{slots.start} of this window, got {len(verdicts.slots)} from {verdicts.first}"
        )
    window_admission(world).supply(verdicts.verdicts)  # which checks each slot's count of candidates


def run_request(
    lambda_client: Any,
    request: Request,
    *,
    world: World,
    producer_name: str,
    generator_name: str,
    max_shard_events: int = MAX_SHARD_EVENTS,
    s3_client: Any = None,
    state_bucket: str = "",
    state_prefix: str = STATE_PREFIX,
    time_left_ms: Callable[[], int] | None = None,
) -> dict:
    """Serve one request: a shard or a small window is generated here; a large window is sent out in shards.

    With a state bucket, the window's coordinator judges its slots' admission once, from the pass's newest state
    (this container's, else the newest checkpoint at or before the window), saves the pass, and sends each shard
    its slots' verdicts; a pass not done before the deadline (`time_left_ms` less the margin) is saved and
    continued by the next link of a chain (this function, the same request with `hop`). Without one, each
    invocation runs its own pass, as a library user's does.

    A coordinator that fails part way (an invoke refused) raises, and its retry sends every shard again: a shard
    run twice emits the same records twice, byte for byte, so delivery is at least once and duplicates carry
    the same event_id.
    """
    window = {
        "window_start": format_timestamp_ms(request.start_ms),
        "window_end": format_timestamp_ms(request.end_ms),
        "world_seed": world.seed,
    }
    if request.shards is not None:
        if request.verdicts is not None:
            _supply(world, request)
        summary = run_tick(
            lambda_client,
            function_name=producer_name,
            world=world,
            start_ms=request.start_ms,
            end_ms=request.end_ms,
            shard=request.shard,
            shards=request.shards,
        )
        return {**window, "shard": request.shard, "shards": request.shards, **summary}
    windows = request.windows()
    checkpointed = bool(state_bucket) and world.exclusive
    if len(windows) > 1:
        if not generator_name:
            raise ValueError("generator_name (this function's name, AWS_LAMBDA_FUNCTION_NAME) must be set to split")
        if checkpointed:  # one window after another: each goes on from the pass the one before saved
            first = dataclasses.replace(windows[0], until_ms=request.end_ms)
            _invoke(lambda_client, generator_name, first.payload(), f"window 1 of {len(windows)} to {generator_name}")
            return {**window, "windows": len(windows), "dispatched": 1}
        for i, part in enumerate(windows):
            where = f"window {i + 1} of {len(windows)} to {generator_name}; {i} window(s) were already sent"
            _invoke(lambda_client, generator_name, part.payload(), where)
        return {**window, "windows": len(windows), "dispatched": len(windows)}
    admission: concurrency.Admission | None = None
    if checkpointed:
        store = checkpoint.CheckpointStore(s3_client, state_bucket, state_prefix, checkpoint.world_id(world))
        admission, info = _coordinate(
            lambda_client, request, world=world, store=store, generator_name=generator_name, time_left_ms=time_left_ms
        )
        window = {**window, "hop": request.hop, **info}
        if admission is None:
            return window
    shards = shard_count(world, request.start_ms, request.end_ms, max_shard_events)
    if shards == 1:
        summary = {
            **window,
            "shards": 1,
            **run_tick(
                lambda_client,
                function_name=producer_name,
                world=world,
                start_ms=request.start_ms,
                end_ms=request.end_ms,
            ),
        }
    else:
        if not generator_name:
            raise ValueError("generator_name (this function's name, AWS_LAMBDA_FUNCTION_NAME) must be set to shard")
        payloads = shard_payloads(request, world, shards, admission.verdicts.__getitem__ if admission else None)
        for i, payload in enumerate(payloads):
            where = f"shard {i + 1} of {shards} to {generator_name}; {i} shard(s) were already sent"
            _invoke(lambda_client, generator_name, payload, where)
        summary = {**window, "shards": shards, "dispatched": shards}
    following = request.following()
    if following is not None:  # last, so that a retry of this window is the only way it is sent twice
        if not generator_name:
            raise ValueError("generator_name (this function's name, AWS_LAMBDA_FUNCTION_NAME) must be set to go on")
        _invoke(lambda_client, generator_name, following.payload(), "the tick's next window")
        summary["next_window"] = format_timestamp_ms(following.start_ms)
    return summary


def handler(event: Any, context: Any) -> dict:
    """Lambda entry point: one request; returns the summary and logs it as one JSON line."""
    started = time.perf_counter()
    cfg = config()
    request = parse_request(event, window_seconds=cfg.window_seconds, now=dt.datetime.now(dt.UTC), cron=cfg.cron)
    summary = run_request(
        lambda_client(),
        request,
        world=world(request.seed),
        producer_name=cfg.producer_function_name,
        generator_name=getattr(context, "function_name", None) or cfg.function_name,
        s3_client=s3_client() if cfg.state_bucket else None,
        state_bucket=cfg.state_bucket,
        state_prefix=cfg.state_prefix,
        time_left_ms=getattr(context, "get_remaining_time_in_millis", None),
    )
    summary["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
    line = {
        "level": "INFO",
        "message": TICK_LOG_MESSAGE,
        "service": "acme-telemetry-generator",
        "function_request_id": getattr(context, "aws_request_id", None),
        **summary,
    }
    sys.stdout.write(json.dumps(line) + "\n")
    return summary
