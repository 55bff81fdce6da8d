"""PipelineAlarms alone under mocks: which alarms exist, what they watch, when they fire, where they notify."""

import json
from typing import Any

import pytest

from components.alarms import (
    BREACHING,
    CLOUDWATCH_MAX_EVALUATION_SECONDS,
    NOT_BREACHING,
    PipelineAlarms,
    PipelineAlarmsArgs,
    alarm_specs,
    alarm_topic_key_policy,
)
from components.testing import AwsMocks, ProgramResult, run_resources

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
KEY = "aws:kms/key:Key"
KEY_ARN = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TOPIC_ARN = "arn:aws:sns:us-west-2:123456789012:ops-alerts"


BASE: PipelineAlarmsArgs = {
    "stream_name": "the-stream",
    "delivery_stream_name": "the-delivery",
    "functions": [
        {"label": "generator", "function_name": "gen-fn", "timeout_seconds": 60},
        {"label": "producer", "function_name": "prod-fn", "timeout_seconds": 30},
    ],
    "dead_letter_queue_name": "the-dlq",
    "schedule_period_seconds": 300,
    "alarm_name_prefix": "acme-data",
}


def build(args: PipelineAlarmsArgs) -> ProgramResult:
    def program() -> dict:
        alarms = PipelineAlarms("alarms", args)
        return {
            "topic": alarms.topic_arn,
            "arns": alarms.alarm_arns,
            "names": alarms.alarm_names,
            "key": alarms.key_arn,
        }

    return run_resources(program, mocks=AwsMocks())


def by_key(result: ProgramResult) -> dict[str, dict[str, Any]]:
    return {r.name.removeprefix("alarms-"): r.inputs for r in result.of_type(ALARM)}


def test_full_pipeline_gets_every_recommended_alarm_in_flow_order() -> None:
    result = build(BASE)
    assert result.outputs["names"] == [
        "acme-data-stream-silent",
        "acme-data-stream-write-throttled",
        "acme-data-stream-iterator-age",
        "acme-data-delivery-freshness",
        "acme-data-delivery-s3-failures",
        "acme-data-delivery-conversion-failures",
        "acme-data-delivery-partitions-exceeded",
        "acme-data-generator-errors",
        "acme-data-generator-throttles",
        "acme-data-generator-duration",
        "acme-data-producer-errors",
        "acme-data-producer-throttles",
        "acme-data-producer-duration",
        "acme-data-dead-letters",
    ]
    assert len(result.outputs["arns"]) == 14
    assert all(arn.startswith("arn:aws:cloudwatch:us-west-2:123456789012:alarm:") for arn in result.outputs["arns"])


def test_each_alarm_watches_its_resource_by_the_right_dimension() -> None:
    alarms = by_key(build(BASE))
    assert alarms["stream-iterator-age"]["dimensions"] == {"StreamName": "the-stream"}
    assert alarms["delivery-freshness"]["dimensions"] == {"DeliveryStreamName": "the-delivery"}
    assert alarms["producer-errors"]["dimensions"] == {"FunctionName": "prod-fn"}
    assert alarms["generator-duration"]["dimensions"] == {"FunctionName": "gen-fn"}
    assert alarms["dead-letters"]["dimensions"] == {"QueueName": "the-dlq"}
    metrics = {key: (a["namespace"], a["metricName"]) for key, a in alarms.items()}
    assert metrics["delivery-conversion-failures"] == ("AWS/Firehose", "FailedConversion.Records")
    assert metrics["delivery-partitions-exceeded"] == ("AWS/Firehose", "PartitionCountExceeded")
    assert metrics["delivery-s3-failures"] == ("AWS/Firehose", "DeliveryToS3.Success")
    assert metrics["stream-silent"] == ("AWS/Kinesis", "IncomingRecords")
    assert metrics["stream-write-throttled"] == ("AWS/Kinesis", "WriteProvisionedThroughputExceeded")


