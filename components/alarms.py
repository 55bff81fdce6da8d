"""PipelineAlarms: AWS's recommended alarms for the telemetry pipeline, all notifying one encrypted SNS topic.

Sources cited below:
- [REC] CloudWatch user guide, "Recommended alarms" (Best_Practice_Recommended_Alarms_AWS_Services.html): per
  metric the statistic, threshold, period and datapoints AWS recommends for Kinesis, Lambda and SQS.
- [FH] Firehose developer guide, "Implement best practices with CloudWatch Alarms"
  (firehose-cloudwatch-metrics-best-practices.html): alarm when DeliveryToS3.DataFreshness exceeds the buffering
  limit (at most 15 minutes); metric names from "Monitor Amazon Data Firehose with CloudWatch metrics"
  (DeliveryToS3.Success, FailedConversion.Records, PartitionCountExceeded).
- [SNS] SNS developer guide, "Key management", compatibility with event sources from AWS services: CloudWatch can
  publish to an encrypted topic only if the topic's key is customer managed and its key policy lets
  cloudwatch.amazonaws.com use kms:Decrypt and kms:GenerateDataKey* (the AWS managed alias/aws/sns cannot be used).
- [ICE] Firehose developer guide, "Monitor metrics" for Apache Iceberg Tables (apache-iceberg-metric.html):
  DeliveryToIceberg.DataFreshness, DeliveryToIceberg.SuccessfulRowCount, DeliveryToIceberg.FailedRowCount ("failed
  rows delivered to S3 backup bucket").
- [PMA] CloudWatch PutMetricAlarm: Period is 10, 30 or a multiple of 60; Period x EvaluationPeriods is at most one
  day (86,400 s).

AWS's recommendations assume continuously busy resources (1-minute periods, 3–15 breaching datapoints). This
pipeline works in ticks, one every schedule period, so a function runs for seconds every few minutes and most
1-minute datapoints are simply missing; where that changes a recommendation, the comment says how and why.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import encryption, policies
from components import validation as v
from functions.shared import layout

CLOUDWATCH_MAX_EVALUATION_SECONDS = 86_400  # [PMA] Period x EvaluationPeriods is at most one day
MAX_EVALUATION = CLOUDWATCH_MAX_EVALUATION_SECONDS
CLOUDWATCH_MINUTE = 60  # [PMA] periods above 30 s are multiples of 60
FIREHOSE_MAX_BUFFER_SECONDS = v.FIREHOSE_MAX_INTERVAL_SECONDS  # [FH] Firehose buffers for at most 15 minutes
DURATION_ALARM_FRACTION = 0.8
"""A run taking 80 % of its timeout is one slow dependency away from being killed mid-batch."""
DEFAULT_SILENCE_PERIODS = 3
"""Three ticks without a record: one failed tick is retried by Lambda and caught by the DLQ alarm; three in a row
mean the schedule, the generator or the producer has stopped."""
DEFAULT_ITERATOR_AGE_SECONDS = 900
DEFAULT_BUFFER_INTERVAL_SECONDS = 60
CLOUDWATCH_SERVICE = "cloudwatch.amazonaws.com"

# Missing-data treatments (PutMetricAlarm TreatMissingData)
NOT_BREACHING = "notBreaching"
BREACHING = "breaching"


class WatchedFunction(TypedDict):
    """A Lambda function to watch for errors, throttles and runs close to its timeout."""

    label: str
    """Short name used in the alarm's logical and physical names, e.g. "producer"."""
    function_name: pulumi.Input[str]
    """The function's name (the FunctionName dimension of its metrics)."""
    timeout_seconds: int
    """The function's timeout, 1–900 s; the duration alarm fires at 80 % of it."""


