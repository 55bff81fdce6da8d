"""Rules for the components' plain-value arguments, shared with the stack's config validation.

Each component declares an `ArgSpec`: its defaults, one `Rule` per argument and its combination checks. The
component checks its own arguments when constructed; the stack's config validation (`stack/settings.py`)
checks each config key against the rule of the argument it feeds, so a rule is written once.

Every AWS limit below is a named constant with the rule's source next to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pulumi

from components import formats
from functions.shared import domains, schedule, schema

# --- AWS limits (each cites the AWS rule it encodes) ---
KINESIS_MIN_RETENTION_HOURS = 24  # Kinesis IncreaseStreamRetentionPeriod: 24 hours at least
KINESIS_MAX_RETENTION_HOURS = 8760  # Kinesis: retention is 365 days (8,760 hours) at most
KINESIS_MAX_STREAM_NAME = 128  # Kinesis CreateStream: StreamName is 1–128 characters of [a-zA-Z0-9_.-]
FIREHOSE_MIN_BUFFER_MB_WITH_CONVERSION = 64  # Firehose record format conversion: buffer size at least 64 MiB
FIREHOSE_MAX_BUFFER_MB = 128  # Firehose ExtendedS3 BufferingHints: SizeInMBs is 1–128
FIREHOSE_MIN_INTERVAL_SECONDS_WITH_CONVERSION = 60  # Firehose: format conversion needs an interval of 60 s or more
FIREHOSE_MAX_INTERVAL_SECONDS = 900  # Firehose ExtendedS3 BufferingHints: IntervalInSeconds is 0–900
FIREHOSE_ICEBERG_MIN_BUFFER_MB = 1  # Firehose IcebergDestinationConfiguration BufferingHints: SizeInMBs is 1–128
FIREHOSE_ICEBERG_MAX_BUFFER_MB = 128
FIREHOSE_ICEBERG_MIN_INTERVAL_SECONDS = 0  # Firehose Iceberg BufferingHints: IntervalInSeconds is 0–900
FIREHOSE_ICEBERG_MAX_INTERVAL_SECONDS = 900
FIREHOSE_MAX_NAME = 64  # Firehose CreateDeliveryStream: DeliveryStreamName is 1–64 characters of [a-zA-Z0-9_.-]
LAMBDA_MIN_MEMORY_MB = 128  # Lambda: memory is 128–10,240 MB
LAMBDA_MAX_MEMORY_MB = 10240  # Lambda: memory is 128–10,240 MB
LAMBDA_MAX_TIMEOUT_SECONDS = 900  # Lambda: timeout is 1–900 s
LAMBDA_MB_PER_VCPU = 1769  # Lambda docs, memory and computing power: 1,769 MB has the equivalent of one vCPU
LAMBDA_MAX_ASYNC_RETRIES = 2  # Lambda PutFunctionEventInvokeConfig: MaximumRetryAttempts is 0–2
LAMBDA_MIN_EVENT_AGE_SECONDS = 60  # Lambda PutFunctionEventInvokeConfig: MaximumEventAgeInSeconds is 60–21,600
LAMBDA_MAX_EVENT_AGE_SECONDS = 21600
LAMBDA_MAX_NAME = 64  # Lambda CreateFunction: FunctionName is at most 64 characters
LAMBDA_MAX_LAYER_NAME = 140  # Lambda PublishLayerVersion: LayerName is 1–140 characters
LAMBDA_ACCOUNT_DEFAULT_CONCURRENCY = domains.LAMBDA_DEFAULT_CONCURRENCY  # 1,000 per Region (Lambda quotas)
LAMBDA_MIN_UNRESERVED_CONCURRENCY = 100  # Lambda PutFunctionConcurrency: 100 must stay unreserved in the account
LAMBDA_MAX_RESERVED_CONCURRENCY = LAMBDA_ACCOUNT_DEFAULT_CONCURRENCY - LAMBDA_MIN_UNRESERVED_CONCURRENCY
IAM_MAX_ROLE_NAME = 64  # IAM CreateRole: RoleName is at most 64 characters
EVENTBRIDGE_MAX_RULE_NAME = 64  # EventBridge PutRule: Name is 1–64 characters
SQS_MAX_QUEUE_NAME = 80  # SQS CreateQueue: QueueName is 1–80 characters
S3_MIN_BUCKET_NAME = 3  # S3 general purpose bucket naming rules: 3–63 characters
S3_MAX_BUCKET_NAME = 63
S3_MAX_BUCKET_PREFIX = 37  # Terraform/Pulumi bucket_prefix: at most 37 characters, S3 appends a unique suffix
S3_RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")  # S3 bucket naming rules: reserved prefixes
S3_RESERVED_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", "--x-s3", "--table-s3")  # (and .mrap; dots are refused here)
S3_MIN_DAYS_BEFORE_IA = 30  # S3 lifecycle: STANDARD_IA / ONEZONE_IA transitions need objects 30 days old or more
S3_MAX_LIFECYCLE_DAYS = 2**31 - 1
"""S3 API reference, LifecycleRule's Transition.Days, NoncurrentVersionExpiration.NoncurrentDays and
AbortIncompleteMultipartUpload.DaysAfterInitiation: "Type: Integer", a signed 32-bit integer in AWS's APIs."""
GLUE_MAX_NAME = schema.GLUE_MAX_NAME  # Glue names (databases, tables, columns) are 1–255 characters
ATHENA_MAX_WORKGROUP_NAME = 128  # Athena CreateWorkGroup: Name is 1–128 characters of [a-zA-Z0-9._-]
ATHENA_MIN_CUTOFF_MB = 10  # Athena BytesScannedCutoffPerQuery: at least 10 MB (10,485,760 bytes)
ACCOUNT_ID_LENGTH = 12  # AWS account ids are 12 digits; generated bucket names embed one
SHORTEST_REGION = len("us-east-1")  # the shortest commercial region code, for a bound without knowing the region
CLOUDWATCH_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827)
CLOUDWATCH_RETENTION_DAYS += (2192, 2557, 2922, 3288, 3653)  # CloudWatch Logs PutRetentionPolicy: only these
DEFAULT_LOG_RETENTION_DAYS = 365
"""A year of Lambda and Firehose logs: one JSON line per invocation (about 600 a day at the default schedule) is a
few MB a year, cents to keep, and a year covers an incident noticed late, a comparison with last season and the
usual audit baselines (checkov CKV_AWS_338, NIST 800-53 AU-11)."""
CRON_FIELDS = len(schedule.FIELDS)  # EventBridge cron: minutes hours day-of-month month day-of-week year
RATE_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}  # EventBridge rate(): units minute(s), hour(s), day(s)

