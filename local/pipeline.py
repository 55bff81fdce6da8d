"""The whole data path on one machine: generator -> producer -> Kinesis (moto) -> delivery -> lake -> DuckDB."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from functions.generator.handler import run_tick
from functions.producer.handler import deliver_events, parse_payload
from functions.shared.dimensions import Dimensions, generate_dimensions
from functions.shared.domains import DEFAULT_WINDOW_SECONDS
from functions.shared.schema import DIMENSION_TABLES
from lakewriter.parquet import dimension_parquet
from local.delivery import DeliveryStats, LocalFirehose
from local.settings import LocalSettings

LAKE_MARKER = ".acme-telemetry-lake.json"
"""File that marks a directory as a lake this tool made (so it never writes into anything else)."""

LOCAL_REGION = "us-west-2"


class LakeError(ValueError):
    """The lake directory can't be used."""


_UNSAFE_LAKE_CHARACTERS = frozenset("*?[]{}=\\")
"""Glob characters would change the files DuckDB reads, and a `key=value` directory above the lake would be read
as a partition value (DuckDB's Hive partitioning looks at the whole path)."""


def open_lake(lake: Path, settings: LocalSettings) -> int:
    """Claim `lake` for this tool and return this run's number (0 for a new lake)."""
    unsafe = sorted(_UNSAFE_LAKE_CHARACTERS.intersection(str(lake.absolute())))
    if unsafe:
        raise LakeError(f"--lake {lake}: the path may not contain {' '.join(unsafe)} (give a plain directory path)")
    try:
        return _claim(lake, settings)
    except OSError as exc:
        raise LakeError(f"--lake {lake} cannot be used: {exc}") from exc


def _claim(lake: Path, settings: LocalSettings) -> int:
    marker = lake / LAKE_MARKER
    if lake.exists() and not lake.is_dir():
        raise LakeError(f"--lake {lake} is a file; give a directory (new, empty, or a lake made by this tool)")
    if marker.is_file():
        state = json.loads(marker.read_text(encoding="utf-8"))
        if state.get("database") != settings.database_name:
            raise LakeError(
                f"--lake {lake} holds database {state.get('database')!r}, not {settings.database_name!r}; "
                "use another directory"
            )
        run = int(state.get("runs", 0))
    elif lake.is_dir() and any(lake.iterdir()):
        raise LakeError(
            f"--lake {lake} is not empty and has no {LAKE_MARKER}: it holds something else. "
            "Give an empty directory or a lake made by `python -m local run`."
        )
    else:
        run = 0
    lake.mkdir(parents=True, exist_ok=True)
    marker.write_text(
        json.dumps({"project": "acme-telemetry", "database": settings.database_name, "runs": run + 1}, indent=2),
        encoding="utf-8",
    )
    return run


def write_dimensions(lake: Path, dims: Dimensions) -> list[Path]:
    """Write the dimension tables where the stack uploads them: `<prefix><table>.parquet`."""
    written = []
    blobs = dimension_parquet(dims)
    for table in DIMENSION_TABLES:
        path = lake / table.prefix / f"{table.name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(blobs[table.name])
        written.append(path)
    return written


@dataclass
class DeadLetter:
    """A payload the local producer gave up on, as the stack's dead-letter queue would keep it."""

    payload: bytes
    error: str


