"""ScheduledGenerator alone under mocks: functions, layer, logs, schedule, dead-letter queue and roles."""

import json

import pytest

from components import ScheduledGenerator, scheduled_generator
from components.testing import ProgramResult, RecordedResource, run_resources
from components.validation import ArgumentError

STREAM_ARN = "arn:aws:kinesis:us-west-2:123456789012:stream/test-stream"
FUNCTION = "aws:lambda/function:Function"
ACCOUNT = "arn:aws:lambda:us-west-2:123456789012"
STATE_BUCKET = "acme-test-state-c57f959"
"""The state bucket's name under the mocks: <name_prefix>-state- and a suffix (S3's is random, the mocks' fixed)."""
STATE_ARN = f"arn:aws:s3:::{STATE_BUCKET}"


def build(**extra: object) -> ProgramResult:
    def program() -> dict:
        gen = ScheduledGenerator(
            "gen",
            {
                "name_prefix": "acme-test",
                "stream_name": "test-stream",
                "stream_arn": STREAM_ARN,
                "dimension_seed": 7,
                "customer_count": 100,
                "title_count": 50,
                "window_seconds": 300,
                **extra,
            },  # type: ignore[typeddict-item]
        )
        return {
            "generator": gen.generator_function_name,
            "producer": gen.producer_function_name,
            "dlq": gen.dead_letter_queue_url,
            "rule": gen.schedule_rule_name,
            "layer": gen.layer_arn,
            "state": gen.state_bucket_name,
        }

    return run_resources(program)


@pytest.fixture(scope="module")
def default() -> ProgramResult:
    return build()


def function(result: ProgramResult, role: str) -> RecordedResource:
    return result.one(FUNCTION, f"gen-{role}")


def test_outputs_name_both_functions_the_queue_rule_layer_and_state_bucket(default: ProgramResult) -> None:
    assert default.outputs == {
        "generator": "acme-test-generator",
        "producer": "acme-test-producer",
        "dlq": "https://sqs.us-west-2.amazonaws.com/123456789012/acme-test-async-dlq",
        "rule": "acme-test-generator-schedule",
        "layer": f"{ACCOUNT}:layer:acme-test-mimesis:1",
        "state": STATE_BUCKET,
    }


@pytest.mark.parametrize(
    ("role", "handler"),
    [("generator", "functions.generator.handler.handler"), ("producer", "functions.producer.handler.handler")],
)
def test_functions_run_python_312_on_arm64_with_the_mimesis_layer(
    default: ProgramResult, role: str, handler: str
) -> None:
    fn = function(default, role).inputs
    assert fn["name"] == f"acme-test-{role}" and fn["handler"] == handler
    assert (fn["runtime"], fn["architectures"], fn["memorySize"], fn["timeout"]) == ("python3.12", ["arm64"], 256, 60)
    assert fn["layers"] == [f"{ACCOUNT}:layer:acme-test-mimesis:1"]
    assert fn["role"] == f"arn:aws:iam::123456789012:role/acme-test-{role}-role"
    assert fn["loggingConfig"] == {"logFormat": "JSON", "logGroup": f"/aws/lambda/acme-test-{role}"}
    assert "functions/shared/schema.py" in fn["code"].assets


def test_runtime_architecture_memory_and_timeout_follow_args() -> None:
    fn = function(build(runtime="python3.13", architecture="x86_64", memory_mb=512, timeout_seconds=120), "producer")
    assert (fn.inputs["runtime"], fn.inputs["architectures"], fn.inputs["memorySize"], fn.inputs["timeout"]) == (
        "python3.13",
        ["x86_64"],
        512,
        120,
    )


