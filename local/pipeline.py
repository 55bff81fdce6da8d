"""The whole data path on one machine: generator -> producer -> Kinesis (moto) -> delivery -> lake -> DuckDB."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws

from functions.generator.handler import Request, parse_request, run_request
from functions.producer.handler import deliver_events, parse_payload
from functions.shared.dimensions import Dimensions, generate_dimensions
from functions.shared.domains import DEFAULT_WINDOW_SECONDS
from functions.shared.schema import DIMENSION_TABLES
from functions.shared.world import World, check_world_seed
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
    state: dict = {}
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
    state.update({"project": "acme-telemetry", "database": settings.database_name, "runs": run + 1})
    marker.write_text(json.dumps(state, indent=2), encoding="utf-8")
    return run


@dataclass(frozen=True)
class Coverage:
    """The stretch of one world's time a lake holds, contiguous: [from_ms, until_ms) of world `seed`."""

    seed: int
    from_ms: int
    until_ms: int


def lake_coverage(lake: Path) -> Coverage | None:
    """What the lake's marker says it holds, or None for a new lake (or one written before worlds)."""
    marker = lake / LAKE_MARKER
    if not marker.is_file():
        return None
    state = json.loads(marker.read_text(encoding="utf-8"))
    world = state.get("world")
    if not isinstance(world, dict):
        return None
    return Coverage(int(world["seed"]), int(world["from_ms"]), int(world["until_ms"]))


def record_coverage(lake: Path, coverage: Coverage) -> None:
    marker = lake / LAKE_MARKER
    state = json.loads(marker.read_text(encoding="utf-8"))
    state["world"] = {"seed": coverage.seed, "from_ms": coverage.from_ms, "until_ms": coverage.until_ms}
    marker.write_text(json.dumps(state, indent=2), encoding="utf-8")


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
    """Stands in for the Lambda API the generator calls: `Event` invokes of the producer and of its own shards.

    Like Lambda's asynchronous invocation, `invoke` only queues the payload and answers 202; `drain` runs the
    generator's shards (through `run_shard`, the generator's own request path) and the producer's logic (the
    same functions its handler calls) against the Kinesis client, retrying a failed producer payload up to
    `max_retry_attempts` times and then keeping it as a dead letter.
    """

    def __init__(
        self,
        kinesis_client: Any,
        *,
        producer_name: str,
        stream_name: str,
        max_retry_attempts: int,
        timeout_seconds: int,
        generator_name: str = "",
        run_shard: Callable[[bytes], None] | None = None,
    ) -> None:
        self._kinesis = kinesis_client
        self._producer_name = producer_name
        self._generator_name = generator_name
        self._run_shard = run_shard
        self._shards: list[bytes] = []
        self._stream = stream_name
        self._retries = max_retry_attempts
        self._timeout_ms = timeout_seconds * 1000
        self._queue: list[bytes] = []
        self.accepted_event_ids: list[str] = []
        self.dead_letters: list[DeadLetter] = []
        self.put_calls = 0
        self.retried_entries = 0

    def invoke(self, *, FunctionName: str, InvocationType: str, Payload: bytes | str) -> dict:
        known = [n for n in (self._producer_name, self._generator_name if self._run_shard else "") if n]
        if FunctionName not in known:
            raise ValueError(f"FunctionName must be one of {known} locally, got {FunctionName!r}")
        if InvocationType != "Event":
            raise ValueError(f"InvocationType must be 'Event' (asynchronous), got {InvocationType!r}")
        payload = Payload.encode("utf-8") if isinstance(Payload, str) else bytes(Payload)
        (self._queue if FunctionName == self._producer_name else self._shards).append(payload)
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
        while self._shards:  # a shard queues producer payloads; the generator's own failures surface here
            shards, self._shards = self._shards, []
            for payload in shards:
                assert self._run_shard is not None
                self._run_shard(payload)
                self._drain_producer()
        self._drain_producer()

    def _drain_producer(self) -> None:
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

    def __init__(self, settings: LocalSettings, lake: Path, *, seed: int, run_number: int = 0) -> None:
        self.settings = settings
        self.lake = lake
        self.run_number = run_number
        self.dims = generate_dimensions(
            settings.dimension_seed, settings.customer_count, settings.title_count, settings.campaign_count
        )
        self.world = World(seed, self.dims, settings.batch_size)
        self.window_seconds = settings.window_seconds or DEFAULT_WINDOW_SECONDS
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
            generator_name=self.settings.generator_function_name,
            run_shard=self._run_shard,
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

    def _serve(self, request: Request) -> dict:
        return run_request(
            self.lambda_client,
            request,
            world=self.world,
            producer_name=self.settings.producer_function_name,
            generator_name=self.settings.generator_function_name,
        )

    def _run_shard(self, payload: bytes) -> None:
        now = dt.datetime.now(dt.UTC)
        self._serve(parse_request(json.loads(payload), window_seconds=self.window_seconds, now=now))

    def tick(self, start_ms: int, end_ms: int) -> dict:
        """One schedule tick over [start_ms, end_ms): the generator's request path, then every invocation it queued."""
        summary = self._serve(Request(start_ms, end_ms))
        self.lambda_client.drain()
        return summary

    def deliver(self) -> DeliveryStats:
        return self.firehose.deliver()


