"""table_format iceberg under mocks: the Glue Iceberg table, Firehose's Iceberg destination, the table optimizers, their
least-privilege roles, source-record backup in both formats, deliberate replacement and the refusals."""

import json
import re
from typing import Any, ClassVar

import pulumi
import pulumi_aws as aws
import pytest

from components import ArgumentError, PipelineAlarms, StreamingIngest, StreamingLake, iceberg, policies
from components import streaming_ingest as ingest_module
from components.testing import AwsMocks, ProgramResult, run_resources
from functions.shared import layout, queries, schema
from functions.shared.schema import Column, Table

FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
TABLE = "aws:glue/catalogTable:CatalogTable"
OPTIMIZER = "aws:glue/catalogTableOptimizer:CatalogTableOptimizer"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
KEY = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ACCOUNT, REGION = "123456789012", "us-west-2"


def lake(**extra: Any) -> ProgramResult:
    def program() -> dict:
        built = StreamingLake(
            "t",
            {
                "table": schema.STREAMING_EVENTS,
                "tables": list(schema.TABLES),
                "named_queries": list(queries.NAMED_QUERIES),
                "database_name": "acme_test",
                "bucket_name": "lake-bucket",
                "table_format": "iceberg",
                **extra,
            },  # type: ignore[typeddict-item]
        )
        return {"delivery": built.delivery_stream_name, "alarms": built.alarm_names}

    return run_resources(program)


@pytest.fixture(scope="module")
def iceberg_lake() -> ProgramResult:
    return lake()


def policy_of(result: ProgramResult, suffix: str) -> dict[str, Any]:
    [found] = [r for r in result.of_type(ROLE_POLICY) if r.name.endswith(suffix)]
    return json.loads(found.inputs["policy"])


def statements(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in doc["Statement"]}


GLUE_ARNS = [
    f"arn:aws:glue:{REGION}:{ACCOUNT}:catalog",
    f"arn:aws:glue:{REGION}:{ACCOUNT}:database/acme_test",
    f"arn:aws:glue:{REGION}:{ACCOUNT}:table/acme_test/streaming_events",
]


def test_the_events_table_is_an_iceberg_v2_table_with_the_schemas_columns_beside_the_parquet_prefix(
    iceberg_lake: ProgramResult,
) -> None:
    table = iceberg_lake.one(TABLE, "t-catalog-streaming-events").inputs
    given = table["openTableFormatInput"]["icebergInput"]
    assert (given["metadataOperation"], given["version"]) == ("CREATE", "2")  # Firehose: V2 tables only
    spec = given["icebergTableInput"]
    assert spec["location"] == "s3://lake-bucket/telemetry-iceberg/"
    fields = spec["schema"]["fields"]
    # The same columns Athena shows for the Parquet table: its columns, then its Hive partition keys as columns.
    table_columns = schema.STREAMING_EVENTS.columns + schema.STREAMING_EVENTS.partition_keys
    assert [f["name"] for f in fields] == [c.name for c in table_columns]
    assert [f["name"] for f in fields][-4:] == ["year", "month", "day", "hour"]
    assert [f["id"] for f in fields] == list(range(1, len(fields) + 1))
    assert {f["name"]: f["type"] for f in fields}["buffering_events"] == "int"
    assert {f["name"]: f["type"] for f in fields}["bandwidth_mbps"] == "double"
    assert "partitionKeys" not in table and "parameters" not in table  # no Hive partitions, no projection
    assert [c["name"] for c in table["storageDescriptor"]["columns"]] == [f["name"] for f in fields]


