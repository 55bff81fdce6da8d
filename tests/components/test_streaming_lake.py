"""StreamingLake: one component for a whole pipeline, its children wired to each other, and the stack built on it."""

import json
import re

import pytest

from components import ArgumentError, Column, NamedQuery, StreamingLake, Table
from components.streaming_lake import ROLES
from components.testing import AwsMocks, ProgramResult, run_resources

FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
CLICKS = Table(
    name="clicks",
    description="One row per click in the web shop",
    prefix="clicks/",
    columns=(Column("click_id", "string"), Column("page", "string"), Column("clicked_at", "string")),
    partition_keys=tuple(Column(k, "string") for k in ("year", "month", "day", "hour")),
    timestamp_field="clicked_at",
)
THEIR_STREAM = "arn:aws:kinesis:eu-west-1:111122223333:stream/shop-clicks"


def build(**extra: object) -> ProgramResult:
    def program() -> dict:
        lake = StreamingLake(
            "shop",
            {
                "table": CLICKS,
                "named_queries": [NamedQuery("clicks_today", "Clicks today", "SELECT COUNT(*) FROM {database}.clicks")],
                "existing_stream_arn": THEIR_STREAM,
                "error_prefix": "failed/",
                **extra,
            },  # type: ignore[typeddict-item]
        )
        return {
            "bucket": lake.bucket_name,
            "stream": lake.stream_name,
            "stream_arn": lake.stream_arn,
            "delivery": lake.delivery_stream_name,
            "tables": lake.table_names,
            "queries": lake.named_query_names,
            "alarms": lake.alarm_names,
            "url": lake.dashboard_url,
        }

    return run_resources(program, mocks=AwsMocks(account_id="111122223333", region="eu-west-1"))


@pytest.fixture(scope="module")
def shop() -> ProgramResult:
    return build()


def test_it_builds_the_five_children_under_itself_named_after_it(shop: ProgramResult) -> None:
    lake = shop.one("acme-telemetry:index:StreamingLake")
    children = {r.type.rsplit(":", 1)[1]: r for r in shop.resources if r.parent == lake.urn}
    assert set(children) == {"DataLake", "TelemetryCatalog", "StreamingIngest", "PipelineAlarms", "PipelineDashboard"}
    assert sorted(r.name for r in children.values()) == sorted(f"shop-{role}" for role in ROLES)


def test_the_brought_stream_is_read_into_the_table_and_nothing_assumes_this_projects_layout(
    shop: ProgramResult,
) -> None:
    assert not shop.of_type("aws:kinesis/stream:Stream")
    s3 = shop.one(FIREHOSE).inputs["extendedS3Configuration"]
    assert shop.one(FIREHOSE).inputs["kinesisSourceConfiguration"]["kinesisStreamArn"] == THEIR_STREAM
    assert s3["prefix"].startswith("clicks/year=!{partitionKeyFromQuery:year}/")
    assert s3["errorOutputPrefix"].startswith("failed/")
    assert s3["dataFormatConversionConfiguration"]["schemaConfiguration"]["tableName"] == "clicks"
    assert shop.outputs["stream"] == "shop-clicks" and shop.outputs["tables"] == ["clicks"]
    assert shop.outputs["queries"] == ["clicks_today"]
    assert not shop.of_type("aws:s3/bucketObjectv2:BucketObjectv2")


def test_alarms_and_dashboard_watch_exactly_what_was_built(shop: ProgramResult) -> None:
    delivery = shop.outputs["delivery"]
    dims = {r.name.removeprefix("shop-alarms-"): r.inputs["dimensions"] for r in shop.of_type(ALARM)}
    assert dims["stream-iterator-age"] == {"StreamName": "shop-clicks"}
    assert dims["delivery-freshness"] == {"DeliveryStreamName": delivery}
    conversion = shop.one(ALARM, "shop-alarms-delivery-conversion-failures").inputs["alarmDescription"]
    assert "failed/format-conversion-failed/" in conversion
    body = json.loads(shop.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
    assert "shop-clicks" in json.dumps(body) and delivery in json.dumps(body)
    assert shop.outputs["url"].startswith("https://eu-west-1.console.aws.amazon.com/cloudwatch/home")


def test_one_key_encrypts_lake_stream_logs_and_topic() -> None:
    key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    result = _new_stream_with_key(key)
    assert result.one("aws:kinesis/stream:Stream").inputs["kmsKeyId"] == key
    assert result.one("aws:sns/topic:Topic").inputs["kmsMasterKeyId"] == key
    assert result.one("aws:cloudwatch/logGroup:LogGroup").inputs["kmsKeyId"] == key
    sse = result.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs[
        "rules"
    ][0]["applyServerSideEncryptionByDefault"]
    assert sse == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key}
    assert not result.of_type("aws:kms/key:Key")


def _new_stream_with_key(key: str) -> ProgramResult:
    def program() -> dict:
        return {"s": StreamingLake("shop", {"table": CLICKS, "kms_key_arn": key}).stream_name}

    return run_resources(program, mocks=AwsMocks(account_id="111122223333", region="eu-west-1"))


def test_every_problem_of_every_child_is_reported_at_once_before_anything_registers() -> None:
    mocks = AwsMocks()
    args = {
        "table": CLICKS,
        "tables": [],
        "buffer_size_mb": 5,
        "transition_storage_class": "GLACIER",
        "silence_periods": 0,
        "existing_stream_arn": "arn:aws:kinesis:eu-west-1:111122223333:stream/s",
        "named_queries": [NamedQuery("q", "d", "SELECT {columns} FROM {database}.clicks")],
        "moved_from_root": {"bucket": "lake"},
    }
    with pytest.raises(ArgumentError) as err:
        run_resources(lambda: {"x": StreamingLake("pipe", args).urn}, mocks=mocks)  # type: ignore[arg-type]
    assert str(err.value).startswith("StreamingLake 'pipe': invalid arguments:")
    named = {p.split(" ")[0] for p in err.value.problems}
    assert named == {
        "tables",
        "buffer_size_mb",
        "transition_storage_class",
        "silence_periods",
        "existing_stream_arn",
        "named_queries[0].sql_template",
        "moved_from_root",
    }
    assert any(
        re.search(r"existing_stream_arn must be a stream in the stack's region us-west-2", p)
        for p in err.value.problems
    )
    assert mocks.resources == []


def test_the_stacks_five_components_moved_under_one_streaming_lake_with_aliases(dev: ProgramResult) -> None:
    lake = dev.one("acme-telemetry:index:StreamingLake", "telemetry")
    moved = {r.name: r.aliases for r in dev.resources if r.parent == lake.urn}
    assert moved == {role: [{"noParent": True}] for role in ROLES}


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_the_stacks_pipeline_watches_the_generator_it_feeds_by_the_names_it_really_has(
    stack: str, request: pytest.FixtureRequest
) -> None:
    result: ProgramResult = request.getfixturevalue(stack)
    functions = {r.name.rsplit("-", 1)[1]: r.outputs["name"] for r in result.of_type("aws:lambda/function:Function")}
    queue = result.one("aws:sqs/queue:Queue").outputs["name"]
    watched = {r.name: r.inputs["dimensions"] for r in result.of_type(ALARM)}
    assert watched["alarms-dead-letters"] == {"QueueName": queue}
    for role, name in functions.items():
        assert watched[f"alarms-{role}-errors"] == {"FunctionName": name}
    log_group = result.one("aws:cloudwatch/logMetricFilter:LogMetricFilter").inputs["logGroupName"]
    assert log_group == result.one("aws:cloudwatch/logGroup:LogGroup", "generator-generator-logs").outputs["name"]