class LocalLambda:
    """Stands in for the Lambda API the generator calls: `Event` invokes of the producer.

    Like Lambda's asynchronous invocation, `invoke` only queues the payload and answers 202; `drain`
    runs the producer's logic (the same functions its handler calls) against the Kinesis client,
    retrying a failed payload up to `max_retry_attempts` times and then keeping it as a dead letter.
    """

    def __init__(
        self,
        kinesis_client: Any,
        *,
        producer_name: str,
        stream_name: str,
        max_retry_attempts: int,
        timeout_seconds: int,
    ) -> None:
        self._kinesis = kinesis_client
        self._producer_name = producer_name
        self._stream = stream_name
        self._retries = max_retry_attempts
        self._timeout_ms = timeout_seconds * 1000
        self._queue: list[bytes] = []
        self.accepted_event_ids: list[str] = []
        self.dead_letters: list[DeadLetter] = []
        self.put_calls = 0
        self.retried_entries = 0

    def invoke(self, *, FunctionName: str, InvocationType: str, Payload: bytes | str) -> dict:
        if FunctionName != self._producer_name:
            raise ValueError(f"FunctionName must be {self._producer_name!r} locally, got {FunctionName!r}")
        if InvocationType != "Event":
            raise ValueError(f"InvocationType must be 'Event' (asynchronous), got {InvocationType!r}")
        self._queue.append(Payload.encode("utf-8") if isinstance(Payload, str) else bytes(Payload))
        return {"StatusCode": 202}

    def _run_producer(self, payload: bytes) -> None:
        events = parse_payload(payload)
        deadline = _monotonic_ms() + self._timeout_ms  # the producer's Lambda timeout
        # The handler's own function: events packed into aggregated records, then written with retries.
        report = deliver_events(self._kinesis, self._stream, events, time_left_ms=lambda: deadline - _monotonic_ms())
        self.put_calls += report.put_calls
        self.retried_entries += report.retries
        self.accepted_event_ids.extend(e["event_id"] for e in events)

    def drain(self) -> None:
        queue, self._queue = self._queue, []
        for payload in queue:
            for attempt in range(self._retries + 1):
                try:
                    self._run_producer(payload)
                    break
                except Exception as exc:  # Lambda's async retries catch everything a handler raises
                    if attempt == self._retries:
                        self.dead_letters.append(DeadLetter(payload, f"{type(exc).__name__}: {exc}"))


def _monotonic_ms() -> int:
    return int(time.monotonic() * 1000)


@dataclass
class RunReport:
    """What a local run did."""

    lake: Path
    run_number: int
    ticks: int = 0
    events_generated: int = 0
    payloads: int = 0
    put_calls: int = 0
    delivered: int = 0
    errors: int = 0
    dead_letters: int = 0
    files: int = 0
    backfill_events: int = 0
    backfill_files: int = 0
    event_ids: list[str] = field(default_factory=list)