LAMBDA_RUNTIMES = ("python3.12", "python3.13")
LAMBDA_ARCHITECTURES = ("arm64", "x86_64")
KINESIS_STREAM_MODES = ("ON_DEMAND", "PROVISIONED")
TRANSITION_STORAGE_CLASSES = ("STANDARD_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "ONEZONE_IA")
"""Classes Athena can still read synchronously; GLACIER and DEEP_ARCHIVE are left out on purpose."""
IA_CLASSES = ("STANDARD_IA", "ONEZONE_IA")

NAME_PREFIX_PATTERN = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
BUCKET_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")
GLUE_DATABASE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
"""Glue takes a leading digit, but Athena's SELECT needs such a name quoted; a leading letter keeps it plain."""
RESOURCE_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_.-]+$")
"""Kinesis streams, Firehose streams, Athena workgroups: letters, digits, '_', '.', '-'."""
ARN_PATTERN = re.compile(
    r"^arn:aws[a-z-]*:(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):(?P<account>\d{12}|):(?P<rest>.+)$"
)
_RATE = re.compile(r"^rate\((\d+) ([a-z]+)\)$")


@dataclass(frozen=True)
class Rule:
    """A rule one plain value must meet; `text` completes the sentence "<argument> must be …"."""

    text: str
    test: Callable[[Any], bool]

    def problem(self, name: str, value: Any) -> str | None:
        """`"<name> must be <text>, got <value>"`, or None when the value meets the rule."""
        try:
            ok = self.test(value)
        except (TypeError, ValueError):
            ok = False
        return None if ok else f"{name} must be {self.text}, got {value!r}"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def between(low: int, high: int, why: str = "") -> Rule:
    return Rule(f"{low}–{high}{' ' + why if why else ''}", lambda v: _is_int(v) and low <= v <= high)


