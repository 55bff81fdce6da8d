"""The Terraform plan written for checkov: Terraform types and attribute names, and references between resources."""

from __future__ import annotations

import pytest

from components.testing import ProgramResult
from policy.checkov_plan import attributes, plan, terraform_type


@pytest.mark.parametrize(
    ("pulumi_type", "expected"),
    [
        ("aws:s3/bucket:Bucket", "aws_s3_bucket"),
        ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "aws_s3_bucket_public_access_block"),
        ("aws:s3/bucketObjectv2:BucketObjectv2", "aws_s3_object"),
        ("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "aws_kinesis_firehose_delivery_stream"),
        ("aws:lambda/function:Function", "aws_lambda_function"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", "aws_cloudwatch_metric_alarm"),
        ("aws:glue/catalogTableOptimizer:CatalogTableOptimizer", "aws_glue_catalog_table_optimizer"),
        ("aws:glue/catalogTable:CatalogTable", "aws_glue_catalog_table"),
        ("acme-telemetry:index:DataLake", None),
        ("pulumi:providers:aws", None),
    ],
)
def test_pulumi_types_map_to_terraform_resource_types(pulumi_type: str, expected: str | None) -> None:
    assert terraform_type(pulumi_type) == expected


def test_inputs_become_snake_case_attributes_with_singular_blocks_and_untouched_user_maps() -> None:
    converted = attributes(
        {
            "extendedS3Configuration": {"bufferingSize": 64.0},
            "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}],
            "dimensions": {"FunctionName": "f"},
            "environment": {"variables": {"BATCH_SIZE": "1000"}},
        }
    )
    assert converted == {
        "extended_s3_configuration": {"buffering_size": 64},
        "rule": [{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
        "dimensions": {"FunctionName": "f"},
        "environment": {"variables": {"BATCH_SIZE": "1000"}},
    }


@pytest.fixture(scope="module")
def dev(dev_stack: ProgramResult) -> ProgramResult:
    return dev_stack


def test_plan_holds_every_aws_resource_and_links_bucket_settings_to_their_bucket(dev: ProgramResult) -> None:
    document = plan(dev.resources)
    planned = document["planned_values"]["root_module"]["resources"]
    assert len(planned) == sum(1 for r in dev.resources if r.custom)
    assert {r["address"] for r in planned} == {c["address"] for c in document["resource_changes"]}
    config = {c["address"]: c["expressions"] for c in document["configuration"]["root_module"]["resources"]}
    assert config["aws_s3_bucket_public_access_block.lake_public_access_block"]["bucket"]["references"] == [
        "aws_s3_bucket.lake_bucket.id",
        "aws_s3_bucket.lake_bucket",
    ]
    retention = {
        r["name"]: r["values"]["retention_in_days"] for r in planned if r["type"] == "aws_cloudwatch_log_group"
    }
    assert set(retention.values()) == {365} and all(isinstance(v, int) for v in retention.values())


def test_an_iceberg_plan_carries_the_iceberg_destination_table_and_optimizers_as_terraform_names_them() -> None:
    from stack.testing import run_stack

    document = plan(run_stack("dev", overrides={"tableFormat": "iceberg"}).resources)
    planned = {r["address"]: r["values"] for r in document["planned_values"]["root_module"]["resources"]}
    firehose = planned["aws_kinesis_firehose_delivery_stream.ingest_delivery"]
    assert firehose["destination"] == "iceberg"
    [table] = firehose["iceberg_configuration"]["destination_table_configuration"]
    assert (table["database_name"], table["table_name"]) == ("acme_telemetry", "streaming_events")
    glue = planned["aws_glue_catalog_table.catalog_streaming_events"]
    iceberg_input = glue["open_table_format_input"]["iceberg_input"]
    assert iceberg_input["iceberg_table_input"]["partition_spec"]["fields"][0]["transform"] == "truncate[13]"
    optimizers = sorted(v["type"] for v in planned.values() if "role_arn" in (v.get("configuration") or {}))
    assert optimizers == ["compaction", "orphan_file_deletion", "retention"]
    config = {c["address"]: c["expressions"] for c in document["configuration"]["root_module"]["resources"]}
    policy = config["aws_iam_role_policy.catalog_streaming_events_optimizer_policy"]
    assert policy["role"]["references"][0].startswith("aws_iam_role.catalog_streaming_events_optimizer_role.")
