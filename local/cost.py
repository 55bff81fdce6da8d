"""Monthly cost of a stack's config at an event rate, before and after record aggregation (`python -m local cost`).

Prices come from `local.prices` (one module, with region and date). The workload's shape (bytes per event, records
and billed units per event, Parquet bytes per event) is measured here, on events from the project's own generator
encoded by the producer's own functions, so the model follows any change to the schema or the packing.
"""

from __future__ import annotations

import datetime as dt
import gzip
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from components import iceberg as iceberg_module
from functions.producer.aggregation import aggregate_records, billed_bytes
from functions.producer.encoding import encode_records
from functions.shared import layout
from functions.shared.domains import DEFAULT_WINDOW_SECONDS, MAX_BATCH_SIZE, MAX_PAYLOAD_BYTES, MAX_WINDOW_SECONDS
from local import prices as p
from stack.settings import Settings

SECONDS_PER_MONTH = p.HOURS_PER_MONTH * 3600
SAMPLE_EVENTS = 2000
"""Events the workload profile is measured on (two default batches)."""

PAYLOAD_BYTES = MAX_PAYLOAD_BYTES
"""What the generator puts in one asynchronous producer invocation at most (Lambda's 1 MB async payload, less the
room kept for the on-failure record: functions/shared/domains.py)."""

PEAK_FACTOR = 2.0
"""Provisioned shards are sized for twice the mean write rate: the schedule writes each window in bursts."""

ON_DEMAND_START_SHARDS = 4
"""An on-demand stream starts with 4 MB/s of write capacity (4 shards' worth); used for KMS data-key requests."""

KMS_REQUESTS_PER_SHARD_HOUR = 2 * 12
"""Kinesis caches each KMS data key about 5 minutes: one GenerateDataKey (writes) and one Decrypt (reads) per shard."""

LAMBDA_SECONDS_PER_INVOCATION = 0.15
LAMBDA_SECONDS_PER_EVENT = 1 / 50_000
"""Assumed billed duration: a fixed part plus generating or validating, encoding and writing each event (the
stream benchmark's per-event rates, halved for Lambda's smaller CPU share)."""

LOG_BYTES_PER_INVOCATION = 700
"""START, END and REPORT platform lines plus the function's one JSON summary line."""

NAMED_QUERY_RUNS_PER_DAY = 9
"""Each of the workgroup's named queries once a day."""

QUERY_WINDOW_DAYS = 30
"""The windowed named queries read the last 30 days (functions/shared/queries.py: RECENT_DAYS)."""

ICEBERG_METADATA_PUTS_PER_COMMIT = 3
"""Each Firehose commit to an Iceberg table writes a manifest, a manifest list and a new metadata file (Iceberg spec,
"Overview": a snapshot's manifest list and manifests, and the table metadata file that points at it)."""

COMPACTION_DPU_HOURS_PER_GB = 0.05
"""Assumed, not measured: Glue compaction rewrites each GB of small files once, at about 20 GB per DPU-hour. AWS
publishes no throughput figure; the line is labelled an assumption and scales linearly if the figure is off."""

MAINTENANCE_DPU_HOURS_PER_RUN = 1 / 60
"""Assumed, not measured: a snapshot-retention or orphan-file run on a table this size takes one DPU for a minute
(Glue bills optimizer runs in DPU-seconds; the model prices one minute per run)."""

CHECKPOINT_BASE_BYTES = 4_100
CHECKPOINT_BYTES_PER_BATCH_UNIT = 33.7
"""One admission checkpoint (functions/generator/checkpoint.py) is CHECKPOINT_BASE_BYTES plus this many bytes per unit
of batchSize: the mean over a day of the stored (zlib) snapshots with the households' series continuations (format
2), 172,543 bytes at batchSize 5,000 (bench/bench_admission_checkpoint.py --batch-sizes 5000 --base '', 2026-12-07;
format 1 measured 4,100 + 19.8 per unit at 5,000 and 20,000, linear). ~34 MB at 1,000,000; the largest, at 05:00 UTC
with the next day's look-back held too, ~59. Storage is priced at the mean."""

STATE_REQUESTS_PER_COORDINATOR = {"LIST": 1, "GET": 1, "PUT": 1}
"""S3 requests of one window's coordinator (and of one bootstrap hop): list the newest checkpoints, read one, save
one. A warm container that still holds the pass reads nothing; priced as if every coordinator did."""