class PipelineAlarmsArgs(TypedDict):
    """Inputs of a PipelineAlarms."""

    stream_name: pulumi.Input[str]
    """Kinesis stream the delivery stream reads."""
    delivery_stream_name: pulumi.Input[str]
    """Firehose delivery stream that lands the stream in S3."""
    functions: NotRequired[list[WatchedFunction]]
    """Lambda functions to watch (errors, throttles, duration near the timeout)."""
    dead_letter_queue_name: NotRequired[pulumi.Input[str]]
    """SQS queue receiving failed invocations; any visible message raises an alarm."""
    error_prefix: NotRequired[str]
    """Key prefix the delivery stream writes failed records under (StreamingIngest's error_prefix); the failure
    alarms' descriptions name it."""
    schedule_period_seconds: NotRequired[int]
    """Seconds between scheduled runs (a rate() schedule); with it, a silence alarm watches the stream's
    IncomingRecords. Omit for cron() schedules, whose period is not fixed."""
    schedule_enabled: NotRequired[bool]
    """Whether the schedule fires; a disabled schedule gets no silence alarm."""
    silence_periods: NotRequired[int]
    """Schedule periods without a record reaching the stream before the silence alarm fires (3, or as many as fit
    CloudWatch's one day of evaluation, when omitted)."""
    stream_retention_hours: NotRequired[int]
    """The stream's retention, 24–8760 hours; the iterator age threshold must stay below half of it."""
    iterator_age_threshold_seconds: NotRequired[int]
    """Age of the oldest record Firehose has not read yet that raises the alarm."""
    buffer_interval_seconds: NotRequired[int]
    """The delivery stream's buffering interval, 0–900 s; the freshness threshold adds 15 minutes."""
    dynamic_partitioning: NotRequired[bool]
    """Whether the delivery stream partitions dynamically: adds the partition-count alarm."""
    table_format: NotRequired[str]
    """The delivery stream's destination: parquet (S3 with format conversion) or iceberg (an Iceberg table), whose
    metrics differ."""
    alarm_name_prefix: NotRequired[str]
    """Prefix of every alarm's physical name (<prefix>-<alarm>); when omitted Pulumi names them from the logical
    names."""
    alarm_topic_arn: NotRequired[pulumi.Input[str]]
    """Notify this existing SNS topic instead of creating one (its owner manages encryption and subscribers)."""
    alarm_emails: NotRequired[list[str]]
    """E-mail addresses subscribed to the created topic (each must confirm the subscription)."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """Customer managed KMS key encrypting the created topic; its key policy must let CloudWatch use it (see
    alarm_topic_key_policy). When omitted a dedicated key with rotation is created for the topic."""


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm, as plain data: what it watches, when it fires and what it means."""

    key: str
    """Suffix of the alarm's logical and physical names."""
    namespace: str
    metric: str
    dimension: str
    """Name of the single dimension; its value is the watched resource's name."""
    target: str
    """Which input names the watched resource: stream, delivery, queue or function:<label>."""
    statistic: str
    period: int
    evaluation_periods: int
    datapoints: int
    threshold: float
    comparison: str
    treat_missing_data: str
    description: str
    extra: Mapping[str, Any] = field(default_factory=dict)


