"""The components as a library: any table, two of each in one program, bring-your-own resources, own validation."""

import json
import os
import pydoc
import re
import subprocess
import sys
import typing
from collections import Counter
from typing import Any

import pytest

from components import (
    ARGUMENT_TYPES,
    ArgumentError,
    Column,
    DataLake,
    NamedQuery,
    PipelineAlarms,
    ScheduledGenerator,
    StreamingIngest,
    StreamingLake,
    Table,
    TelemetryCatalog,
)
from components.testing import AwsMocks, ProgramResult, run_resources
from components.validation import field_docs
from functions.shared import schema
from stack import PROJECT_DIR as REPO_ROOT

FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
READINGS = Table(
    name="sensor_readings",
    description="One row per sensor reading",
    prefix="readings/",
    columns=(
        Column("reading_id", "string"),
        Column("sensor_id", "string"),
        Column("measured_at", "string"),
        Column("temperature_c", "double"),
        Column("humidity_pct", "double"),
    ),
    partition_keys=(
        Column("year", "string"),
        Column("month", "string"),
        Column("day", "string"),
        Column("hour", "string"),
    ),
    timestamp_field="measured_at",
)
SITES = Table(
    name="sites",
    description="Sensor sites",
    prefix="sites/",
    columns=(Column("site_id", "string"), Column("region", "string")),
    partition_keys=(Column("region_code", "string"),),
    projection={
        "projection.enabled": "true",
        "projection.region_code.type": "enum",
        "projection.region_code.values": "eu,us",
    },
)


def two_of_each() -> dict[str, Any]:
    outputs: dict[str, Any] = {}
    for n in ("a", "b"):
        lake = DataLake(f"lake-{n}", {})
        catalog = TelemetryCatalog(f"catalog-{n}", {"bucket_name": lake.bucket_name, "tables": [READINGS]})
        ingest = StreamingIngest(
            f"ingest-{n}",
            {
                "bucket_arn": lake.bucket_arn,
                "database_name": catalog.database_name,
                "table": READINGS,
                "table_name": catalog.events_table_name,
            },
        )
        generator = ScheduledGenerator(
            f"generator-{n}", {"stream_name": ingest.stream_name, "stream_arn": ingest.stream_arn}
        )
        outputs[n] = [lake.bucket_name, catalog.database_name, ingest.delivery_stream_name, generator.layer_arn]
    return outputs


@pytest.fixture(scope="module")
def pair() -> ProgramResult:
    return run_resources(two_of_each)


PHYSICAL_INPUTS = ("name", "bucket", "layerName", "namePrefix")
NESTED_TYPES = (
    "aws:iam/rolePolicy:RolePolicy",
    "aws:athena/namedQuery:NamedQuery",
    "aws:cloudwatch/logStream:LogStream",
    "aws:glue/catalogTable:CatalogTable",
)
"""Named inside a parent resource that is itself unique, so their own names may repeat."""


def test_two_of_each_component_register_distinct_urns_and_physical_names(pair: ProgramResult) -> None:
    urns = Counter(r.urn for r in pair.resources)
    assert not [u for u, n in urns.items() if n > 1]
    claimed = [
        (r.type, r.inputs[k])
        for r in pair.resources
        if r.custom and r.type not in NESTED_TYPES
        for k in PHYSICAL_INPUTS
        if r.inputs.get(k)
    ]
    assert len(claimed) == len(set(claimed)), Counter(claimed).most_common(3)
    a, b = pair.outputs["a"], pair.outputs["b"]
    assert all(x != y for x, y in zip(a, b, strict=True)), (a, b)


def test_without_explicit_names_pulumi_auto_names_every_resource_that_can_be(pair: ProgramResult) -> None:
    for typ in (
        "aws:kinesis/stream:Stream",
        FIREHOSE,
        "aws:iam/role:Role",
        "aws:lambda/function:Function",
        "aws:sqs/queue:Queue",
        "aws:cloudwatch/eventRule:EventRule",
        "aws:athena/workgroup:Workgroup",
        "aws:s3/bucket:Bucket",
    ):
        for res in pair.of_type(typ):
            assert not res.inputs.get("name") and not res.inputs.get("bucket"), (typ, res.name)
    # Names Pulumi cannot auto-name derive from project, stack and resource name, so stacks never share them.
    databases = sorted(r.inputs["name"] for r in pair.of_type("aws:glue/catalogDatabase:CatalogDatabase"))
    assert databases == ["test_project_test_catalog_a", "test_project_test_catalog_b"]
    layers = sorted(r.inputs["layerName"] for r in pair.of_type("aws:lambda/layerVersion:LayerVersion"))
    assert layers == ["test-project-test-generator-a-mimesis", "test-project-test-generator-b-mimesis"]
    log_groups = {r.name: r.inputs.get("namePrefix") for r in pair.of_type("aws:cloudwatch/logGroup:LogGroup")}
    assert log_groups["generator-a-producer-logs"] == "/aws/lambda/generator-a-producer-"
    assert log_groups["ingest-b-firehose-logs"] == "/aws/firehose/ingest-b-"


