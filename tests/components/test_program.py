"""The whole program (__main__.py) under mocks with the dev and staging stack config."""

import json
import re
from collections import Counter

import pytest

from components import catalog
from components.testing import AwsMocks, ProgramResult
from functions.shared import queries, schema
from functions.shared.domains import MAX_BATCH_SIZE
from stack.settings import ConfigError
from stack.testing import run_stack, stack_config

MAX_BATCH = MAX_BATCH_SIZE

PHYSICAL_NAME_KEYS = ("name", "bucket", "layerName")
SCOPED_TYPES = (
    "aws:iam/rolePolicy:RolePolicy",
    "aws:athena/namedQuery:NamedQuery",
    "aws:cloudwatch/logStream:LogStream",
    "aws:s3/bucketObjectv2:BucketObjectv2",
    "aws:cloudwatch/logMetricFilter:LogMetricFilter",
)


def physical_names(result: ProgramResult) -> set[tuple[str, str]]:
    """(type, physical name) of every resource that claims a name in the account/region.

    Glue tables are named inside their database, so their identity is database.table; role policies, named
    queries, log streams and objects live inside a parent that is itself named here.
    """
    names = set()
    for res in result.resources:
        if not res.custom or res.type in SCOPED_TYPES:
            continue
        if res.type == "aws:glue/catalogTable:CatalogTable":
            names.add((res.type, f"{res.inputs['databaseName']}.{res.inputs['name']}"))
            continue
        for key in PHYSICAL_NAME_KEYS:
            if key in res.inputs:
                names.add((res.type, res.inputs[key]))
    return names


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_program_registers_the_whole_stack_once(stack: str, request: pytest.FixtureRequest) -> None:
    result: ProgramResult = request.getfixturevalue(stack)
    # What it registers is the snapshot's (test_snapshot); here: nothing twice, and one of each component.
    assert len({(r.type, r.name) for r in result.resources}) == len(result.resources)
    components = Counter(r.type for r in result.resources if r.type.startswith("acme-telemetry:index:"))
    assert set(components.values()) == {1}


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_every_resource_sits_under_a_component_and_the_pipeline_under_one_streaming_lake(
    stack: str, request: pytest.FixtureRequest
) -> None:
    result: ProgramResult = request.getfixturevalue(stack)
    components = {r.urn: r.type for r in result.resources if not r.custom}
    pipeline = result.one("acme-telemetry:index:StreamingLake")
    for r in result.resources:
        if not r.custom:
            under = pipeline.urn if r.name in ("lake", "catalog", "ingest", "alarms", "dashboard") else None
            assert r.parent == under or (under is None and r.parent.endswith(f"acme-telemetry-{stack}")), r.name
    for res in result.resources:
        if res.custom:
            assert components.get(res.parent, "").startswith("acme-telemetry:index:"), res.name


def test_dev_stack_reproduces_the_seed_names_and_exports_them(dev: ProgramResult) -> None:
    out = dev.outputs
    assert out["streamName"] == "acme-telemetry-stream"
    assert out["streamArn"] == "arn:aws:kinesis:us-west-2:123456789012:stream/acme-telemetry-stream"
    assert out["deliveryStreamName"] == "acme-data-kinesis-to-s3"
    assert out["bucketName"] == "acme-telemetry-data-123456789012-us-west-2"
    assert out["glueDatabaseName"] == "acme_telemetry"
    assert out["glueTableNames"] == [t.name for t in schema.TABLES]
    assert out["athenaWorkgroup"] == "acme-telemetry"
    assert out["generatorFunctionName"] == "acme-data-generator"
    assert out["producerFunctionName"] == "acme-data-producer"
    assert out["deadLetterQueueUrl"] == "https://sqs.us-west-2.amazonaws.com/123456789012/acme-data-async-dlq"
    assert out["athenaQuery"] == queries.READY_QUERY.sql("acme_telemetry")
    assert (out["region"], out["scheduleExpression"], out["scheduleEnabled"]) == ("us-west-2", "rate(5 minutes)", True)
    rule = dev.one("aws:cloudwatch/eventRule:EventRule")
    assert rule.inputs["name"] == "acme-data-generator-schedule"


def test_staging_stack_takes_its_own_settings(staging: ProgramResult) -> None:
    assert staging.outputs["streamName"] == "acme-stg-telemetry-stream"
    assert staging.outputs["athenaQuery"].count('"acme_telemetry_staging".streaming_events') == 1
    assert staging.one("aws:kinesis/stream:Stream").inputs["retentionPeriod"] == 48
    assert staging.one("aws:cloudwatch/eventRule:EventRule").inputs["scheduleExpression"] == "rate(15 minutes)"
    generator = staging.one("aws:lambda/function:Function", "generator-generator")
    assert generator.inputs["environment"]["variables"]["BATCH_SIZE"] == "500"
    assert generator.inputs["environment"]["variables"]["WINDOW_SECONDS"] == "900"