def test_environment_carries_batch_producer_seed_counts_state_bucket_and_stream(default: ProgramResult) -> None:
    assert function(default, "generator").inputs["environment"]["variables"] == {
        "BATCH_SIZE": "1000",
        "PRODUCER_FUNCTION_NAME": "acme-test-producer",
        "DIMENSION_SEED": "7",
        "CUSTOMER_COUNT": "100",
        "TITLE_COUNT": "50",
        "WINDOW_SECONDS": "300",
        "CAMPAIGN_COUNT": "1500",
        "STATE_BUCKET": STATE_BUCKET,
        "STATE_PREFIX": "admission/",
    }
    assert function(default, "producer").inputs["environment"]["variables"] == {"STREAM_NAME": "test-stream"}


def test_the_world_seed_reaches_the_generator_only_when_given(default: ProgramResult) -> None:
    env = function(build(world_seed=99, batch_size=10), "generator").inputs["environment"]["variables"]
    assert (env["WORLD_SEED"], env["BATCH_SIZE"]) == ("99", "10")
    assert "WORLD_SEED" not in function(default, "generator").inputs["environment"]["variables"]


@pytest.mark.parametrize(
    ("batch", "window", "expected"),
    [
        (1000, 300, (2, 10)),
        (100_000, 300, (31, 16)),
        (1_000_000, 300, (288, 156)),
        (1_000_000, 3600, (900, 900)),
        # A tick over an hour runs as windows of an hour: its own invocation, then each window and its shards.
        (1000, 7200, (12, 10)),
        (1000, 86_400, (122, 45)),
        # A tick over a day reserves a day's worth of windows; the rest wait in the asynchronous queue.
        (1000, 7 * 86_400, (122, 45)),
    ],
)
def test_reserved_concurrency_is_sized_to_the_busiest_tick(batch: int, window: int, expected: tuple[int, int]) -> None:
    assert scheduled_generator.default_concurrency(batch, window) == expected


@pytest.mark.parametrize("role", ["generator", "producer"])
def test_each_function_has_its_own_log_group_with_retention_created_first(default: ProgramResult, role: str) -> None:
    group = default.one("aws:cloudwatch/logGroup:LogGroup", f"gen-{role}-logs")
    assert (group.inputs["name"], group.inputs["retentionInDays"]) == (f"/aws/lambda/acme-test-{role}", 365)
    assert group.urn in function(default, role).dependencies


def test_layer_holds_mimesis_for_both_architectures_and_runtimes(default: ProgramResult) -> None:
    layer = default.one("aws:lambda/layerVersion:LayerVersion").inputs
    assert layer["layerName"] == "acme-test-mimesis"
    assert layer["compatibleRuntimes"] == ["python3.12", "python3.13"]
    assert layer["compatibleArchitectures"] == ["arm64", "x86_64"]
    assert "python/mimesis/__init__.py" in layer["code"].assets


def test_schedule_rule_invokes_the_generator_with_a_dead_letter_queue(default: ProgramResult) -> None:
    rule = default.one("aws:cloudwatch/eventRule:EventRule").inputs
    assert (rule["name"], rule["scheduleExpression"], rule["state"]) == (
        "acme-test-generator-schedule",
        "rate(5 minutes)",
        "ENABLED",
    )
    target = default.one("aws:cloudwatch/eventTarget:EventTarget").inputs
    assert target["rule"] == "acme-test-generator-schedule"
    assert target["arn"] == f"{ACCOUNT}:function:acme-test-generator"
    assert target["deadLetterConfig"] == {"arn": "arn:aws:sqs:us-west-2:123456789012:acme-test-async-dlq"}
    permission = default.one("aws:lambda/permission:Permission").inputs
    assert permission == {
        "action": "lambda:InvokeFunction",
        "function": "acme-test-generator",
        "principal": "events.amazonaws.com",
        "sourceArn": "arn:aws:events:us-west-2:123456789012:rule/acme-test-generator-schedule",
    }


def test_schedule_can_be_changed_and_switched_off() -> None:
    # A cron() schedule has no fixed window: each tick covers the time since the previous firing.
    result = build(schedule_expression="cron(0 * * * ? *)", schedule_enabled=False, window_seconds=None)
    rule = result.one("aws:cloudwatch/eventRule:EventRule")
    assert (rule.inputs["scheduleExpression"], rule.inputs["state"]) == ("cron(0 * * * ? *)", "DISABLED")
    env = function(result, "generator").inputs["environment"]["variables"]
    assert env["SCHEDULE_EXPRESSION"] == "cron(0 * * * ? *)" and "WINDOW_SECONDS" not in env