def test_catalog_registers_exactly_the_tables_it_is_given(pair: ProgramResult) -> None:
    tables = [r for r in pair.of_type("aws:glue/catalogTable:CatalogTable") if r.name.startswith("catalog-a-")]
    [table] = tables
    assert table.inputs["name"] == "sensor_readings"
    columns = [(c["name"], c["type"]) for c in table.inputs["storageDescriptor"]["columns"]]
    assert columns == [(c.name, c.type) for c in READINGS.columns]
    params = table.inputs["parameters"]
    assert params["storage.location.template"].endswith(
        "/readings/year=${year}/month=${month}/day=${day}/hour=${hour}/"
    )
    # Another project's tables get none of this project's dimension data or saved queries.
    assert not pair.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
    assert not pair.of_type("aws:athena/namedQuery:NamedQuery")


def test_ingest_partitions_by_the_tables_timestamp_field_under_its_prefix(pair: ProgramResult) -> None:
    s3 = pair.one(FIREHOSE, "ingest-a-delivery").inputs["extendedS3Configuration"]
    assert s3["prefix"].startswith("readings/year=!{partitionKeyFromQuery:year}/")
    deaggregation, extraction = s3["processingConfiguration"]["processors"]
    assert deaggregation["type"] == "RecordDeAggregation"
    query = next(
        p["parameterValue"] for p in extraction["parameters"] if p["parameterName"] == "MetadataExtractionQuery"
    )
    assert query == "{year:.measured_at[0:4],month:.measured_at[5:7],day:.measured_at[8:10],hour:.measured_at[11:13]}"
    assert s3["dataFormatConversionConfiguration"]["schemaConfiguration"]["tableName"] == "sensor_readings"


def test_ingest_role_may_write_exactly_its_table_and_error_prefixes(pair: ProgramResult) -> None:
    policy = json.loads(pair.one("aws:iam/rolePolicy:RolePolicy", "ingest-a-firehose-policy").inputs["policy"])
    [write] = [s for s in policy["Statement"] if s["Sid"] == "WriteDataAndErrors"]
    assert [r.split(":::", 1)[1].split("/", 1)[1] for r in write["Resource"]] == ["readings/*", "errors/*"]


def test_a_table_with_its_own_partition_keys_uses_the_projection_it_carries() -> None:
    result = run_resources(
        lambda: {"names": TelemetryCatalog("cat", {"bucket_name": "b", "tables": [SITES]}).table_names}
    )
    params = result.one("aws:glue/catalogTable:CatalogTable").inputs["parameters"]
    assert params["projection.region_code.values"] == "eu,us"
    assert "storage.location.template" not in params
    assert result.outputs["names"] == ["sites"]


def test_named_queries_given_as_definitions_are_saved_with_the_database_filled_in() -> None:
    query = NamedQuery("hot_sensors", "Sensors over 30 °C", "SELECT sensor_id FROM {database}.sensor_readings")
    result = run_resources(
        lambda: {
            "queries": TelemetryCatalog(
                "cat", {"bucket_name": "b", "tables": [READINGS], "named_queries": [query], "database_name": "iot"}
            ).named_query_names
        }
    )
    saved = result.one("aws:athena/namedQuery:NamedQuery").inputs
    assert saved["query"] == 'SELECT sensor_id FROM "iot".sensor_readings\n'
    assert result.outputs["queries"] == ["hot_sensors"]