BOOTSTRAPS_PER_MONTH = 1
"""Assumed: how often a coordinator finds no checkpoint and runs the bootstrap chain (a new stack, a gap longer than
the state's retention, or a deploy that changes functions/: the checkpoints' world id includes the code's digest)."""

_UNITS = {"s": 1, "sec": 1, "min": 60, "h": 3600, "hour": 3600, "d": 86_400, "day": 86_400}


MAX_RATE = 1_000_000.0
"""Events per second `--rate` may ask for: 86.4 billion a day, far past what this stack's one stream is sized for;
beyond it the model's shard and request counts stop being numbers a bill could hold."""


def parse_rate(text: str) -> float:
    """Events per second from '100/s', '6000/min', '1.2e6/h' or '8640000/d'; ValueError naming the rule otherwise."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?(?:[eE][0-9]+)?)\s*/\s*([a-z]+)\s*", text)
    if not match:
        raise ValueError(f"--rate {text!r}: give events per unit of time, like 100/s, 6000/min, 360000/h or 8640000/d")
    count, unit = float(match.group(1)), match.group(2)
    if unit not in _UNITS:
        raise ValueError(f"--rate {text!r}: unknown unit {unit!r}; use one of s, min, h, d")
    rate = count / _UNITS[unit]
    if not rate <= MAX_RATE:  # also catches inf from 1e999
        raise ValueError(f"--rate {text!r}: must be at most {MAX_RATE:,.0f} events/s, got {rate:,.6g} events/s")
    return rate


def default_rate(settings: Settings) -> float:
    """Events per second the stack's own schedule makes: batchSize every window."""
    return settings.batch_size / (settings.window_seconds or DEFAULT_WINDOW_SECONDS)


@dataclass(frozen=True)
class Profile:
    """Measured shape of the workload, per event."""

    json_bytes: float
    """JSON bytes of one event (one line)."""
    records: dict[str, float]
    """Kinesis records per event: 'before' (one event each) and 'after' (aggregated)."""
    record_bytes: dict[str, float]
    """Data bytes per event, as records (before/after; the same JSON either way)."""
    kinesis_billed: dict[str, float]
    """Bytes per event Kinesis on-demand bills (records rounded up to 1 KB)."""
    put_units: dict[str, float]
    """Provisioned PUT payload units (25 KB) per event."""
    firehose_billed: dict[str, float]
    """Bytes per event Firehose bills for ingestion and format conversion (records rounded up to 5 KB)."""
    parquet_bytes: float
    """SNAPPY Parquet bytes per event in the lake."""
    backup_bytes: float = 0.0
    """GZIP-compressed JSON bytes per event, as Firehose keeps a source-record backup."""


def measure_profile(batch_size: int, events: int = SAMPLE_EVENTS, seed: int = 7) -> Profile:
    """Generate `events`, encode them as the producer does, once per record and aggregated per batch."""
    from functions.generator.events import epoch_ms, window_events
    from functions.shared.dimensions import generate_dimensions
    from functions.shared.schema import STREAMING_EVENTS
    from functions.shared.world import World
    from lakewriter.parquet import parquet_bytes, rows_to_arrow

    dims = generate_dimensions(42, 1000, 500, delivery=False)  # the default campaigns table: its ads count
    world = World(seed, dims, max(1, min(batch_size, MAX_BATCH_SIZE)))
    start = epoch_ms(dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC))
    period = DEFAULT_WINDOW_SECONDS * 1000
    rows: list[dict] = []
    single: list[dict] = []
    packed: list[dict] = []
    while len(rows) < events:  # consecutive ticks of the world, each packed as the producer packs a batch
        chunk = window_events(world, start, start + period)
        lines = encode_records(chunk)
        rows.extend(chunk)
        single.extend(lines)
        packed.extend(aggregate_records(lines))
        start += period
    n = len(rows)
    sizes = {"before": [len(r["Data"]) for r in single], "after": [len(r["Data"]) for r in packed]}
    parquet = parquet_bytes(rows_to_arrow(STREAMING_EVENTS, rows))
    backup = gzip.compress(b"".join(r["Data"] for r in single))
    return Profile(
        json_bytes=sum(sizes["before"]) / n,
        records={k: len(v) / n for k, v in sizes.items()},
        record_bytes={k: sum(v) / n for k, v in sizes.items()},
        kinesis_billed={k: billed_bytes(v, p.KINESIS_ON_DEMAND_UNIT_BYTES) / n for k, v in sizes.items()},
        put_units={
            k: billed_bytes(v, p.KINESIS_PUT_UNIT_BYTES) / p.KINESIS_PUT_UNIT_BYTES / n for k, v in sizes.items()
        },
        firehose_billed={k: billed_bytes(v, p.FIREHOSE_UNIT_BYTES) / n for k, v in sizes.items()},
        parquet_bytes=len(parquet) / n,
        backup_bytes=len(backup) / n,
    )