def test_dead_letter_queue_is_encrypted_and_keeps_messages_fourteen_days(default: ProgramResult) -> None:
    queue = default.one("aws:sqs/queue:Queue").inputs
    # 1 MiB, SQS's largest message: a failed producer payload arrives whole inside its on-failure record.
    assert queue == {
        "name": "acme-test-async-dlq",
        "sqsManagedSseEnabled": True,
        "messageRetentionSeconds": 1209600,
        "maxMessageSize": 1048576,
    }


@pytest.mark.parametrize("role", ["generator", "producer"])
def test_failed_async_invocations_go_to_the_dead_letter_queue_after_retries(role: str) -> None:
    result = build(max_retry_attempts=1, max_event_age_seconds=600)
    config = result.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", f"gen-{role}-async").inputs
    assert config == {
        "functionName": f"acme-test-{role}",
        "maximumRetryAttempts": 1,
        "maximumEventAgeInSeconds": 600,
        "destinationConfig": {"onFailure": {"destination": "arn:aws:sqs:us-west-2:123456789012:acme-test-async-dlq"}},
    }


def test_queue_policy_lets_only_this_rule_send_via_eventbridge(default: ProgramResult) -> None:
    policy = json.loads(default.one("aws:sqs/queuePolicy:QueuePolicy").inputs["policy"])
    statement, tls_only = policy["Statement"]
    assert (tls_only["Effect"], tls_only["Action"]) == ("Deny", "sqs:*")  # no request without TLS
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Resource"] == "arn:aws:sqs:us-west-2:123456789012:acme-test-async-dlq"
    assert statement["Condition"] == {
        "ArnEquals": {"aws:SourceArn": "arn:aws:events:us-west-2:123456789012:rule/acme-test-generator-schedule"}
    }


def role_grants(result: ProgramResult, role: str) -> dict[str, tuple[list[str], list[str]]]:
    policy = json.loads(result.one("aws:iam/rolePolicy:RolePolicy", f"gen-{role}-policy").inputs["policy"])
    return {s["Sid"]: (s["Action"], s["Resource"]) for s in policy["Statement"]}


