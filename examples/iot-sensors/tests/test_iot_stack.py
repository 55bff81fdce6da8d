"""The example project under Pulumi mocks: another kind of event, in its own lake, from one StreamingLake.

The repository runs these tests against an installed copy of the library (tests/test_examples.py).
"""

import json
import re
import sys
from pathlib import Path

import pytest
from pulumi.config import ConfigTypeError

from components import ArgumentError
from components.testing import AwsMocks, ProgramResult, run_program
from functions.shared.schema import validate_record

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))  # the example's own modules, as Pulumi puts its project directory first
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"


@pytest.fixture(scope="module")
def dev() -> ProgramResult:
    return run_program("dev", project_dir=PROJECT)


def test_the_example_builds_one_streaming_lake_for_sensor_readings(dev: ProgramResult) -> None:
    counts = {t: len(dev.of_type(t)) for t in {r.type for r in dev.resources}}
    assert counts["acme-telemetry:index:StreamingLake"] == 1
    assert counts["acme-telemetry:index:PipelineAlarms"] == 1
    assert counts["acme-telemetry:index:PipelineDashboard"] == 1
    assert counts["acme-telemetry:index:DataLake"] == 1
    assert counts["acme-telemetry:index:TelemetryCatalog"] == 1
    assert counts["acme-telemetry:index:StreamingIngest"] == 1
    assert "acme-telemetry:index:ScheduledGenerator" not in counts
    assert counts["aws:glue/catalogTable:CatalogTable"] == 1
    assert dev.outputs["tableNames"] == ["sensor_readings"]
    assert dev.outputs["databaseName"] == "iot_sensors_dev_sensors_catalog"
    assert not dev.of_type("aws:s3/bucketObjectv2:BucketObjectv2")  # none of acme-telemetry's dimension data


def test_readings_are_partitioned_by_measured_at_under_their_own_prefix(dev: ProgramResult) -> None:
    s3 = dev.one(FIREHOSE).inputs["extendedS3Configuration"]
    assert s3["prefix"] == (
        "readings/year=!{partitionKeyFromQuery:year}/month=!{partitionKeyFromQuery:month}/"
        "day=!{partitionKeyFromQuery:day}/hour=!{partitionKeyFromQuery:hour}/"
    )
    assert s3["bufferingInterval"] == 120  # Pulumi.dev.yaml
    assert dev.one("aws:kinesis/stream:Stream").inputs["retentionPeriod"] == 48  # Pulumi.yaml default
    policy = json.loads(dev.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    [write] = [s for s in policy["Statement"] if s["Sid"] == "WriteDataAndErrors"]
    assert [r.rsplit("/", 1)[0].split("/", 1)[1] for r in write["Resource"]] == ["readings", "errors"]


def test_the_example_saves_its_own_query(dev: ProgramResult) -> None:
    query = dev.one("aws:athena/namedQuery:NamedQuery").inputs
    assert query["name"] == "hourly_temperature_today"
    assert 'FROM "iot_sensors_dev_sensors_catalog".sensor_readings' in query["query"]


def test_a_reading_matches_the_table_the_catalog_registers() -> None:
    from readings import READINGS

    reading = {
        "reading_id": "r-1",
        "sensor_id": "s-7",
        "site_id": "hq",
        "measured_at": "2026-11-30T08:15:00.000Z",
        "temperature_c": 21.5,
        "humidity_pct": 40.0,
        "co2_ppm": 612,
        "battery_pct": 88,
    }
    validate_record(READINGS, reading)


def test_an_existing_bucket_is_adopted() -> None:
    mocks = AwsMocks(region="eu-west-1")
    result = run_program("dev", project_dir=PROJECT, overrides={"existingBucketName": "plant-data"}, mocks=mocks)
    assert result.outputs["bucketName"] == "plant-data"
    assert not result.of_type("aws:s3/bucket:Bucket")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"bufferIntervalSeconds": "30"}, "buffer_interval_seconds must be 60–900, got 30"),
        ({"partitionBy": "ingest"}, "partition_by must be one of event_time, arrival_time, got 'ingest'"),
        ({"retentionHours": "9000"}, "retention_hours must be 24–8760, got 9000"),
        ({"existingBucketName": "Plant_Data"}, "existing_bucket_name must be a bucket name of 3–63"),
    ],
)
def test_bad_config_names_the_argument_and_rule_and_registers_nothing(overrides: dict, message: str) -> None:
    mocks = AwsMocks(region="eu-west-1")
    with pytest.raises(ArgumentError, match=re.escape(message)):
        run_program("dev", project_dir=PROJECT, overrides=overrides, mocks=mocks)
    assert mocks.resources == []


def test_a_config_value_of_the_wrong_type_names_the_key() -> None:
    with pytest.raises(ConfigTypeError, match="iot-sensors:retentionHours"):
        run_program("dev", project_dir=PROJECT, overrides={"retentionHours": "two days"})