@dataclass(frozen=True)
class Line:
    """One priced line of the bill: monthly dollars before and after aggregation."""

    service: str
    item: str
    before: float
    after: float


@dataclass(frozen=True)
class Estimate:
    """The bill for one stack at one rate."""

    events_per_second: float
    stream_mode: str
    shards: int
    lines: list[Line]
    notes: list[str]

    def total(self, which: str) -> float:
        return sum(getattr(line, which) for line in self.lines)

    def by_service(self) -> dict[str, tuple[float, float]]:
        out: dict[str, tuple[float, float]] = {}
        for line in self.lines:
            before, after = out.get(line.service, (0.0, 0.0))
            out[line.service] = (before + line.before, after + line.after)
        return out


def provisioned_shards(events_per_second: float, profile: Profile, which: str = "after") -> int:
    """Shards a PROVISIONED stream needs for this rate at PEAK_FACTOR times the mean (1 MiB/s, 1,000 records/s)."""
    peak = events_per_second * PEAK_FACTOR
    by_bytes = peak * profile.record_bytes[which] / p.KINESIS_SHARD_BYTES_PER_SECOND
    by_records = peak * profile.records[which] / p.KINESIS_SHARD_RECORDS_PER_SECOND
    return max(1, math.ceil(max(by_bytes, by_records)))


KINESIS_ON_DEMAND_ADVANTAGE = "ON_DEMAND_ADVANTAGE"
"""The On-demand Advantage billing mode (an account setting over ON_DEMAND streams, not a stream mode)."""


def kinesis_cost(mode: str, shards: int, events: float, profile: Profile, which: str) -> float:
    """Monthly Kinesis Data Streams dollars for `events` a month."""
    if mode == KINESIS_ON_DEMAND_ADVANTAGE:
        billed_gb = events * profile.kinesis_billed[which] / p.GB
        committed_gb = p.KINESIS_ADVANTAGE_COMMIT_BYTES_PER_SECOND * SECONDS_PER_MONTH / p.GB
        return max(billed_gb, committed_gb) * p.KINESIS_ADVANTAGE_PER_GB_IN + billed_gb * p.KINESIS_ADVANTAGE_PER_GB_OUT
    if mode == "ON_DEMAND":
        billed_gb = events * profile.kinesis_billed[which] / p.GB
        return (
            p.HOURS_PER_MONTH * p.KINESIS_ON_DEMAND_STREAM_HOUR
            + billed_gb * p.KINESIS_ON_DEMAND_PER_GB_IN
            + billed_gb * p.KINESIS_ON_DEMAND_PER_GB_OUT  # Firehose reads every record once
        )
    units = events * profile.put_units[which]
    return p.HOURS_PER_MONTH * shards * p.KINESIS_SHARD_HOUR + units / 1e6 * p.KINESIS_PER_MILLION_PUT_UNITS


