"""DataLake alone under mocks: naming, encryption, versioning, privacy, TLS-only policy and lifecycle."""

import json
import re

import pytest

from components import ArgumentError, DataLake
from components.data_lake import lifecycle_rules
from components.testing import AwsMocks, ProgramResult, run_resources
from functions.shared import layout, schema


def build(args: dict) -> ProgramResult:
    def program() -> dict:
        lake = DataLake("lake", args)
        return {"name": lake.bucket_name, "arn": lake.bucket_arn, "prefixes": lake.prefixes}

    return run_resources(program)


def test_bucket_name_prefix_gives_prefix_account_and_region_from_invokes() -> None:
    result = run_resources(
        lambda: {"name": DataLake("lake", {"bucket_name_prefix": "acme-telemetry-data"}).bucket_name},
        mocks=AwsMocks(account_id="210987654321", region="eu-west-1"),
    )
    assert result.outputs["name"] == "acme-telemetry-data-210987654321-eu-west-1"


def test_without_a_name_the_bucket_is_auto_named_from_the_resource_name() -> None:
    result = run_resources(lambda: {"name": DataLake("my-lake", {}).bucket_name})
    assert "bucket" not in result.one("aws:s3/bucket:Bucket").inputs  # Pulumi adds a random suffix
    assert result.outputs["name"].startswith("my-lake-bucket-")


def test_explicit_bucket_name_wins_and_no_folder_is_assumed() -> None:
    result = build({"bucket_name": "my-lake"})
    assert result.outputs == {"name": "my-lake", "arn": "arn:aws:s3:::my-lake", "prefixes": []}
    rules = result.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    assert [r["id"] for r in rules] == ["housekeeping"]


def test_the_prefixes_output_is_what_transitions() -> None:
    result = build({"bucket_name": "my-lake", "transition_days": 30, "transition_prefixes": ["clicks/", "orders/"]})
    assert result.outputs["prefixes"] == ["clicks/", "orders/"]


def test_bucket_is_encrypted_versioned_private_and_owner_enforced() -> None:
    result = build({"bucket_name": "my-lake"})
    sse = result.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert sse.inputs["rules"] == [
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}, "bucketKeyEnabled": True}
    ]
    versioning = result.one("aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}
    block = result.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    settings = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert [block[k] for k in settings] == [True] * 4
    ownership = result.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    for res in result.resources:
        if res.custom and res.type != "aws:s3/bucket:Bucket":
            assert res.inputs["bucket"] == "my-lake", res.type


def test_kms_key_switches_encryption_to_sse_kms() -> None:
    key = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    result = build({"bucket_name": "my-lake", "kms_key_arn": key})
    rule = result.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs[
        "rules"
    ][0]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key}