def test_tables_arrive_from_the_component_provider_as_mappings_and_still_work() -> None:
    as_mapping = {
        "name": "sensor_readings",
        "description": "d",
        "prefix": "readings/",
        "columns": [{"name": "measured_at", "type": "string"}],
        "partition_keys": [{"name": k, "type": "string"} for k in ("year", "month", "day", "hour")],
        "timestamp_field": "measured_at",
    }
    result = run_resources(
        lambda: {
            "prefixes": StreamingIngest(
                "in",
                {"bucket_arn": "arn:aws:s3:::b", "database_name": "db", "table": as_mapping},  # type: ignore[typeddict-item]
            ).prefixes
        }
    )
    assert result.outputs["prefixes"] == ["readings/", "errors/"]


def test_ingest_reads_an_existing_stream_instead_of_creating_one() -> None:
    arn = "arn:aws:kinesis:us-west-2:123456789012:stream/their-stream"
    key = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    result = run_resources(
        lambda: {
            "name": (
                ingest := StreamingIngest(
                    "in",
                    {
                        "bucket_arn": "arn:aws:s3:::b",
                        "database_name": "db",
                        "table": schema.STREAMING_EVENTS,
                        "existing_stream_arn": arn,
                        "stream_kms_key_arn": key,
                    },
                )
            ).stream_name,
            "arn": ingest.stream_arn,
        }
    )
    assert not result.of_type("aws:kinesis/stream:Stream")
    assert result.outputs == {"name": "their-stream", "arn": arn}
    assert result.one(FIREHOSE).inputs["kinesisSourceConfiguration"]["kinesisStreamArn"] == arn
    policy = json.loads(result.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["ReadSourceStream"]["Resource"] == [arn]
    assert statements["DecryptSourceStream"]["Resource"] == [key]
    assert statements["DecryptSourceStream"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "kinesis.us-west-2.amazonaws.com"}
    }