def test_thresholds_follow_timeouts_buffering_and_any_dead_letter() -> None:
    alarms = by_key(build({**BASE, "buffer_interval_seconds": 300, "iterator_age_threshold_seconds": 600}))
    assert alarms["producer-duration"]["threshold"] == 24_000  # 80 % of 30 s
    assert alarms["generator-duration"]["threshold"] == 48_000
    assert alarms["delivery-freshness"]["threshold"] == 300 + 900
    assert alarms["stream-iterator-age"]["threshold"] == 600_000
    dlq = alarms["dead-letters"]
    assert (dlq["comparisonOperator"], dlq["threshold"], dlq["statistic"]) == ("GreaterThanThreshold", 0, "Maximum")


def test_silence_alarm_counts_schedule_periods_and_treats_no_data_as_silence() -> None:
    silent = by_key(build({**BASE, "schedule_period_seconds": 900, "silence_periods": 4}))["stream-silent"]
    assert (silent["period"], silent["evaluationPeriods"], silent["datapointsToAlarm"]) == (900, 4, 4)
    assert (silent["comparisonOperator"], silent["threshold"]) == ("LessThanThreshold", 1)
    assert silent["treatMissingData"] == BREACHING


def test_missing_data_treatment_is_chosen_per_alarm() -> None:
    treatments = {spec.key: spec.treat_missing_data for spec in alarm_specs(BASE)}
    breaching = {k for k, v in treatments.items() if v == BREACHING}
    assert breaching == {"stream-silent", "stream-iterator-age"}
    assert all(v == NOT_BREACHING for k, v in treatments.items() if k not in breaching)


def test_disabled_or_cron_schedule_has_no_silence_alarm_and_arrival_time_no_partition_alarm() -> None:
    keys = {s.key for s in alarm_specs({**BASE, "schedule_enabled": False, "dynamic_partitioning": False})}
    assert "stream-silent" not in keys and "delivery-partitions-exceeded" not in keys
    cron: PipelineAlarmsArgs = {k: v for k, v in BASE.items() if k != "schedule_period_seconds"}  # type: ignore[assignment]
    assert "stream-silent" not in {s.key for s in alarm_specs(cron)}


def test_every_alarm_notifies_the_topic_on_alarm_and_on_recovery() -> None:
    result = build(BASE)
    topic = result.outputs["topic"]
    for alarm in result.of_type(ALARM):
        assert alarm.inputs["alarmActions"] == [topic] and alarm.inputs["okActions"] == [topic], alarm.name
        assert alarm.inputs["alarmDescription"], alarm.name