def at_least(low: int, why: str = "") -> Rule:
    return Rule(f"at least {low}{' ' + why if why else ''}", lambda v: _is_int(v) and v >= low)


def one_of(*allowed: Any) -> Rule:
    return Rule("one of " + ", ".join(map(str, allowed)), lambda v: v in allowed)


def boolean() -> Rule:
    return Rule("true or false", lambda v: isinstance(v, bool))


def text(pattern: re.Pattern[str], max_len: int, what: str, min_len: int = 1) -> Rule:
    return Rule(
        f"{what}, {min_len}–{max_len} characters",
        lambda v: isinstance(v, str) and min_len <= len(v) <= max_len and pattern.match(v) is not None,
    )


def arn(service: str, resource: str) -> Rule:
    """An ARN of `service` whose resource part starts with `resource` (e.g. kinesis, "stream/")."""

    def test(v: Any) -> bool:
        m = ARN_PATTERN.match(v) if isinstance(v, str) else None
        return (
            m is not None
            and m["service"] == service
            and m["rest"].startswith(resource)
            and len(m["rest"]) > len(resource)
        )

    return Rule(f"an ARN like arn:aws:{service}:<region>:<account>:{resource}<name>", test)


def schedule_period(expression: str) -> int | None:
    """Seconds between runs of an EventBridge rate() expression; None for a valid cron(); ValueError otherwise."""
    rate = _RATE.match(expression)
    if rate:
        count, unit = int(rate.group(1)), rate.group(2)
        singular = unit[:-1] if unit.endswith("s") else unit
        if singular not in RATE_SECONDS or count < 1 or unit != (singular if count == 1 else singular + "s"):
            raise ValueError(expression)
        return count * RATE_SECONDS[singular]
    schedule.parse(expression)  # EventBridge's cron() syntax (functions/shared/schedule.py); CronError otherwise
    return None


def schedule_gap(expression: str) -> int:
    """Longest time between two runs of a valid schedule: a rate()'s period, a cron()'s longest gap between firings."""
    return schedule_period(expression) or schedule.parse(expression).longest_gap_seconds


SCHEDULE = Rule(
    "rate(N minute|minutes|hour|hours|day|days) (singular unit for 1, plural otherwise) or cron(minutes hours "
    f"day-of-month month day-of-week year), {CRON_FIELDS} fields with exactly one of the two day fields '?' and the "
    "year '*' (EventBridge schedule expressions for rules)",
    lambda v: isinstance(v, str) and (schedule_period(v) or True),
)
LIFECYCLE_DAYS = "days (S3 lifecycle rules take a 32-bit integer)"
RETENTION_DAYS = Rule(
    "a CloudWatch retention value (" + ", ".join(map(str, CLOUDWATCH_RETENTION_DAYS)) + ")",
    lambda v: _is_int(v) and v in CLOUDWATCH_RETENTION_DAYS,
)
NAME_PREFIX = Rule(
    "lowercase letters, digits and hyphens, starting with a letter", lambda v: NAME_PREFIX_PATTERN.match(v) is not None
)


def _not_reserved(name: str) -> bool:
    return not name.startswith(S3_RESERVED_BUCKET_PREFIXES) and not name.endswith(S3_RESERVED_BUCKET_SUFFIXES)


