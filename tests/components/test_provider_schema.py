"""The four components as a Pulumi component package: schema inferred offline from the TypedDict args."""

import json
import runpy
from typing import Any

import pytest
import yaml
from pulumi.provider.experimental.analyzer import Analyzer
from pulumi.provider.experimental.schema import generate_schema

import provider
from components import COMPONENTS
from components.testing import REPO_ROOT

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


EXPECTED = {
    "DataLake": (
        set(),
        {
            "bucketName",
            "bucketNamePrefix",
            "kmsKeyArn",
            "transitionDays",
            "transitionStorageClass",
            "noncurrentVersionExpirationDays",
            "abortIncompleteMultipartDays",
            "forceDestroy",
        },
        {"bucketName", "bucketArn", "prefixes"},
    ),
    "TelemetryCatalog": (
        {"bucketName"},
        {
            "bucketName",
            "databaseName",
            "workgroupName",
            "bytesScannedCutoffMb",
            "projectionYearStart",
            "projectionYearEnd",
            "dimensionSeed",
            "customerCount",
            "titleCount",
            "campaignCount",
            "uploadDimensions",
        },
        {"databaseName", "tableNames", "eventsTableName", "eventsTableArn", "workgroupName", "namedQueryNames"},
    ),
    "StreamingIngest": (
        {"namePrefix", "streamName", "bucketArn", "databaseName", "tableName"},
        {
            "namePrefix",
            "streamName",
            "bucketArn",
            "databaseName",
            "tableName",
            "partitionBy",
            "streamMode",
            "shardCount",
            "retentionHours",
            "bufferSizeMb",
            "bufferIntervalSeconds",
            "logRetentionDays",
            "lakeKmsKeyArn",
        },
        {"streamName", "streamArn", "deliveryStreamName", "deliveryStreamArn", "firehoseRoleArn", "logGroupName"},
    ),
    "ScheduledGenerator": (
        {"namePrefix", "streamName", "streamArn"},
        {
            "namePrefix",
            "streamName",
            "streamArn",
            "runtime",
            "architecture",
            "memoryMb",
            "timeoutSeconds",
            "batchSize",
            "scheduleExpression",
            "scheduleEnabled",
            "dimensionSeed",
            "customerCount",
            "titleCount",
            "windowSeconds",
            "eventSeed",
            "worldSeed",
            "logRetentionDays",
            "maxRetryAttempts",
            "maxEventAgeSeconds",
            "codeRoot",
        },
        {
            "generatorFunctionName",
            "generatorFunctionArn",
            "producerFunctionName",
            "producerFunctionArn",
            "deadLetterQueueUrl",
            "deadLetterQueueArn",
            "scheduleRuleName",
            "layerArn",
        },
    ),
}


def test_schema_has_exactly_the_four_components(package_schema: dict[str, Any]) -> None:
    assert package_schema["name"] == PACKAGE
    assert set(package_schema["resources"]) == {f"{PACKAGE}:index:{name}" for name in EXPECTED}
    assert all(r["isComponent"] for r in package_schema["resources"].values())


@pytest.mark.parametrize("component", sorted(EXPECTED))
def test_component_inputs_and_outputs_are_typed_and_documented(package_schema: dict[str, Any], component: str) -> None:
    required, inputs, outputs = EXPECTED[component]
    resource = package_schema["resources"][f"{PACKAGE}:index:{component}"]
    assert set(resource["inputProperties"]) == inputs
    assert set(resource.get("requiredInputs", [])) == required
    assert set(resource["properties"]) == outputs
    for prop in [*resource["inputProperties"].values(), *resource["properties"].values()]:
        assert prop.get("description"), prop
        assert prop.get("type") in ("string", "integer", "boolean", "array"), prop


def test_numeric_and_list_types_survive_inference(package_schema: dict[str, Any]) -> None:
    catalog = package_schema["resources"][f"{PACKAGE}:index:TelemetryCatalog"]
    assert catalog["inputProperties"]["customerCount"]["type"] == "integer"
    table_names = catalog["properties"]["tableNames"]
    assert (table_names["type"], table_names["items"]["type"]) == ("array", "string")


def test_plugin_manifest_runs_the_provider_entry_point() -> None:
    manifest = yaml.safe_load((REPO_ROOT / "PulumiPlugin.yaml").read_text())
    assert manifest["runtime"]["name"] == "python"
    assert manifest["main"] == "provider.py"
    assert provider.PACKAGE_NAME == PACKAGE


def test_importing_the_provider_module_does_not_start_a_server() -> None:
    namespace = runpy.run_path(str(REPO_ROOT / "provider.py"), run_name="not_main")
    assert namespace["PACKAGE_NAME"] == PACKAGE
