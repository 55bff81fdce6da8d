"""Kept means kept, encrypted means encrypted: the whole program under mocks, per encryptionKey and
lakeRetainOnDestroy."""

from __future__ import annotations

import json

import pytest

from components.catalog import customer_part_count
from components.testing import ProgramResult, RecordedResource
from functions.shared import schema
from stack.testing import run_stack

WORKGROUP = "aws:athena/workgroup:Workgroup"
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
KMS_KEY_ID = "s3:x-amz-server-side-encryption-aws-kms-key-id"


@pytest.fixture(scope="module")
def cmk() -> ProgramResult:
    return run_stack("dev", overrides={"encryptionKey": "customer-managed"})


def key_arn(result: ProgramResult) -> str:
    return result.one("aws:kms/key:Key", "key-key").outputs["arn"]


def statements(res: RecordedResource) -> dict[str, dict]:
    return {s["Sid"]: s for s in json.loads(res.inputs["policy"])["Statement"]}


def test_athena_writes_query_results_under_the_stack_key(cmk: ProgramResult, dev: ProgramResult) -> None:
    # Athena user guide, "Encrypt Athena query results stored in Amazon S3": SSE_KMS with the key's ARN.
    result = cmk.one(WORKGROUP).inputs["configuration"]["resultConfiguration"]
    assert result["encryptionConfiguration"] == {"encryptionOption": "SSE_KMS", "kmsKeyArn": key_arn(cmk)}
    assert cmk.one(WORKGROUP).inputs["configuration"]["enforceWorkgroupConfiguration"] is True
    plain = dev.one(WORKGROUP).inputs["configuration"]["resultConfiguration"]["encryptionConfiguration"]
    assert plain == {"encryptionOption": "SSE_S3"}


def test_every_writer_of_the_lake_sends_the_stack_key(cmk: ProgramResult, dev: ProgramResult) -> None:
    key = key_arn(cmk)
    assert cmk.one(FIREHOSE).inputs["extendedS3Configuration"]["kmsKeyArn"] == key
    for obj in cmk.of_type(OBJECT):
        assert (obj.inputs["serverSideEncryption"], obj.inputs["kmsKeyId"]) == ("aws:kms", key), obj.name
    assert "kmsKeyArn" not in dev.one(FIREHOSE).inputs["extendedS3Configuration"]
    assert all("serverSideEncryption" not in o.inputs for o in dev.of_type(OBJECT))


def test_a_customer_managed_lake_refuses_uploads_with_any_other_encryption(cmk: ProgramResult) -> None:
    key, bucket = key_arn(cmk), cmk.one("aws:s3/bucket:Bucket", "lake-bucket").outputs["arn"]
    found = statements(cmk.one(BUCKET_POLICY, "lake-tls-only"))
    assert set(found) == {
        "DenyInsecureTransport",
        "DenyOtherKmsKeys",
        "DenyOtherEncryption",
        "DenyKmsWithoutTheKey",
        "DenyCustomerProvidedKeys",
    }
    for sid in set(found) - {"DenyInsecureTransport"}:
        s = found[sid]
        assert (s["Effect"], s["Principal"], s["Action"], s["Resource"]) == ("Deny", "*", "s3:PutObject", f"{bucket}/*")
    # ...IfExists: a multipart upload's UploadPart carries no encryption header and must not be refused.
    assert found["DenyOtherKmsKeys"]["Condition"] == {"StringNotEqualsIfExists": {KMS_KEY_ID: key}}
    assert found["DenyOtherEncryption"]["Condition"] == {
        "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}
    }
    assert found["DenyKmsWithoutTheKey"]["Condition"] == {
        "Null": {"s3:x-amz-server-side-encryption": "false", KMS_KEY_ID: "true"}
    }


def test_an_sse_s3_lake_keeps_only_the_tls_statement(dev: ProgramResult) -> None:
    assert set(statements(dev.one(BUCKET_POLICY, "lake-tls-only"))) == {"DenyInsecureTransport"}


def test_the_dead_letter_queue_refuses_requests_without_tls(dev: ProgramResult) -> None:
    # SQS developer guide, "Amazon SQS security best practices": enforce encryption of data in transit.
    queue = dev.one("aws:sqs/queue:Queue").outputs["arn"]
    deny = statements(dev.one("aws:sqs/queuePolicy:QueuePolicy"))["DenyInsecureTransport"]
    assert deny == {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sqs:*",
        "Resource": queue,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def lake_children(result: ProgramResult) -> list[RecordedResource]:
    """Every resource that is, or configures or writes into, the lake bucket."""
    lake = result.one("aws:s3/bucket:Bucket", "lake-bucket")
    names = {lake.outputs["bucket"], lake.id}
    return [lake, *(r for r in result.resources if r.custom and r.inputs.get("bucket") in names)]


def test_a_retained_lake_keeps_every_object_and_setting_of_it_and_its_key(cmk: ProgramResult) -> None:
    children = lake_children(cmk)
    types = {r.type.split(":")[-1] for r in children}
    assert {"BucketObjectv2", "BucketLogging", "BucketPolicy", "BucketLifecycleConfiguration"} <= types
    # Each dimension table's object; the customers table's as the largest table's parts (kept: none is ever dropped).
    assert len([r for r in children if r.type == OBJECT]) == len(schema.DIMENSION_TABLES) - 1 + customer_part_count(
        1, kept=True
    )
    assert [r.name for r in children if not r.retain_on_delete] == []
    # The kept lake stays readable: its key is kept too, and so is the access-log bucket it logs into.
    assert cmk.one("aws:kms/key:Key", "key-key").retain_on_delete
    assert cmk.one("aws:s3/bucket:Bucket", "access-logs-bucket").retain_on_delete


def test_a_throwaway_lake_keeps_nothing() -> None:
    result = run_stack("dev", overrides={"lakeRetainOnDestroy": "false", "encryptionKey": "customer-managed"})
    assert [r.name for r in lake_children(result) if r.retain_on_delete] == []
    assert not result.one("aws:kms/key:Key", "key-key").retain_on_delete