BUCKET_NAME = Rule(
    f"a bucket name of {S3_MIN_BUCKET_NAME}–{S3_MAX_BUCKET_NAME} lowercase letters, digits, hyphens, none starting "
    f"{', '.join(S3_RESERVED_BUCKET_PREFIXES)} or ending {', '.join(S3_RESERVED_BUCKET_SUFFIXES)} (S3 naming rules)",
    lambda v: S3_MIN_BUCKET_NAME <= len(v) <= S3_MAX_BUCKET_NAME and BUCKET_PATTERN.match(v) and _not_reserved(v),
)
BUCKET_NAME_PREFIX_MAX = S3_MAX_BUCKET_NAME - ACCOUNT_ID_LENGTH - SHORTEST_REGION - 2
BUCKET_NAME_PREFIX = Rule(
    f"lowercase letters, digits and hyphens, at most {BUCKET_NAME_PREFIX_MAX} characters so that "
    f"<prefix>-<12-digit account>-<region> fits S3's {S3_MAX_BUCKET_NAME}, none starting "
    f"{', '.join(S3_RESERVED_BUCKET_PREFIXES)}",
    lambda v: len(v) <= BUCKET_NAME_PREFIX_MAX and BUCKET_PATTERN.match(v) and _not_reserved(v + "-"),
)
GLUE_DATABASE = text(
    GLUE_DATABASE_PATTERN,
    GLUE_MAX_NAME,
    "lowercase letters, digits and underscores, starting with a letter (Athena names)",
)


RESERVED_CONCURRENCY = between(
    1,
    LAMBDA_MAX_RESERVED_CONCURRENCY,
    f"(Lambda keeps {LAMBDA_MIN_UNRESERVED_CONCURRENCY} of the account default "
    f"{LAMBDA_ACCOUNT_DEFAULT_CONCURRENCY:,} concurrent executions unreserved; 0 would stop the function)",
)
FOLDER = Rule(
    "one folder of lowercase letters, digits, '_', '.', '-' ending in '/'",
    lambda p: schema.PREFIX_PATTERN.match(p) is not None,
)
"""A key prefix in the lake (a table's, or where failed records go)."""
KMS_KEY_ARN = Rule(
    "a KMS key ARN like arn:aws:kms:<region>:<account>:key/<key id> (not an alias)",
    lambda value: isinstance(value, str) and formats.is_kms_key_arn(value),
)
SNS_TOPIC_ARN = Rule(
    "an SNS topic ARN like arn:aws:sns:<region>:<account>:<topic name>",
    lambda value: isinstance(value, str) and formats.is_sns_topic_arn(value),
)
EMAILS = Rule(
    "a list of e-mail addresses such as ops@example.com",
    lambda value: isinstance(value, list | tuple) and all(isinstance(e, str) and formats.is_email(e) for e in value),
)


class ArgumentError(ValueError):
    """A component's arguments break one or more rules; the message names each argument, its value and the rule."""

    def __init__(self, component: str, name: str, problems: list[str]) -> None:
        self.component, self.name, self.problems = component, name, problems
        super().__init__(f"{component} {name!r}: invalid arguments:\n  " + "\n  ".join(problems))


Check = Callable[[Mapping[str, Any]], Iterable[tuple[str, str, Any]]]
"""A combination rule over all (plain) arguments: yields (argument, rule text, value) for each breach."""


def stack_region() -> str | None:
    """The region the program deploys to, as the aws provider reads it (aws:region config, else the environment)."""
    import os

    return pulumi.Config("aws").get("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")


def is_known(value: Any) -> bool:
    """Whether a value is plain (checkable now) rather than an Output or another awaitable input."""
    return not isinstance(value, pulumi.Output) and not hasattr(value, "__await__")


class Arguments(frozenset[str]):
    """The argument names a component takes; `required` are those it cannot do without."""

    required: frozenset[str] = frozenset()