def test_dev_and_staging_in_one_account_and_region_share_no_physical_name(
    dev: ProgramResult, staging: ProgramResult
) -> None:
    assert dev.config["aws:region"] == staging.config["aws:region"]
    dev_names, staging_names = physical_names(dev), physical_names(staging)
    assert len(dev_names) >= 20
    assert dev_names.isdisjoint(staging_names), dev_names & staging_names
    dev_values = {name for _, name in dev_names}
    staging_values = {name for _, name in staging_names}
    assert dev_values.isdisjoint(staging_values)


def test_stack_config_loader_applies_project_defaults_then_stack_values_as_strings() -> None:
    dev = stack_config("dev")
    assert dev["aws:region"] == "us-west-2"
    assert dev["acme-telemetry:streamName"] == "acme-telemetry-stream"
    assert dev["acme-telemetry:namePrefix"] == "acme-data"  # a Pulumi.yaml default
    assert "acme-telemetry:batchSize" not in dev  # unset: the component's default applies
    staging = stack_config("staging")
    assert staging["acme-telemetry:batchSize"] == "500"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"batchSize": "0"}, f"acme-telemetry:batchSize must be 1–{MAX_BATCH} (mean events per 5 minutes), got 0"),
        ({"batchSize": str(MAX_BATCH + 1)}, f"acme-telemetry:batchSize must be 1–{MAX_BATCH}"),
        ({"kinesisRetentionHours": "23"}, "acme-telemetry:kinesisRetentionHours must be 24–8760, got 23"),
        ({"kinesisRetentionHours": "8761"}, "acme-telemetry:kinesisRetentionHours must be 24–8760, got 8761"),
        ({"firehoseBufferSizeMb": "32"}, "firehoseBufferSizeMb must be 64–128 when format conversion is on, got 32"),
        ({"scheduleExpression": "rate(5 minute)"}, "(singular unit for 1, plural otherwise) or cron("),
        ({"scheduleExpression": "rate(1 minutes)"}, "(EventBridge schedule expressions for rules), got 'rate(1 min"),
        ({"scheduleExpression": "every 5m"}, "acme-telemetry:scheduleExpression must be rate(N minute|minutes"),
        ({"lakeTransitionStorageClass": "GLACIER"}, "acme-telemetry:lakeTransitionStorageClass must be one of"),
        ({"lambdaRuntime": "python3.9"}, "acme-telemetry:lambdaRuntime must be one of python3.12, python3.13"),
    ],
)
def test_bad_config_fails_before_any_resource_is_registered(overrides: dict[str, str], message: str) -> None:
    mocks = AwsMocks()
    with pytest.raises(ConfigError, match=re.escape(message)):
        run_stack("dev", overrides=overrides, mocks=mocks)
    assert mocks.resources == []
    assert mocks.calls == []


def test_second_run_registers_identical_inputs_so_pulumi_up_shows_no_diff(dev: ProgramResult) -> None:
    catalog.dimension_objects.cache_clear()
    again = run_stack("dev")
    assert sorted((r.type, r.name) for r in again.resources) == sorted((r.type, r.name) for r in dev.resources)
    first = {(r.type, r.name): r.inputs for r in dev.resources}
    for res in again.resources:
        if res.type in ("aws:lambda/function:Function", "aws:lambda/layerVersion:LayerVersion"):
            # Archives compare by their file lists; Pulumi hashes the same files to the same digest.
            assert res.inputs["code"].assets.keys() == first[(res.type, res.name)]["code"].assets.keys()
            continue
        if "source" in res.inputs:  # a FileAsset (the customers parts): the same file, which Pulumi hashes alike
            before = first[(res.type, res.name)]
            assert res.inputs["source"].path == before["source"].path
            assert {k: v for k, v in res.inputs.items() if k != "source"} == {
                k: v for k, v in before.items() if k != "source"
            }
            continue
        assert res.inputs == first[(res.type, res.name)], res.name


def test_a_misspelled_config_key_fails_before_any_resource_is_registered() -> None:
    mocks = AwsMocks()
    with pytest.raises(ConfigError, match="acme-telemetry:batchSzie must be a known key"):
        run_stack("dev", overrides={"batchSzie": "100"}, mocks=mocks)
    assert mocks.resources == []