def estimate(settings: Settings, events_per_second: float, profile: Profile) -> Estimate:
    """Monthly cost per service of `settings` at `events_per_second`, before and after aggregation."""
    if events_per_second < 0 or not math.isfinite(events_per_second):
        raise ValueError(f"the event rate must be a finite number ≥ 0, got {events_per_second}")
    events = events_per_second * SECONDS_PER_MONTH
    iceberg = settings.table_format == layout.TABLE_FORMAT_ICEBERG
    mode = settings.kinesis_stream_mode
    shards = max(settings.kinesis_shard_count or 1, provisioned_shards(events_per_second, profile))
    notes = []
    lines: list[Line] = []

    def add(service: str, item: str, f) -> None:  # f(which) -> dollars
        lines.append(Line(service, item, f("before"), f("after")))

    mode_item = (
        "stream-hours + GB in and out (records rounded up to 1 KB)"
        if mode == "ON_DEMAND"
        else f"{shards} shard(s) + PUT payload units (25 KB)"
    )

    def shards_for(which: str) -> int:
        return max(settings.kinesis_shard_count or 1, provisioned_shards(events_per_second, profile, which))

    def sent(which: str) -> str:
        # Firehose's Iceberg destination takes one JSON object per record: the producer does not aggregate.
        return "before" if iceberg else which

    add(
        "Kinesis Data Streams",
        f"{mode}: {mode_item}",
        lambda w: kinesis_cost(mode, shards_for(sent(w)), events, profile, sent(w)),
    )
    if iceberg:
        notes.append(
            "tableFormat iceberg: the producer sends one event per record (Firehose's Iceberg destination takes one "
            "JSON object per record), so both columns bill Kinesis per event record; Firehose bills the Iceberg "
            "destination per GB without rounding records up to 5 KB"
        )
    if settings.kinesis_retention_hours > 24:
        notes.append(f"kinesisRetentionHours {settings.kinesis_retention_hours}: extended retention is not priced")

    interval = settings.firehose_buffer_interval_seconds
    flushes = max(
        SECONDS_PER_MONTH / interval, events * profile.json_bytes / (settings.firehose_buffer_size_mb * 1024**2)
    )
    objects = flushes * (1 + interval / 3600)  # one object per hour partition per flush, two at an hour's turn
    json_gb = events * profile.json_bytes / p.GB
    if iceberg:
        add(
            "Firehose",
            "Iceberg destination per GB ingested (no 5 KB rounding; Firehose writes Parquet itself)",
            lambda w: json_gb * p.FIREHOSE_ICEBERG_PER_GB,
        )
        parquet_gb_month = events * profile.parquet_bytes / p.GB
        runs = 2 * 30 * 24 / iceberg_module.OPTIMIZER_RUN_HOURS  # retention and orphan deletion, each daily
        dpu_hours = parquet_gb_month * COMPACTION_DPU_HOURS_PER_GB + runs * MAINTENANCE_DPU_HOURS_PER_RUN
        add(
            "Glue table optimizers",
            f"compaction, snapshot retention, orphan deletion: {dpu_hours:,.1f} DPU-hours (assumed rates)",
            lambda w: dpu_hours * p.GLUE_PER_DPU_HOUR,
        )
        notes.append(
            f"Glue optimizer DPU-hours are assumptions ({COMPACTION_DPU_HOURS_PER_GB} DPU-hour per GB compacted, "
            f"{MAINTENANCE_DPU_HOURS_PER_RUN * 60:.0f} DPU-minute per retention or orphan run): AWS bills what the "
            "runs take and publishes no rate to predict it"
        )
    else:
        add(
            "Firehose",
            "ingestion per GB (records rounded up to 5 KB)",
            lambda w: events * profile.firehose_billed[w] / p.GB * p.FIREHOSE_PER_GB_INGESTED,
        )
        add(
            "Firehose",
            "format conversion to Parquet per GB (rounded up to 5 KB)",
            lambda w: events * profile.firehose_billed[w] / p.GB * p.FIREHOSE_FORMAT_CONVERSION_PER_GB,
        )
    if layout.dynamic_partitioning(settings.partition_by, settings.table_format):
        add(
            "Firehose",
            "dynamic partitioning per GB and per 1,000 objects",
            lambda w: (
                events * profile.json_bytes / p.GB * p.FIREHOSE_DYNAMIC_PARTITIONING_PER_GB
                + objects / 1000 * p.FIREHOSE_DYNAMIC_PARTITIONING_PER_1000_OBJECTS
            ),
        )
        notes.append(
            f"Firehose JQ processing hours (${p.FIREHOSE_JQ_PER_HOUR}/h of JQ time) are not priced: AWS meters "
            "them, the model cannot predict them"
        )

    window = settings.window_seconds or DEFAULT_WINDOW_SECONDS
    ticks = SECONDS_PER_MONTH / window
    per_tick = events_per_second * window
    generators = ticks * max(1, math.ceil(per_tick / MAX_BATCH_SIZE))
    producers = ticks * max(1, math.ceil(per_tick * profile.json_bytes / PAYLOAD_BYTES)) if per_tick else 0
    invocations = generators + producers
    gb_seconds = (invocations * LAMBDA_SECONDS_PER_INVOCATION + 2 * events * LAMBDA_SECONDS_PER_EVENT) * (
        settings.lambda_memory_mb / 1024
    )
    lambda_cost = (
        invocations / 1e6 * p.LAMBDA_PER_MILLION_REQUESTS
        + gb_seconds * p.LAMBDA_PER_GB_SECOND[settings.lambda_architecture]
    )
    add("Lambda", f"{invocations:,.0f} invocations, {gb_seconds:,.0f} GB-s", lambda w: lambda_cost)

    parquet_gb = events * profile.parquet_bytes / p.GB
    puts = objects + (flushes * ICEBERG_METADATA_PUTS_PER_COMMIT if iceberg else 0)
    add(
        "S3",
        f"{parquet_gb:,.1f} GB of Parquet a month (its first month) + PUTs"
        + (" (data and Iceberg metadata files)" if iceberg else ""),
        lambda w: parquet_gb * p.S3_PER_GB_MONTH + puts / 1000 * p.S3_PER_1000_PUTS,
    )
    if settings.firehose_backup_source_records:
        backup_gb = events * profile.backup_bytes / p.GB
        add(
            "S3",
            f"source-record backup: {backup_gb:,.1f} GB of GZIP JSON a month (its first month) + PUTs",
            lambda w: backup_gb * p.S3_PER_GB_MONTH + flushes / 1000 * p.S3_PER_1000_PUTS,
        )
    state = state_bucket(settings, events_per_second)
    add(
        "S3 generator state",
        f"{state.checkpoints:,.0f} admission checkpoints of ~{state.checkpoint_bytes / 1024**2:,.2f} MB kept "
        f"({state.retention_days} days), {state.total_requests:,.0f} LIST/GET/PUT requests a month",
        lambda w: state.dollars,
    )
    scanned = min(
        max(p.ATHENA_MIN_BYTES_PER_QUERY, events / 30 * QUERY_WINDOW_DAYS * profile.parquet_bytes),
        settings.athena_bytes_scanned_cutoff_mb * 1024**2,
    )
    queries = NAMED_QUERY_RUNS_PER_DAY * 30
    add(
        "Athena",
        f"{queries} queries scanning at most {scanned / 1024**2:,.0f} MB each",
        lambda w: queries * scanned / 1024**4 * p.ATHENA_PER_TB_SCANNED,
    )
    log_gb = invocations * LOG_BYTES_PER_INVOCATION / p.GB
    add(
        "CloudWatch Logs",
        "Lambda log lines ingested and kept",
        lambda w: log_gb * (p.CLOUDWATCH_LOGS_PER_GB_INGESTED + p.CLOUDWATCH_LOGS_PER_GB_MONTH),
    )
    kms_shards = shards if mode == "PROVISIONED" else ON_DEMAND_START_SHARDS
    add(
        "KMS",
        "Kinesis data-key requests",
        lambda w: kms_shards * KMS_REQUESTS_PER_SHARD_HOUR * p.HOURS_PER_MONTH / 10_000 * p.KMS_PER_10000_REQUESTS,
    )
    # One customer managed key: the stack key (encryptionKey: customer-managed), or, with AWS managed keys, the
    # alarm topic's own key (CloudWatch cannot publish to a topic under alias/aws/sns). An existing key is not ours.
    keys = 0 if str(settings.encryption_key).startswith("arn:") else 1
    add("KMS", f"{keys} customer managed key(s)", lambda w: keys * p.KMS_KEY_MONTH)
    alarms = monitoring_alarms(settings)
    add(
        "CloudWatch alarms and dashboard",
        f"{alarms} standard alarms and one dashboard",
        lambda w: alarms * p.CLOUDWATCH_STANDARD_ALARM_MONTH + p.CLOUDWATCH_DASHBOARD_MONTH,
    )
    add("X-Ray", "one trace per invocation (active tracing)", lambda w: invocations / 1e6 * p.XRAY_PER_MILLION_TRACES)
    add("SQS", "dead-letter queue: only failed invocations", lambda w: 0.0)
    return Estimate(events_per_second, mode, shards, lines, notes)


