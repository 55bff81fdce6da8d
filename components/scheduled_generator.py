"""ScheduledGenerator: the scheduled generator and producer Lambdas, their layer, DLQ, logs and roles."""

from collections.abc import Callable
from pathlib import Path
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import assets, naming, policies

GENERATOR_HANDLER = "functions.generator.handler.handler"
PRODUCER_HANDLER = "functions.producer.handler.handler"
LAMBDA_SERVICE = "lambda.amazonaws.com"
EVENTS_SERVICE = "events.amazonaws.com"
DLQ_RETENTION_SECONDS = 14 * 24 * 3600  # SQS: message retention is at most 14 days (1,209,600 s)
DLQ_MAX_MESSAGE_BYTES = 1_048_576
"""SQS's largest message (1 KiB to 1 MiB, default 256 KiB). A failed producer invocation reaches the queue as an
on-failure record holding its whole payload, which the generator keeps well under this (handler.MAX_PAYLOAD_BYTES)."""
LAYER_RUNTIMES = ("python3.12", "python3.13")
LAYER_ARCHITECTURES = ("arm64", "x86_64")
"""mimesis is pure Python, so one layer serves both architectures."""
DEFAULT_RUNTIME = "python3.12"
DEFAULT_ARCHITECTURE = "arm64"
DEFAULT_MEMORY_MB = 256
DEFAULT_TIMEOUT_SECONDS = 60
DEFAULT_BATCH_SIZE = 1000
DEFAULT_SCHEDULE = "rate(5 minutes)"
DEFAULT_LOG_RETENTION_DAYS = 14
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_EVENT_AGE_SECONDS = 3600