def test_created_topic_is_encrypted_with_its_own_rotating_key_that_cloudwatch_may_use() -> None:
    result = build({**BASE, "alarm_emails": ["ops@example.com", "oncall+acme@example.org"]})
    key = result.one(KEY)
    assert key.inputs["enableKeyRotation"] is True
    assert result.one(TOPIC).inputs["kmsMasterKeyId"] == result.outputs["key"] == key.outputs["arn"]
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    cloudwatch = statements["CloudWatchAlarmsPublishEncrypted"]
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert cloudwatch["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert cloudwatch["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    subscriptions = result.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert sorted(s.inputs["endpoint"] for s in subscriptions) == ["oncall+acme@example.org", "ops@example.com"]
    assert {s.inputs["protocol"] for s in subscriptions} == {"email"}
    policy = json.loads(result.one("aws:sns/topicPolicy:TopicPolicy").inputs["policy"])
    deny = next(s for s in policy["Statement"] if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_given_key_encrypts_the_topic_and_no_key_is_created() -> None:
    result = build({**BASE, "kms_key_arn": KEY_ARN})
    assert result.of_type(KEY) == []
    assert result.one(TOPIC).inputs["kmsMasterKeyId"] == KEY_ARN
    assert result.outputs["key"] is None


def test_existing_topic_is_notified_and_nothing_else_is_created_for_it() -> None:
    result = build({**BASE, "alarm_topic_arn": TOPIC_ARN})
    assert result.of_type(TOPIC) == [] and result.of_type(KEY) == []
    assert result.outputs["topic"] == TOPIC_ARN
    assert all(a.inputs["alarmActions"] == [TOPIC_ARN] for a in result.of_type(ALARM))


def test_without_a_prefix_alarm_names_come_from_the_logical_names() -> None:
    args: PipelineAlarmsArgs = {k: v for k, v in BASE.items() if k != "alarm_name_prefix"}  # type: ignore[assignment]
    result = build(args)
    assert all("name" not in a.inputs for a in result.of_type(ALARM))
    assert all(a.parent.endswith("PipelineAlarms::alarms") for a in result.of_type(ALARM))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"alarm_emails": ["not-an-address"]}, r"alarm_emails must be a list of e-mail addresses.*'not-an-address'"),
        ({"alarm_emails": ["a b@example.com"]}, r"alarm_emails must be"),
        ({"alarm_topic_arn": "arn:aws:sqs:us-west-2:123456789012:q"}, r"alarm_topic_arn must be an SNS topic ARN"),
        ({"alarm_topic_arn": TOPIC_ARN, "alarm_emails": ["ops@example.com"]}, r"alarm_emails must be empty"),
        ({"kms_key_arn": "alias/aws/sns"}, r"kms_key_arn must be a KMS key ARN.*'alias/aws/sns'"),
        ({"schedule_period_seconds": 90}, r"schedule_period_seconds must be a multiple of 60"),
        ({"schedule_period_seconds": 86_400, "silence_periods": 2}, r"silence_periods must be at most 1"),
        ({"silence_periods": 0}, r"silence_periods must be at least 1"),
        ({"iterator_age_threshold_seconds": 50_000}, r"iterator_age_threshold_seconds must be at most 43200 s"),
        ({"buffer_interval_seconds": 901}, r"buffer_interval_seconds must be 0–900"),
        ({"functions": [{"label": "x", "function_name": "f", "timeout_seconds": 901}]}, r"timeout_seconds"),
        (
            {"functions": [{"label": "a", "function_name": "f", "timeout_seconds": 1}] * 2},
            r"functions\[1\]\.label must be a unique name",
        ),
    ],
)
def test_bad_plain_inputs_fail_naming_argument_value_and_rule(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PipelineAlarms.validate("alarms", {**BASE, **change})  # type: ignore[typeddict-item]


def test_silence_window_may_use_the_whole_evaluation_day_and_no_more() -> None:
    period = CLOUDWATCH_MAX_EVALUATION_SECONDS // 3
    PipelineAlarms.validate("alarms", {**BASE, "schedule_period_seconds": period, "silence_periods": 3})
    with pytest.raises(
        ValueError, match=f"silence_periods must be at most 3 with schedule_period_seconds {period} s .*, got 4"
    ):
        PipelineAlarms.validate("alarms", {**BASE, "schedule_period_seconds": period, "silence_periods": 4})


def test_key_policy_limits_cloudwatch_to_this_accounts_alarms_in_this_region() -> None:
    doc = alarm_topic_key_policy("aws", "eu-west-1", "111122223333")
    cloudwatch = doc["Statement"][1]
    assert cloudwatch["Condition"]["ArnLike"] == {"aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:*"}


def test_descriptions_name_the_error_prefix_and_functions_really_wired() -> None:
    wired = build({**BASE, "error_prefix": "failed/", "functions": [BASE["functions"][1]]})
    described = {key: inputs["alarmDescription"] for key, inputs in by_key(wired).items()}
    assert "under failed/format-conversion-failed/" in described["delivery-conversion-failures"]
    assert "went to failed/." in described["delivery-partitions-exceeded"]
    assert "the schedule or the producer function has stopped" in described["stream-silent"]
    assert "Check the producer function's logs and the dead-letter queue." in described["stream-silent"]
    every = " ".join(described.values())
    assert "errors/" not in every and "generator" not in every


def test_without_an_error_prefix_or_functions_nothing_about_them_is_assumed() -> None:
    bare = build({"stream_name": "s", "delivery_stream_name": "d", "schedule_period_seconds": 300})
    every = " ".join(inputs["alarmDescription"] for inputs in by_key(bare).values())
    assert "errors/" not in every and "producer" not in every and "generator" not in every
    assert "the delivery stream's error output prefix" in every
    assert "the schedule or whatever writes to it has stopped" in every