def arguments(args_type: type) -> Arguments:
    """The argument names a component's TypedDict of inputs declares (and which of them are required)."""
    names = Arguments(args_type.__required_keys__ | args_type.__optional_keys__)  # type: ignore[attr-defined]
    names.required = frozenset(args_type.__required_keys__)  # type: ignore[attr-defined]
    return names


@dataclass(frozen=True)
class ArgSpec:
    """One component's argument defaults and rules."""

    component: str
    defaults: Mapping[str, Any]
    rules: Mapping[str, Rule]
    checks: tuple[Check, ...] = ()
    allowed: frozenset[str] = field(default_factory=frozenset)
    """Every argument the component takes (a misspelled one is an error)."""
    complete_checks: tuple[Check, ...] = ()
    """Combination rules that need every argument (one left out is part of the rule): run on a whole set only."""

    def value(self, args: Mapping[str, Any], key: str) -> Any:
        """The argument, or its default."""
        value = args.get(key)
        return self.defaults.get(key) if value is None else value

    def problems(self, args: Mapping[str, Any], complete: bool = False) -> list[tuple[str, str, Any]]:
        """(argument, rule text, value) of every plain argument or combination that breaks a rule; `complete`
        args must hold every required argument."""
        found: list[tuple[str, str, Any]] = []
        for key in sorted(set(args) - self.allowed) if self.allowed else ():
            found.append((key, "a known argument (" + ", ".join(sorted(self.allowed)) + ")", args[key]))
        for key in sorted(getattr(self.allowed, "required", frozenset()) - set(args)) if complete else ():
            found.append((key, "given (a required argument)", None))
        for key, rule in self.rules.items():
            value = args.get(key)
            if value is not None and is_known(value) and rule.problem(key, value) is not None:
                found.append((key, rule.text, value))
        known = {k: v for k, v in args.items() if v is not None and is_known(v)}
        for check in self.checks + (self.complete_checks if complete else ()):
            found.extend(check(known))
        return found

    def validate(self, name: str, args: Mapping[str, Any], complete: bool = True) -> None:
        """Raise ArgumentError naming every argument of component `name` that breaks a rule."""
        problems = [f"{key} must be {rule}, got {value!r}" for key, rule, value in self.problems(args, complete)]
        if problems:
            raise ArgumentError(self.component, name, problems)


class CheckedComponent(pulumi.ComponentResource):
    """A component whose plain arguments follow its `SPEC`: `validate` checks them without registering anything."""

    _spec: ClassVar[ArgSpec]
    """Set by each subclass (private, so the component provider's schema leaves it out)."""

    @classmethod
    def validate(cls, name: str, args: Mapping[str, Any]) -> None:
        """Check plain arguments (all or some) without registering anything; raise ArgumentError naming each."""
        cls._spec.validate(name, args, complete=False)


def field_docs(args_type: type) -> dict[str, str]:
    """Each field's docstring (the string literal under its annotation), read from the class's source."""
    import ast
    import inspect
    import itertools
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(args_type)))
    except (OSError, TypeError):
        return {}
    docs: dict[str, str] = {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    for node, after in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[node.target.id] = " ".join(after.value.value.split())
    return docs


def document_arguments(args_type: type) -> type:
    """Make a TypedDict of inputs self-describing at run time: its per-field docs join its docstring (for `help()`),
    and `typing.get_type_hints` resolves `pulumi.Input`'s forward reference "Output[T]" in its module."""
    import sys

    from pulumi.output import Output, T

    namespace = sys.modules[args_type.__module__].__dict__
    namespace.setdefault("Output", Output)
    namespace.setdefault("T", T)
    docs = field_docs(args_type)
    if docs and "\nArguments:\n" not in (args_type.__doc__ or ""):
        required = getattr(args_type, "__required_keys__", frozenset())
        lines = [f"    {name} ({'required' if name in required else 'optional'}): {doc}" for name, doc in docs.items()]
        args_type.__doc__ = (args_type.__doc__ or "").rstrip() + "\n\nArguments:\n" + "\n".join(lines) + "\n"
    return args_type
