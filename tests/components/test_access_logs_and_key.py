"""AccessLogBucket and StackKey alone under mocks."""

import json

import pytest

from components.access_logs import AccessLogBucket
from components.encryption import StackKey, stack_key_policy
from components.testing import AwsMocks, ProgramResult, run_resources
from policy import rules


def logs(**extra: object) -> ProgramResult:
    def program() -> dict:
        bucket = AccessLogBucket("access-logs", {"source_bucket_names": ["my-lake"], **extra})  # type: ignore[typeddict-item]
        return {"name": bucket.bucket_name, "arn": bucket.bucket_arn}

    return run_resources(program)


def test_log_bucket_is_private_sse_s3_tls_only_and_expires_logs() -> None:
    result = logs(expiration_days=90)
    sse = result.one(rules.BUCKET_SSE).inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert sse == {"sseAlgorithm": "AES256"}  # the only default encryption log delivery supports
    block = result.one(rules.BUCKET_PUBLIC_ACCESS_BLOCK).inputs
    assert all(block[s] is True for s in rules.PUBLIC_ACCESS_SETTINGS)
    [rule] = result.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    assert rule["expiration"] == {"days": 90}
    resources = [rules.Res(r.type, r.name, r.outputs, r.urn) for r in result.resources]
    assert rules.buckets_tls_only(resources) == [] and rules.buckets_private(resources) == []


def test_only_the_logging_service_for_the_source_bucket_and_account_may_write() -> None:
    result = logs()
    policy = json.loads(result.one(rules.BUCKET_POLICY).inputs["policy"])
    allow = next(s for s in policy["Statement"] if s["Effect"] == "Allow")
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert allow["Action"] == "s3:PutObject"
    assert allow["Condition"] == {
        "ArnLike": {"aws:SourceArn": ["arn:aws:s3:::my-lake"]},
        "StringEquals": {"aws:SourceAccount": "123456789012"},
    }
    logging = result.one("aws:s3/bucketLogging:BucketLogging").inputs
    assert (logging["bucket"], logging["targetBucket"], logging["targetPrefix"]) == (
        "my-lake",
        result.outputs["name"],
        "my-lake/",
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"expiration_days": 0}, "expiration_days must be 1–2147483647 days"),
        ({"source_bucket_names": []}, "source_bucket_names must be a list of at least one"),
    ],
)
def test_bad_inputs_fail_naming_the_argument(extra: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        logs(**extra)


def test_stack_key_rotates_and_names_only_the_services_that_act_on_their_own() -> None:
    result = run_resources(lambda: {"arn": StackKey("key", {"alias": "acme-dev"}).key_arn}, mocks=AwsMocks())
    key = result.one(rules.KMS_KEY)
    assert key.inputs["enableKeyRotation"] is True and key.inputs["deletionWindowInDays"] == 30
    assert result.one("aws:kms/alias:Alias").inputs["name"] == "alias/acme-dev"
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    services = {s["Principal"].get("Service") for s in statements.values()} - {None}
    assert services == {"logs.us-west-2.amazonaws.com", "cloudwatch.amazonaws.com", "events.amazonaws.com"}
    logs_statement = statements["CloudWatchLogsEncryptThisAccountsLogGroups"]
    assert logs_statement["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-west-2:123456789012:log-group:*"}
    }
    assert rules.no_wildcard_iam(rules.KMS_KEY, key.inputs) == []


def test_every_service_statement_of_the_key_policy_is_conditioned() -> None:
    for statement in stack_key_policy("aws", "eu-west-1", "111122223333")["Statement"][1:]:
        assert statement["Condition"], statement["Sid"]


@pytest.mark.parametrize(
    ("args", "message"),
    [({"deletion_window_days": 6}, "deletion_window_days must be 7–30 days"), ({"alias": "alias/x"}, "alias must be")],
)
def test_bad_key_inputs_fail(args: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        run_resources(lambda: {"arn": StackKey("key", args).key_arn})  # type: ignore[arg-type]