@contextmanager
def _emulated_aws() -> Iterator[None]:
    """moto in process, with dummy credentials so no real account is ever reached."""
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}
    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}
    )
    try:
        with mock_aws():
            yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class LocalStack:
    """The stack's data path wired on one machine; use as a context manager."""

    def __init__(self, settings: LocalSettings, lake: Path, *, seed: int | None, run_number: int = 0) -> None:
        self.settings = settings
        self.lake = lake
        self.rng = random.Random(None if seed is None else f"{seed}:{run_number}")
        self.dims = generate_dimensions(
            settings.dimension_seed, settings.customer_count, settings.title_count, settings.campaign_count
        )
        self._ctx = _emulated_aws()

    def __enter__(self) -> LocalStack:
        self._ctx.__enter__()
        self.kinesis = boto3.client("kinesis", region_name=LOCAL_REGION)
        self.kinesis.create_stream(StreamName=self.settings.stream_name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
        self.lambda_client = LocalLambda(
            self.kinesis,
            producer_name=self.settings.producer_function_name,
            stream_name=self.settings.stream_name,
            max_retry_attempts=self.settings.producer_max_retry_attempts,
            timeout_seconds=self.settings.lambda_timeout_seconds,
        )
        self.firehose = LocalFirehose(
            self.kinesis,
            stream_name=self.settings.stream_name,
            delivery_stream_name=self.settings.delivery_stream_name,
            lake=self.lake,
            database=self.settings.database_name,
            partition_by=self.settings.partition_by,
            buffer_size_mb=self.settings.firehose_buffer_size_mb,
        )
        return self

    def __exit__(self, *exc: object) -> None:
        self._ctx.__exit__(*exc)

    def tick(self, count: int, window_end: dt.datetime) -> dict:
        """One schedule tick: the generator's logic hands its payloads to the (local) producer."""
        summary = run_tick(
            self.lambda_client,
            function_name=self.settings.producer_function_name,
            count=count,
            dims=self.dims,
            window_end=window_end,
            rng=self.rng,
            window_seconds=self.settings.window_seconds or DEFAULT_WINDOW_SECONDS,
        )
        self.lambda_client.drain()
        return summary

    def deliver(self) -> DeliveryStats:
        return self.firehose.deliver()


def plan_ticks(ticks: int | None, events: int | None, batch_size: int) -> list[int]:
    """Event counts of each tick for `--ticks N` or `--events N`."""
    if ticks is not None and events is not None:
        raise ValueError("give --ticks or --events, not both")
    if events is not None:
        if events < 0:
            raise ValueError(f"--events must be ≥ 0, got {events}")
        full, rest = divmod(events, batch_size)
        return [batch_size] * full + ([rest] if rest else [])
    ticks = 3 if ticks is None else ticks
    if ticks < 0:
        raise ValueError(f"--ticks must be ≥ 0, got {ticks}")
    return [batch_size] * ticks


def plan_backfill(
    days: int, events_per_day: int | None, today: dt.date, settings: LocalSettings, window_seconds: int
) -> tuple[int, dt.date, dt.date] | None:
    """(events, start, end) of the history `--backfill-days`/`--backfill-events-per-day` ask for, or None.

    Checked before the lake is touched, so a bad value writes nothing.
    """
    if days < 0:
        raise ValueError(f"--backfill-days must be ≥ 0, got {days}")
    if events_per_day is not None and events_per_day < 1:
        raise ValueError(f"--backfill-events-per-day must be ≥ 1, got {events_per_day}")
    if not days:
        if events_per_day is not None:
            raise ValueError("--backfill-events-per-day needs --backfill-days")
        return None
    earliest = dt.date(settings.projection_year_start, 1, 1)
    if days > (today - earliest).days:
        raise ValueError(
            f"--backfill-days must be at most {(today - earliest).days}: history before {earliest} lies outside "
            f"the years Athena's partition projection reads (projectionYearStart {settings.projection_year_start})"
        )
    per_day = events_per_day or settings.batch_size * max(1, 86_400 // window_seconds)
    return per_day * days, today - dt.timedelta(days=days), today


def run_pipeline(
    settings: LocalSettings,
    lake: Path,
    *,
    ticks: int | None = None,
    events: int | None = None,
    seed: int | None = None,
    backfill_days: int = 0,
    backfill_events_per_day: int | None = None,
    now: dt.datetime | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
    before_delivery: Callable[[LocalStack], None] | None = None,
) -> RunReport:
    """Run schedule ticks through the local stack and, optionally, a backfill of history."""
    plan = plan_ticks(ticks, events, settings.batch_size)
    now = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    # A cron() schedule sets no window, and the generator then uses its default, as in the stack.
    window_seconds = settings.window_seconds or DEFAULT_WINDOW_SECONDS
    history = plan_backfill(backfill_days, backfill_events_per_day, now.date(), settings, window_seconds)
    run_number = open_lake(lake, settings)
    report = RunReport(lake=lake, run_number=run_number)
    progress = on_progress or (lambda _stage, _done, _total: None)

    with LocalStack(settings, lake, seed=seed, run_number=run_number) as stack:
        write_dimensions(lake, stack.dims)
        window = dt.timedelta(seconds=window_seconds)
        for i, count in enumerate(plan):
            window_end = now - window * (len(plan) - 1 - i)
            summary = stack.tick(count, window_end)
            report.ticks += 1
            report.events_generated += summary["events"]
            report.payloads += summary["payloads"]
            progress("ticks", i + 1, len(plan))
        if before_delivery:
            before_delivery(stack)
        stats = stack.deliver()
        report.put_calls = stack.lambda_client.put_calls
        report.dead_letters = len(stack.lambda_client.dead_letters)
        report.event_ids = list(stack.lambda_client.accepted_event_ids)
        report.delivered, report.errors, report.files = stats.delivered, stats.errors, len(stats.files)

        if history is not None:
            from lakewriter.backfill import run_backfill  # numpy/pyarrow path, only when asked for

            events_total, start, end = history
            result = run_backfill(
                events_total,
                start,
                end,
                seed=stack.rng.randrange(2**31),
                out=str(lake),
                dims=stack.dims,
                progress=lambda done, total: progress("backfill", done, total),
            )
            report.backfill_events = result.events
            report.backfill_files = result.files
    return report