@dataclass(frozen=True)
class StateBucket:
    """What the generator's state bucket holds and is asked in a month."""

    checkpoint_bytes: float
    """One checkpoint's mean size at the rate as a batchSize (CHECKPOINT_BASE_BYTES + CHECKPOINT_BYTES_PER_BATCH_UNIT
    per unit)."""
    retention_days: int
    checkpoints: float
    """Checkpoints kept at any time: one per window's coordinator, each kept its retention (S3 expires an object at
    the first midnight UTC after the retention: half a day more on average)."""
    requests: dict[str, float]
    """LIST, GET and PUT requests a month: every window's coordinator and every hop of the bootstrap chains."""
    dollars: float

    @property
    def total_requests(self) -> float:
        return sum(self.requests.values())


def state_bucket(settings: Settings, events_per_second: float) -> StateBucket:
    """The generator's state bucket at `events_per_second`: checkpoints sized by the volume (as the batchSize that
    makes this rate), one saved per window's coordinator and per bootstrap hop."""
    from components import scheduled_generator
    from functions.shared.world import RATE_PERIOD_MS

    window = settings.window_seconds or DEFAULT_WINDOW_SECONDS
    batch = events_per_second * RATE_PERIOD_MS / 1000
    size = CHECKPOINT_BASE_BYTES + CHECKPOINT_BYTES_PER_BATCH_UNIT * batch
    retention = settings.component_args(scheduled_generator.SPEC).get(
        "state_retention_days", scheduled_generator.SPEC.defaults["state_retention_days"]
    )
    coordinators = SECONDS_PER_MONTH / window * math.ceil(window / MAX_WINDOW_SECONDS)
    hops = BOOTSTRAPS_PER_MONTH * scheduled_generator.bootstrap_hops(
        max(1, math.ceil(batch)), settings.lambda_memory_mb, settings.lambda_timeout_seconds
    )
    requests = {kind: n * (coordinators + hops) for kind, n in STATE_REQUESTS_PER_COORDINATOR.items()}
    kept = coordinators / SECONDS_PER_MONTH * 86_400 * (retention + 0.5)
    dollars = (
        kept * size / p.GB * p.S3_PER_GB_MONTH
        + requests["LIST"] / 1000 * p.S3_PER_1000_LISTS
        + requests["GET"] / 1000 * p.S3_PER_1000_GETS
        + requests["PUT"] / 1000 * p.S3_PER_1000_PUTS
    )
    return StateBucket(size, retention, kept, requests, dollars)