BASE_INGEST = {"bucket_arn": "arn:aws:s3:::b", "database_name": "db", "table": schema.STREAMING_EVENTS}
BAD_ARGUMENTS = [
    (StreamingIngest, {"buffer_size_mb": 5}, "buffer_size_mb must be 64–128 when format conversion is on, got 5"),
    (StreamingIngest, {"stream_mode": "provisioned"}, "stream_mode must be one of ON_DEMAND, PROVISIONED, got 'prov"),
    (StreamingIngest, {"shard_count": 2}, "shard_count must be left out unless stream_mode is PROVISIONED"),
    (StreamingIngest, {"retention_hours": 23}, "retention_hours must be 24–8760, got 23"),
    (StreamingIngest, {"buffer_interval_seconds": 30}, "buffer_interval_seconds must be 60–900, got 30"),
    (StreamingIngest, {"log_retention_days": 10}, "log_retention_days must be a CloudWatch retention value"),
    (StreamingIngest, {"partition_by": "ingest_time"}, "partition_by must be one of event_time, arrival_time"),
    (StreamingIngest, {"table": SITES}, "table must be partitioned by year, month, day, hour"),
    (StreamingIngest, {"error_prefix": "telemetry/"}, "error_prefix must be outside the table's prefix"),
    (
        StreamingIngest,
        {"existing_stream_arn": "their-stream"},
        "existing_stream_arn must be an ARN like arn:aws:kinesis",
    ),
    (
        StreamingIngest,
        {"existing_stream_arn": "arn:aws:kinesis:us-west-2:123456789012:stream/s", "retention_hours": 48},
        "retention_hours must be left out when existing_stream_arn is given",
    ),
    (StreamingIngest, {"name_prefix": "a" * 51}, "name_prefix must be short enough that the derived name"),
    (StreamingIngest, {"table": {"name": "Bad Name"}}, "table must be a valid table definition"),
]
BASE_GENERATOR = {"stream_name": "s", "stream_arn": "arn:aws:kinesis:us-west-2:123456789012:stream/s"}
BAD_ARGUMENTS += [
    (ScheduledGenerator, {"memory_mb": 64}, "memory_mb must be 128–10240, got 64"),
    (ScheduledGenerator, {"timeout_seconds": 901}, "timeout_seconds must be 1–900, got 901"),
    (ScheduledGenerator, {"runtime": "python3.9"}, "runtime must be one of python3.12, python3.13"),
    (ScheduledGenerator, {"batch_size": 0}, "batch_size must be 1–"),
    (ScheduledGenerator, {"schedule_expression": "rate(5 minute)"}, "schedule_expression must be rate(N minute|"),
    (ScheduledGenerator, {"max_retry_attempts": 3}, "max_retry_attempts must be 0–2, got 3"),
    (ScheduledGenerator, {"max_event_age_seconds": 59}, "max_event_age_seconds must be 60–21600, got 59"),
    (ScheduledGenerator, {"name_prefix": "Acme"}, "name_prefix must be lowercase letters, digits and hyphens"),
    (TelemetryCatalog, {"bytes_scanned_cutoff_mb": 9}, "bytes_scanned_cutoff_mb must be at least 10"),
    (TelemetryCatalog, {"database_name": "2024lake"}, "database_name must be lowercase letters, digits and under"),
    (TelemetryCatalog, {"projection_year_end": 2035}, "projection_year_end must be a known argument"),
    (TelemetryCatalog, {"tables": [READINGS, READINGS]}, "tables must be tables with distinct names"),
    (TelemetryCatalog, {"tables": [READINGS], "upload_dimensions": True}, "upload_dimensions must be false unless"),
    (TelemetryCatalog, {"tables": []}, "tables must be at least one table definition"),
    (
        TelemetryCatalog,
        {"named_queries": [NamedQuery("q", "d", "SELECT * FROM {database}.t WHERE day = {day}")]},
        "named_queries[0].sql_template must be SQL with {database} as its only placeholder, not unknown "
        "placeholders ['day']; write a literal brace as {{ or }}, got 'SELECT * FROM {database}.t WHERE day = {day}'",
    ),
    (
        TelemetryCatalog,
        {"named_queries": [NamedQuery("q", "d", "SELECT map_keys(m) FROM {database}.t WHERE s = '}'")]},
        "named_queries[0].sql_template must be SQL with {database} as its only placeholder, not a single brace "
        "(Single '}' encountered in format string); write a literal brace as {{ or }}, got",
    ),
    (
        StreamingIngest,
        {"table_name": "clicks"},
        "table_name must be the name of the table given as table ('streaming_events', what Firehose converts to), "
        "got 'clicks'",
    ),
    (
        StreamingIngest,
        {"existing_stream_arn": "arn:aws:kinesis:eu-west-1:123456789012:stream/s"},
        "existing_stream_arn must be a stream in the stack's region us-west-2 (a Firehose delivery stream reads a "
        "Kinesis stream of its own Region only), got 'arn:aws:kinesis:eu-west-1:123456789012:stream/s'",
    ),
    (
        DataLake,
        {"transition_days": 30},
        "transition_prefixes must be the key prefixes to transition (e.g. each table's prefix) when transition_days "
        "is above 0, got None",
    ),
    (PipelineAlarms, {"error_prefix": "errors"}, "error_prefix must be one folder of lowercase letters, digits"),
    (
        TelemetryCatalog,
        {"results_prefix": "readings/"},
        "results_prefix must be outside table sensor_readings's prefix 'readings/' (Athena would read results as "
        "rows), got 'readings/'",
    ),
    (TelemetryCatalog, {"results_prefix": "results"}, "results_prefix must be one folder of lowercase letters"),
    (
        StreamingLake,
        {"tables": []},
        "tables must be tables that include table 'sensor_readings' (the one the stream lands in), got []",
    ),
    (
        StreamingLake,
        {"moved_from_root": {"bucket": "lake"}},
        "moved_from_root must be a mapping of roles (lake, catalog, ingest, alarms, dashboard) to names, got "
        "{'bucket': 'lake'}",
    ),
    (StreamingLake, {"retention_hours": 23}, "retention_hours must be 24–8760, got 23"),
]
BASE_CATALOG = {"bucket_name": "b", "tables": [READINGS]}
BASE_ALARMS = {"stream_name": "s", "delivery_stream_name": "d"}
MISSING_REQUIRED = [
    (StreamingIngest, BASE_INGEST, "table"),
    (StreamingIngest, BASE_INGEST, "bucket_arn"),
    (TelemetryCatalog, BASE_CATALOG, "tables"),
    (PipelineAlarms, BASE_ALARMS, "delivery_stream_name"),
]


@pytest.mark.parametrize(("component", "base", "left_out"), MISSING_REQUIRED)
def test_a_required_argument_left_out_is_named_before_anything_registers(
    component: type, base: dict[str, Any], left_out: str
) -> None:
    mocks = AwsMocks()
    args = {k: v for k, v in base.items() if k != left_out}
    with pytest.raises(ArgumentError, match=re.escape(f"{left_out} must be given (a required argument), got None")):
        run_resources(lambda: {"x": component("thing", args).urn}, mocks=mocks)
    assert mocks.resources == []
    component.validate("thing", args)  # up-front checks take some of the arguments: a left-out one is not a problem