def test_generator_may_invoke_only_the_producer_and_use_only_its_state_prefix(default: ProgramResult) -> None:
    grants = role_grants(default, "generator")
    assert grants == {
        "InvokeProducer": (["lambda:InvokeFunction"], [f"{ACCOUNT}:function:acme-test-producer"]),
        "ListAdmissionState": (["s3:ListBucket"], [STATE_ARN]),
        "ReadWriteAdmissionState": (["s3:GetObject", "s3:PutObject"], [f"{STATE_ARN}/admission/*"]),
        "OwnLogGroup": (
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            ["arn:aws:logs:us-west-2:123456789012:log-group:/aws/lambda/acme-test-generator:*"],
        ),
        "AsyncFailureDestination": (["sqs:SendMessage"], ["arn:aws:sqs:us-west-2:123456789012:acme-test-async-dlq"]),
        "ActiveTracing": (["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "*"),
    }


def test_producer_may_put_records_only_to_this_stream(default: ProgramResult) -> None:
    grants = role_grants(default, "producer")
    assert grants == {
        "PutToStream": (["kinesis:PutRecord", "kinesis:PutRecords"], [STREAM_ARN]),
        "OwnLogGroup": (
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            ["arn:aws:logs:us-west-2:123456789012:log-group:/aws/lambda/acme-test-producer:*"],
        ),
        "AsyncFailureDestination": (["sqs:SendMessage"], ["arn:aws:sqs:us-west-2:123456789012:acme-test-async-dlq"]),
        "ActiveTracing": (["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "*"),
    }


def test_lambda_roles_trust_lambda_as_the_execution_role_guide_shows(default: ProgramResult) -> None:
    # Lambda developer guide, "execution role": principal lambda.amazonaws.com, no condition. A condition on a key
    # Lambda does not send (aws:SourceAccount) would make the role impossible to assume.
    for role in ("generator", "producer"):
        trust = json.loads(default.one("aws:iam/role:Role", f"gen-{role}-role").inputs["assumeRolePolicy"])
        assert trust["Statement"] == [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]


KEY = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_a_customer_managed_key_encrypts_queue_logs_and_environment_and_roles_use_it_through_one_service() -> None:
    result = build(kms_key_arn=KEY)
    queue = result.one("aws:sqs/queue:Queue").inputs
    assert queue["kmsMasterKeyId"] == KEY and "sqsManagedSseEnabled" not in queue
    for role in ("generator", "producer"):
        assert result.one("aws:cloudwatch/logGroup:LogGroup", f"gen-{role}-logs").inputs["kmsKeyId"] == KEY
        assert function(result, role).inputs["kmsKeyArn"] == KEY
    producer = role_grants(result, "producer")
    assert producer["EncryptStreamRecords"] == (["kms:GenerateDataKey"], [KEY])
    assert producer["EncryptDeadLetters"] == (["kms:Decrypt", "kms:GenerateDataKey"], [KEY])
    assert "EncryptStreamRecords" not in role_grants(result, "generator")
    doc = json.loads(result.one("aws:iam/rolePolicy:RolePolicy", "gen-producer-policy").inputs["policy"])
    conditions = {s["Sid"]: s.get("Condition") for s in doc["Statement"]}
    assert conditions["EncryptStreamRecords"] == {"StringEquals": {"kms:ViaService": "kinesis.us-west-2.amazonaws.com"}}
    assert conditions["EncryptDeadLetters"] == {"StringEquals": {"kms:ViaService": "sqs.us-west-2.amazonaws.com"}}


def test_both_functions_trace_actively_with_reserved_concurrency_sized_to_the_schedule(default: ProgramResult) -> None:
    for role, reserved in (("generator", 2), ("producer", 10)):
        fn = function(default, role).inputs
        assert fn["tracingConfig"] == {"mode": "Active"}
        assert fn["reservedConcurrentExecutions"] == reserved


def test_tracing_off_and_concurrency_overrides() -> None:
    result = build(tracing=False, producer_reserved_concurrency=50)
    assert function(result, "producer").inputs["tracingConfig"] == {"mode": "PassThrough"}
    assert function(result, "producer").inputs["reservedConcurrentExecutions"] == 50
    assert "ActiveTracing" not in role_grants(result, "producer")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"producer_reserved_concurrency": 1001}, r"producer_reserved_concurrency must be 1–900"),
        ({"generator_reserved_concurrency": 0}, r"generator_reserved_concurrency must be 1–900"),
        ({"kms_key_arn": "alias/aws/sqs"}, r"kms_key_arn must be a KMS key ARN"),
    ],
)
def test_bad_hardening_arguments_fail_naming_argument_and_rule(args: dict, message: str) -> None:
    with pytest.raises(ArgumentError, match=message):
        build(**args)


def state(result: ProgramResult, kind: str, suffix: str) -> dict:
    return result.one(f"aws:s3/{kind[0].lower()}{kind[1:]}:{kind}", f"gen-state{suffix}").inputs


