"""Stack settings: the config keys declared in Pulumi.yaml, checked by the rules of the component arguments they feed.

Each key's type and description are written once, in Pulumi.yaml. A key that feeds a component argument takes
that argument's rule and, when unset, its default (declared once, in the component's `SPEC`); only stack-level
keys (names) keep a default in Pulumi.yaml. `Settings.from_config` takes the raw config strings, as the Pulumi
engine hands them to a program, and returns `Settings` or raises one `ConfigError` naming every bad key — before
any resource is registered.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components import access_logs, alarms, catalog, dashboard, data_lake, scheduled_generator, streaming_ingest
from components import validation as v
from components.validation import ArgSpec
from functions.shared import domains, households, layout
from stack import names as naming

PROJECT_FILE = Path(__file__).resolve().parents[1] / "Pulumi.yaml"
PROJECT = "acme-telemetry"
"""Project name; the config namespace of every key."""
REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
CONFIG_TYPES = ("string", "integer", "boolean", "array")
INTEGER_PATTERN = re.compile(r"^[+-]?[0-9]{1,19}$")
"""An integer config value: ASCII digits (at most 19, so every value stays a 64-bit integer)."""

_INGEST, _GENERATOR = streaming_ingest.SPEC, scheduled_generator.SPEC
_CATALOG, _LAKE = catalog.SPEC, data_lake.SPEC
_ALARMS, _ACCESS_LOGS, _DASHBOARD = alarms.SPEC, access_logs.SPEC, dashboard.SPEC
AWS_MANAGED, CUSTOMER_MANAGED = "aws-managed", "customer-managed"
ENCRYPTION_MODES = (AWS_MANAGED, CUSTOMER_MANAGED)
"""encryptionKey: AWS managed keys, one stack-created customer managed key, or else the ARN of an existing key."""
BINDINGS: Mapping[str, tuple[tuple[ArgSpec, str], ...]] = {
    "namePrefix": ((_INGEST, "name_prefix"), (_GENERATOR, "name_prefix")),
    "streamName": ((_INGEST, "stream_name"),),
    "bucketNamePrefix": ((_LAKE, "bucket_name_prefix"),),
    "bucketName": ((_LAKE, "bucket_name"),),
    "databaseName": ((_CATALOG, "database_name"),),
    "workgroupName": ((_CATALOG, "workgroup_name"),),
    "kinesisStreamMode": ((_INGEST, "stream_mode"),),
    "kinesisShardCount": ((_INGEST, "shard_count"),),
    "kinesisRetentionHours": ((_INGEST, "retention_hours"),),
    "partitionBy": ((_INGEST, "partition_by"),),
    "tableFormat": ((_INGEST, "table_format"),),
    "firehoseBackupSourceRecords": ((_INGEST, "backup_source_records"),),
    "firehoseBufferSizeMb": ((_INGEST, "buffer_size_mb"),),
    "firehoseBufferIntervalSeconds": ((_INGEST, "buffer_interval_seconds"),),
    "firehoseLogRetentionDays": ((_INGEST, "log_retention_days"),),
    "lambdaLogRetentionDays": ((_GENERATOR, "log_retention_days"),),
    "batchSize": ((_GENERATOR, "batch_size"),),
    "scheduleExpression": ((_GENERATOR, "schedule_expression"),),
    "scheduleEnabled": ((_GENERATOR, "schedule_enabled"),),
    "worldSeed": ((_GENERATOR, "world_seed"), (_CATALOG, "world_seed")),
    "dimensionSeed": ((_CATALOG, "dimension_seed"), (_GENERATOR, "dimension_seed")),
    "customerCount": ((_CATALOG, "customer_count"), (_GENERATOR, "customer_count")),
    "titleCount": ((_GENERATOR, "title_count"), (_CATALOG, "title_count")),
    "campaignCount": ((_CATALOG, "campaign_count"), (_GENERATOR, "campaign_count")),
    "lambdaMemoryMb": ((_GENERATOR, "memory_mb"),),
    "lambdaTimeoutSeconds": ((_GENERATOR, "timeout_seconds"),),
    "lambdaRuntime": ((_GENERATOR, "runtime"),),
    "lambdaArchitecture": ((_GENERATOR, "architecture"),),
    "producerMaxRetryAttempts": ((_GENERATOR, "max_retry_attempts"),),
    "maxEventAgeSeconds": ((_GENERATOR, "max_event_age_seconds"),),
    "athenaBytesScannedCutoffMb": ((_CATALOG, "bytes_scanned_cutoff_mb"),),
    "projectionYearStart": ((_CATALOG, "projection_year_start"),),
    "lakeTransitionDays": ((_LAKE, "transition_days"),),
    "lakeTransitionStorageClass": ((_LAKE, "transition_storage_class"),),
    "noncurrentVersionExpirationDays": ((_LAKE, "noncurrent_version_expiration_days"),),
    "abortIncompleteMultipartDays": ((_LAKE, "abort_incomplete_multipart_days"),),
    "lakeRetainOnDestroy": ((_LAKE, "retain_on_delete"),),
    "generatorReservedConcurrency": ((_GENERATOR, "generator_reserved_concurrency"),),
    "producerReservedConcurrency": ((_GENERATOR, "producer_reserved_concurrency"),),
    "alarmEmails": ((_ALARMS, "alarm_emails"),),
    "alarmTopicArn": ((_ALARMS, "alarm_topic_arn"),),
    "silenceAlarmPeriods": ((_ALARMS, "silence_periods"),),
}
"""Config key -> the component arguments it feeds (the first one's rule and default apply)."""
OVERRIDES: Mapping[str, str] = {"bucketName": "bucketNamePrefix"}
"""A key that, when set, makes another one moot (an exact bucket name replaces the generated one)."""
DERIVED: Mapping[str, Mapping[str, str]] = {
    _GENERATOR.component: {
        "window_seconds": "scheduleExpression",
        "aggregate_records": "tableFormat",
        "partition_columns": "tableFormat",
    },
    _ALARMS.component: {
        "schedule_period_seconds": "scheduleExpression",
        "schedule_enabled": "scheduleEnabled",
        "stream_retention_hours": "kinesisRetentionHours",
        "buffer_interval_seconds": "firehoseBufferIntervalSeconds",
        "dynamic_partitioning": "partitionBy",
        "table_format": "tableFormat",
        "alarm_name_prefix": "namePrefix",
    },
    _LAKE.component: {"force_destroy": "lakeRetainOnDestroy"},
    _CATALOG.component: {"retain_objects_on_delete": "lakeRetainOnDestroy"},
    _DASHBOARD.component: {"dashboard_name": "namePrefix", "metric_namespace": "namePrefix"},
    _ACCESS_LOGS.component: {
        "bucket_name_prefix": "namePrefix",
        "retain_on_delete": "lakeRetainOnDestroy",
        "force_destroy": "lakeRetainOnDestroy",
    },
}
"""Component -> the plain arguments the stack derives from config (not bound one to one) -> the key each comes from.
`Settings.component_args` computes them; config validation checks them by the component's own rules."""


DERIVED_WHEN_UNSET: Mapping[str, str] = {
    "customerCount": "derived from batchSize: about 21.75 customers per unit (households.audience_size), so that "
    "subscribers stream about 2 h a day",
}
"""Keys whose unset value the stack derives from other keys (not a fixed default)."""


def _empty_means_unset() -> frozenset[str]:
    """Keys whose empty value means "none" or "derive it": those without a default (alarmTopicArn) or with the
    default "" (streamName, bucketName, workgroupName). A key with a real default (namePrefix) must meet its rule."""
    return frozenset(k.name for k in KEYS if k.effective_default in (None, ""))


def _passed(values: Mapping[str, Any], given: frozenset[str]) -> set[str]:
    """The keys whose values reach a component: set or defaulted, not overridden, and not an empty "unset"."""
    passed = {k for k in given if values.get(k) is not None}
    passed -= {k for k in passed & _empty_means_unset() if values[k] == ""}
    return passed - {moot for key, moot in OVERRIDES.items() if key in passed}


def _coordinator_window(values: Mapping[str, Any], window: int | None) -> int:
    """Seconds of the longest window one tick hands its coordinator: a rate()'s period, or a cron()'s longest gap."""
    return window or v.schedule_gap(values.get("scheduleExpression") or _GENERATOR.defaults["schedule_expression"])


def _cold_tick_note(values: Mapping[str, Any], window: int | None = None) -> tuple[str, ...]:
    """A warning when a window's coordinator cannot judge its window's new admission slots within the function's
    timeout. With the pass checkpointed (docs/state-bucket.md) a coordinator judges only those slots; they grow with
    batchSize and the window's length."""
    defaults = _GENERATOR.defaults
    batch = values.get("batchSize") or defaults["batch_size"]
    memory = values.get("lambdaMemoryMb") or defaults["memory_mb"]
    timeout = values.get("lambdaTimeoutSeconds") or defaults["timeout_seconds"]
    span = _coordinator_window(values, window)
    need = scheduled_generator.window_pass_seconds(batch, memory, span)
    if need <= timeout:
        return ()
    cpu = scheduled_generator.window_pass_seconds(batch, v.LAMBDA_MB_PER_VCPU, span)
    memory_needed = math.ceil(cpu / timeout * v.LAMBDA_MB_PER_VCPU)
    longer = f"lambdaTimeoutSeconds to at least {math.ceil(need)}" if need <= v.LAMBDA_MAX_TIMEOUT_SECONDS else ""
    if memory_needed <= v.LAMBDA_MB_PER_VCPU:
        advice = f"raise lambdaMemoryMb to at least {memory_needed:,}" + (f" or {longer}" if longer else "")
    elif cpu <= v.LAMBDA_MAX_TIMEOUT_SECONDS:
        one_vcpu = (
            f"lambdaMemoryMb to {v.LAMBDA_MB_PER_VCPU:,} (one vCPU) and " if memory < v.LAMBDA_MB_PER_VCPU else ""
        )
        advice = f"raise {one_vcpu}lambdaTimeoutSeconds to at least {math.ceil(cpu)}"
    else:
        advice = (
            f"no Lambda fits it (about {cpu:,.0f} s on one vCPU, over Lambda's {v.LAMBDA_MAX_TIMEOUT_SECONDS} s): "
            "shorten the schedule's period or lower batchSize"
        )
    slots = scheduled_generator.window_new_slots(span)
    return (
        f"batchSize {batch:,}: a window's coordinator judges its {slots} new admission slots in about {need:,.0f} s at "
        f"the busiest hour at lambdaMemoryMb {memory:,} (the measured cold pass's "
        f"{scheduled_generator.COLD_TICK_CPU_MS_PER_BATCH_UNIT} CPU ms per unit of batchSize over "
        f"{scheduled_generator.COLD_TICK_PASS_SLOTS:,} slots, x{scheduled_generator.PEAK_TO_MEAN:.2f} at the peak, "
        f"at most one vCPU per {v.LAMBDA_MB_PER_VCPU:,} MB), over lambdaTimeoutSeconds {timeout}: {advice} "
        "(docs/state-bucket.md)",
    )


def _bootstrap(values: Mapping[str, Any]) -> tuple[int, int, int, int, float]:
    """(batchSize, lambdaMemoryMb, lambdaTimeoutSeconds, hops, seconds) of a new stack's bootstrap chain."""
    defaults = _GENERATOR.defaults
    batch = values.get("batchSize") or defaults["batch_size"]
    memory = values.get("lambdaMemoryMb") or defaults["memory_mb"]
    timeout = values.get("lambdaTimeoutSeconds") or defaults["timeout_seconds"]
    hops = scheduled_generator.bootstrap_hops(batch, memory, timeout)
    return batch, memory, timeout, hops, scheduled_generator.cold_tick_seconds(batch, memory)


def _bootstrap_info(values: Mapping[str, Any]) -> tuple[str, ...]:
    """How many chained invocations a new stack's first coordinator takes to build the admission pass (no
    checkpoint yet), when more than one and within MAX_CHAIN_HOPS: information, since the chain carries on by
    itself."""
    batch, memory, timeout, hops, need = _bootstrap(values)
    if not 1 < hops <= domains.MAX_CHAIN_HOPS:
        return ()
    return (
        f"batchSize {batch:,}: with no checkpoint yet (a new stack, or a gap longer than the state's retention), the "
        f"first coordinator builds the admission pass (up to a day and its look-back, about {need:,.0f} s at "
        f"lambdaMemoryMb {memory:,}) in a chain of at least {hops:,} invocations of lambdaTimeoutSeconds {timeout}, "
        "each saving a checkpoint and invoking the next, so the first events arrive about that long after the "
        "first tick (docs/state-bucket.md)",
    )


def _bootstrap_note(values: Mapping[str, Any]) -> tuple[str, ...]:
    """A warning when a new stack's bootstrap chain would need more links than a chain may have (MAX_CHAIN_HOPS):
    its last link refuses, and no window is delivered until the config changes."""
    batch, memory, timeout, hops, need = _bootstrap(values)
    if hops <= domains.MAX_CHAIN_HOPS:
        return ()
    return (
        f"batchSize {batch:,}: a new stack's admission pass (about {need:,.0f} s at lambdaMemoryMb {memory:,}) needs a "
        f"bootstrap chain of about {hops:,} invocations of lambdaTimeoutSeconds {timeout}, over the "
        f"{domains.MAX_CHAIN_HOPS} a chain may have (MAX_CHAIN_HOPS): the generator would deliver nothing; raise "
        "lambdaMemoryMb (up to 1,769 for one vCPU) and lambdaTimeoutSeconds (docs/state-bucket.md)",
    )


def _derive(component: str, values: Mapping[str, Any], window: int | None) -> dict[str, Any]:
    """The plain arguments of `component` the stack derives from config values (see DERIVED)."""
    iceberg = values["tableFormat"] == layout.TABLE_FORMAT_ICEBERG
    if component == _GENERATOR.component:
        # Firehose's Iceberg destination takes one JSON object per record: the producer stops aggregating.
        # Its table keeps year/month/day/hour as columns, which the producer then fills.
        aggregate = {"aggregate_records": not iceberg, "partition_columns": iceberg}
        return aggregate if window is None else {**aggregate, "window_seconds": window}
    if component == _DASHBOARD.component:
        prefix = values["namePrefix"]
        return {"dashboard_name": f"{prefix}-pipeline", "metric_namespace": f"{PROJECT}/{prefix}"}
    if component == _ALARMS.component:
        derived = {
            "schedule_enabled": values["scheduleEnabled"],
            "stream_retention_hours": values["kinesisRetentionHours"],
            "buffer_interval_seconds": values["firehoseBufferIntervalSeconds"],
            "dynamic_partitioning": layout.dynamic_partitioning(values["partitionBy"], values["tableFormat"]),
            "table_format": values["tableFormat"],
            "alarm_name_prefix": values["namePrefix"],
        }
        return derived if window is None else {**derived, "schedule_period_seconds": window}
    retain = values["lakeRetainOnDestroy"]
    if not isinstance(retain, bool):
        return {}
    if component == _LAKE.component:
        return {"force_destroy": not retain}
    if component == _CATALOG.component:
        return {"retain_objects_on_delete": retain}
    if component == _ACCESS_LOGS.component:
        prefix = f"{values['namePrefix']}-access-logs-"[: access_logs.BUCKET_PREFIX_MAX]
        return {"bucket_name_prefix": prefix, "retain_on_delete": retain, "force_destroy": not retain}
    return {}


def _arg_keys(spec: ArgSpec) -> dict[str, str]:
    """Argument -> the config key that feeds it, for `spec`'s component."""
    return {arg: key for key, targets in BINDINGS.items() for target, arg in targets if target is spec}


def derived_customer_count(values: Mapping[str, Any]) -> int:
    """customerCount derived from batchSize: the audience whose subscribers stream TARGET_HOURS_PER_SUBSCRIBER a day
    (households.audience_size), at any batchSize (docs/scale.md: nothing holds the table)."""
    return households.audience_size(values["batchSize"])


class ConfigError(ValueError):
    """Stack config breaks one or more rules; the message names every bad key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid stack config:\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class Key:
    """One config key as Pulumi.yaml declares it."""

    name: str
    type: str
    description: str
    default: Any = None
    """Pulumi.yaml's default (stack-level keys only); a bound key without one takes its argument's default."""

    @property
    def effective_default(self) -> Any:
        if self.name in DERIVED_WHEN_UNSET:
            return None
        if self.default is not None or self.name not in BINDINGS:
            return self.default
        spec, arg = BINDINGS[self.name][0]
        return spec.defaults.get(arg)


def load_keys(project_file: Path = PROJECT_FILE) -> tuple[Key, ...]:
    """The config keys Pulumi.yaml declares, in its order."""
    with project_file.open(encoding="utf-8") as fh:
        declared = (yaml.safe_load(fh) or {}).get("config") or {}
    keys = []
    for name, spec in declared.items():
        if not isinstance(spec, dict) or spec.get("type") not in CONFIG_TYPES or not spec.get("description"):
            raise ValueError(f"{project_file.name}: config key {name} needs a type ({CONFIG_TYPES}) and a description")
        keys.append(Key(name, spec["type"], spec["description"], spec.get("default")))
    return tuple(keys)


KEYS: tuple[Key, ...] = load_keys()
KEYS_BY_NAME: Mapping[str, Key] = {k.name: k for k in KEYS}


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)


@dataclass(frozen=True)
class Settings:
    """Validated stack settings: every key's effective value, plus what derives from them."""

    region: str
    values: Mapping[str, Any]
    """Config key -> its value, or its default when unset."""
    given: frozenset[str]
    """The keys the stack's config sets (or Pulumi.yaml gives a default for)."""
    window_seconds: int | None
    """Seconds between scheduled runs for rate() schedules; None for cron()."""
    notes: tuple[str, ...] = ()
    """What the program should tell the user without refusing the config."""
    derived: frozenset[str] = frozenset()
    """Keys the config left unset whose value was derived from others (DERIVED_WHEN_UNSET)."""
    info: tuple[str, ...] = ()
    """What the program should state without warning (how the generator will behave, nothing to fix)."""

    def __getattr__(self, name: str) -> Any:
        """A key's value by its snake_case name (settings.batch_size is batchSize)."""
        values = self.__dict__.get("values", {})
        key = _camel(name)
        if key not in values:
            raise AttributeError(name)
        return values[key]

    @property
    def stream_name(self) -> str:
        return self.values["streamName"] or naming.default_stream_name(self.name_prefix)

    @property
    def workgroup_name(self) -> str:
        return self.values["workgroupName"] or naming.default_workgroup_name(self.name_prefix)

    @property
    def bucket_name(self) -> str | None:
        return self.values["bucketName"] or None

    @property
    def key_mode(self) -> str:
        """aws-managed, customer-managed, or "existing" when encryptionKey is a key ARN."""
        key = self.values["encryptionKey"]
        return key if key in ENCRYPTION_MODES else "existing"

    @property
    def kinesis_shard_count(self) -> int | None:
        return self.values["kinesisShardCount"] if self.kinesis_stream_mode == "PROVISIONED" else None

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

    def but(self, **changes: Any) -> Settings:
        """A copy with some keys changed, by snake_case name (window_seconds sets the derived period)."""
        window = changes.pop("window_seconds", self.window_seconds)
        values = {**self.values, **{_camel(k): val for k, val in changes.items()}}
        unknown = set(values) - set(self.values)
        if unknown:
            raise AttributeError(f"no such setting(s): {sorted(unknown)}")
        derived = self.derived - {_camel(k) for k in changes}
        if "customerCount" in derived:  # the audience follows a changed batchSize, as it would from config
            values["customerCount"] = derived_customer_count(values)
        given = self.given | {_camel(k) for k in changes}
        return Settings(self.region, values, given, window, notes=self.notes, derived=derived, info=self.info)

    def args_for(self, spec: ArgSpec) -> dict[str, Any]:
        """The arguments of `spec`'s component that config sets; unset ones keep the component's defaults."""
        passed = _passed(self.values, self.given)
        return {arg: self.values[key] for arg, key in _arg_keys(spec).items() if key in passed}

    def component_args(self, spec: ArgSpec) -> dict[str, Any]:
        """Every plain argument the stack gives `spec`'s component: what config sets plus what derives from it
        (DERIVED), exactly what config validation checked by the component's rules."""
        return {**self.args_for(spec), **_derive(spec.component, self.values, self.window_seconds)}

    @classmethod
    def from_config(cls, raw: Mapping[str, str | None], region: str | None) -> Settings:
        """Parse and check raw config strings (keys without namespace); raise ConfigError listing every problem."""
        return _Parser(raw, region).build()


class _Parser:
    """Collects every problem instead of stopping at the first."""

    def __init__(self, raw: Mapping[str, str | None], region: str | None) -> None:
        self.raw = {k: val for k, val in raw.items() if val is not None}
        self.region = region
        self.problems: list[str] = []

    def fail(self, key: str, rule: str, got: Any) -> None:
        ns = key if ":" in key else f"{PROJECT}:{key}"
        self.problems.append(f"{ns} must be {rule}, got {got!r}")

    def parse(self, key: Key) -> Any:
        """The key's typed value: from config, else its default; None after a type error."""
        if key.name not in self.raw:
            return key.effective_default
        text = str(self.raw[key.name]).strip()
        if key.type == "integer":
            # ASCII digits only: Python's int() also reads full-width and other Unicode digits, which no AWS API does.
            if INTEGER_PATTERN.match(text):
                return int(text)
            self.fail(key.name, "an integer (ASCII digits)", text)
        elif key.type == "boolean":
            if text.lower() in ("true", "false"):
                return text.lower() == "true"
            self.fail(key.name, "true or false", text)
        elif key.type == "array":
            try:
                value = json.loads(text)
            except ValueError:
                value = None
            if isinstance(value, list):
                return value
            self.fail(key.name, "a list (YAML list in the stack file, or JSON text)", text)
        else:
            return text
        return None

    def build(self) -> Settings:
        for name in sorted(set(self.raw) - set(KEYS_BY_NAME)):
            self.fail(name, f"a known key ({', '.join(KEYS_BY_NAME)})", self.raw[name])
        region = self.region or ""
        if not REGION_PATTERN.match(region):
            self.fail("aws:region", "an AWS region such as us-west-2", self.region)
        values = {key.name: self.parse(key) for key in KEYS}
        self._audience(values)
        notes: tuple[str, ...] = ()
        derived = {k for k in DERIVED_WHEN_UNSET if k not in self.raw and values.get(k) is not None}
        given = frozenset(k.name for k in KEYS if k.name in self.raw or k.default is not None) | derived

        # Each bound key, by the rule of the argument it feeds (empty string: "use the stack's derived name").
        for key in sorted(_passed(values, given) & set(BINDINGS)):
            spec, arg = BINDINGS[key][0]
            if spec.rules.get(arg) and spec.rules[arg].problem(arg, values[key]) is not None:
                self.fail(key, spec.rules[arg].text, values[key])
        # Combinations, per component, over the keys the config sets.
        reported = {p.split(" must be", 1)[0].split(":", 1)[1] for p in self.problems if p.startswith(PROJECT)}
        passed = _passed(values, given) - reported
        window = self._window(values.get("scheduleExpression"))
        for spec in (_LAKE, _CATALOG, _INGEST, _GENERATOR, _ALARMS, _ACCESS_LOGS, _DASHBOARD):
            key_of = {**_arg_keys(spec), **DERIVED.get(spec.component, {})}
            args = {arg: values[key] for arg, key in _arg_keys(spec).items() if key in passed}
            if not set(DERIVED.get(spec.component, {}).values()) & reported:
                args.update(_derive(spec.component, values, window))
            for arg, rule, value in spec.problems(args):
                key = key_of.get(arg, arg)
                for other, other_key in key_of.items():  # say the config keys, not argument names
                    rule = re.sub(rf"\b{other}\b", other_key, rule)
                message = f"{PROJECT}:{key} must be {rule}, got {value!r}"
                if key not in reported and message not in self.problems:
                    self.problems.append(message)

        prefix = values.get("namePrefix") or ""
        if not values.get("bucketName") and isinstance(values.get("bucketNamePrefix"), str) and region:
            longest = f"{values['bucketNamePrefix']}-{'0' * v.ACCOUNT_ID_LENGTH}-{region}"
            if len(longest) > v.S3_MAX_BUCKET_NAME and "bucketNamePrefix" not in reported:
                room = v.S3_MAX_BUCKET_NAME - v.ACCOUNT_ID_LENGTH - len(region) - 2
                self.fail(
                    "bucketNamePrefix",
                    f"at most {room} characters so that <prefix>-<12-digit account>-{region} fits S3's "
                    f"{v.S3_MAX_BUCKET_NAME}",
                    values["bucketNamePrefix"],
                )
        if prefix and not values.get("streamName"):
            self._derived("streamName", naming.default_stream_name(prefix), _INGEST, "stream_name")
        if prefix and not values.get("workgroupName"):
            self._derived("workgroupName", naming.default_workgroup_name(prefix), _CATALOG, "workgroup_name")
        self._encryption_key(values.get("encryptionKey"), region)
        if self.problems:
            raise ConfigError(self.problems)
        notes += _cold_tick_note(values, window) + _bootstrap_note(values)
        return Settings(
            region=region,
            values=values,
            given=given,
            window_seconds=window,
            notes=notes,
            derived=frozenset(derived),
            info=_bootstrap_info(values),
        )

    def _audience(self, values: dict[str, Any]) -> None:
        """customerCount agrees with batchSize: derived from it when unset, else refused unless its subscribers
        stream a believable amount (households.HOURS_PER_SUBSCRIBER_BAND)."""
        batch = values.get("batchSize")
        if isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= domains.MAX_BATCH_SIZE:
            return  # reported by batchSize's own rule
        low_h, high_h = households.HOURS_PER_SUBSCRIBER_BAND
        wanted = households.audience_size(batch)
        count = values.get("customerCount")
        if "customerCount" in self.raw:
            if isinstance(count, int) and 1 <= count <= households.MAX_CUSTOMERS:
                low, high = households.audience_range(batch)
                if not low <= count <= high:
                    hours = households.subscriber_hours(batch, count)
                    self.fail(
                        "customerCount",
                        f"{low:,}–{high:,} with batchSize {batch:,}, so that subscribers stream {low_h}–{high_h} h a "
                        f"day as people do (this pair gives {hours:,.1f} h; unset, it is derived: {wanted:,})",
                        count,
                    )
            return
        values["customerCount"] = derived_customer_count(values)

    @staticmethod
    def _window(expression: Any) -> int | None:
        """The period of a valid rate() schedule; None for cron() or an invalid expression (reported by its rule)."""
        try:
            return v.schedule_period(expression) if isinstance(expression, str) else None
        except ValueError:
            return None

    def _encryption_key(self, value: Any, region: str) -> None:
        """aws-managed, customer-managed, or a KMS key ARN in the stack's region (KMS keys are regional)."""
        if value in ENCRYPTION_MODES:
            return
        rule = f"{' or '.join(ENCRYPTION_MODES)} or {v.KMS_KEY_ARN.text}"
        if v.KMS_KEY_ARN.problem("encryptionKey", value) is not None:
            self.fail("encryptionKey", rule, value)
        elif region and value.split(":")[3] != region:
            self.fail("encryptionKey", f"a key in the stack's region {region} (KMS keys are regional)", value)

    def _derived(self, key: str, name: str, spec: ArgSpec, arg: str) -> None:
        """A name derived from namePrefix must meet the rule of the argument it feeds."""
        if spec.rules[arg].problem(arg, name) is not None:
            self.fail("namePrefix", f"short enough that the derived {key} {name!r} is {spec.rules[arg].text}", name)
