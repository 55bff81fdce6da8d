"""ScheduledGenerator: the scheduled generator and producer Lambdas, their layer, DLQ, logs and roles."""

import math
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import assets, buckets, naming, policies
from components import validation as v
from functions.shared import domains, households, schedule, schema, world

GENERATOR_HANDLER = "functions.generator.handler.handler"
PRODUCER_HANDLER = "functions.producer.handler.handler"
DLQ_RETENTION_SECONDS = 14 * 24 * 3600  # SQS: message retention is at most 14 days (1,209,600 s)
DLQ_MAX_MESSAGE_BYTES = 1_048_576
"""SQS's largest message (1 KiB to 1 MiB, default 256 KiB). A failed producer invocation reaches the queue as an
on-failure record holding its whole payload, which the generator keeps well under this (domains.MAX_PAYLOAD_BYTES)."""
EVENT_BYTES = 800
"""What one event weighs as JSON, rounded up from the measured mean (779-784 bytes with ad and player fields:
bench/bench_aggregation.py, tests/functions/test_event_size.py); sizes the producer's payload count."""
PEAK_TO_MEAN = (
    max(world.HOUR_WEIGHTS)
    * len(world.HOUR_WEIGHTS)
    / sum(world.HOUR_WEIGHTS)
    * max(world.DAY_WEIGHTS)
    * len(world.DAY_WEIGHTS)
    / sum(world.DAY_WEIGHTS)
)
"""Upper bound of the world's busiest tick over its mean: prime time on the busiest day for one time zone.

A live-event surge (incidents.MAX_VOLUME_PERMILLE) multiplies its own country's starts for an hour or two on top of
this; reserved concurrency is not sized for it: its extra producer payloads wait in Lambda's asynchronous queue
(retried, within the maximum event age) and drain within minutes."""
MIN_PRODUCER_CONCURRENCY = 10
"""Room for Lambda's retries of failed producer invocations even when a tick needs one producer."""
PAYLOADS_PER_PRODUCER = 16
"""A producer run takes well under a second per payload (one or two PutRecords calls of aggregated records) and a
tick lasts minutes: Lambda's asynchronous queue feeds each concurrent producer several of a tick's payloads in turn
(a throttled asynchronous invoke is queued and retried, not lost), so a slot per 16 payloads still drains the
busiest tick in seconds while leaving most of the account's concurrency unreserved."""


WINDOWS_AT_ONCE = 24
"""Windows of one long tick the reserved concurrency of both functions lets run at once: a day's worth, so a rate()
tick (at most a day) never waits. A longer cron() tick's further windows wait in Lambda's asynchronous event queue
(a throttled asynchronous invocation is queued and retried, within the maximum event age) and each takes seconds,
so they drain within minutes without reserving a week's worth of the account's concurrency."""


def default_concurrency(batch_size: int, window_seconds: int | None) -> tuple[int, int]:
    """(generator, producer) reserved concurrency sized to the schedule's busiest tick.

    The generator runs one invocation per window of at most MAX_WINDOW_SECONDS (a longer tick's own invocation
    sends them out: functions/generator/handler.py) plus one worker per shard of a window past MAX_SHARD_EVENTS,
    plus one for a retry overlapping them; the producer gets a slot per PAYLOADS_PER_PRODUCER payloads of the
    busiest tick. Both stay within what the account can reserve.
    """
    window = window_seconds or domains.DEFAULT_WINDOW_SECONDS
    windows = math.ceil(window / domains.MAX_WINDOW_SECONDS)
    span = min(window, domains.MAX_WINDOW_SECONDS)
    peak = batch_size * span / world.RATE_PERIOD_MS * 1000 * PEAK_TO_MEAN  # the busiest window of the tick
    shards = min(domains.MAX_SHARDS, math.ceil(peak / domains.MAX_SHARD_EVENTS))
    shards = shards if shards > 1 else 0  # one shard is the window's invocation itself
    payloads = math.ceil(peak * min(windows, WINDOWS_AT_ONCE) * EVENT_BYTES / domains.MAX_PAYLOAD_BYTES)
    per_window = 1 + shards
    invocations = per_window if windows == 1 else 1 + min(windows, WINDOWS_AT_ONCE) * per_window
    generator = min(v.LAMBDA_MAX_RESERVED_CONCURRENCY, 1 + invocations)
    producer = min(
        v.LAMBDA_MAX_RESERVED_CONCURRENCY, max(MIN_PRODUCER_CONCURRENCY, math.ceil(payloads / PAYLOADS_PER_PRODUCER))
    )
    return generator, producer