def test_dev_stack_keeps_the_lake_on_destroy_and_a_stack_may_opt_out(dev: ProgramResult) -> None:
    lake = dev.one("aws:s3/bucket:Bucket", "lake-bucket")
    assert lake.retain_on_delete and lake.inputs["forceDestroy"] is False
    throwaway = run_stack("dev", overrides={"lakeRetainOnDestroy": "false"})
    for name in ("lake-bucket", "access-logs-bucket"):
        bucket = throwaway.one("aws:s3/bucket:Bucket", name)
        assert not bucket.retain_on_delete and bucket.inputs["forceDestroy"] is True


def test_dev_stack_exports_its_dashboard_and_alarm_topic(dev: ProgramResult) -> None:
    assert dev.outputs["dashboardUrl"] == (
        "https://us-west-2.console.aws.amazon.com/cloudwatch/home?region=us-west-2#dashboards/dashboard/"
        "acme-data-pipeline"
    )
    assert dev.outputs["alarmTopicArn"] == dev.one("aws:sns/topic:Topic").outputs["arn"]
    assert len(dev.outputs["alarmNames"]) == 14 and dev.outputs["encryptionKeyArn"] is None


def test_customer_managed_key_encrypts_stream_lake_queue_topic_logs_and_lambda_environment() -> None:
    result = run_stack("dev", overrides={"encryptionKey": "customer-managed"})
    key = result.one("aws:kms/key:Key", "key-key")
    arn = key.outputs["arn"]
    assert result.outputs["encryptionKeyArn"] == arn and key.inputs["enableKeyRotation"] is True
    assert result.one("aws:kinesis/stream:Stream").inputs["kmsKeyId"] == arn
    sse = result.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "lake-encryption"
    )
    assert sse.inputs["rules"][0] == {
        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": arn},
        "bucketKeyEnabled": True,
    }
    assert result.one("aws:sqs/queue:Queue").inputs["kmsMasterKeyId"] == arn
    state = result.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "generator-state-encryption",
    )
    assert state.inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": arn,
    }
    assert result.one("aws:sns/topic:Topic").inputs["kmsMasterKeyId"] == arn
    assert {g.inputs["kmsKeyId"] for g in result.of_type("aws:cloudwatch/logGroup:LogGroup")} == {arn}
    assert {f.inputs["kmsKeyArn"] for f in result.of_type("aws:lambda/function:Function")} == {arn}
    # One key only: the alarm topic does not get a key of its own.
    assert len(result.of_type("aws:kms/key:Key")) == 1


def test_the_generators_state_bucket_is_exported_and_logs_its_requests_like_the_lake(dev: ProgramResult) -> None:
    state = dev.one("aws:s3/bucket:Bucket", "generator-state")
    assert dev.outputs["generatorStateBucketName"] == state.outputs["bucket"] == "acme-data-state-5f5729c"
    logged = {r.inputs["bucket"]: r.inputs for r in dev.of_type("aws:s3/bucketLogging:BucketLogging")}
    log_bucket = dev.outputs["accessLogBucketName"]
    assert {name: (i["targetBucket"], i["targetPrefix"]) for name, i in logged.items()} == {
        dev.outputs["bucketName"]: (log_bucket, f"{dev.outputs['bucketName']}/"),
        state.outputs["bucket"]: (log_bucket, f"{state.outputs['bucket']}/"),
    }
    # The logging service may write for exactly these two buckets (access_logs.access_log_bucket_policy).
    delivery = json.loads(dev.one("aws:s3/bucketPolicy:BucketPolicy", "access-logs-policy").inputs["policy"])
    assert delivery["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"] == sorted(
        [state.outputs["arn"], f"arn:aws:s3:::{dev.outputs['bucketName']}"]
    )
    env = dev.one("aws:lambda/function:Function", "generator-generator").inputs["environment"]["variables"]
    assert (env["STATE_BUCKET"], env["STATE_PREFIX"]) == (state.outputs["bucket"], "admission/")


def test_existing_topic_replaces_the_created_one() -> None:
    topic = "arn:aws:sns:us-west-2:123456789012:ops-alerts"
    result = run_stack("dev", overrides={"alarmTopicArn": topic})
    assert result.of_type("aws:sns/topic:Topic") == [] and result.outputs["alarmTopicArn"] == topic
    assert {a.inputs["alarmActions"][0] for a in result.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")} == {topic}


def test_bad_alarm_config_fails_before_any_resource_is_registered() -> None:
    mocks = AwsMocks()
    with pytest.raises(ConfigError, match=r"alarmEmails must be a list of e-mail addresses"):
        run_stack("dev", overrides={"alarmEmails": '["nobody"]'}, mocks=mocks)
    assert mocks.resources == []