def test_the_iceberg_partition_spec_is_the_hour_of_the_event_time_column(iceberg_lake: ProgramResult) -> None:
    spec = iceberg_lake.one(TABLE, "t-catalog-streaming-events").inputs["openTableFormatInput"]["icebergInput"]
    fields = spec["icebergTableInput"]["schema"]["fields"]
    [partition] = spec["icebergTableInput"]["partitionSpec"]["fields"]
    source = next(f for f in fields if f["id"] == partition["sourceId"])
    assert source["name"] == schema.STREAMING_EVENTS.timestamp_field
    assert partition["transform"] == "truncate[13]" and partition["name"] == "event_timestamp_hour"
    assert partition["fieldId"] == 1000
    # truncate[13] of an event timestamp is its UTC hour, the same hour the Parquet layout's partitions hold
    moment = "2026-11-26T02:43:30.123Z"
    assert moment[: layout.ICEBERG_HOUR_WIDTH] == "2026-11-26T02"
    assert "-".join(layout.partition_values(moment).values()) == "2026-11-26-02"


def test_the_other_tables_stay_parquet_with_partition_projection(iceberg_lake: ProgramResult) -> None:
    customers = iceberg_lake.one(TABLE, "t-catalog-customers").inputs
    assert "openTableFormatInput" not in customers
    assert customers["storageDescriptor"]["location"] == "s3://lake-bucket/customers/"


def test_firehose_writes_through_its_iceberg_destination_from_the_same_stream(iceberg_lake: ProgramResult) -> None:
    firehose = iceberg_lake.one(FIREHOSE).inputs
    assert firehose["destination"] == "iceberg" and "extendedS3Configuration" not in firehose
    assert firehose["kinesisSourceConfiguration"]["kinesisStreamArn"].endswith(":stream/" + _stream(iceberg_lake))
    config = firehose["icebergConfiguration"]
    errors = layout.firehose_error_prefix(layout.ERRORS_PREFIX)
    assert config["catalogArn"] == f"arn:aws:glue:{REGION}:{ACCOUNT}:catalog"
    assert config["destinationTableConfigurations"] == [
        {"databaseName": "acme_test", "tableName": "streaming_events", "s3ErrorOutputPrefix": errors}
    ]
    assert config["s3Configuration"]["errorOutputPrefix"] == errors
    assert config["s3Configuration"]["bucketArn"] == "arn:aws:s3:::lake-bucket"
    assert config["s3BackupMode"] == "FailedDataOnly"  # no source-record backup unless asked
    assert config["appendOnly"] is True
    assert (config["bufferingSize"], config["bufferingInterval"]) == (64, 60)
    assert config["cloudwatchLoggingOptions"]["enabled"] is True
    assert config["cloudwatchLoggingOptions"]["logStreamName"] == "delivery"
    # The Iceberg destination takes one JSON object per record; nothing de-aggregates or partitions by JQ.
    assert "processingConfiguration" not in config


def _stream(result: ProgramResult) -> str:
    return result.one("aws:kinesis/stream:Stream").outputs["name"]


def test_firehoses_role_may_commit_to_that_table_and_write_its_prefixes_only(iceberg_lake: ProgramResult) -> None:
    doc = statements(policy_of(iceberg_lake, "firehose-policy"))
    assert doc["CommitToTable"]["Action"] == ["glue:GetDatabase", "glue:GetTable", "glue:UpdateTable"]
    assert doc["CommitToTable"]["Resource"] == GLUE_ARNS
    assert doc["WriteDataAndErrors"]["Resource"] == [
        "arn:aws:s3:::lake-bucket/telemetry-iceberg/*",
        "arn:aws:s3:::lake-bucket/errors/*",
    ]
    assert doc["DeleteTableFiles"] == {
        "Sid": "DeleteTableFiles",
        "Effect": "Allow",
        "Action": ["s3:DeleteObject"],
        "Resource": ["arn:aws:s3:::lake-bucket/telemetry-iceberg/*"],
    }
    assert "ReadTableSchema" not in doc
    assert not any("*" in (s["Resource"] if isinstance(s["Resource"], str) else "") for s in doc.values())