def _combinations(args: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    labels: set[str] = set()
    for i, fn in enumerate(args.get("functions") or []):
        label = fn.get("label", "") if isinstance(fn, Mapping) else None
        if not isinstance(label, str) or not label.replace("-", "").isalnum() or label in labels:
            yield f"functions[{i}].label", "a unique name of letters, digits and hyphens", label
        labels.add(str(label))
        timeout = fn.get("timeout_seconds") if isinstance(fn, Mapping) else None
        if v.between(1, v.LAMBDA_MAX_TIMEOUT_SECONDS).problem("", timeout) is not None:
            yield f"functions[{i}].timeout_seconds", f"1–{v.LAMBDA_MAX_TIMEOUT_SECONDS} (Lambda)", timeout
    period = args.get("schedule_period_seconds")
    watched = args.get("schedule_enabled", SPEC.defaults["schedule_enabled"]) is not False
    if isinstance(period, int) and period > MAX_EVALUATION and watched:
        yield (
            "schedule_period_seconds",
            f"at most {MAX_EVALUATION:,} s while the schedule is enabled: the silence alarm's period is the "
            f"schedule's (CloudWatch PutMetricAlarm: Period x EvaluationPeriods is at most {MAX_EVALUATION:,} s)",
            period,
        )
    elif isinstance(period, int) and period > 0 and watched:
        silence = silence_periods(args)
        if isinstance(silence, int) and period * silence > MAX_EVALUATION:
            yield (
                "silence_periods",
                f"at most {MAX_EVALUATION // period} with schedule_period_seconds {period} s (CloudWatch "
                f"PutMetricAlarm: Period x EvaluationPeriods is at most {MAX_EVALUATION:,} s)",
                silence,
            )
    retention = args.get("stream_retention_hours", SPEC.defaults["stream_retention_hours"])
    age = args.get("iterator_age_threshold_seconds", SPEC.defaults["iterator_age_threshold_seconds"])
    if isinstance(retention, int) and isinstance(age, int) and age > retention * 3600 // 2:
        yield (
            "iterator_age_threshold_seconds",
            f"at most {retention * 3600 // 2} s, half the stream's {retention} h retention (time to act before "
            "records expire unread)",
            age,
        )
    if "alarm_topic_arn" in args and args.get("alarm_emails"):
        yield "alarm_emails", "empty when alarm_topic_arn is given (subscribe to that topic)", args["alarm_emails"]


def silence_periods(args: Mapping[str, Any]) -> Any:
    """The silence alarm's periods: as given, else DEFAULT_SILENCE_PERIODS or as many schedule periods as fit the
    day CloudWatch can evaluate (one, for a daily schedule)."""
    if args.get("silence_periods") is not None:
        return args["silence_periods"]
    period = args.get("schedule_period_seconds")
    fit = MAX_EVALUATION // period if isinstance(period, int) and period > 0 else DEFAULT_SILENCE_PERIODS
    return max(1, min(DEFAULT_SILENCE_PERIODS, fit))


CONVERSION_FAILED = "format-conversion-failed/"  # Firehose's error-output-type for records it could not convert


def _errors(args: Mapping[str, Any], kind: str = "") -> str:
    """Where the delivery stream's failed records are, as far as the inputs say."""
    prefix = args.get("error_prefix")
    return f"{prefix}{kind}" if prefix else "the delivery stream's error output prefix"


def _writers(args: Mapping[str, Any]) -> str:
    labels = [fn["label"] for fn in args.get("functions") or []]
    if not labels:
        return "whatever writes to it"
    if len(labels) == 1:
        return f"the {labels[0]} function"
    return f"one of the functions that feed it ({', '.join(labels)})"


def _where_to_look(args: Mapping[str, Any]) -> str:
    labels = [fn["label"] for fn in args.get("functions") or []]
    places = [f"the {label} function's logs" for label in labels]
    if args.get("dead_letter_queue_name") is not None:
        places.append("the dead-letter queue")
    return (
        f"Check {', '.join(places[:-1])} and {places[-1]}."
        if len(places) > 1
        else (f"Check {places[0]}." if places else "Check the stream's writers.")
    )


def alarm_specs(args: PipelineAlarmsArgs) -> list[AlarmSpec]:
    """Every alarm the inputs call for, in the order the data flows."""
    specs: list[AlarmSpec] = []
    period = args.get("schedule_period_seconds")
    if period is not None and SPEC.value(args, "schedule_enabled"):
        silence = silence_periods(args)
        # Not in [REC]: the pipeline's own liveness signal. One datapoint per schedule period; no record in
        # `silence` periods in a row fires it. Missing data is breaching: Kinesis publishes no IncomingRecords
        # datapoint for a minute without puts, and "nothing arrived" is exactly what this alarm is for.
        specs.append(
            AlarmSpec(
                "stream-silent",
                "AWS/Kinesis",
                "IncomingRecords",
                "StreamName",
                "stream",
                "Sum",
                period,
                silence,
                silence,
                1,
                "LessThanThreshold",
                BREACHING,
                f"No record reached the stream for {silence} schedule periods of {period} s while the schedule is "
                f"enabled: the schedule or {_writers(args)} has stopped. {_where_to_look(args)}",
            )
        )
    # [REC] Kinesis WriteProvisionedThroughputExceeded: alarm on sustained write throttling. The producer retries
    # throttled entries itself, so one throttled tick is absorbed; throttling in 2 of the last 3 five-minute
    # windows means the stream needs more capacity (PROVISIONED) or the batches arrive in bursts it cannot take.
    # Missing data: no puts in the window, nothing throttled.
    specs.append(
        AlarmSpec(
            "stream-write-throttled",
            "AWS/Kinesis",
            "WriteProvisionedThroughputExceeded",
            "StreamName",
            "stream",
            "Sum",
            300,
            3,
            2,
            0,
            "GreaterThanThreshold",
            NOT_BREACHING,
            "Kinesis throttled writes in 2 of the last 3 five-minute windows: writers must retry and may run out of "
            "time. Add shards (PROVISIONED) or switch to ON_DEMAND; check batch sizes.",
        )
    )
    age = SPEC.value(args, "iterator_age_threshold_seconds")
    # [REC] Kinesis GetRecords.IteratorAgeMilliseconds: Maximum, period 60 s, 15 of 15 datapoints, threshold by
    # workload. Firehose is the stream's only consumer, so this is its lag. Threshold: 15 minutes by default (a
    # healthy Firehose reads within seconds and buffers afterwards), never above half the retention, so the alarm
    # leaves time to act before unread records expire. Missing data is breaching: Firehose polls every shard
    # continuously, so no GetRecords datapoint for 15 minutes means it stopped reading.
    specs.append(
        AlarmSpec(
            "stream-iterator-age",
            "AWS/Kinesis",
            "GetRecords.IteratorAgeMilliseconds",
            "StreamName",
            "stream",
            "Maximum",
            60,
            15,
            15,
            age * 1000,
            "GreaterThanThreshold",
            BREACHING,
            f"Firehose has fallen more than {age} s behind the stream for 15 minutes (or stopped reading). Records "
            "expire unread at the end of the retention period. Check the delivery stream's error logs and its role.",
        )
    )
    buffer = SPEC.value(args, "buffer_interval_seconds")
    freshness = buffer + FIREHOSE_MAX_BUFFER_SECONDS
    iceberg = SPEC.value(args, "table_format") == layout.TABLE_FORMAT_ICEBERG
    # [FH] lists DeliveryToIceberg.DataFreshness beside DeliveryToS3.DataFreshness: the same alarm per destination.
    freshness_metric = "DeliveryToIceberg.DataFreshness" if iceberg else "DeliveryToS3.DataFreshness"
    # [FH] DeliveryToS3.DataFreshness above the buffering limit: records are not reaching S3. The threshold is the
    # configured buffer interval plus the 15-minute limit [FH] allows. Maximum over 5 minutes, one datapoint.
    # Missing data: Firehose publishes freshness only while it holds records, so none means nothing to deliver
    # (the silence alarm covers "nothing arrives").
    specs.append(
        AlarmSpec(
            "delivery-freshness",
            "AWS/Firehose",
            freshness_metric,
            "DeliveryStreamName",
            "delivery",
            "Maximum",
            300,
            1,
            1,
            freshness,
            "GreaterThanThreshold",
            NOT_BREACHING,
            f"The oldest record in Firehose is more than {freshness} s old: delivery to "
            f"{'the Iceberg table' if iceberg else 'S3'} is stuck. Check the "
            "delivery stream's error logs (S3 or KMS access denied, Glue table missing).",
        )
    )
    if iceberg:
        # [ICE] DeliveryToIceberg.FailedRowCount: rows Firehose could not deliver to the table (a column type that
        # does not match, a commit that kept failing) go to the error prefix instead, missing from every query. Any
        # one fires. Missing data: nothing failed. An Iceberg destination has no S3 put ratio of its own and no
        # format conversion (Firehose writes Parquet itself), so those two alarms are not created.
        specs.append(
            AlarmSpec(
                "delivery-iceberg-failures",
                "AWS/Firehose",
                "DeliveryToIceberg.FailedRowCount",
                "DeliveryStreamName",
                "delivery",
                "Sum",
                300,
                1,
                1,
                0,
                "GreaterThanThreshold",
                NOT_BREACHING,
                f"Rows failed delivery to the Iceberg table and were written under {_errors(args)}, not the table. "
                "Read one of those files and the delivery stream's error logs (a column type mismatch, Glue or S3 "
                "access denied), fix it, then replay the rows.",
            )
        )
    else:
        # [FH] DeliveryToS3.Success is successful S3 puts over all S3 puts (1 when healthy). Firehose retries failed
        # puts, so one bad window is tolerated; below 1 in 3 consecutive five-minute windows is a persistent failure.
        # Missing data: no puts attempted.
        specs.append(
            AlarmSpec(
                "delivery-s3-failures",
                "AWS/Firehose",
                "DeliveryToS3.Success",
                "DeliveryStreamName",
                "delivery",
                "Average",
                300,
                3,
                3,
                1,
                "LessThanThreshold",
                NOT_BREACHING,
                "Firehose's puts to S3 keep failing (success ratio below 1 for 15 minutes). Check the delivery "
                "stream's error logs: bucket policy, KMS key policy or the Firehose role.",
            )
        )
        # [FH] FailedConversion.Records: records Firehose could not convert to Parquet go to errors/ instead of the
        # table, silently missing from every query. Any one is a schema mismatch to fix. Missing data: nothing failed.
        specs.append(
            AlarmSpec(
                "delivery-conversion-failures",
                "AWS/Firehose",
                "FailedConversion.Records",
                "DeliveryStreamName",
                "delivery",
                "Sum",
                300,
                1,
                1,
                0,
                "GreaterThanThreshold",
                NOT_BREACHING,
                f"Records failed JSON-to-Parquet conversion and were written under {_errors(args, CONVERSION_FAILED)}, "
                "not the table. Read one of those files for the error; fix what writes the records or the Glue schema, "
                "then replay the records.",
            )
        )
    if SPEC.value(args, "dynamic_partitioning"):
        # [FH] PartitionCountExceeded is 1 while the delivery stream has more active partitions than its limit
        # (500 by default); records for new partitions then go to errors/. Any 1 fires. Missing data: not
        # partitioning right now.
        specs.append(
            AlarmSpec(
                "delivery-partitions-exceeded",
                "AWS/Firehose",
                "PartitionCountExceeded",
                "DeliveryStreamName",
                "delivery",
                "Maximum",
                300,
                1,
                1,
                1,
                "GreaterThanOrEqualToThreshold",
                NOT_BREACHING,
                "Firehose exceeded its active partition limit: records for further partitions went to "
                f"{_errors(args)}. Events far in the past or future open extra partitions; check event timestamps, or "
                "ask AWS for a higher limit.",
            )
        )
    for fn in args.get("functions") or []:
        label, timeout = fn["label"], fn["timeout_seconds"]
        target = f"function:{label}"
        # [REC] Lambda Errors: Sum, period 60 s, 3 of 3 datapoints. Ours runs once per tick, so three errors in
        # three consecutive minutes never line up even when every run fails; any error in a five-minute window
        # fires instead (Lambda retries the event and the DLQ alarm follows if the retries fail too).
        # Missing data: no invocations, no errors.
        specs.append(
            AlarmSpec(
                f"{label}-errors",
                "AWS/Lambda",
                "Errors",
                "FunctionName",
                target,
                "Sum",
                300,
                1,
                1,
                0,
                "GreaterThanThreshold",
                NOT_BREACHING,
                f"The {label} function failed. Lambda retries it; read the ERROR lines of its log group for the cause.",
            )
        )
        # [REC] Lambda Throttles: Sum, period 60 s, 5 of 5. With reserved concurrency sized to the schedule a
        # throttle means runs overlap (slow runs or a burst of retries); 2 of 3 five-minute windows is a trend,
        # not one overlap. Throttled async events are retried by Lambda up to the maximum event age.
        specs.append(
            AlarmSpec(
                f"{label}-throttles",
                "AWS/Lambda",
                "Throttles",
                "FunctionName",
                target,
                "Sum",
                300,
                3,
                2,
                0,
                "GreaterThanThreshold",
                NOT_BREACHING,
                f"The {label} function is being throttled: its reserved concurrency is too low for how often it "
                "runs, or runs are piling up. Raise its reserved concurrency or find out why runs are slow.",
            )
        )
        threshold_ms = round(timeout * 1000 * DURATION_ALARM_FRACTION)
        # [REC] Lambda Duration: p90 over 1-minute periods, 15 of 15, threshold by workload. A handful of runs
        # per window make p90 the maximum anyway; one run above 80 % of the timeout fires, since the next may be
        # killed mid-batch. Missing data: no runs.
        specs.append(
            AlarmSpec(
                f"{label}-duration",
                "AWS/Lambda",
                "Duration",
                "FunctionName",
                target,
                "Maximum",
                300,
                1,
                1,
                threshold_ms,
                "GreaterThanThreshold",
                NOT_BREACHING,
                f"A {label} run took more than {threshold_ms} ms, 80 % of its {timeout} s timeout. Give it more "
                "memory (and with it CPU) or a longer timeout, or look for a slow dependency.",
            )
        )
    if args.get("dead_letter_queue_name") is not None:
        # [REC] SQS ApproximateNumberOfMessagesVisible: Maximum, period 60 s. For a dead-letter queue the right
        # threshold is any message at all: each one is a whole batch the pipeline gave up on. Missing data: SQS
        # stops publishing for a queue idle (and empty) for six hours.
        specs.append(
            AlarmSpec(
                "dead-letters",
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                "QueueName",
                "queue",
                "Maximum",
                60,
                1,
                1,
                0,
                "GreaterThanThreshold",
                NOT_BREACHING,
                "A failed invocation or an undeliverable schedule event is in the dead-letter queue: a batch of "
                "events did not reach the stream. Read the message (it holds the payload and the error), fix the "
                "cause, then re-drive it to the function that failed or delete it.",
            )
        )
    return specs


def alarm_topic_key_policy(partition: str, region: str, account_id: str) -> dict[str, Any]:
    """Key policy for the alarm topic's key: the account administers it through IAM; CloudWatch may encrypt only.

    [SNS]: the publishing service needs kms:GenerateDataKey* and kms:Decrypt on a customer managed key. The
    conditions keep the grant to this account's alarms in this region (confused-deputy guard). In a key policy
    Resource "*" means this key.
    """
    return policies.document(
        encryption.account_statement(partition, account_id),
        {
            "Sid": "CloudWatchAlarmsPublishEncrypted",
            "Effect": "Allow",
            "Principal": {"Service": CLOUDWATCH_SERVICE},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnLike": {"aws:SourceArn": f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:*"},
            },
        },
    )