def plan_ticks(ticks: int | None, events: int | None, batch_size: int, window_seconds: int) -> int:
    """Schedule ticks to run for `--ticks N`, or for `--events N` (about N events at the world's mean rate)."""
    if ticks is not None and events is not None:
        raise ValueError("give --ticks or --events, not both")
    if events is not None:
        if events < 0:
            raise ValueError(f"--events must be ≥ 0, got {events}")
        return math.ceil(events / (batch_size * window_seconds / 300))
    ticks = 3 if ticks is None else ticks
    if ticks < 0:
        raise ValueError(f"--ticks must be ≥ 0, got {ticks}")
    return ticks


def plan_backfill(days: int, today: dt.date, settings: LocalSettings) -> dt.datetime | None:
    """Start of the history `--backfill-days` asks for (midnight UTC, D days before today), or None.

    Checked before the lake is touched, so a bad value writes nothing.
    """
    if days < 0:
        raise ValueError(f"--backfill-days must be ≥ 0, got {days}")
    if not days:
        return None
    earliest = dt.date(settings.projection_year_start, 1, 1)
    if days > (today - earliest).days:
        raise ValueError(
            f"--backfill-days must be at most {(today - earliest).days}: history before {earliest} lies outside "
            f"the years Athena's partition projection reads (projectionYearStart {settings.projection_year_start})"
        )
    return dt.datetime.combine(today - dt.timedelta(days=days), dt.time(), tzinfo=dt.UTC)


def _ms(moment: dt.datetime) -> int:
    return (moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(milliseconds=1)


def _moment(ms: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=ms)


def run_pipeline(
    settings: LocalSettings,
    lake: Path,
    *,
    ticks: int | None = None,
    events: int | None = None,
    seed: int | None = None,
    backfill_days: int = 0,
    now: dt.datetime | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
    before_delivery: Callable[[LocalStack], None] | None = None,
) -> RunReport:
    """Stream the schedule's last ticks before `now` through the local stack, and backfill the history before them.

    Ticks end on the schedule's period boundaries (the last at or before `now`); the backfill writes the same
    world from midnight `backfill_days` ago up to the first tick. The lake remembers the stretch of the world it
    holds, so a later run streams only what it lacks: its ticks start where the last run's ended (a gap since
    then is backfilled), and no event is ever written twice.
    """
    window_seconds = settings.window_seconds or DEFAULT_WINDOW_SECONDS
    period_ms = window_seconds * 1000
    tick_count = plan_ticks(ticks, events, settings.batch_size, window_seconds)
    now = now or dt.datetime.now(dt.UTC)
    history_from = plan_backfill(backfill_days, now.date(), settings)
    if seed is not None:
        check_world_seed("--seed", seed)
    before = lake_coverage(lake) if (lake / LAKE_MARKER).is_file() else None
    # --seed, else the world the lake already holds, else the stack's worldSeed (as its generator would use).
    world_seed = seed if seed is not None else before.seed if before else settings.world_seed
    if before is not None and before.seed != world_seed:
        raise LakeError(
            f"--seed {world_seed}: the lake {lake} holds world {before.seed}; use that seed or another --lake"
        )
    end_ms = _ms(now) // period_ms * period_ms
    ticks_from = end_ms - tick_count * period_ms
    # What this run writes: the ticks' windows and history, less what the lake already holds, with no gap.
    windows = [(max(s, before.until_ms if before else s), s + period_ms) for s in range(ticks_from, end_ms, period_ms)]
    windows = [(s, e) for s, e in windows if s < e]
    history: list[tuple[int, int]] = []
    want_from = _ms(history_from) if history_from else None
    if before is None:
        if want_from is not None and want_from < ticks_from:
            history.append((want_from, ticks_from))
    else:
        if want_from is not None and want_from < before.from_ms:
            history.append((want_from, min(before.from_ms, ticks_from)))
        if before.until_ms < ticks_from:
            history.append((before.until_ms, ticks_from))

    run_number = open_lake(lake, settings)
    report = RunReport(lake=lake, run_number=run_number)
    progress = on_progress or (lambda _stage, _done, _total: None)

    with LocalStack(settings, lake, seed=world_seed, run_number=run_number) as stack:
        write_dimensions(lake, stack.dims)
        for i, (start, end) in enumerate(windows):
            summary = stack.tick(start, end)
            report.ticks += 1
            report.events_generated += summary.get("events", 0)
            report.payloads += summary.get("payloads", 0)
            progress("ticks", i + 1, len(windows))
        if before_delivery:
            before_delivery(stack)
        stats = stack.deliver()
        report.put_calls = stack.lambda_client.put_calls
        report.dead_letters = len(stack.lambda_client.dead_letters)
        report.event_ids = list(stack.lambda_client.accepted_event_ids)
        report.delivered, report.errors, report.files = stats.delivered, stats.errors, len(stats.files)

        if history:
            from lakewriter.backfill import run_backfill  # numpy/pyarrow path, only when asked for

            for start, end in history:
                result = run_backfill(
                    _moment(start),
                    _moment(end),
                    seed=world_seed,
                    batch_size=settings.batch_size,
                    out=str(lake),
                    dims=stack.dims,
                    progress=lambda done, total: progress("backfill", done, total),
                )
                report.backfill_events += result.events
                report.backfill_files += result.files
        covered = [*history, *windows]
        if covered:
            low = min(s for s, _ in covered)
            high = max(e for _, e in covered)
            if before is not None:
                low, high = min(low, before.from_ms), max(high, before.until_ms)
            record_coverage(lake, Coverage(world_seed, low, high))
    return report