GENERATOR_BASELINE_MB = 96
"""What the generator holds besides its titles: the runtime, boto3, mimesis, a tick's records and the world, which
reads customers per index (people.py: no per-customer table, whatever customer_count; tests/functions/test_scale.py
holds 22.5 million customers under 48 MB of heap). Measured 51–52 MB of resident memory for one customer, one title
and a default tick on CPython 3.12 (bench/bench_dimension_memory.py), rounded up for Lambda's own runtime process and
a full shard of records."""
TITLE_BYTES = 2_200
"""Resident memory per title (measured 2,139 bytes)."""
MEMORY_HEADROOM = 0.8
"""Share of the function's memory the titles and baseline may fill; the rest absorbs a larger tick and the
collector's slack."""


COLD_TICK_CPU_MS_PER_BATCH_UNIT = 2.0
"""CPU milliseconds per unit of batch_size of the worst cold tick: a new container's first window just before
concurrency.PASS_START_MINUTE judges its admission day's candidates from the day before (measured 1.9-2.0 ms at
batchSize 1,000 and 4,000, linear: bench/bench_cold_tick.py; docs/scale.md step 6)."""


COLD_TICK_PASS_SLOTS = 23 * 60 + 349
"""Slots the measured cold tick's pass covers (~28.8 hours): its admission day from 10:00 UTC to the 09:00 window
(23 hours of one-minute slots, world.SLOT_MS) plus the look-back before the day, every candidate counting
(concurrency.lookback_slots of the bench's world: 349 slots, its 500 titles' longest session about 5.5 hours)."""


def _cpu_share(memory_mb: int) -> float:
    """The share of one vCPU a single-threaded function gets at memory_mb (one vCPU per 1,769 MB)."""
    return min(1.0, memory_mb / v.LAMBDA_MB_PER_VCPU)


def cold_tick_seconds(batch_size: int, memory_mb: int) -> float:
    """Seconds the worst cold tick takes at memory_mb: single-threaded, so at most one vCPU's share of the CPU.
    With the pass checkpointed this is what a new stack's bootstrap chain runs: its first window's whole pass."""
    return batch_size * COLD_TICK_CPU_MS_PER_BATCH_UNIT / 1000 / _cpu_share(memory_mb)


def window_new_slots(window_seconds: int) -> int:
    """Slots a window's coordinator judges with the pass checkpointed: the window's own (a tick longer than
    MAX_WINDOW_SECONDS runs as windows of at most that, each with its coordinator)."""
    span = min(window_seconds, domains.MAX_WINDOW_SECONDS)
    return math.ceil(span * 1000 / world.SLOT_MS)


def window_pass_seconds(batch_size: int, memory_mb: int, window_seconds: int) -> float:
    """Seconds a coordinator takes to judge the busiest window's new slots at memory_mb: the measured cold pass's mean
    CPU per slot (COLD_TICK_CPU_MS_PER_BATCH_UNIT over COLD_TICK_PASS_SLOTS) at the busiest tick (PEAK_TO_MEAN)."""
    per_slot_ms = batch_size * COLD_TICK_CPU_MS_PER_BATCH_UNIT / COLD_TICK_PASS_SLOTS * PEAK_TO_MEAN
    return window_new_slots(window_seconds) * per_slot_ms / 1000 / _cpu_share(memory_mb)


def bootstrap_hops(batch_size: int, memory_mb: int, timeout_seconds: int) -> int:
    """Invocations of timeout_seconds a new stack's bootstrap chain takes (no checkpoint yet: the worst window's
    whole pass, cold_tick_seconds), each judging until its margin (domains.pass_budget_seconds)."""
    return max(1, math.ceil(cold_tick_seconds(batch_size, memory_mb) / domains.pass_budget_seconds(timeout_seconds)))


def dimension_memory_mb(title_count: int) -> float:
    """MB of memory the generator needs to hold its titles and world (GENERATOR_BASELINE_MB included)."""
    return GENERATOR_BASELINE_MB + title_count * TITLE_BYTES / 1024 / 1024