def test_the_state_bucket_is_private_versioned_tls_only_and_sse_s3_without_a_key(default: ProgramResult) -> None:
    bucket = default.one("aws:s3/bucket:Bucket", "gen-state")
    # A regenerable cache (every checkpoint is a function of the seeds and the code): destroyed with the stack.
    assert bucket.inputs == {"bucketPrefix": "acme-test-state-", "forceDestroy": True} and not bucket.retain_on_delete
    assert state(default, "BucketServerSideEncryptionConfiguration", "-encryption")["rules"] == [
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}, "bucketKeyEnabled": True}
    ]
    assert state(default, "BucketVersioning", "-versioning")["versioningConfiguration"] == {"status": "Enabled"}
    block = state(default, "BucketPublicAccessBlock", "-public-access-block")
    assert all(
        block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    assert state(default, "BucketOwnershipControls", "-ownership")["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    assert json.loads(state(default, "BucketPolicy", "-tls-only")["policy"])["Statement"] == [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [STATE_ARN, f"{STATE_ARN}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]
    assert (
        default.one("aws:s3/bucket:Bucket", "gen-state").parent
        == default.one("acme-telemetry:index:ScheduledGenerator").urn
    )


def test_checkpoints_expire_after_the_retention_their_old_versions_after_a_day_and_uploads_are_aborted() -> None:
    result = build(state_retention_days=5)
    lifecycle = state(result, "BucketLifecycleConfiguration", "-lifecycle")
    assert lifecycle["rules"] == [
        {
            "id": "expire-admission-state",
            "status": "Enabled",
            "filter": {"prefix": "admission/"},
            "expiration": {"days": 5},
            "noncurrentVersionExpiration": {"noncurrentDays": 1},
            "abortIncompleteMultipartUpload": {"daysAfterInitiation": 1},
        }
    ]
    versioning = result.one("aws:s3/bucketVersioning:BucketVersioning", "gen-state-versioning")
    assert (
        versioning.urn
        in result.one(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "gen-state-lifecycle"
        ).dependencies
    )  # noncurrent-version rules need versioning on first


def test_the_default_retention_is_three_days(default: ProgramResult) -> None:
    rules = state(default, "BucketLifecycleConfiguration", "-lifecycle")["rules"]
    assert rules[0]["expiration"] == {"days": scheduled_generator.DEFAULT_STATE_RETENTION_DAYS} == {"days": 3}


def test_under_a_customer_managed_key_the_state_is_sse_kms_refusing_other_keys_and_the_role_uses_the_key_via_s3() -> (
    None
):
    result = build(kms_key_arn=KEY)
    assert state(result, "BucketServerSideEncryptionConfiguration", "-encryption")["rules"] == [
        {
            "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY},
            "bucketKeyEnabled": True,
        }
    ]
    sids = [s["Sid"] for s in json.loads(state(result, "BucketPolicy", "-tls-only")["policy"])["Statement"]]
    assert sids == [
        "DenyInsecureTransport",
        "DenyOtherKmsKeys",
        "DenyOtherEncryption",
        "DenyKmsWithoutTheKey",
        "DenyCustomerProvidedKeys",
    ]
    doc = json.loads(result.one("aws:iam/rolePolicy:RolePolicy", "gen-generator-policy").inputs["policy"])
    [grant] = [s for s in doc["Statement"] if s["Sid"] == "EncryptAdmissionState"]
    assert grant == {
        "Sid": "EncryptAdmissionState",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": [KEY],
        "Condition": {
            "StringEquals": {"kms:ViaService": "s3.us-west-2.amazonaws.com"},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": [STATE_ARN, f"{STATE_ARN}/*"]},
        },
    }


def test_the_generator_lists_only_under_the_state_prefix() -> None:
    """Amazon S3 User Guide, "Bucket policy examples using condition keys": ListBucket limited by s3:prefix."""
    doc = json.loads(build().one("aws:iam/rolePolicy:RolePolicy", "gen-generator-policy").inputs["policy"])
    [listing] = [s for s in doc["Statement"] if s["Sid"] == "ListAdmissionState"]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["admission/", "admission/*"]}}


def test_without_a_name_prefix_the_state_bucket_is_named_by_pulumi_from_the_resource_name() -> None:
    result = build(name_prefix=None)
    assert "bucketPrefix" not in result.one("aws:s3/bucket:Bucket", "gen-state").inputs


@pytest.mark.parametrize("days", [0, -1, 2**31, "3", True])
def test_a_bad_state_retention_fails_naming_argument_and_rule(days: object) -> None:
    with pytest.raises(ArgumentError, match=r"state_retention_days must be 1–2147483647 days"):
        build(state_retention_days=days)