def alarm_topic_policy(topic_arn: str, partition: str, region: str, account_id: str) -> dict[str, Any]:
    """Topic policy: this account's CloudWatch alarms may publish; nothing may reach the topic without TLS."""
    return policies.document(
        {
            "Sid": "CloudWatchAlarmsPublish",
            "Effect": "Allow",
            "Principal": {"Service": CLOUDWATCH_SERVICE},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnLike": {"aws:SourceArn": f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:*"},
            },
        },
        {
            # A Deny must name every principal to close plain-HTTP access for all of them.
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    )


SPEC = v.ArgSpec(
    component="PipelineAlarms",
    defaults={
        "schedule_enabled": True,
        "silence_periods": DEFAULT_SILENCE_PERIODS,
        "stream_retention_hours": v.KINESIS_MIN_RETENTION_HOURS,
        "iterator_age_threshold_seconds": DEFAULT_ITERATOR_AGE_SECONDS,
        "buffer_interval_seconds": DEFAULT_BUFFER_INTERVAL_SECONDS,
        "dynamic_partitioning": True,
        "table_format": layout.TABLE_FORMAT_PARQUET,
    },
    rules={
        "schedule_period_seconds": v.Rule(
            "a multiple of 60 s (a CloudWatch alarm period)",
            lambda x: isinstance(x, int) and x >= CLOUDWATCH_MINUTE and x % CLOUDWATCH_MINUTE == 0,
        ),
        "schedule_enabled": v.boolean(),
        "silence_periods": v.at_least(1, "schedule period(s)"),
        "stream_retention_hours": v.between(v.KINESIS_MIN_RETENTION_HOURS, v.KINESIS_MAX_RETENTION_HOURS),
        "iterator_age_threshold_seconds": v.at_least(CLOUDWATCH_MINUTE, "seconds"),
        "buffer_interval_seconds": v.between(0, v.FIREHOSE_MAX_INTERVAL_SECONDS, "(Firehose)"),
        "dynamic_partitioning": v.boolean(),
        "table_format": v.one_of(*layout.TABLE_FORMATS),
        "error_prefix": v.FOLDER,
        "alarm_name_prefix": v.Rule("a non-empty name without spaces", lambda x: bool(x) and " " not in x),
        "alarm_topic_arn": v.SNS_TOPIC_ARN,
        "alarm_emails": v.EMAILS,
        "kms_key_arn": v.KMS_KEY_ARN,
    },
    checks=(_combinations,),
    allowed=v.arguments(PipelineAlarmsArgs),
)