def _combinations(args: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    prefix = args.get("name_prefix")
    if isinstance(prefix, str) and v.NAME_PREFIX.problem("", prefix) is None:
        for name, limit in (
            (naming.schedule_rule_name(prefix), v.EVENTBRIDGE_MAX_RULE_NAME),
            (naming.function_role_name(prefix, "generator"), v.IAM_MAX_ROLE_NAME),
            (naming.function_role_name(prefix, "producer"), v.IAM_MAX_ROLE_NAME),
            (naming.function_name(prefix, "generator"), v.LAMBDA_MAX_NAME),
            (naming.function_name(prefix, "producer"), v.LAMBDA_MAX_NAME),
            (naming.dead_letter_queue_name(prefix), v.SQS_MAX_QUEUE_NAME),
        ):
            if len(name) > limit:
                yield "name_prefix", f"short enough that the derived name {name!r} fits {limit} characters", prefix
                break
    yield from _schedule_fits(args)
    memory, titles = (args.get(k, SPEC.defaults[k]) for k in ("memory_mb", "title_count"))
    if all(isinstance(x, int) and not isinstance(x, bool) for x in (memory, titles)):
        need = dimension_memory_mb(titles)
        if need > memory * MEMORY_HEADROOM:
            yield (
                "title_count",
                f"small enough that the generator's titles fit {MEMORY_HEADROOM:.0%} of memory_mb {memory}: they "
                f"need about {need:.0f} MB ({GENERATOR_BASELINE_MB} MB + {TITLE_BYTES} B per title); raise memory_mb "
                "or lower title_count",
                titles,
            )


def _schedule_fits(args: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """One tick covers the time since the previous run, so runs may be at most MAX_TICK_SECONDS apart."""
    expression = args.get("schedule_expression", SPEC.defaults["schedule_expression"])
    if not isinstance(expression, str) or v.SCHEDULE.problem("", expression) is not None:
        return
    gap = v.schedule_gap(expression)
    if gap > domains.MAX_TICK_SECONDS:
        yield (
            "schedule_expression",
            f"a schedule whose runs are at most {domains.MAX_TICK_SECONDS:,} s (a week) apart, the longest stretch one "
            f"tick covers (domains.MAX_TICK_SECONDS); this one leaves up to {gap:,} s between runs",
            expression,
        )
    period = v.schedule_period(expression)
    window = args.get("window_seconds")
    if window is not None and window != period:
        rule = (
            f"the schedule's period, {period} s, so that ticks meet without gap or overlap"
            if period
            else "left out with a cron() schedule (each tick covers the time since the previous firing)"
        )
        yield "window_seconds", rule, window


def generator_environment(
    batch_size: int,
    producer_name: str,
    dimension_seed: int,
    customer_count: int,
    title_count: int,
    window_seconds: int | None,
    world_seed: int | None = None,
    schedule_expression: str | None = None,
    campaign_count: int | None = None,
    state_bucket: str | None = None,
) -> dict[str, str]:
    """The generator's environment variables (all strings, as Lambda requires)."""
    env = {
        "BATCH_SIZE": str(batch_size),
        "PRODUCER_FUNCTION_NAME": producer_name,
        "DIMENSION_SEED": str(dimension_seed),
        "CUSTOMER_COUNT": str(customer_count),
        "TITLE_COUNT": str(title_count),
    }
    if window_seconds is not None:
        env["WINDOW_SECONDS"] = str(window_seconds)
    if world_seed is not None:
        env["WORLD_SEED"] = str(world_seed)
    if campaign_count is not None:
        env["CAMPAIGN_COUNT"] = str(campaign_count)  # the campaigns table the viewers' ad breaks come from
    if schedule_expression is not None and schedule.is_cron(schedule_expression):
        env["SCHEDULE_EXPRESSION"] = schedule_expression  # the handler starts each tick at the previous firing
    if state_bucket is not None:  # the admission pass is checkpointed there (functions/generator/checkpoint.py)
        env[STATE_BUCKET_ENV] = state_bucket
        env[STATE_PREFIX_ENV] = domains.STATE_PREFIX
    return env


STATE_BUCKET_ENV = "STATE_BUCKET"
"""The generator's environment variable naming its state bucket (the admission pass's checkpoints)."""
STATE_PREFIX_ENV = "STATE_PREFIX"
"""The generator's environment variable holding the key prefix of those checkpoints (domains.STATE_PREFIX)."""
DEFAULT_STATE_RETENTION_DAYS = 3
"""Days a checkpoint is kept. A coordinator reads the newest at or before its window, of that admission day or the
one before (functions/generator/checkpoint.py), and a late asynchronous retry is at most 6 hours old
(max_event_age_seconds): a day would do; three let a stack paused over a weekend resume without a bootstrap chain."""
STATE_NONCURRENT_DAYS = 1
"""Days an overwritten or deleted checkpoint version is kept: a retried coordinator rewrites the same key with the
same bytes, and nothing reads an old version."""
STATE_ABORT_MULTIPART_DAYS = 1
"""Days before an unfinished multipart upload of a checkpoint (a coordinator timed out while saving) is aborted."""


def state_lifecycle_rules(retention_days: int, prefix: str = domains.STATE_PREFIX) -> list[dict[str, Any]]:
    """The state bucket's lifecycle: checkpoints under `prefix` expire after `retention_days`, their noncurrent
    versions after STATE_NONCURRENT_DAYS, unfinished uploads are aborted after STATE_ABORT_MULTIPART_DAYS."""
    return [
        {
            "id": "expire-admission-state",
            "status": "Enabled",
            "filter": {"prefix": prefix},
            "expiration": {"days": retention_days},
            "noncurrent_version_expiration": {"noncurrent_days": STATE_NONCURRENT_DAYS},
            "abort_incomplete_multipart_upload": {"days_after_initiation": STATE_ABORT_MULTIPART_DAYS},
        }
    ]


AGGREGATE_ENV = "AGGREGATE_RECORDS"
"""The producer's environment variable that switches record aggregation off ("false")."""
PARTITION_COLUMNS_ENV = "PARTITION_COLUMNS"
"""The producer's environment variable that adds year, month, day and hour fields to each event ("true")."""


class ScheduledGeneratorArgs(TypedDict):
    """Inputs of a ScheduledGenerator."""

    name_prefix: NotRequired[str]
    """Explicit names: <name_prefix>-generator, -producer, -generator-role, -producer-role, -generator-schedule,
    -async-dlq, -mimesis, and a state bucket named <name_prefix>-state- plus S3's unique suffix. Omitted: every
    name derives from this component's resource name with Pulumi's random suffix (the layer, which has none, from the
    project, stack and resource name)."""
    stream_name: pulumi.Input[str]
    """Kinesis stream the producer writes to."""
    stream_arn: pulumi.Input[str]
    """ARN of that stream; the producer may put records to it only."""
    runtime: NotRequired[str]
    """Lambda runtime, python3.12 or python3.13."""
    architecture: NotRequired[str]
    """arm64 or x86_64."""
    memory_mb: NotRequired[int]
    """Memory of each function."""
    timeout_seconds: NotRequired[int]
    """Timeout of each function."""
    batch_size: NotRequired[int]
    """Events the generator makes per run."""
    schedule_expression: NotRequired[str]
    """EventBridge schedule, rate(...) or cron(...) with the year '*'; runs at most a week apart (each tick covers
    the time since the previous run: a rate()'s period, or since a cron()'s previous firing)."""
    schedule_enabled: NotRequired[bool]
    """Whether the schedule rule fires."""
    dimension_seed: NotRequired[int]
    """Seed of the dimension tables, so events join them."""
    customer_count: NotRequired[int]
    """Customers the generator may pick from."""
    title_count: NotRequired[int]
    """Titles the generator may pick from."""
    campaign_count: NotRequired[int]
    """Campaigns (the campaigns table's rows) whose ads the generator's viewers are shown."""
    window_seconds: NotRequired[int]
    """Seconds of event time one run covers: a rate() schedule's period (derived from it when omitted); left out
    with a cron() schedule, whose runs each cover the time since the previous firing."""
    world_seed: NotRequired[int]
    """Seed of the world the generator observes (functions/shared/world.py); the world's default when omitted."""
    log_retention_days: NotRequired[int]
    """Retention of both log groups."""
    max_retry_attempts: NotRequired[int]
    """Async retries before an event goes to the dead-letter queue, 0–2."""
    max_event_age_seconds: NotRequired[int]
    """Oldest async event Lambda still tries, 60–21600."""
    code_root: NotRequired[str]
    """Directory holding functions/ (this repository when omitted)."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """Customer managed KMS key for the dead-letter queue, both log groups, both functions' environment and the
    state bucket (AWS managed keys and SSE-S3 when omitted). Its key policy must let CloudWatch Logs and EventBridge
    use it (StackKey's does)."""
    state_retention_days: NotRequired[int]
    """Days the state bucket keeps each checkpoint of the admission pass before it expires."""
    tracing: NotRequired[bool]
    """X-Ray active tracing on both functions."""
    aggregate_records: NotRequired[bool]
    """Whether the producer packs events into JSON Lines records (Firehose's S3 destination de-aggregates them);
    false sends one event per record, as Firehose's Iceberg destination requires ("You can send only one JSON object
    in one Firehose record", apache-iceberg-considerations.html)."""
    partition_columns: NotRequired[bool]
    """Whether the producer adds each event's year, month, day and hour fields (the Iceberg table keeps them as
    ordinary columns, so queries written for the Hive layout's partition columns run unchanged)."""
    generator_reserved_concurrency: NotRequired[int]
    """Concurrent executions reserved for (and capping) the generator, 1–900; sized to the busiest tick's shards
    when omitted (default_concurrency)."""
    producer_reserved_concurrency: NotRequired[int]
    """Concurrent executions reserved for (and capping) the producer, 1–900; sized to the busiest tick's payloads
    when omitted (default_concurrency)."""


SPEC = v.ArgSpec(
    component="ScheduledGenerator",
    defaults={
        "runtime": "python3.12",
        "architecture": "arm64",
        "memory_mb": 256,
        "timeout_seconds": 60,
        "batch_size": domains.DEFAULT_BATCH_SIZE,
        "schedule_expression": "rate(5 minutes)",
        "schedule_enabled": True,
        "customer_count": schema.CUSTOMERS.default_rows,
        "title_count": schema.TITLES.default_rows,
        "campaign_count": schema.CAMPAIGNS.default_rows,
        "log_retention_days": v.DEFAULT_LOG_RETENTION_DAYS,
        "max_retry_attempts": v.LAMBDA_MAX_ASYNC_RETRIES,
        "max_event_age_seconds": 3600,
        "world_seed": world.DEFAULT_WORLD_SEED,
        "tracing": True,
        "aggregate_records": True,
        "partition_columns": False,
        "state_retention_days": DEFAULT_STATE_RETENTION_DAYS,
    },
    rules={
        "name_prefix": v.NAME_PREFIX,
        "runtime": v.one_of(*v.LAMBDA_RUNTIMES),
        "architecture": v.one_of(*v.LAMBDA_ARCHITECTURES),
        "memory_mb": v.between(v.LAMBDA_MIN_MEMORY_MB, v.LAMBDA_MAX_MEMORY_MB),
        "timeout_seconds": v.between(1, v.LAMBDA_MAX_TIMEOUT_SECONDS),
        "batch_size": v.between(1, domains.MAX_BATCH_SIZE, "(mean events per 5 minutes)"),
        "schedule_expression": v.SCHEDULE,
        "schedule_enabled": v.boolean(),
        "dimension_seed": v.at_least(0),
        "customer_count": v.between(1, households.MAX_CUSTOMERS, "(the largest batchSize's audience)"),
        "title_count": v.between(1, world.MAX_TITLES, "(the world's title draw)"),
        "campaign_count": v.between(1, domains.MAX_CAMPAIGNS, "(rows the deploying machine builds and uploads)"),
        "window_seconds": v.between(1, domains.MAX_TICK_SECONDS, "seconds (the longest stretch one tick covers)"),
        "world_seed": v.between(0, world.MAX_WORLD_SEED),
        "log_retention_days": v.RETENTION_DAYS,
        "max_retry_attempts": v.between(0, v.LAMBDA_MAX_ASYNC_RETRIES),
        "max_event_age_seconds": v.between(v.LAMBDA_MIN_EVENT_AGE_SECONDS, v.LAMBDA_MAX_EVENT_AGE_SECONDS),
        "tracing": v.boolean(),
        "aggregate_records": v.boolean(),
        "partition_columns": v.boolean(),
        "generator_reserved_concurrency": v.RESERVED_CONCURRENCY,
        "producer_reserved_concurrency": v.RESERVED_CONCURRENCY,
        "kms_key_arn": v.KMS_KEY_ARN,
        "state_retention_days": v.between(1, v.S3_MAX_LIFECYCLE_DAYS, v.LIFECYCLE_DAYS),
    },
    checks=(_combinations,),
    allowed=v.arguments(ScheduledGeneratorArgs),
)


class ScheduledGenerator(v.CheckedComponent):
    """Schedule -> generator Lambda -> producer Lambda -> Kinesis, with a dead-letter queue for failed batches and a
    state bucket for the generator's admission checkpoints."""

    _spec = SPEC

    generator_function_name: pulumi.Output[str]
    """Name of the generator function."""
    generator_function_arn: pulumi.Output[str]
    """ARN of the generator function."""
    producer_function_name: pulumi.Output[str]
    """Name of the producer function."""
    producer_function_arn: pulumi.Output[str]
    """ARN of the producer function."""
    dead_letter_queue_url: pulumi.Output[str]
    """URL of the SQS queue that receives failed async invocations and undeliverable schedule events."""
    dead_letter_queue_arn: pulumi.Output[str]
    """ARN of that queue."""
    schedule_rule_name: pulumi.Output[str]
    """EventBridge rule that starts the generator."""
    layer_arn: pulumi.Output[str]
    """ARN of the mimesis layer version."""
    generator_log_group_name: pulumi.Output[str]
    """Log group of the generator (one JSON summary line per tick)."""
    producer_log_group_name: pulumi.Output[str]
    """Log group of the producer."""
    state_bucket_name: pulumi.Output[str]
    """Bucket holding the generator's admission pass checkpoints (under domains.STATE_PREFIX)."""

    def __init__(self, name: str, args: ScheduledGeneratorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        SPEC.validate(name, args)
        super().__init__("acme-telemetry:index:ScheduledGenerator", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        prefix = args.get("name_prefix")
        root = Path(args.get("code_root") or assets.REPO_ROOT)
        expression = SPEC.value(args, "schedule_expression")
        window = args.get("window_seconds") or v.schedule_period(expression)
        sized = default_concurrency(SPEC.value(args, "batch_size"), window or v.schedule_gap(expression))
        lambda_trust = policies.to_json(policies.lambda_trust())
        retention = SPEC.value(args, "log_retention_days")
        kms_key = args.get("kms_key_arn")
        tracing = SPEC.value(args, "tracing")
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region

        queue = aws.sqs.Queue(
            f"{name}-dlq",
            name=naming.dead_letter_queue_name(prefix) if prefix else None,
            # SSE-SQS by default; SSE-KMS with the given key (a data key is reused for 5 minutes, as by default).
            sqs_managed_sse_enabled=None if kms_key is not None else True,
            kms_master_key_id=kms_key,
            message_retention_seconds=DLQ_RETENTION_SECONDS,
            max_message_size=DLQ_MAX_MESSAGE_BYTES,
            opts=child,
        )
        layer = aws.lambda_.LayerVersion(
            f"{name}-mimesis-layer",
            layer_name=naming.layer_name(prefix or naming.scoped(pulumi.get_project(), pulumi.get_stack(), name))[
                -v.LAMBDA_MAX_LAYER_NAME :
            ],
            description=f"mimesis {assets.package_version()} for the telemetry generator",
            code=assets.archive(assets.layer_files()),
            compatible_runtimes=list(v.LAMBDA_RUNTIMES),
            compatible_architectures=list(v.LAMBDA_ARCHITECTURES),
            opts=child,
        )
        code = assets.archive(assets.function_code_files(root))

        def function_base(role: str) -> tuple[aws.cloudwatch.LogGroup, aws.iam.Role, str | None]:
            function_name = naming.function_name(prefix, role) if prefix else None
            log_group = aws.cloudwatch.LogGroup(
                f"{name}-{role}-logs",
                name=naming.lambda_log_group(function_name) if function_name else None,
                name_prefix=None if function_name else naming.lambda_log_group(f"{name}-{role}-"),
                retention_in_days=retention,
                kms_key_id=kms_key,
                opts=child,
            )
            iam_role = aws.iam.Role(
                f"{name}-{role}-role",
                name=naming.function_role_name(prefix, role) if prefix else None,
                assume_role_policy=lambda_trust,
                opts=child,
            )
            return log_group, iam_role, function_name

        def function(
            role: str,
            function_name: str | None,
            handler: str,
            iam_role: aws.iam.Role,
            log_group: aws.cloudwatch.LogGroup,
            policy: aws.iam.RolePolicy,
            env: pulumi.Input[dict[str, str]],
            reserved: int,
        ) -> aws.lambda_.Function:
            fn = aws.lambda_.Function(
                f"{name}-{role}",
                name=function_name,
                role=iam_role.arn,
                runtime=SPEC.value(args, "runtime"),
                architectures=[SPEC.value(args, "architecture")],
                handler=handler,
                code=code,
                layers=[layer.arn],
                memory_size=SPEC.value(args, "memory_mb"),
                timeout=SPEC.value(args, "timeout_seconds"),
                environment={"variables": env},
                kms_key_arn=kms_key,
                tracing_config={"mode": "Active" if tracing else "PassThrough"},
                reserved_concurrent_executions=reserved,
                logging_config={"log_format": "JSON", "log_group": log_group.name},
                # Lambda would create its own never-expiring log group if it ran before ours exists.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group, policy]),
            )
            aws.lambda_.FunctionEventInvokeConfig(
                f"{name}-{role}-async",
                function_name=fn.name,
                maximum_retry_attempts=SPEC.value(args, "max_retry_attempts"),
                maximum_event_age_in_seconds=SPEC.value(args, "max_event_age_seconds"),
                destination_config={"on_failure": {"destination": queue.arn}},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
            )
            return fn

        producer_logs, producer_role, producer_name = function_base("producer")
        producer_policy = aws.iam.RolePolicy(
            f"{name}-producer-policy",
            name="producer",
            role=producer_role.id,
            policy=pulumi.Output.all(args["stream_arn"], queue.arn, producer_logs.arn, kms_key, region).apply(
                lambda p: policies.to_json(
                    policies.producer_policy(p[0], p[1], p[2], kms_key_arn=p[3], region=p[4], tracing=tracing)
                )
            ),
            opts=child,
        )
        producer = function(
            "producer",
            producer_name,
            PRODUCER_HANDLER,
            producer_role,
            producer_logs,
            producer_policy,
            {
                "STREAM_NAME": args["stream_name"],
                **({} if SPEC.value(args, "aggregate_records") else {AGGREGATE_ENV: "false"}),
                **({PARTITION_COLUMNS_ENV: "true"} if SPEC.value(args, "partition_columns") else {}),
            },
            args.get("producer_reserved_concurrency", sized[1]),
        )

        state = self._state_bucket(name, kms_key, SPEC.value(args, "state_retention_days"), prefix)
        generator_logs, generator_role, generator_name = function_base("generator")
        generator_policy = aws.iam.RolePolicy(
            f"{name}-generator-policy",
            name="generator",
            role=generator_role.id,
            policy=pulumi.Output.all(producer.arn, queue.arn, generator_logs.arn, kms_key, region, state.arn).apply(
                lambda p: policies.to_json(
                    policies.generator_policy(
                        p[0],
                        p[1],
                        p[2],
                        kms_key_arn=p[3],
                        region=p[4],
                        tracing=tracing,
                        state_bucket_arn=p[5],
                        state_prefix=domains.STATE_PREFIX,
                    )
                )
            ),
            opts=child,
        )
        env = pulumi.Output.all(
            SPEC.value(args, "batch_size"),
            producer.name,
            _or(args.get("dimension_seed"), _default_seed),
            SPEC.value(args, "customer_count"),
            SPEC.value(args, "title_count"),
            window,
            args.get("world_seed"),
            expression,
            SPEC.value(args, "campaign_count"),
            state.bucket,
        ).apply(lambda e: generator_environment(*e))
        generator = function(
            "generator",
            generator_name,
            GENERATOR_HANDLER,
            generator_role,
            generator_logs,
            generator_policy,
            env,
            args.get("generator_reserved_concurrency", sized[0]),
        )
        # A tick past MAX_SHARD_EVENTS sends its shards to the generator itself. Granted once the function exists
        # (its ARN is an output when it is auto-named), as its own policy so the first policy needs no ARN of it.
        aws.iam.RolePolicy(
            f"{name}-generator-shards-policy",
            name="generator-shards",
            role=generator_role.id,
            policy=generator.arn.apply(lambda a: policies.to_json(policies.generator_shards_policy(a))),
            opts=child,
        )

        rule = aws.cloudwatch.EventRule(
            f"{name}-schedule",
            name=naming.schedule_rule_name(prefix) if prefix else None,
            description="Starts the telemetry generator",
            schedule_expression=SPEC.value(args, "schedule_expression"),
            state="ENABLED" if SPEC.value(args, "schedule_enabled") else "DISABLED",
            opts=child,
        )
        aws.sqs.QueuePolicy(
            f"{name}-dlq-policy",
            queue_url=queue.url,
            policy=pulumi.Output.all(queue.arn, rule.arn).apply(
                lambda p: policies.to_json(policies.dead_letter_queue_policy(p[0], p[1]))
            ),
            opts=child,
        )
        permission = aws.lambda_.Permission(
            f"{name}-schedule-permission",
            action="lambda:InvokeFunction",
            function=generator.name,
            principal=policies.EVENTS_SERVICE,
            source_arn=rule.arn,
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-schedule-target",
            rule=rule.name,
            arn=generator.arn,
            dead_letter_config={"arn": queue.arn},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]),
        )

        self.generator_function_name = generator.name
        self.generator_function_arn = generator.arn
        self.producer_function_name = producer.name
        self.producer_function_arn = producer.arn
        self.dead_letter_queue_url = queue.url
        self.dead_letter_queue_arn = queue.arn
        self.schedule_rule_name = rule.name
        self.layer_arn = layer.arn
        self.generator_log_group_name = generator_logs.name
        self.producer_log_group_name = producer_logs.name
        self.state_bucket_name = state.bucket
        self.register_outputs(
            {
                "state_bucket_name": self.state_bucket_name,
                "generator_log_group_name": self.generator_log_group_name,
                "producer_log_group_name": self.producer_log_group_name,
                "generator_function_name": self.generator_function_name,
                "generator_function_arn": self.generator_function_arn,
                "producer_function_name": self.producer_function_name,
                "producer_function_arn": self.producer_function_arn,
                "dead_letter_queue_url": self.dead_letter_queue_url,
                "dead_letter_queue_arn": self.dead_letter_queue_arn,
                "schedule_rule_name": self.schedule_rule_name,
                "layer_arn": self.layer_arn,
            }
        )

    def _state_bucket(
        self, name: str, kms_key: pulumi.Input[str] | None, retention_days: int, prefix: str | None
    ) -> aws.s3.Bucket:
        """The admission pass's checkpoint bucket, set up as every bucket of the stack: encrypted (only with the key,
        when given), versioned, private, TLS-only, with a lifecycle that expires the checkpoints.

        force_destroy: the bucket holds a cache, not data. Every checkpoint is a pure function of the world's seeds
        and the code (functions/generator/checkpoint.py names it by both), and a coordinator without one rebuilds it
        by its bootstrap chain, so deleting it with the stack loses nothing; keeping it (as the lake is kept) would
        leave a bucket no later stack reads, since a new deployment's code digest names other keys.
        """
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(
            f"{name}-state",
            bucket_prefix=naming.state_bucket_prefix(prefix, v.S3_MAX_BUCKET_PREFIX) if prefix else None,
            force_destroy=True,
            opts=child,
        )
        buckets.encrypted(f"{name}-state", bucket, kms_key, child)
        versioning, public_block = buckets.private_and_versioned(f"{name}-state", bucket, child)
        aws.s3.BucketPolicy(
            f"{name}-state-tls-only",
            bucket=bucket.id,
            policy=pulumi.Output.all(bucket.arn, kms_key).apply(
                lambda p: policies.to_json(policies.bucket_policy(p[0], p[1]))
            ),
            # S3 rejects a bucket policy while the public access block is still being applied.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_block]),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-state-lifecycle",
            bucket=bucket.id,
            rules=state_lifecycle_rules(retention_days),
            # Noncurrent-version rules need versioning switched on first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        return bucket


def _default_seed() -> int:
    from functions.shared.dimensions import DEFAULT_DIMENSION_SEED

    return DEFAULT_DIMENSION_SEED


def _or(value: pulumi.Input[int] | None, default: Callable[[], int]) -> pulumi.Input[int]:
    """`value`, or the lazily computed default when it is None."""
    return default() if value is None else value
