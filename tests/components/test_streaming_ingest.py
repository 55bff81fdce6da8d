"""StreamingIngest alone under mocks: the Kinesis stream and the Firehose that writes partitioned Parquet."""

import json

import pytest

from components import StreamingIngest
from components.testing import ProgramResult, run_resources
from functions.shared import layout, schema

FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
BUCKET_ARN = "arn:aws:s3:::lake-bucket"


def build(**extra: object) -> ProgramResult:
    def program() -> dict:
        ingest = StreamingIngest(
            "ingest",
            {
                "name_prefix": "acme-test",
                "stream_name": "test-stream",
                "bucket_arn": BUCKET_ARN,
                "database_name": "acme_test",
                "table": schema.STREAMING_EVENTS,
                "table_name": "streaming_events",
                **extra,
            },  # type: ignore[typeddict-item]
        )
        return {
            "stream": ingest.stream_name,
            "stream_arn": ingest.stream_arn,
            "delivery": ingest.delivery_stream_name,
            "logs": ingest.log_group_name,
        }

    return run_resources(program)


@pytest.fixture(scope="module")
def event_time() -> ProgramResult:
    return build()


def s3_config(result: ProgramResult) -> dict:
    return result.one(FIREHOSE).inputs["extendedS3Configuration"]


def test_stream_is_on_demand_kms_encrypted_with_the_aws_managed_key(event_time: ProgramResult) -> None:
    stream = event_time.one("aws:kinesis/stream:Stream").inputs
    assert stream["name"] == "test-stream"
    assert stream["streamModeDetails"] == {"streamMode": "ON_DEMAND"}
    assert stream["retentionPeriod"] == 24
    assert (stream["encryptionType"], stream["kmsKeyId"]) == ("KMS", "alias/aws/kinesis")
    assert "shardCount" not in stream
    assert event_time.outputs == {
        "stream": "test-stream",
        "stream_arn": "arn:aws:kinesis:us-west-2:123456789012:stream/test-stream",
        "delivery": "acme-test-kinesis-to-s3",
        "logs": "/aws/firehose/acme-test-kinesis-to-s3",
    }


def test_provisioned_stream_gets_shards_and_retention() -> None:
    stream = build(stream_mode="PROVISIONED", shard_count=3, retention_hours=72).one("aws:kinesis/stream:Stream")
    assert (stream.inputs["streamModeDetails"], stream.inputs["shardCount"], stream.inputs["retentionPeriod"]) == (
        {"streamMode": "PROVISIONED"},
        3,
        72,
    )


def test_firehose_reads_the_stream_and_writes_parquet_to_the_lake(event_time: ProgramResult) -> None:
    firehose = event_time.one(FIREHOSE).inputs
    role_arn = "arn:aws:iam::123456789012:role/acme-test-firehose-role"
    assert firehose["name"] == "acme-test-kinesis-to-s3" and firehose["destination"] == "extended_s3"
    assert firehose["kinesisSourceConfiguration"] == {
        "kinesisStreamArn": "arn:aws:kinesis:us-west-2:123456789012:stream/test-stream",
        "roleArn": role_arn,
    }
    s3 = s3_config(event_time)
    assert (s3["bucketArn"], s3["roleArn"]) == (BUCKET_ARN, role_arn)
    assert s3["errorOutputPrefix"] == layout.FIREHOSE_ERROR_PREFIX
    assert "!{firehose:error-output-type}" in s3["errorOutputPrefix"]
    assert s3["fileExtension"] == ".parquet"
    assert (s3["bufferingSize"], s3["bufferingInterval"], s3["compressionFormat"]) == (64, 60, "UNCOMPRESSED")
    conversion = s3["dataFormatConversionConfiguration"]
    assert conversion["enabled"] is True
    assert conversion["inputFormatConfiguration"] == {"deserializer": {"openXJsonSerDe": {}}}
    assert conversion["outputFormatConfiguration"] == {"serializer": {"parquetSerDe": {"compression": "SNAPPY"}}}
    assert conversion["schemaConfiguration"] == {
        "databaseName": "acme_test",
        "tableName": "streaming_events",
        "roleArn": role_arn,
        "region": "us-west-2",
    }


def test_event_time_mode_partitions_with_the_shared_jq_query(event_time: ProgramResult) -> None:
    s3 = s3_config(event_time)
    assert s3["prefix"] == layout.firehose_prefix("event_time")
    assert "partitionKeyFromQuery:hour" in s3["prefix"]
    assert s3["dynamicPartitioningConfiguration"] == {"enabled": True, "retryDuration": 300}
    _, processor = s3["processingConfiguration"]["processors"]
    assert s3["processingConfiguration"]["enabled"] is True
    assert processor["type"] == "MetadataExtraction"
    params = {p["parameterName"]: p["parameterValue"] for p in processor["parameters"]}
    assert params == {"MetadataExtractionQuery": layout.jq_metadata_query(), "JsonParsingEngine": "JQ-1.6"}