def monitoring_alarms(settings: Settings) -> int:
    """How many alarms PipelineAlarms creates for this stack (it decides; this counts its specs)."""
    from components.alarms import alarm_specs

    function = {"name": "f", "label": "f", "timeout_seconds": settings.lambda_timeout_seconds}
    return len(
        alarm_specs(
            {
                "stream_name": "s",
                "delivery_stream_name": "d",
                "functions": [function, function],
                "dead_letter_queue_name": "q",
                "schedule_period_seconds": settings.window_seconds,
                "schedule_enabled": settings.schedule_enabled,
                "table_format": settings.table_format,
                "dynamic_partitioning": layout.dynamic_partitioning(settings.partition_by, settings.table_format),
            }  # type: ignore[typeddict-item]
        )
    )


def provisioned_break_even(profile: Profile, max_rate: float = 1e6) -> float | None:
    """Lowest rate (events/s) from which a PROVISIONED stream sized for it costs less than ON_DEMAND; None if never.

    Compared after aggregation; 0.0 means provisioned is cheaper even with no traffic (a shard-hour costs less
    than an on-demand stream-hour).
    """

    def cheaper(rate: float) -> bool:
        events = rate * SECONDS_PER_MONTH
        shards = provisioned_shards(rate, profile)
        return kinesis_cost("PROVISIONED", shards, events, profile, "after") < kinesis_cost(
            "ON_DEMAND", 0, events, profile, "after"
        )

    return 0.0 if cheaper(0.0) else _lowest_rate(cheaper, max_rate)


def advantage_break_even(profile: Profile, which: str = "after", max_rate: float = 1e6) -> float | None:
    """Lowest rate (events/s) from which On-demand Advantage billing costs less than On-demand Standard for this
    stream alone; None if never below `max_rate`. Advantage is an account setting whose 25 MiB/s commitment every
    on-demand stream of the account shares, so a stream beside others breaks even sooner."""

    def cheaper(rate: float) -> bool:
        events = rate * SECONDS_PER_MONTH
        return kinesis_cost(KINESIS_ON_DEMAND_ADVANTAGE, 0, events, profile, which) < kinesis_cost(
            "ON_DEMAND", 0, events, profile, which
        )

    return _lowest_rate(cheaper, max_rate)


def _lowest_rate(cheaper: Callable[[float], bool], max_rate: float) -> float | None:
    """The lowest rate (to 0.01 events/s) from which `cheaper` holds, by bisection; None if not even at max_rate."""
    if not cheaper(max_rate):
        return None
    low, high = 0.0, max_rate
    while high - low > 0.01:
        mid = (low + high) / 2
        low, high = (low, mid) if cheaper(mid) else (mid, high)
    return high