def generator_environment(
    batch_size: int,
    producer_name: str,
    dimension_seed: int,
    customer_count: int,
    title_count: int,
    window_seconds: int | None,
    event_seed: int | None,
    world_seed: int | None = None,
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
    if event_seed is not None:
        env["EVENT_SEED"] = str(event_seed)
    if world_seed is not None:
        env["WORLD_SEED"] = str(world_seed)
    return env


class ScheduledGeneratorArgs(TypedDict):
    """Inputs of a ScheduledGenerator."""

    name_prefix: str
    """Prefix of the functions, roles, rule, queue and layer."""
    stream_name: pulumi.Input[str]
    """Kinesis stream the producer writes to."""
    stream_arn: pulumi.Input[str]
    """ARN of that stream; the producer may put records to it only."""
    runtime: NotRequired[str]
    """Lambda runtime, python3.12 or python3.13."""
    architecture: NotRequired[str]
    """arm64 or x86_64."""
    memory_mb: NotRequired[pulumi.Input[int]]
    """Memory of each function."""
    timeout_seconds: NotRequired[pulumi.Input[int]]
    """Timeout of each function."""
    batch_size: NotRequired[pulumi.Input[int]]
    """Events the generator makes per run."""
    schedule_expression: NotRequired[pulumi.Input[str]]
    """EventBridge schedule, rate(...) or cron(...)."""
    schedule_enabled: NotRequired[pulumi.Input[bool]]
    """Whether the schedule rule fires."""
    dimension_seed: NotRequired[pulumi.Input[int]]
    """Seed of the dimension tables, so events join them."""
    customer_count: NotRequired[pulumi.Input[int]]
    """Customers the generator may pick from."""
    title_count: NotRequired[pulumi.Input[int]]
    """Titles the generator may pick from."""
    window_seconds: NotRequired[pulumi.Input[int]]
    """Seconds of event time one run covers (the schedule period)."""
    event_seed: NotRequired[pulumi.Input[int]]
    """Fixed event seed for reproducible runs; random when omitted."""
    world_seed: NotRequired[pulumi.Input[int]]
    """Seed of the world the generator observes (functions/shared/world.py); its default when omitted."""
    log_retention_days: NotRequired[pulumi.Input[int]]
    """Retention of both log groups."""
    max_retry_attempts: NotRequired[pulumi.Input[int]]
    """Async retries before an event goes to the dead-letter queue, 0–2."""
    max_event_age_seconds: NotRequired[pulumi.Input[int]]
    """Oldest async event Lambda still tries, 60–21600."""
    code_root: NotRequired[str]
    """Directory holding functions/ (this repository when omitted)."""


class ScheduledGenerator(pulumi.ComponentResource):
    """Schedule -> generator Lambda -> producer Lambda -> Kinesis, with a dead-letter queue for failed batches."""

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

    def __init__(self, name: str, args: ScheduledGeneratorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("acme-telemetry:index:ScheduledGenerator", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        prefix = args["name_prefix"]
        root = Path(args.get("code_root") or assets.REPO_ROOT)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        lambda_trust = account.apply(lambda a: policies.to_json(policies.assume_role(LAMBDA_SERVICE, a)))
        retention = args.get("log_retention_days", DEFAULT_LOG_RETENTION_DAYS)

        queue = aws.sqs.Queue(
            f"{name}-dlq",
            name=naming.dead_letter_queue_name(prefix),
            sqs_managed_sse_enabled=True,
            message_retention_seconds=DLQ_RETENTION_SECONDS,
            max_message_size=DLQ_MAX_MESSAGE_BYTES,
            opts=child,
        )
        layer = aws.lambda_.LayerVersion(
            f"{name}-mimesis-layer",
            layer_name=naming.layer_name(prefix),
            description=f"mimesis {assets.package_version()} for the telemetry generator",
            code=assets.archive(assets.layer_files()),
            compatible_runtimes=list(LAYER_RUNTIMES),
            compatible_architectures=list(LAYER_ARCHITECTURES),
            opts=child,
        )
        code = assets.archive(assets.function_code_files(root))

        def function_base(role: str) -> tuple[aws.cloudwatch.LogGroup, aws.iam.Role, str]:
            function_name = naming.function_name(prefix, role)
            log_group = aws.cloudwatch.LogGroup(
                f"{name}-{role}-logs",
                name=naming.lambda_log_group(function_name),
                retention_in_days=retention,
                opts=child,
            )
            iam_role = aws.iam.Role(
                f"{name}-{role}-role",
                name=naming.function_role_name(prefix, role),
                assume_role_policy=lambda_trust,
                opts=child,
            )
            return log_group, iam_role, function_name

        def function(
            role: str,
            function_name: str,
            handler: str,
            iam_role: aws.iam.Role,
            log_group: aws.cloudwatch.LogGroup,
            policy: aws.iam.RolePolicy,
            env: pulumi.Input[dict[str, str]],
        ) -> aws.lambda_.Function:
            fn = aws.lambda_.Function(
                f"{name}-{role}",
                name=function_name,
                role=iam_role.arn,
                runtime=args.get("runtime", DEFAULT_RUNTIME),
                architectures=[args.get("architecture", DEFAULT_ARCHITECTURE)],
                handler=handler,
                code=code,
                layers=[layer.arn],
                memory_size=args.get("memory_mb", DEFAULT_MEMORY_MB),
                timeout=args.get("timeout_seconds", DEFAULT_TIMEOUT_SECONDS),
                environment={"variables": env},
                logging_config={"log_format": "JSON", "log_group": log_group.name},
                # Lambda would create its own never-expiring log group if it ran before ours exists.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group, policy]),
            )
            aws.lambda_.FunctionEventInvokeConfig(
                f"{name}-{role}-async",
                function_name=fn.name,
                maximum_retry_attempts=args.get("max_retry_attempts", DEFAULT_MAX_RETRIES),
                maximum_event_age_in_seconds=args.get("max_event_age_seconds", DEFAULT_MAX_EVENT_AGE_SECONDS),
                destination_config={"on_failure": {"destination": queue.arn}},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
            )
            return fn

        producer_logs, producer_role, producer_name = function_base("producer")
        producer_policy = aws.iam.RolePolicy(
            f"{name}-producer-policy",
            name="producer",
            role=producer_role.id,
            policy=pulumi.Output.all(args["stream_arn"], queue.arn, producer_logs.arn).apply(
                lambda v: policies.to_json(policies.producer_policy(v[0], v[1], v[2]))
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
            {"STREAM_NAME": args["stream_name"]},
        )

        generator_logs, generator_role, generator_name = function_base("generator")
        generator_policy = aws.iam.RolePolicy(
            f"{name}-generator-policy",
            name="generator",
            role=generator_role.id,
            policy=pulumi.Output.all(producer.arn, queue.arn, generator_logs.arn).apply(
                lambda v: policies.to_json(policies.generator_policy(v[0], v[1], v[2]))
            ),
            opts=child,
        )
        env = pulumi.Output.all(
            args.get("batch_size", DEFAULT_BATCH_SIZE),
            producer.name,
            _or(args.get("dimension_seed"), _default_seed),
            args.get("customer_count", _default_rows("customers")),
            args.get("title_count", _default_rows("titles")),
            args.get("window_seconds"),
            args.get("event_seed"),
            args.get("world_seed"),
        ).apply(lambda v: generator_environment(*v))
        generator = function(
            "generator", generator_name, GENERATOR_HANDLER, generator_role, generator_logs, generator_policy, env
        )

        rule = aws.cloudwatch.EventRule(
            f"{name}-schedule",
            name=naming.schedule_rule_name(prefix),
            description="Starts the telemetry generator",
            schedule_expression=args.get("schedule_expression", DEFAULT_SCHEDULE),
            state=pulumi.Output.from_input(args.get("schedule_enabled", True)).apply(
                lambda on: "ENABLED" if on else "DISABLED"
            ),
            opts=child,
        )
        aws.sqs.QueuePolicy(
            f"{name}-dlq-policy",
            queue_url=queue.url,
            policy=pulumi.Output.all(queue.arn, rule.arn).apply(
                lambda v: policies.to_json(policies.dead_letter_queue_policy(v[0], v[1]))
            ),
            opts=child,
        )
        permission = aws.lambda_.Permission(
            f"{name}-schedule-permission",
            action="lambda:InvokeFunction",
            function=generator.name,
            principal=EVENTS_SERVICE,
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
        self.register_outputs(
            {
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


def _default_seed() -> int:
    from functions.shared.dimensions import DEFAULT_DIMENSION_SEED

    return DEFAULT_DIMENSION_SEED


def _default_rows(table: str) -> int:
    from functions.shared.schema import TABLES_BY_NAME

    rows = TABLES_BY_NAME[table].default_rows
    assert rows is not None
    return rows


def _or(value: pulumi.Input[int] | None, default: Callable[[], int]) -> pulumi.Input[int]:
    """`value`, or the lazily computed default when it is None."""
    return default() if value is None else value
