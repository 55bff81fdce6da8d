"""Stack settings: every config key, its default and the rule it must meet, checked before any resource exists.

`Settings.from_config` takes the raw config strings (as the Pulumi engine hands them to a program) and either
returns a frozen `Settings` or raises one `ConfigError` that lists every bad key with its rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from components import naming
from functions.shared import domains, layout

PROJECT = "acme-telemetry"
"""Project name; the config namespace of every key below."""

# --- AWS limits (each cites the AWS rule it encodes) ---
KINESIS_MIN_RETENTION_HOURS = 24  # Kinesis: retention period is 24 hours at least
KINESIS_MAX_RETENTION_HOURS = 8760  # Kinesis: retention period is 365 days (8,760 hours) at most
FIREHOSE_MIN_BUFFER_MB_WITH_CONVERSION = 64  # Firehose: buffer size must be at least 64 MiB with format conversion
FIREHOSE_MAX_BUFFER_MB = 128  # Firehose extended S3: buffering size is 1–128 MiB
FIREHOSE_MIN_INTERVAL_SECONDS_WITH_CONVERSION = 60  # Firehose: record format conversion needs a 60 s interval or more
FIREHOSE_MAX_INTERVAL_SECONDS = 900  # Firehose extended S3: buffering interval is 0–900 s
FIREHOSE_MAX_NAME = 64  # Firehose: delivery stream name is 1–64 characters
LAMBDA_MIN_MEMORY_MB = 128  # Lambda: memory is 128–10,240 MB
LAMBDA_MAX_MEMORY_MB = 10240  # Lambda: memory is 128–10,240 MB
LAMBDA_MAX_TIMEOUT_SECONDS = 900  # Lambda: timeout is 1–900 s
LAMBDA_MAX_ASYNC_RETRIES = 2  # Lambda async invocation: MaximumRetryAttempts is 0–2
LAMBDA_MIN_EVENT_AGE_SECONDS = 60  # Lambda async invocation: MaximumEventAgeInSeconds is 60–21,600
LAMBDA_MAX_EVENT_AGE_SECONDS = 21600  # Lambda async invocation: MaximumEventAgeInSeconds is 60–21,600
LAMBDA_MAX_NAME = 64  # Lambda: function name is at most 64 characters
IAM_MAX_ROLE_NAME = 64  # IAM: role name is at most 64 characters
EVENTBRIDGE_MAX_RULE_NAME = 64  # EventBridge: rule name is at most 64 characters
SQS_MAX_QUEUE_NAME = 80  # SQS: queue name is at most 80 characters
KINESIS_MAX_STREAM_NAME = 128  # Kinesis: stream name is 1–128 characters of [a-zA-Z0-9_.-]
S3_MIN_BUCKET_NAME = 3  # S3: bucket names are 3–63 characters
S3_MAX_BUCKET_NAME = 63  # S3: bucket names are 3–63 characters
S3_RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")  # S3 general purpose bucket naming rules
S3_RESERVED_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", "--x-s3", "--table-s3")  # (and .mrap; dots are refused here)
GLUE_MAX_NAME = 255  # Glue: database names are at most 255 characters
ATHENA_MAX_WORKGROUP_NAME = 128  # Athena: workgroup name is 1–128 characters of [a-zA-Z0-9._-]
ATHENA_MIN_CUTOFF_MB = 10  # Athena: BytesScannedCutoffPerQuery is at least 10 MB (10,485,760 bytes)
S3_MIN_DAYS_BEFORE_IA = 30  # S3 lifecycle: STANDARD_IA / ONEZONE_IA transitions need objects 30 days old or more
CLOUDWATCH_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)  # CloudWatch Logs PutRetentionPolicy: only these values are accepted
ACCOUNT_ID_LENGTH = 12  # AWS account ids are 12 digits; bucket names embed one

LAMBDA_RUNTIMES = ("python3.12", "python3.13")
LAMBDA_ARCHITECTURES = ("arm64", "x86_64")
KINESIS_STREAM_MODES = ("ON_DEMAND", "PROVISIONED")
TRANSITION_STORAGE_CLASSES = ("STANDARD_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "ONEZONE_IA")
"""Classes Athena can still read synchronously; GLACIER and DEEP_ARCHIVE are left out on purpose."""
IA_CLASSES = ("STANDARD_IA", "ONEZONE_IA")

RATE_UNITS = ("minute", "hour", "day")
RATE_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_RATE = re.compile(r"^rate\((\d+) ([a-z]+)\)$")
_CRON = re.compile(r"^cron\(([^()]+)\)$")
CRON_FIELDS = 6  # EventBridge cron: minutes hours day-of-month month day-of-week year
CRON_DAY_OF_MONTH, CRON_DAY_OF_WEEK = 2, 4

_PREFIX = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")
_GLUE = re.compile(r"^[a-z][a-z0-9_]*$")
"""Glue takes a leading digit, but Athena's SELECT needs such a name quoted, and the named queries use it bare."""
_STREAM = re.compile(r"^[a-zA-Z0-9_.-]+$")
_WORKGROUP = re.compile(r"^[a-zA-Z0-9._-]+$")