def test_the_new_rules_are_reported_together_with_the_others_in_one_error() -> None:
    args = {
        **BASE_INGEST,
        "table_name": "clicks",
        "existing_stream_arn": "arn:aws:kinesis:eu-west-1:123456789012:stream/s",
        "buffer_size_mb": 5,
    }
    with pytest.raises(ArgumentError) as err:
        run_resources(lambda: {"x": StreamingIngest("x", args).urn})  # type: ignore[arg-type]
    assert sorted(p.split(" ")[0] for p in err.value.problems) == [
        "buffer_size_mb",
        "existing_stream_arn",
        "table_name",
    ]


@pytest.mark.parametrize(("component", "args", "message"), BAD_ARGUMENTS)
def test_a_bad_argument_names_itself_its_value_and_the_rule_and_registers_nothing(
    component: type, args: dict[str, Any], message: str
) -> None:
    base = {
        StreamingIngest: BASE_INGEST,
        ScheduledGenerator: BASE_GENERATOR,
        TelemetryCatalog: BASE_CATALOG,
        DataLake: {},
        PipelineAlarms: BASE_ALARMS,
        StreamingLake: {"table": READINGS},
    }
    mocks = AwsMocks()
    with pytest.raises(ArgumentError, match=re.escape(message)) as err:
        run_resources(lambda: {"x": component("thing", {**base[component], **args}).urn}, mocks=mocks)
    assert str(err.value).startswith(f"{component.__name__} 'thing': invalid arguments:")
    assert mocks.resources == []


def test_every_bad_argument_is_reported_at_once() -> None:
    with pytest.raises(ArgumentError) as err:
        StreamingIngest("x", {**BASE_INGEST, "buffer_size_mb": 5, "retention_hours": 1, "stream_mode": "x"})  # type: ignore[typeddict-item]
    assert [p.split(" ")[0] for p in err.value.problems] == ["stream_mode", "retention_hours", "buffer_size_mb"]


def test_table_definitions_check_their_own_rules() -> None:
    with pytest.raises(ValueError, match="timestamp_field must name one of its string columns, got 'nope'"):
        Table("t", "d", "t/", (Column("a", "string"),), timestamp_field="nope")
    with pytest.raises(ValueError, match=r"prefix must be one folder .* ending in '/', got 'data'"):
        Table("t", "d", "data", (Column("a", "string"),))
    with pytest.raises(ValueError, match=r"column names must be unique, got \['a'\]"):
        Table("t", "d", "t/", (Column("a", "string"), Column("a", "int")))
    with pytest.raises(ValueError, match="type must be one of"):
        Column("a", "varchar")


def test_a_lambda_environment_in_the_shell_changes_nothing_for_the_stack() -> None:
    env = {**os.environ, "BATCH_SIZE": "lots", "WINDOW_SECONDS": "never", "STREAM_NAME": "x", "EVENT_SEED": "?"}
    done = subprocess.run(
        [sys.executable, "-m", "local", "preview", "--stack", "dev"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "aws:lambda/function:Function" in done.stdout


def test_derived_names_stay_within_each_services_alphabet() -> None:
    from components import naming

    assert naming.scoped("my.project", "dev.eu", "gen") == "my-project-dev-eu-gen"
    assert naming.glue_name("my-project", "Dev.EU", "catalog") == "my_project_dev_eu_catalog"
    assert naming.glue_name("2024", "x") == "t_2024_x"


@pytest.mark.parametrize("args_type", ARGUMENT_TYPES, ids=lambda t: t.__name__)
def test_every_argument_type_resolves_its_hints_and_shows_each_fields_doc_in_help(args_type: type) -> None:
    hints = typing.get_type_hints(args_type)
    assert set(hints) == set(args_type.__required_keys__ | args_type.__optional_keys__)
    shown = pydoc.render_doc(args_type, renderer=pydoc.plaintext)
    docs = field_docs(args_type)
    assert set(docs) == set(hints), "every field has a docstring"
    for name, doc in docs.items():
        assert f"{name} (" in shown and doc[:40] in " ".join(shown.split()), name