def test_three_table_optimizers_keep_the_table_under_one_role(iceberg_lake: ProgramResult) -> None:
    optimizers = {o.inputs["type"]: o.inputs for o in iceberg_lake.of_type(OPTIMIZER)}
    assert sorted(optimizers) == ["compaction", "orphan_file_deletion", "retention"]
    roles = {o["configuration"]["roleArn"] for o in optimizers.values()}
    assert len(roles) == 1 and "optimizer-role" in roles.pop()
    for o in optimizers.values():
        assert (o["databaseName"], o["tableName"], o["catalogId"]) == ("acme_test", "streaming_events", ACCOUNT)
        assert o["configuration"]["enabled"] is True
    retention = optimizers["retention"]["configuration"]["retentionConfiguration"]["icebergConfiguration"]
    assert retention["snapshotRetentionPeriodInDays"] == iceberg.SNAPSHOT_RETENTION_DAYS
    assert retention["cleanExpiredFiles"] is True
    orphans = optimizers["orphan_file_deletion"]["configuration"]["orphanFileDeletionConfiguration"]
    assert orphans["icebergConfiguration"]["location"] == "s3://lake-bucket/telemetry-iceberg/"
    trust = json.loads(iceberg_lake.one("aws:iam/role:Role", _optimizer_role(iceberg_lake)).inputs["assumeRolePolicy"])
    assert trust["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]


def _optimizer_role(result: ProgramResult) -> str:
    [role] = [r.name for r in result.of_type("aws:iam/role:Role") if r.name.endswith("optimizer-role")]
    return role


def test_the_optimizer_role_is_allowed_exactly_that_table_its_location_and_its_logs(
    iceberg_lake: ProgramResult,
) -> None:
    doc = statements(policy_of(iceberg_lake, "optimizer-policy"))
    assert sorted(doc) == ["CommitToTable", "ListTableFiles", "OptimizerLogs", "RewriteTableFiles"]
    assert doc["CommitToTable"]["Action"] == ["glue:GetTable", "glue:UpdateTable"]
    assert doc["CommitToTable"]["Resource"] == GLUE_ARNS
    assert doc["RewriteTableFiles"]["Resource"] == ["arn:aws:s3:::lake-bucket/telemetry-iceberg/*"]
    assert doc["ListTableFiles"]["Condition"] == {
        "StringLike": {"s3:prefix": ["telemetry-iceberg/", "telemetry-iceberg/*"]}
    }
    assert doc["OptimizerLogs"]["Resource"] == [
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws-glue/iceberg-{kind}/logs:*"
        for kind in ("compaction", "retention", "orphan-file-deletion")
    ]


def test_a_customer_managed_lake_key_encrypts_iceberg_files_and_reaches_both_roles_through_s3_only() -> None:
    result = lake(kms_key_arn=KEY)
    s3 = result.one(FIREHOSE).inputs["icebergConfiguration"]["s3Configuration"]
    assert s3["kmsKeyArn"] == KEY
    for suffix, sid in (("optimizer-policy", "EncryptTableFiles"), ("firehose-policy", "EncryptLakeObjects")):
        grant = statements(policy_of(result, suffix))[sid]
        assert grant["Resource"] == [KEY]
        assert grant["Condition"]["StringEquals"] == {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}


def test_iceberg_alarms_watch_the_iceberg_freshness_metric_and_no_conversion_or_partitions(
    iceberg_lake: ProgramResult,
) -> None:
    metrics = {a.inputs["metricName"] for a in iceberg_lake.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert {"DeliveryToIceberg.DataFreshness", "DeliveryToIceberg.FailedRowCount"} <= metrics
    assert not metrics & {
        "DeliveryToS3.DataFreshness",
        "DeliveryToS3.Success",
        "FailedConversion.Records",
        "PartitionCountExceeded",
    }


@pytest.mark.parametrize("table_format", layout.TABLE_FORMATS)
def test_source_record_backup_is_off_by_default_and_on_writes_every_record_under_its_prefix(table_format: str) -> None:
    off, on = lake(table_format=table_format), lake(table_format=table_format, backup_source_records=True)
    for result, wanted in ((off, False), (on, True)):
        write = statements(policy_of(result, "firehose-policy"))["WriteDataAndErrors"]["Resource"]
        assert ("arn:aws:s3:::lake-bucket/source-backup/*" in write) is wanted
    if table_format == layout.TABLE_FORMAT_ICEBERG:
        config = on.one(FIREHOSE).inputs["icebergConfiguration"]
        assert config["s3BackupMode"] == "AllData"
        assert (config["s3Configuration"]["prefix"], config["s3Configuration"]["compressionFormat"]) == (
            "source-backup/",
            "GZIP",
        )
    else:
        assert "s3BackupMode" not in off.one(FIREHOSE).inputs["extendedS3Configuration"]
        config = on.one(FIREHOSE).inputs["extendedS3Configuration"]
        assert config["s3BackupMode"] == "Enabled"
        assert config["s3BackupConfiguration"]["prefix"] == "source-backup/"
        assert config["s3BackupConfiguration"]["compressionFormat"] == "GZIP"


class _Recorded(aws.kinesis.FirehoseDeliveryStream):
    options: ClassVar[list[pulumi.ResourceOptions]] = []

    def __init__(self, resource_name: str, *args: Any, opts: pulumi.ResourceOptions | None = None, **kw: Any) -> None:
        _Recorded.options.append(opts)  # type: ignore[arg-type]
        super().__init__(resource_name, *args, opts=opts, **kw)


@pytest.mark.parametrize("table_format", layout.TABLE_FORMATS)
def test_changing_format_or_partitioning_replaces_the_delivery_stream_deleting_the_old_one_first(
    table_format: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _Recorded.options = []
    monkeypatch.setattr(ingest_module.aws.kinesis, "FirehoseDeliveryStream", _Recorded)
    result = lake(table_format=table_format)
    [opts] = _Recorded.options
    assert opts.replace_on_changes == [
        "destination",  # table_format: extended_s3 <-> iceberg
        "extendedS3Configuration.dynamicPartitioningConfiguration",  # partition_by event_time <-> arrival_time
        "icebergConfiguration.appendOnly",
    ]
    assert opts.delete_before_replace is True  # the name is fixed; two streams cannot hold it
    # Each mode's replace trigger is a property the mode sets differently.
    firehose = result.one(FIREHOSE).inputs
    assert firehose["destination"] == {"parquet": "extended_s3", "iceberg": "iceberg"}[table_format]


def test_arrival_time_parquet_has_no_dynamic_partitioning_so_switching_partition_by_changes_a_replace_trigger() -> None:
    event, arrival = lake(table_format="parquet"), lake(table_format="parquet", partition_by="arrival_time")
    assert "dynamicPartitioningConfiguration" in event.one(FIREHOSE).inputs["extendedS3Configuration"]
    assert "dynamicPartitioningConfiguration" not in arrival.one(FIREHOSE).inputs["extendedS3Configuration"]


NO_TIME = Table(
    name="plays",
    description="t",
    prefix="plays/",
    columns=(Column("play_id", "string"),),
    partition_keys=tuple(Column(k, "string") for k in layout.TIME_PARTITION_KEYS),
)
BASE_INGEST = {"bucket_arn": "arn:aws:s3:::b", "database_name": "db", "table": schema.STREAMING_EVENTS}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"table_format": "delta"}, "table_format must be one of parquet, iceberg, got 'delta'"),
        (
            {"table_format": "iceberg", "partition_by": "arrival_time"},
            "partition_by must be event_time when table_format is iceberg (Firehose's Iceberg destination has no "
            "dynamic partitioning",
        ),
        (
            {"table_format": "iceberg", "table": NO_TIME},
            "table must be a table with a timestamp_field when table_format is iceberg",
        ),
        (
            {"table_format": "iceberg", "database_name": "acme-db"},
            "database_name must be a name without '-' when table_format is iceberg",
        ),
        (
            {"table_format": "iceberg", "buffer_size_mb": 129},
            "buffer_size_mb must be 1–128 MiB when table_format is iceberg (Firehose IcebergDestinationConfiguration "
            "BufferingHints), got 129",
        ),
        (
            {"table_format": "iceberg", "buffer_interval_seconds": 901},
            "buffer_interval_seconds must be 0–900 seconds when table_format is iceberg",
        ),
        ({"backup_prefix": "errors/"}, "backup_prefix must be outside the error prefix 'errors/'"),
        (
            {"table_format": "iceberg", "backup_prefix": "telemetry-iceberg/"},
            "backup_prefix must be outside the table's data prefix 'telemetry-iceberg/'",
        ),
        ({"backup_source_records": "yes"}, "backup_source_records must be true or false"),
    ],
)
def test_what_the_iceberg_destination_does_not_accept_is_refused_before_anything_registers(
    args: dict[str, Any], message: str
) -> None:
    mocks = AwsMocks()
    with pytest.raises(ArgumentError, match=re.escape(message)):
        run_resources(lambda: {"x": StreamingIngest("x", {**BASE_INGEST, **args}).urn}, mocks=mocks)  # type: ignore[typeddict-item]
    assert mocks.resources == []


