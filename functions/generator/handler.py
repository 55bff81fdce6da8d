"""Generator Lambda: on each schedule tick, make a batch of streaming events and hand it to the producer.

Events are drawn from the same dimension tables the stack wrote at deploy time (rebuilt here from the
same seed and counts) and rendered straight to JSON, packed into UTF-8 payloads `{"events": [...]}` that
each fit Lambda's asynchronous invocation limit, and sent to the producer function with
`InvocationType="Event"`.

Lambda code: standard library, boto3 and mimesis only.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
import os
import random
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import boto3

from functions.generator.events import generate_records
from functions.shared.dimensions import DEFAULT_DIMENSION_SEED, Dimensions, generate_dimensions
from functions.shared.domains import DEFAULT_BATCH_SIZE, DEFAULT_WINDOW_SECONDS, MAX_BATCH_SIZE
from functions.shared.records import RECORD_SEPARATOR
from functions.shared.schema import CUSTOMERS, TITLES

MAX_ASYNC_PAYLOAD_BYTES = 1_048_576  # Lambda quotas: asynchronous (Event) invocation payload at most 1 MB
ON_FAILURE_HEADROOM_BYTES = 128 * 1024
"""Room kept in each payload for what Lambda wraps around it when the producer fails for good: the on-failure
record (request and response context, the error message and stack trace, and the payload itself, possibly
re-serialized with a space after every separator: about 8 % more for these events) goes to an SQS queue whose
messages are at most 1 MiB as well, so a payload of the full 1 MB would not fit and the batch would be lost."""
MAX_PAYLOAD_BYTES = MAX_ASYNC_PAYLOAD_BYTES - ON_FAILURE_HEADROOM_BYTES
INVOKE_ACCEPTED = 202  # Lambda Invoke: an accepted asynchronous invocation answers HTTP 202
TICK_LOG_MESSAGE = "generator tick"
"""`message` of the one JSON summary line per tick; the stack's dashboard counts generated events from it."""

_ENVELOPE_HEAD = b'{"events":['
_ENVELOPE_TAIL = b"]}"
_RECORD_END = RECORD_SEPARATOR.encode()
_ends_a_record = operator.methodcaller("endswith", _RECORD_END)
_SCHEDULED_EVENT_KEYS = ("source", "detail-type")
_REQUEST_KEYS = ("count", "seed")


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
    event_seed: int | None = None
    window_seconds: int = DEFAULT_WINDOW_SECONDS

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GeneratorConfig:
        """Parse the environment the stack sets (ScheduledGenerator's generator_environment)."""
        return cls(
            batch_size=_env_int(env, "BATCH_SIZE", cls.batch_size, 1, MAX_BATCH_SIZE),
            producer_function_name=env.get("PRODUCER_FUNCTION_NAME", ""),
            dimension_seed=_env_int(env, "DIMENSION_SEED", cls.dimension_seed),
            customer_count=_env_int(env, "CUSTOMER_COUNT", cls.customer_count, 1),
            title_count=_env_int(env, "TITLE_COUNT", cls.title_count, 1),
            event_seed=_env_optional_int(env, "EVENT_SEED"),
            window_seconds=_env_int(env, "WINDOW_SECONDS", cls.window_seconds, 1),
        )


_config: GeneratorConfig | None = None
_lambda_client: Any = None
_dimensions: Dimensions | None = None


def lambda_client() -> Any:
    """The process-wide Lambda client, created on first use (the region comes from the Lambda environment)."""
    global _lambda_client
    if _lambda_client is None:
        _lambda_client = boto3.client("lambda")
    return _lambda_client


def config() -> GeneratorConfig:
    """This container's settings, parsed from its environment on first use."""
    global _config
    if _config is None:
        _config = GeneratorConfig.from_env(os.environ)
    return _config


def dimensions() -> Dimensions:
    """This container's dimension tables, built once from the stack's seed and counts."""
    global _dimensions
    if _dimensions is None:
        cfg = config()
        _dimensions = generate_dimensions(cfg.dimension_seed, cfg.customer_count, cfg.title_count)
    return _dimensions


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_request(event: Any, default_count: int) -> tuple[int, int | None]:
    """(count, seed) of an invocation: `{"count": N, "seed": S}`, `{}`/None, or an EventBridge scheduled event."""
    if event is None:
        return default_count, None
    if not isinstance(event, dict):
        raise ValueError(
            f'request must be a JSON object like {{"count": 1000, "seed": 7}} or a scheduled event, '
            f"got {type(event).__name__}"
        )
    if all(key in event for key in _SCHEDULED_EVENT_KEYS):
        return default_count, None
    unknown = sorted(set(event) - set(_REQUEST_KEYS))
    if unknown:
        raise ValueError(f"request has unknown key(s) {unknown}; allowed: {list(_REQUEST_KEYS)}")
    count = event.get("count", default_count)
    if not _is_int(count) or not 1 <= count <= MAX_BATCH_SIZE:
        raise ValueError(f"count must be an integer from 1 to {MAX_BATCH_SIZE}, got {count!r}")
    seed = event.get("seed")
    if seed is not None and not _is_int(seed):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    return count, seed