def test_bucket_policy_denies_plain_http_on_bucket_and_objects() -> None:
    result = build({"bucket_name": "my-lake"})
    policy = json.loads(result.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    [statement] = policy["Statement"]
    assert statement["Effect"] == "Deny"
    # Every S3 action, from anyone: the one place a wildcard is needed, so no plain-HTTP request gets through.
    assert (statement["Principal"], statement["Action"]) == ("*", "s3:*")
    assert statement["Resource"] == ["arn:aws:s3:::my-lake", "arn:aws:s3:::my-lake/*"]
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_lifecycle_without_transition_only_aborts_uploads_and_expires_old_versions() -> None:
    result = build({"bucket_name": "my-lake"})
    rules = result.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    assert rules == [
        {
            "id": "housekeeping",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
            "noncurrentVersionExpiration": {"noncurrentDays": 30},
        }
    ]
    assert "GLACIER" not in json.dumps(rules)


def test_transition_applies_only_to_table_data_prefixes() -> None:
    result = build(
        {
            "bucket_name": "my-lake",
            "transition_days": 45,
            "transition_storage_class": "GLACIER_IR",
            "transition_prefixes": [t.prefix for t in schema.TABLES],
            "noncurrent_version_expiration_days": 10,
            "abort_incomplete_multipart_days": 3,
        }
    )
    rules = result.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    assert rules[0]["noncurrentVersionExpiration"] == {"noncurrentDays": 10}
    assert rules[0]["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 3}
    transitions = {r["filter"]["prefix"]: r["transitions"] for r in rules[1:]}
    assert set(transitions) == {t.prefix for t in schema.TABLES}
    assert all(t == [{"days": 45, "storageClass": "GLACIER_IR"}] for t in transitions.values())
    assert layout.ATHENA_RESULTS_PREFIX not in transitions and layout.ERRORS_PREFIX not in transitions


def test_lifecycle_helper_refuses_a_class_athena_cannot_read() -> None:
    with pytest.raises(ValueError, match="GLACIER"):
        lifecycle_rules(30, 7, 90, "GLACIER", ["t/"])


def test_an_existing_bucket_is_adopted_as_it_is_without_any_resource() -> None:
    mocks = AwsMocks()
    result = run_resources(
        lambda: {
            "name": (lake := DataLake("lake", {"existing_bucket_name": "their-lake"})).bucket_name,
            "arn": lake.bucket_arn,
            "created": lake.created,
        },
        mocks=mocks,
    )
    assert result.outputs == {"name": "their-lake", "arn": "arn:aws:s3:::their-lake", "created": False}
    assert [r.type for r in result.resources] == ["acme-telemetry:index:DataLake"]
    assert ("aws:s3/getBucket:getBucket", {"bucket": "their-lake"}) in mocks.calls


def test_adopting_a_missing_bucket_fails_at_preview() -> None:
    mocks = AwsMocks()
    mocks.missing_buckets.add("gone")
    with pytest.raises(Exception, match="bucket 'gone' does not exist"):
        run_resources(lambda: {"name": DataLake("lake", {"existing_bucket_name": "gone"}).bucket_name}, mocks=mocks)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"bucket_name": "ab"}, "bucket_name must be a bucket name of 3–63 lowercase letters"),
        ({"bucket_name": "xn--lake"}, "none starting xn--, sthree-, amzn-s3-demo-"),
        ({"bucket_name": "lake--x-s3"}, "or ending -s3alias, --ol-s3, --x-s3, --table-s3"),
        ({"bucket_name_prefix": "sthree"}, "bucket_name_prefix must be lowercase letters, digits and hyphens"),
        ({"bucket_name_prefix": "a" * 41}, "at most 40 characters"),
        ({"bucket_name": "my-lake", "bucket_name_prefix": "x"}, "bucket_name_prefix must be left out when bucket_name"),
        ({"existing_bucket_name": "b-1", "force_destroy": True}, "force_destroy must be left out when existing_bucket"),
        (
            {"transition_days": 10, "transition_storage_class": "STANDARD_IA"},
            "0 or at least 30 for STANDARD_IA, got 10",
        ),
        ({"transition_storage_class": "GLACIER"}, "must be one of STANDARD_IA, INTELLIGENT_TIERING, GLACIER_IR"),
        ({"noncurrent_version_expiration_days": 0}, "noncurrent_version_expiration_days must be 1–2147483647 days"),
        ({"transition_prefixes": ["telemetry"]}, "transition_prefixes must be folders of lowercase letters"),
        ({"bucket_nme": "x"}, "bucket_nme must be a known argument"),
    ],
)
def test_bad_arguments_name_the_argument_value_and_rule_and_register_nothing(args: dict, message: str) -> None:
    mocks = AwsMocks()
    with pytest.raises(ArgumentError, match=re.escape(message)) as err:
        run_resources(lambda: {"name": DataLake("lake", args).bucket_name}, mocks=mocks)
    assert str(err.value).startswith("DataLake 'lake': invalid arguments:")
    assert mocks.resources == []


def test_lake_and_its_settings_are_kept_on_destroy_by_default_and_not_force_destroyed() -> None:
    result = build({"bucket_name": "my-lake"})
    bucket = result.one("aws:s3/bucket:Bucket")
    assert bucket.inputs["forceDestroy"] is False
    assert all(r.retain_on_delete for r in result.resources if r.custom), [
        r.name for r in result.resources if r.custom and not r.retain_on_delete
    ]


def test_a_dev_lake_may_be_deleted_and_emptied_on_destroy() -> None:
    result = build({"bucket_name": "my-lake", "retain_on_delete": False, "force_destroy": True})
    assert result.one("aws:s3/bucket:Bucket").inputs["forceDestroy"] is True
    assert not any(r.retain_on_delete for r in result.resources)