def test_every_iceberg_refusal_comes_in_one_error() -> None:
    args = {
        **BASE_INGEST,
        "table": NO_TIME,
        "table_format": "iceberg",
        "partition_by": "arrival_time",
        "buffer_interval_seconds": 1000,
        "database_name": "a-b",
    }
    with pytest.raises(ArgumentError) as err:
        StreamingIngest("x", args)  # type: ignore[arg-type]
    named = sorted({p.split(" ")[0] for p in err.value.problems})
    assert named == ["buffer_interval_seconds", "database_name", "partition_by", "table"]


def test_a_whole_lake_refuses_an_unknown_format_and_a_catalog_an_iceberg_table_without_event_time() -> None:
    mocks = AwsMocks()
    with pytest.raises(ArgumentError, match="table_format must be one of parquet, iceberg, got 'orc'"):
        run_resources(lambda: {"x": StreamingLake("x", {"table": schema.STREAMING_EVENTS, "table_format": "orc"}).urn})
    from components import TelemetryCatalog

    with pytest.raises(ArgumentError, match=r"iceberg_tables must be tables with a timestamp_field"):
        run_resources(
            lambda: {
                "x": TelemetryCatalog(
                    "c", {"bucket_name": "b", "tables": [schema.CUSTOMERS], "iceberg_tables": ["customers"]}
                ).urn
            },
            mocks=mocks,
        )
    assert mocks.resources == []