class ConfigError(ValueError):
    """Stack config breaks one or more rules; the message names every bad key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid stack config:\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class Key:
    """One config key: its Pulumi.yaml type, default and description."""

    name: str
    type: str
    default: str | int | bool
    description: str


KEYS: tuple[Key, ...] = (
    Key("namePrefix", "string", "acme-data", "Prefix of every function, role, rule, queue and log group name."),
    Key("streamName", "string", "", "Kinesis stream name; empty means <namePrefix>-telemetry-stream."),
    Key("bucketNamePrefix", "string", "acme-telemetry-data", "Lake bucket is <bucketNamePrefix>-<account>-<region>."),
    Key("bucketName", "string", "", "Exact lake bucket name; overrides bucketNamePrefix when set."),
    Key("databaseName", "string", "acme_telemetry", "Glue database (lowercase letters, digits, underscores)."),
    Key("workgroupName", "string", "", "Athena workgroup; empty means <namePrefix>-telemetry."),
    Key("kinesisStreamMode", "string", "ON_DEMAND", "ON_DEMAND or PROVISIONED."),
    Key("kinesisShardCount", "integer", 1, "Shards when kinesisStreamMode is PROVISIONED."),
    Key("kinesisRetentionHours", "integer", 24, "Kinesis retention, 24–8760 hours."),
    Key("partitionBy", "string", "event_time", "Partition by event_time (JQ on event_timestamp) or arrival_time."),
    Key("firehoseBufferSizeMb", "integer", 64, "Firehose buffer size, 64–128 MB (format conversion is on)."),
    Key("firehoseBufferIntervalSeconds", "integer", 60, "Firehose buffer interval, 60–900 s."),
    Key("firehoseLogRetentionDays", "integer", 7, "Retention of the Firehose log group (a CloudWatch value)."),
    Key("lambdaLogRetentionDays", "integer", 14, "Retention of the Lambda log groups (a CloudWatch value)."),
    Key("batchSize", "integer", 1000, "Events per generator run, 1 to the producer's maximum."),
    Key("scheduleExpression", "string", "rate(5 minutes)", "EventBridge schedule: rate(N unit) or cron(6 fields)."),
    Key("scheduleEnabled", "boolean", True, "Whether the schedule rule is ENABLED."),
    Key("dimensionSeed", "integer", 42, "Seed of the customers/titles/campaigns generator."),
    Key("customerCount", "integer", 1000, "Rows of the customers table."),
    Key("titleCount", "integer", 500, "Rows of the titles table."),
    Key("campaignCount", "integer", 50, "Rows of the campaigns table."),
    Key("lambdaMemoryMb", "integer", 256, "Memory of both functions, 128–10240 MB."),
    Key("lambdaTimeoutSeconds", "integer", 60, "Timeout of both functions, 1–900 s."),
    Key("lambdaRuntime", "string", "python3.12", "python3.12 or python3.13."),
    Key("lambdaArchitecture", "string", "arm64", "arm64 or x86_64."),
    Key("producerMaxRetryAttempts", "integer", 2, "Async retries of generator and producer, 0–2."),
    Key("maxEventAgeSeconds", "integer", 3600, "Oldest async event Lambda still runs, 60–21600 s."),
    Key("athenaBytesScannedCutoffMb", "integer", 10240, "Per-query scan limit of the workgroup, at least 10 MB."),
    Key("projectionYearStart", "integer", 2025, "First year of the partition projection range."),
    Key("projectionYearEnd", "integer", 2035, "Last year of the partition projection range."),
    Key("lakeTransitionDays", "integer", 0, "Days before lake data moves to lakeTransitionStorageClass; 0 = never."),
    Key(
        "lakeTransitionStorageClass",
        "string",
        "INTELLIGENT_TIERING",
        "STANDARD_IA, INTELLIGENT_TIERING, GLACIER_IR or ONEZONE_IA (classes Athena can read).",
    ),
    Key("noncurrentVersionExpirationDays", "integer", 30, "Days before noncurrent object versions expire."),
    Key("abortIncompleteMultipartDays", "integer", 7, "Days before incomplete multipart uploads are aborted."),
)
KEYS_BY_NAME: Mapping[str, Key] = {k.name: k for k in KEYS}


@dataclass(frozen=True)
class Settings:
    """Validated stack settings, ready to hand to the components."""

    region: str
    name_prefix: str
    stream_name: str
    bucket_name_prefix: str
    bucket_name: str | None
    database_name: str
    workgroup_name: str
    kinesis_stream_mode: str
    kinesis_shard_count: int | None
    kinesis_retention_hours: int
    partition_by: str
    firehose_buffer_size_mb: int
    firehose_buffer_interval_seconds: int
    firehose_log_retention_days: int
    lambda_log_retention_days: int
    batch_size: int
    schedule_expression: str
    schedule_enabled: bool
    dimension_seed: int
    customer_count: int
    title_count: int
    campaign_count: int
    lambda_memory_mb: int
    lambda_timeout_seconds: int
    lambda_runtime: str
    lambda_architecture: str
    producer_max_retry_attempts: int
    max_event_age_seconds: int
    athena_bytes_scanned_cutoff_mb: int
    projection_year_start: int
    projection_year_end: int
    lake_transition_days: int
    lake_transition_storage_class: str
    noncurrent_version_expiration_days: int
    abort_incomplete_multipart_days: int
    window_seconds: int | None = field(default=None)
    """Seconds between scheduled runs for rate() schedules; None for cron()."""

    @property
    def delivery_stream_name(self) -> str:
        return naming.delivery_stream_name(self.name_prefix)

    @property
    def generator_function_name(self) -> str:
        return naming.function_name(self.name_prefix, "generator")

    @property
    def producer_function_name(self) -> str:
        return naming.function_name(self.name_prefix, "producer")

    @property
    def schedule_rule_name(self) -> str:
        return naming.schedule_rule_name(self.name_prefix)

    @property
    def physical_names(self) -> dict[str, str]:
        """Names this stack claims in the account/region that do not depend on the account id."""
        return {
            "stream": self.stream_name,
            "deliveryStream": self.delivery_stream_name,
            "database": self.database_name,
            "workgroup": self.workgroup_name,
            "generator": self.generator_function_name,
            "producer": self.producer_function_name,
            "scheduleRule": self.schedule_rule_name,
        }

    @classmethod
    def from_config(cls, raw: Mapping[str, str | None], region: str | None) -> Settings:
        """Parse and check raw config strings (keys without namespace); raise ConfigError listing every problem."""
        return _Parser(raw, region).build()


class _Parser:
    """Collects every problem instead of stopping at the first."""

    def __init__(self, raw: Mapping[str, str | None], region: str | None) -> None:
        self.raw = raw
        self.region = region
        self.problems: list[str] = []

    def fail(self, key: str, rule: str, got: Any) -> None:
        ns = key if ":" in key else f"{PROJECT}:{key}"
        self.problems.append(f"{ns} must be {rule}, got {got!r}")

    def text(self, key: str) -> str:
        value = self.raw.get(key)
        if value is None:
            default = KEYS_BY_NAME[key].default
            return str(default).lower() if isinstance(default, bool) else str(default)
        return str(value).strip()

    def integer(self, key: str, lo: int | None = None, hi: int | None = None, rule: str | None = None) -> int:
        text = self.text(key)
        try:
            value = int(text)
        except ValueError:
            self.fail(key, rule or "an integer", text)
            return int(KEYS_BY_NAME[key].default)
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            if rule is None:
                rule = f"{lo}–{hi}" if hi is not None else f"at least {lo}"
            self.fail(key, rule, value)
        return value

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self.text(key)
        if value not in allowed:
            self.fail(key, f"one of {', '.join(allowed)}", value)
        return value

    def boolean(self, key: str) -> bool:
        value = self.text(key).lower()
        if value not in ("true", "false"):
            self.fail(key, "true or false", value)
            return bool(KEYS_BY_NAME[key].default)
        return value == "true"

    def name(self, key: str, value: str, pattern: re.Pattern[str], max_len: int, rule: str) -> None:
        if not pattern.match(value) or len(value) > max_len:
            self.fail(key, f"{rule}, at most {max_len} characters", value)

    def not_reserved(self, key: str, value: str, *, suffixes: bool) -> None:
        """S3 refuses bucket names with some prefixes (and, for whole names, suffixes) it keeps for itself."""
        # A prefix is followed by "-<account>-<region>", so "sthree" makes "sthree-…": check that shape too.
        shape = value if suffixes else value + "-"
        if shape.startswith(S3_RESERVED_BUCKET_PREFIXES) or (suffixes and value.endswith(S3_RESERVED_BUCKET_SUFFIXES)):
            reserved = ", ".join(S3_RESERVED_BUCKET_PREFIXES) + (
                " or ending " + ", ".join(S3_RESERVED_BUCKET_SUFFIXES) if suffixes else ""
            )
            self.fail(key, f"a name S3 allows: none starting {reserved}", value)

    def build(self) -> Settings:
        unknown = sorted(k for k in self.raw if k not in KEYS_BY_NAME)
        for key in unknown:
            self.fail(key, f"a known key ({', '.join(KEYS_BY_NAME)})", self.raw[key])
        region = self.region or ""
        if not re.match(r"^[a-z]{2}(-[a-z]+)+-\d$", region):
            self.fail("aws:region", "an AWS region such as us-west-2", self.region)

        prefix = self.text("namePrefix")
        if not _PREFIX.match(prefix):
            self.fail("namePrefix", "lowercase letters, digits and hyphens, starting with a letter", prefix)
        stream = self.text("streamName") or naming.default_stream_name(prefix)
        self.name("streamName", stream, _STREAM, KINESIS_MAX_STREAM_NAME, "letters, digits, _ . -")
        bucket_prefix = self.text("bucketNamePrefix")
        bucket_name = self.text("bucketName") or None
        if bucket_name is not None and len(bucket_name) < S3_MIN_BUCKET_NAME:
            self.fail("bucketName", f"at least {S3_MIN_BUCKET_NAME} characters", bucket_name)
        elif bucket_name is not None:
            self.name(
                "bucketName",
                bucket_name,
                _BUCKET,
                S3_MAX_BUCKET_NAME,
                f"a bucket name of {S3_MIN_BUCKET_NAME}–{S3_MAX_BUCKET_NAME} lowercase letters, digits, hyphens",
            )
            self.not_reserved("bucketName", bucket_name, suffixes=True)
        else:
            self.not_reserved("bucketNamePrefix", bucket_prefix, suffixes=False)
            longest = f"{bucket_prefix}-{'0' * ACCOUNT_ID_LENGTH}-{region}"
            if not _BUCKET.match(bucket_prefix) or len(longest) > S3_MAX_BUCKET_NAME:
                room = S3_MAX_BUCKET_NAME - ACCOUNT_ID_LENGTH - len(region) - 2
                self.fail(
                    "bucketNamePrefix",
                    f"lowercase letters, digits and hyphens, at most {room} characters so that "
                    f"<prefix>-<12-digit account>-{region} fits S3's {S3_MAX_BUCKET_NAME}",
                    bucket_prefix,
                )
        database = self.text("databaseName")
        self.name(
            "databaseName",
            database,
            _GLUE,
            GLUE_MAX_NAME,
            "lowercase letters, digits and underscores, starting with a letter (the named queries use it unquoted)",
        )
        workgroup = self.text("workgroupName") or naming.default_workgroup_name(prefix)
        self.name("workgroupName", workgroup, _WORKGROUP, ATHENA_MAX_WORKGROUP_NAME, "letters, digits, . _ -")

        mode = self.choice("kinesisStreamMode", KINESIS_STREAM_MODES)
        shards = self.integer("kinesisShardCount", 1, None)
        retention = self.integer("kinesisRetentionHours", KINESIS_MIN_RETENTION_HOURS, KINESIS_MAX_RETENTION_HOURS)
        partition_by = self.choice("partitionBy", layout.PARTITION_MODES)
        buffer_mb = self.integer(
            "firehoseBufferSizeMb",
            FIREHOSE_MIN_BUFFER_MB_WITH_CONVERSION,
            FIREHOSE_MAX_BUFFER_MB,
            f"{FIREHOSE_MIN_BUFFER_MB_WITH_CONVERSION}–{FIREHOSE_MAX_BUFFER_MB} when format conversion is on",
        )
        interval = self.integer(
            "firehoseBufferIntervalSeconds",
            FIREHOSE_MIN_INTERVAL_SECONDS_WITH_CONVERSION,
            FIREHOSE_MAX_INTERVAL_SECONDS,
        )
        log_rule = "a CloudWatch retention value (" + ", ".join(map(str, CLOUDWATCH_RETENTION_DAYS)) + ")"
        firehose_logs = self.integer("firehoseLogRetentionDays", rule=log_rule)
        if firehose_logs not in CLOUDWATCH_RETENTION_DAYS:
            self.fail("firehoseLogRetentionDays", log_rule, firehose_logs)
        lambda_logs = self.integer("lambdaLogRetentionDays", rule=log_rule)
        if lambda_logs not in CLOUDWATCH_RETENTION_DAYS:
            self.fail("lambdaLogRetentionDays", log_rule, lambda_logs)

        max_batch = domains.MAX_BATCH_SIZE
        batch = self.integer("batchSize", 1, max_batch, f"1–{max_batch} (the producer's maximum batch)")
        schedule = self.text("scheduleExpression")
        window = self.schedule(schedule)
        enabled = self.boolean("scheduleEnabled")
        seed = self.integer("dimensionSeed", 0, None)
        customers = self.integer("customerCount", 1, None)
        titles = self.integer("titleCount", 1, None)
        campaigns = self.integer("campaignCount", 1, None)
        memory = self.integer("lambdaMemoryMb", LAMBDA_MIN_MEMORY_MB, LAMBDA_MAX_MEMORY_MB)
        timeout = self.integer("lambdaTimeoutSeconds", 1, LAMBDA_MAX_TIMEOUT_SECONDS)
        runtime = self.choice("lambdaRuntime", LAMBDA_RUNTIMES)
        arch = self.choice("lambdaArchitecture", LAMBDA_ARCHITECTURES)
        retries = self.integer("producerMaxRetryAttempts", 0, LAMBDA_MAX_ASYNC_RETRIES)
        max_age = self.integer("maxEventAgeSeconds", LAMBDA_MIN_EVENT_AGE_SECONDS, LAMBDA_MAX_EVENT_AGE_SECONDS)
        cutoff = self.integer(
            "athenaBytesScannedCutoffMb",
            ATHENA_MIN_CUTOFF_MB,
            None,
            f"at least {ATHENA_MIN_CUTOFF_MB} (Athena's minimum per-query cutoff)",
        )
        year_start = self.integer("projectionYearStart", 1970, 9999)
        year_end = self.integer("projectionYearEnd", 1970, 9999)
        if year_end < year_start:
            self.fail("projectionYearEnd", f"at least projectionYearStart ({year_start})", year_end)
        transition_days = self.integer("lakeTransitionDays", 0, None, "0 (no transition) or a positive number")
        storage_class = self.choice("lakeTransitionStorageClass", TRANSITION_STORAGE_CLASSES)
        if storage_class in IA_CLASSES and 0 < transition_days < S3_MIN_DAYS_BEFORE_IA:
            self.fail(
                "lakeTransitionDays", f"0 or at least {S3_MIN_DAYS_BEFORE_IA} for {storage_class}", transition_days
            )
        noncurrent = self.integer("noncurrentVersionExpirationDays", 1, None)
        abort = self.integer("abortIncompleteMultipartDays", 1, None)

        derived = (
            (naming.schedule_rule_name(prefix), EVENTBRIDGE_MAX_RULE_NAME),
            (naming.function_role_name(prefix, "generator"), IAM_MAX_ROLE_NAME),
            (naming.function_role_name(prefix, "producer"), IAM_MAX_ROLE_NAME),
            (naming.firehose_role_name(prefix), IAM_MAX_ROLE_NAME),
            (naming.function_name(prefix, "generator"), LAMBDA_MAX_NAME),
            (naming.function_name(prefix, "producer"), LAMBDA_MAX_NAME),
            (naming.delivery_stream_name(prefix), FIREHOSE_MAX_NAME),
            (naming.dead_letter_queue_name(prefix), SQS_MAX_QUEUE_NAME),
        )
        too_long = [(name, limit) for name, limit in derived if len(name) > limit]
        if too_long:
            name, limit = too_long[0]
            self.fail("namePrefix", f"short enough that the derived name {name!r} fits {limit} characters", prefix)

        if self.problems:
            raise ConfigError(self.problems)
        return Settings(
            region=region,
            name_prefix=prefix,
            stream_name=stream,
            bucket_name_prefix=bucket_prefix,
            bucket_name=bucket_name,
            database_name=database,
            workgroup_name=workgroup,
            kinesis_stream_mode=mode,
            kinesis_shard_count=shards if mode == "PROVISIONED" else None,
            kinesis_retention_hours=retention,
            partition_by=partition_by,
            firehose_buffer_size_mb=buffer_mb,
            firehose_buffer_interval_seconds=interval,
            firehose_log_retention_days=firehose_logs,
            lambda_log_retention_days=lambda_logs,
            batch_size=batch,
            schedule_expression=schedule,
            schedule_enabled=enabled,
            dimension_seed=seed,
            customer_count=customers,
            title_count=titles,
            campaign_count=campaigns,
            lambda_memory_mb=memory,
            lambda_timeout_seconds=timeout,
            lambda_runtime=runtime,
            lambda_architecture=arch,
            producer_max_retry_attempts=retries,
            max_event_age_seconds=max_age,
            athena_bytes_scanned_cutoff_mb=cutoff,
            projection_year_start=year_start,
            projection_year_end=year_end,
            lake_transition_days=transition_days,
            lake_transition_storage_class=storage_class,
            noncurrent_version_expiration_days=noncurrent,
            abort_incomplete_multipart_days=abort,
            window_seconds=window,
        )

    def schedule(self, expression: str) -> int | None:
        """Check a schedule expression; return its period in seconds for rate(), None for cron()."""
        key = "scheduleExpression"
        rate = _RATE.match(expression)
        if rate:
            count, unit = int(rate.group(1)), rate.group(2)
            singular = unit.rstrip("s") if unit.endswith("s") else unit
            if singular not in RATE_UNITS or count < 1:
                self.fail(key, "rate(N unit) with N ≥ 1 and unit minute(s), hour(s) or day(s)", expression)
                return None
            expected = singular if count == 1 else singular + "s"
            if unit != expected:
                self.fail(key, f"rate({count} {expected}) — singular unit for 1, plural otherwise", expression)
                return None
            return count * RATE_SECONDS[singular]
        cron = _CRON.match(expression)
        if cron and len(cron.group(1).split()) == CRON_FIELDS:
            fields = cron.group(1).split()
            # EventBridge: day-of-month and day-of-week cannot both be given; exactly one of them is '?'.
            if (fields[CRON_DAY_OF_MONTH] == "?") != (fields[CRON_DAY_OF_WEEK] == "?"):
                return None
            self.fail(
                key,
                "cron(minutes hours day-of-month month day-of-week year) with exactly one of day-of-month and "
                "day-of-week '?'",
                expression,
            )
            return None
        self.fail(key, f"rate(N minute|minutes|hour|hours|day|days) or cron() with {CRON_FIELDS} fields", expression)
        return None
