"""The four components as a Pulumi component package: schema inferred offline from the TypedDict args."""

import json
import runpy
from typing import Any

import pytest
from pulumi.provider.experimental.analyzer import Analyzer
from pulumi.provider.experimental.schema import generate_schema

from components import (
    COMPONENTS,
    access_logs,
    alarms,
    catalog,
    dashboard,
    data_lake,
    encryption,
    scheduled_generator,
    streaming_ingest,
    streaming_lake,
)
from stack import PROJECT_DIR as REPO_ROOT

PACKAGE = "acme-telemetry"


@pytest.fixture(scope="module")
def package_schema() -> dict[str, Any]:
    result = Analyzer(PACKAGE).analyze(list(COMPONENTS))
    spec = generate_schema(
        PACKAGE,
        "0.0.0",
        None,
        result["component_definitions"],
        result["type_definitions"],
        sorted(result["dependencies"], key=lambda d: d.name),
    )
    return json.loads(json.dumps(spec.to_json()))


def camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(p.title() for p in rest)


SPECS = {
    "StreamingLake": streaming_lake.SPEC,
    "DataLake": data_lake.SPEC,
    "TelemetryCatalog": catalog.SPEC,
    "StreamingIngest": streaming_ingest.SPEC,
    "ScheduledGenerator": scheduled_generator.SPEC,
    "PipelineAlarms": alarms.SPEC,
    "PipelineDashboard": dashboard.SPEC,
    "StackKey": encryption.SPEC,
    "AccessLogBucket": access_logs.SPEC,
}
EXPECTED = {
    "StreamingLake": (
        {"table"},
        {
            "bucketName",
            "bucketArn",
            "databaseName",
            "tableNames",
            "workgroupName",
            "namedQueryNames",
            "streamName",
            "streamArn",
            "deliveryStreamName",
            "alarmTopicArn",
            "alarmNames",
            "dashboardUrl",
        },
    ),
    "DataLake": (set(), {"bucketName", "bucketArn", "prefixes", "created"}),
    "TelemetryCatalog": (
        {"bucketName", "tables"},
        {"databaseName", "tableNames", "eventsTableName", "eventsTableArn", "workgroupName", "namedQueryNames"},
    ),
    "StreamingIngest": (
        {"bucketArn", "databaseName", "table"},
        {
            "streamName",
            "streamArn",
            "deliveryStreamName",
            "deliveryStreamArn",
            "firehoseRoleArn",
            "logGroupName",
            "prefixes",
        },
    ),
    "ScheduledGenerator": (
        {"streamName", "streamArn"},
        {
            "generatorFunctionName",
            "generatorFunctionArn",
            "producerFunctionName",
            "producerFunctionArn",
            "deadLetterQueueUrl",
            "deadLetterQueueArn",
            "scheduleRuleName",
            "layerArn",
            "generatorLogGroupName",
            "producerLogGroupName",
            "stateBucketName",
        },
    ),
    "PipelineAlarms": ({"streamName", "deliveryStreamName"}, {"topicArn", "alarmArns", "alarmNames", "keyArn"}),
    "PipelineDashboard": (
        {"streamName", "deliveryStreamName"},
        {"dashboardName", "dashboardUrl", "eventsMetricNamespace"},
    ),
    "StackKey": (set(), {"keyArn", "keyId"}),
    "AccessLogBucket": ({"sourceBucketNames"}, {"bucketName", "bucketArn"}),
}
"""Required inputs and outputs; the inputs are every argument the component's SPEC accepts."""


def test_schema_has_exactly_the_nine_components(package_schema: dict[str, Any]) -> None:
    assert package_schema["name"] == PACKAGE
    assert set(package_schema["resources"]) == {f"{PACKAGE}:index:{name}" for name in EXPECTED}
    assert all(r["isComponent"] for r in package_schema["resources"].values())


@pytest.mark.parametrize("component", sorted(EXPECTED))
def test_component_inputs_and_outputs_are_typed_and_documented(package_schema: dict[str, Any], component: str) -> None:
    required, outputs = EXPECTED[component]
    resource = package_schema["resources"][f"{PACKAGE}:index:{component}"]
    assert set(resource["inputProperties"]) == {camel(a) for a in SPECS[component].allowed}
    assert set(resource.get("requiredInputs", [])) == required
    assert set(resource["properties"]) == outputs
    for prop in [*resource["inputProperties"].values(), *resource["properties"].values()]:
        assert prop.get("description"), prop
        assert prop.get("type") in ("string", "integer", "boolean", "array", "object") or prop.get("$ref"), prop
        if prop.get("type") == "object":
            assert prop["additionalProperties"].get("type"), prop


def test_the_table_definition_type_is_in_the_schema_with_every_field_documented(
    package_schema: dict[str, Any],
) -> None:
    ingest = package_schema["resources"][f"{PACKAGE}:index:StreamingIngest"]["inputProperties"]
    assert ingest["table"]["$ref"] == f"#/types/{PACKAGE}:index:Table"
    catalog_inputs = package_schema["resources"][f"{PACKAGE}:index:TelemetryCatalog"]["inputProperties"]
    assert catalog_inputs["tables"]["items"]["$ref"] == f"#/types/{PACKAGE}:index:Table"
    assert catalog_inputs["namedQueries"]["items"]["$ref"] == f"#/types/{PACKAGE}:index:NamedQuery"
    table = package_schema["types"][f"{PACKAGE}:index:Table"]
    assert set(table["properties"]) == {
        "name",
        "description",
        "prefix",
        "columns",
        "partitionKeys",
        "timestampField",
        "projection",
        "defaultRows",
    }
    assert set(table["required"]) == {"name", "description", "prefix", "columns"}
    assert table["properties"]["columns"]["items"]["$ref"] == f"#/types/{PACKAGE}:index:Column"
    column = package_schema["types"][f"{PACKAGE}:index:Column"]
    assert set(column["required"]) == {"name", "type"}
    for prop in [*table["properties"].values(), *column["properties"].values()]:
        assert prop.get("description"), prop


def test_numeric_and_list_types_survive_inference(package_schema: dict[str, Any]) -> None:
    catalog = package_schema["resources"][f"{PACKAGE}:index:TelemetryCatalog"]
    assert catalog["inputProperties"]["customerCount"]["type"] == "integer"
    table_names = catalog["properties"]["tableNames"]
    assert (table_names["type"], table_names["items"]["type"]) == ("array", "string")


def test_importing_the_plugin_entry_point_does_not_start_a_server() -> None:
    namespace = runpy.run_path(str(REPO_ROOT / "provider" / "__main__.py"), run_name="not_main")
    assert namespace["PACKAGE_NAME"] == PACKAGE