def test_alarms_take_the_table_format_by_its_rule() -> None:
    with pytest.raises(ArgumentError, match="table_format must be one of parquet, iceberg"):
        PipelineAlarms("a", {"stream_name": "s", "delivery_stream_name": "d", "table_format": "hudi"})  # type: ignore[typeddict-item]


def test_policy_helpers_default_to_format_conversion_and_add_delete_only_where_asked() -> None:
    doc = policies.firehose_policy("arn:s", "arn:aws:s3:::b", ["g"], "arn:l", "delivery")
    assert statements(doc)["ReadTableSchema"]["Action"] == list(policies.READ_SCHEMA_ACTIONS)
    assert "DeleteTableFiles" not in statements(doc)


def test_every_named_query_reads_only_columns_the_iceberg_table_has(iceberg_lake: ProgramResult) -> None:
    spec = iceberg_lake.one(TABLE, "t-catalog-streaming-events").inputs["openTableFormatInput"]["icebergInput"]
    columns = {f["name"] for f in spec["icebergTableInput"]["schema"]["fields"]}
    for query in queries.NAMED_QUERIES:
        sql = query.sql("acme_test")
        if "streaming_events" in sql:
            assert {"year", "month", "day"} <= columns or not re.search(r"\b(year|month|day|hour)\b", sql)
    assert {"year", "month", "day", "hour"} <= columns


def test_the_dashboard_charts_the_iceberg_destinations_metrics(iceberg_lake: ProgramResult) -> None:
    body = iceberg_lake.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"]
    charted = {m[1] for w in json.loads(body)["widgets"] for m in w["properties"].get("metrics", [])}
    assert {
        "DeliveryToIceberg.SuccessfulRowCount",
        "DeliveryToIceberg.DataFreshness",
        "DeliveryToIceberg.FailedRowCount",
    } <= charted
    assert not {m for m in charted if m.startswith("DeliveryToS3") or "Conversion" in m}