class PipelineAlarms(v.CheckedComponent):
    """AWS's recommended alarms for stream, delivery stream, functions and dead-letter queue, plus a silence alarm,
    all notifying one encrypted SNS topic (created, or an existing one)."""

    _spec = SPEC

    topic_arn: pulumi.Output[str]
    """ARN of the topic every alarm notifies."""
    alarm_arns: pulumi.Output[list[str]]
    """ARNs of the alarms, in the order the data flows."""
    alarm_names: pulumi.Output[list[str]]
    """Names of the alarms, in the same order."""
    key_arn: pulumi.Output[str | None]
    """ARN of the key this component created for the topic, if it created one."""

    def __init__(self, name: str, args: PipelineAlarmsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        SPEC.validate(name, args)
        super().__init__("acme-telemetry:index:PipelineAlarms", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)

        key_arn: pulumi.Input[str] | None = None
        topic_arn: pulumi.Input[str]
        existing = args.get("alarm_topic_arn")
        if existing is not None:
            topic_arn = existing
        else:
            account = aws.get_caller_identity_output(opts=invoke).account_id
            region = aws.get_region_output(opts=invoke).region
            partition = aws.get_partition_output(opts=invoke).partition
            key_input = args.get("kms_key_arn")
            if key_input is None:
                key = aws.kms.Key(
                    f"{name}-topic-key",
                    description="Encrypts the pipeline's alarm topic; CloudWatch alarms may use it to publish",
                    enable_key_rotation=True,
                    deletion_window_in_days=30,
                    policy=pulumi.Output.all(partition, region, account).apply(
                        lambda v: policies.to_json(alarm_topic_key_policy(v[0], v[1], v[2]))
                    ),
                    opts=child,
                )
                key_arn = key.arn
                key_input = key.arn
            topic = aws.sns.Topic(f"{name}-topic", kms_master_key_id=key_input, opts=child)
            aws.sns.TopicPolicy(
                f"{name}-topic-policy",
                arn=topic.arn,
                policy=pulumi.Output.all(topic.arn, partition, region, account).apply(
                    lambda v: policies.to_json(alarm_topic_policy(v[0], v[1], v[2], v[3]))
                ),
                opts=child,
            )
            for i, email in enumerate(args.get("alarm_emails") or []):
                aws.sns.TopicSubscription(
                    f"{name}-email-{i}", topic=topic.arn, protocol="email", endpoint=email, opts=child
                )
            topic_arn = topic.arn

        targets: dict[str, pulumi.Input[str]] = {
            "stream": args["stream_name"],
            "delivery": args["delivery_stream_name"],
        }
        if args.get("dead_letter_queue_name") is not None:
            targets["queue"] = args["dead_letter_queue_name"]
        for fn in args.get("functions") or []:
            targets[f"function:{fn['label']}"] = fn["function_name"]

        prefix = args.get("alarm_name_prefix")
        alarms = []
        for spec in alarm_specs(args):
            alarms.append(
                aws.cloudwatch.MetricAlarm(
                    f"{name}-{spec.key}",
                    name=f"{prefix}-{spec.key}" if prefix else None,
                    alarm_description=spec.description,
                    namespace=spec.namespace,
                    metric_name=spec.metric,
                    dimensions={spec.dimension: targets[spec.target]},
                    statistic=spec.statistic,
                    period=spec.period,
                    evaluation_periods=spec.evaluation_periods,
                    datapoints_to_alarm=spec.datapoints,
                    threshold=spec.threshold,
                    comparison_operator=spec.comparison,
                    treat_missing_data=spec.treat_missing_data,
                    alarm_actions=[topic_arn],
                    ok_actions=[topic_arn],
                    opts=child,
                )
            )

        self.topic_arn = pulumi.Output.from_input(topic_arn)
        self.alarm_arns = pulumi.Output.all(*[a.arn for a in alarms])
        self.alarm_names = pulumi.Output.all(*[a.name for a in alarms])
        self.key_arn = pulumi.Output.from_input(key_arn)
        self.register_outputs(
            {
                "topic_arn": self.topic_arn,
                "alarm_arns": self.alarm_arns,
                "alarm_names": self.alarm_names,
                "key_arn": self.key_arn,
            }
        )