def test_event_time_mode_de_aggregates_json_records_before_the_jq_extraction(event_time: ProgramResult) -> None:
    # Firehose applies partitioning keys only to de-aggregated records; the producer sends JSON Lines of events.
    types = [p["type"] for p in s3_config(event_time)["processingConfiguration"]["processors"]]
    assert types == ["RecordDeAggregation", "MetadataExtraction"]
    first = s3_config(event_time)["processingConfiguration"]["processors"][0]
    assert first["parameters"] == [{"parameterName": "SubRecordType", "parameterValue": "JSON"}]


def test_arrival_time_mode_uses_timestamp_prefix_without_dynamic_partitioning() -> None:
    s3 = s3_config(build(partition_by="arrival_time"))
    assert s3["prefix"] == layout.firehose_prefix("arrival_time")
    assert "!{timestamp:yyyy}" in s3["prefix"]
    assert "dynamicPartitioningConfiguration" not in s3 and "processingConfiguration" not in s3


def test_buffering_and_log_retention_come_from_args() -> None:
    result = build(buffer_size_mb=128, buffer_interval_seconds=900, log_retention_days=30)
    s3 = s3_config(result)
    assert (s3["bufferingSize"], s3["bufferingInterval"]) == (128, 900)
    log_group = result.one("aws:cloudwatch/logGroup:LogGroup").inputs
    assert (log_group["name"], log_group["retentionInDays"]) == ("/aws/firehose/acme-test-kinesis-to-s3", 30)


def test_firehose_logs_to_its_own_group_and_delivery_stream(event_time: ProgramResult) -> None:
    logging = s3_config(event_time)["cloudwatchLoggingOptions"]
    assert logging == {
        "enabled": True,
        "logGroupName": "/aws/firehose/acme-test-kinesis-to-s3",
        "logStreamName": "delivery",
    }
    stream = event_time.one("aws:cloudwatch/logStream:LogStream").inputs
    assert (stream["name"], stream["logGroupName"]) == ("delivery", "/aws/firehose/acme-test-kinesis-to-s3")


def test_firehose_role_is_least_privilege_on_this_stream_bucket_table_and_log_stream(
    event_time: ProgramResult,
) -> None:
    role = event_time.one("aws:iam/role:Role").inputs
    trust = json.loads(role["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "firehose.amazonaws.com"}
    # Firehose developer guide, "Allow Firehose to assume an IAM role": sts:ExternalId is the account id.
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": "123456789012"}}
    policy = json.loads(event_time.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    grants = {s["Sid"]: (sorted(s["Action"]), s["Resource"]) for s in policy["Statement"]}
    glue = "arn:aws:glue:us-west-2:123456789012"
    assert grants == {
        "ReadSourceStream": (
            ["kinesis:DescribeStream", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards"],
            ["arn:aws:kinesis:us-west-2:123456789012:stream/test-stream"],
        ),
        "LocateLakeBucket": (["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"], [BUCKET_ARN]),
        "WriteDataAndErrors": (
            ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
            [f"{BUCKET_ARN}/telemetry/*", f"{BUCKET_ARN}/errors/*"],
        ),
        "ReadTableSchema": (
            ["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"],
            [f"{glue}:catalog", f"{glue}:database/acme_test", f"{glue}:table/acme_test/streaming_events"],
        ),
        "DeliveryLogs": (
            ["logs:PutLogEvents"],
            ["arn:aws:logs:us-west-2:123456789012:log-group:/aws/firehose/acme-test-kinesis-to-s3:log-stream:delivery"],
        ),
    }
    assert not any(a.startswith("kms:") for s in policy["Statement"] for a in s["Action"])


def test_delivery_stream_waits_for_its_role_policy(event_time: ProgramResult) -> None:
    firehose = event_time.one(FIREHOSE)
    policy = event_time.one("aws:iam/rolePolicy:RolePolicy")
    assert policy.urn in firehose.dependencies


def test_a_kms_encrypted_lake_lets_firehose_use_its_key_only_through_s3_for_this_bucket() -> None:
    key = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    result = build(lake_kms_key_arn=key)
    policy = json.loads(result.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    (grant,) = [s for s in policy["Statement"] if any(a.startswith("kms:") for a in s["Action"])]
    assert grant == {
        "Sid": "EncryptLakeObjects",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": [key],
        "Condition": {
            "StringEquals": {"kms:ViaService": "s3.us-west-2.amazonaws.com"},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": [BUCKET_ARN, f"{BUCKET_ARN}/*"]},
        },
    }