def window_end_of(event: Any, now: dt.datetime) -> dt.datetime:
    """End of the event-time window: a scheduled event's own `time` (so ticks tile), else `now`."""
    if isinstance(event, dict) and all(key in event for key in _SCHEDULED_EVENT_KEYS):
        stamp = event.get("time")
        if isinstance(stamp, str):
            try:
                return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(dt.UTC)
            except ValueError:
                pass
    return now


def build_payloads(records: Sequence[dict], max_bytes: int = MAX_PAYLOAD_BYTES) -> list[bytes]:
    """Pack records' events, in order, greedily into UTF-8 JSON payloads `{"events": [...]}` of at most max_bytes.

    `records` are PutRecords entries as `generate_records` makes them: each Data is one JSON object and the
    newline that ends it, so a payload is those objects joined by commas inside the envelope, with no second
    encoding. (JSON text escapes control characters in strings, so the end is the only newline byte.)
    """
    overhead = len(_ENVELOPE_HEAD) + len(_ENVELOPE_TAIL)
    datas = [record["Data"] for record in records]
    payloads: list[bytes] = []
    start = taken = 0  # the open payload holds datas[start:i], `taken` bytes with their newlines
    for i, size in enumerate(map(len, datas)):
        # A record's newline turns into the comma before the next one, so its share of a payload is `size`.
        if overhead + size - 1 > max_bytes:
            raise ValueError(
                f"record {i} (partition key {records[i].get('PartitionKey')!r}) is {size - 1} bytes, too large "
                f"for a payload of at most {max_bytes} bytes (Lambda's asynchronous invocation limit less room for "
                "the on-failure record)"
            )
        if taken and overhead + taken + size - 1 > max_bytes:
            payloads.append(_envelope(datas, start, i))
            start, taken = i, 0
        taken += size
    if taken:
        payloads.append(_envelope(datas, start, len(datas)))
    return payloads


def _envelope(datas: list[bytes], start: int, stop: int) -> bytes:
    """The payload of datas[start:stop]; each must be one JSON object and its newline."""
    chunk = datas[start:stop]
    joined = b"".join(chunk)
    if joined.count(_RECORD_END) != len(chunk) or not all(map(_ends_a_record, chunk)):
        bad = next(i for i, d in enumerate(chunk, start) if d.count(_RECORD_END) != 1 or not _ends_a_record(d))
        raise ValueError(
            f"record {bad}: Data must be one JSON object ending in its only newline, got ...{datas[bad][-20:]!r}"
        )
    return _ENVELOPE_HEAD + joined[:-1].replace(_RECORD_END, b",") + _ENVELOPE_TAIL


def run_tick(
    lambda_client: Any,
    *,
    function_name: str,
    count: int,
    dims: Dimensions,
    window_end: dt.datetime,
    rng: random.Random,
    window_seconds: int = DEFAULT_WINDOW_SECONDS,
) -> dict:
    """Generate `count` events for the window and invoke the producer once per payload, asynchronously."""
    if not function_name:
        raise ValueError("function_name (the producer, PRODUCER_FUNCTION_NAME) must be set")
    records = generate_records(count, dims, window_end=window_end, window_seconds=window_seconds, rng=rng)
    payloads = build_payloads(records)
    for sent, payload in enumerate(payloads):
        where = f"payload {sent + 1} of {len(payloads)} to {function_name}; {sent} payload(s) were already sent"
        try:
            response = lambda_client.invoke(FunctionName=function_name, InvocationType="Event", Payload=payload)
        except Exception as exc:
            raise InvokeError(f"invoke failed for {where}: {exc}") from exc
        status = response.get("StatusCode")
        if status != INVOKE_ACCEPTED:
            raise InvokeError(f"invoke answered StatusCode {status} (expected {INVOKE_ACCEPTED}) for {where}")
    return {
        "events": len(records),
        "payloads": len(payloads),
        "bytes": sum(len(p) for p in payloads),
        "sessions": len({record["PartitionKey"] for record in records}),
        "window_end": window_end.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "window_seconds": window_seconds,
    }


def handler(event: Any, context: Any) -> dict:
    """Lambda entry point: one tick; returns the summary and logs it as one JSON line."""
    started = time.perf_counter()
    cfg = config()
    count, seed = parse_request(event, cfg.batch_size)
    window_end = window_end_of(event, dt.datetime.now(dt.UTC))
    if seed is not None:
        rng = random.Random(seed)
    elif cfg.event_seed is not None:
        # The stack's fixed seed is mixed with the window, so successive ticks do not repeat event ids.
        rng = random.Random(f"{cfg.event_seed}:{window_end.isoformat()}")
    else:
        rng = random.Random()
    summary = run_tick(
        lambda_client(),
        function_name=cfg.producer_function_name,
        count=count,
        dims=dimensions(),
        window_end=window_end,
        rng=rng,
        window_seconds=cfg.window_seconds,
    )
    summary["seeded"] = seed is not None or cfg.event_seed is not None
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
