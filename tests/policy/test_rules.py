"""The policy pack's guardrails on the stack the Pulumi mocks capture: a passing stack, and one seeded violation
per guardrail that exactly that guardrail reports."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from components.testing import ProgramResult
from policy import rules
from policy.rules import Res
from stack.testing import run_stack


@pytest.fixture(scope="module")
def dev(dev_stack: ProgramResult) -> ProgramResult:
    return dev_stack


def as_res(result: ProgramResult) -> list[Res]:
    return [Res(r.type, r.name, r.outputs, r.urn) for r in result.resources]


@pytest.fixture(scope="module")
def passing(dev: ProgramResult) -> list[Res]:
    """The dev stack as the program registers it."""
    return as_res(dev)


def failing(report: dict[str, list[str]]) -> dict[str, list[str]]:
    return {name: messages for name, messages in report.items() if messages}


def test_dev_stack_passes_every_guardrail(passing: list[Res]) -> None:
    assert failing(rules.evaluate(passing)) == {}


@pytest.mark.parametrize("overrides", [{"encryptionKey": "customer-managed"}, {"lakeRetainOnDestroy": "false"}])
def test_variants_of_the_stack_pass_every_guardrail(overrides: dict[str, str]) -> None:
    assert failing(rules.evaluate(as_res(run_stack("dev", overrides=overrides)))) == {}


def test_staging_stack_passes_every_guardrail() -> None:
    assert failing(rules.evaluate(as_res(run_stack("staging")))) == {}


def test_stack_without_its_alarms_fails_only_alarms_exist(passing: list[Res]) -> None:
    report = failing(rules.evaluate([r for r in passing if r.type != rules.ALARM]))
    assert set(report) == {"alarms-exist"}
    assert any("acme-data-async-dlq" in m and "ApproximateNumberOfMessagesVisible" in m for m in report["alarms-exist"])


def edit(
    resources: list[Res], typ: str, change: Callable[[dict[str, Any]], None], name: str | None = None
) -> list[Res]:
    """A copy of the stack with one resource's props changed in place by `change`."""
    out = []
    done = False
    for res in resources:
        if res.type == typ and not done and (name is None or res.name == name):
            props = copy.deepcopy(dict(res.props))
            change(props)
            res = Res(res.type, res.name, props, res.urn)
            done = True
        out.append(res)
    assert done, (typ, name)
    return out


def drop(resources: list[Res], typ: str, name_contains: str = "") -> list[Res]:
    kept = [r for r in resources if not (r.type == typ and name_contains in r.name)]
    assert len(kept) == len(resources) - 1
    return kept


def set_policy(props: dict[str, Any], key: str, mutate: Callable[[dict[str, Any]], None]) -> None:
    doc = json.loads(props[key])
    mutate(doc)
    props[key] = json.dumps(doc)


KEY = "arn:aws:kms:us-west-2:123456789012:key/00000000-0000-0000-0000-000000000000"


def _wildcard_action(doc: dict[str, Any]) -> None:
    doc["Statement"][0]["Action"] = ["kinesis:*"]


SEEDED: dict[str, Callable[[list[Res]], list[Res]]] = {
    "encryption-at-rest": lambda s: edit(s, rules.STREAM, lambda p: p.update(encryptionType="NONE")),
    "bucket-encrypted": lambda s: drop(s, rules.BUCKET_SSE, "lake"),
    "no-public-bucket-acl": lambda s: [
        *s,
        Res("aws:s3/bucketAclV2:BucketAclV2", "acl", {"bucket": "x", "acl": "public-read"}),
    ],
    "no-public-bucket": lambda s: edit(
        s, rules.BUCKET_PUBLIC_ACCESS_BLOCK, lambda p: p.update(restrictPublicBuckets=False)
    ),
    "tls-only-bucket-policy": lambda s: edit(
        s,
        rules.BUCKET_POLICY,
        lambda p: set_policy(
            p, "policy", lambda d: d["Statement"][0].update(Resource=d["Statement"][0]["Resource"][:1])
        ),
        name="lake-tls-only",
    ),
    "no-wildcard-iam": lambda s: edit(
        s, rules.ROLE_POLICY, lambda p: set_policy(p, "policy", _wildcard_action), name="generator-producer-policy"
    ),
    "log-retention-set": lambda s: edit(s, rules.LOG_GROUP, lambda p: p.pop("retentionInDays")),
    "lambda-on-failure-destination": lambda s: edit(
        s, rules.INVOKE_CONFIG, lambda p: p.pop("destinationConfig"), name="generator-producer-async"
    ),
    "alarms-exist": lambda s: drop(s, rules.ALARM, "producer-errors"),
    # The lake switched to a customer managed key without the policy that refuses other keys.
    "bucket-refuses-other-keys": lambda s: edit(
        s,
        rules.BUCKET_SSE,
        lambda p: p["rules"][0].update(
            applyServerSideEncryptionByDefault={"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}
        ),
        name="lake-encryption",
    ),
    "tls-only-queue-policy": lambda s: edit(
        s,
        rules.QUEUE_POLICY,
        lambda p: set_policy(p, "policy", lambda d: d["Statement"].pop()),
        name="generator-dlq-policy",
    ),
    "iceberg-tables-maintained": lambda s: [
        *s,
        Res(
            rules.GLUE_TABLE,
            "loose-iceberg",
            {"name": "loose", "databaseName": "db", "openTableFormatInput": {"icebergInput": {"version": "2"}}},
        ),
    ],
    "delivery-errors-kept": lambda s: edit(
        s, rules.FIREHOSE, lambda p: p["extendedS3Configuration"]["cloudwatchLoggingOptions"].update(enabled=False)
    ),
}


def test_every_guardrail_has_a_seeded_violation() -> None:
    assert set(SEEDED) == {g.name for g in rules.GUARDRAILS}


@pytest.mark.parametrize("guardrail", sorted(SEEDED))
def test_seeded_violation_is_reported_by_its_guardrail_alone(guardrail: str, passing: list[Res]) -> None:
    report = failing(rules.evaluate(SEEDED[guardrail](passing)))
    assert list(report) == [guardrail], report
    assert len(report[guardrail]) == 1, report


def test_tls_deny_with_principal_star_and_s3_star_is_not_a_wildcard_grant(passing: list[Res]) -> None:
    bucket_policy = next(r for r in passing if r.type == rules.BUCKET_POLICY and r.name == "lake-tls-only")
    statement = json.loads(bucket_policy.props["policy"])["Statement"][0]
    assert (statement["Effect"], statement["Principal"], statement["Action"]) == ("Deny", "*", "s3:*")
    assert rules.no_wildcard_iam(rules.BUCKET_POLICY, bucket_policy.props) == []


def allow(**statement: Any) -> dict[str, str]:
    return {"policy": json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **statement}]})}


@pytest.mark.parametrize(
    ("typ", "props", "expected"),
    [
        (rules.ROLE_POLICY, allow(Action="*", Resource="arn:aws:s3:::b"), "grants every action"),
        (rules.ROLE_POLICY, allow(Action="s3:GetObject", Resource="*"), "Resource '*'"),
        (rules.ROLE_POLICY, allow(NotAction="iam:*", Resource="arn:aws:s3:::b"), "NotAction"),
        (rules.QUEUE_POLICY, allow(Principal="*", Action="sqs:SendMessage", Resource="arn:q"), "public"),
        (rules.KMS_KEY, allow(Principal={"Service": "logs.amazonaws.com"}, Action="kms:*", Resource="*"), "every"),
    ],
)
def test_wildcard_grants_are_reported(typ: str, props: dict[str, str], expected: str) -> None:
    [message] = rules.no_wildcard_iam(typ, props)
    assert expected in message


@pytest.mark.parametrize(
    ("typ", "props"),
    [
        # X-Ray's trace APIs accept only Resource "*".
        (rules.ROLE_POLICY, allow(Action=["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource="*")),
        # A key policy's Resource "*" is the key itself; kms:* to the account root delegates to IAM.
        (rules.KMS_KEY, allow(Principal={"AWS": "arn:aws:iam::123456789012:root"}, Action="kms:*", Resource="*")),
        (rules.QUEUE_POLICY, allow(Principal="*", Action="sqs:SendMessage", Resource="arn:q", Condition={"x": {}})),
    ],
)
def test_documented_exceptions_are_not_reported(typ: str, props: dict[str, str]) -> None:
    assert rules.no_wildcard_iam(typ, props) == []


def test_xray_exception_does_not_cover_other_actions_on_star() -> None:
    props = allow(Action=["xray:PutTraceSegments", "s3:ListAllMyBuckets"], Resource="*")
    assert len(rules.no_wildcard_iam(rules.ROLE_POLICY, props)) == 1


def test_alarm_without_actions_is_reported(passing: list[Res]) -> None:
    silent = edit(passing, rules.ALARM, lambda p: p.update(alarmActions=[]))
    assert any("notifies no one" in m for m, _ in rules.alarms_exist(silent))


def test_function_with_a_dead_letter_config_instead_of_a_destination_passes() -> None:
    fn = Res(rules.FUNCTION, "f", {"name": "f", "deadLetterConfig": {"targetArn": "arn:aws:sqs:r:1:q"}})
    assert rules.lambda_on_failure_destination([fn]) == []


def test_a_customer_managed_lake_that_accepts_other_keys_fails_only_that_guardrail() -> None:
    cmk = as_res(run_stack("dev", overrides={"encryptionKey": "customer-managed"}))
    assert failing(rules.evaluate(cmk)) == {}

    def drop_key_statements(doc: dict[str, Any]) -> None:
        doc["Statement"] = [s for s in doc["Statement"] if s["Sid"] != "DenyOtherKmsKeys"]

    loose = edit(cmk, rules.BUCKET_POLICY, lambda p: set_policy(p, "policy", drop_key_statements), name="lake-tls-only")
    report = failing(rules.evaluate(loose))
    assert list(report) == ["bucket-refuses-other-keys"] and "lake-bucket" in report["bucket-refuses-other-keys"][0]


@pytest.fixture(scope="module")
def iceberg(dev: ProgramResult) -> list[Res]:
    """The dev stack with tableFormat iceberg."""
    return as_res(run_stack("dev", overrides={"tableFormat": "iceberg"}))


@pytest.mark.parametrize(
    "overrides", [{}, {"encryptionKey": "customer-managed", "firehoseBackupSourceRecords": "true"}]
)
def test_an_iceberg_stack_passes_every_guardrail(overrides: dict[str, str]) -> None:
    stack = as_res(run_stack("dev", overrides={"tableFormat": "iceberg", **overrides}))
    assert failing(rules.evaluate(stack)) == {}


@pytest.mark.parametrize("optimizer", rules.ICEBERG_OPTIMIZERS)
def test_an_iceberg_table_missing_an_optimizer_fails_only_the_maintenance_guardrail(
    optimizer: str, iceberg: list[Res]
) -> None:
    report = failing(rules.evaluate(drop(iceberg, rules.TABLE_OPTIMIZER, optimizer.replace("_", "-"))))
    assert report == {
        "iceberg-tables-maintained": [
            f"Iceberg table streaming_events needs enabled Glue table optimizers: {optimizer}"
        ]
    }


def test_an_iceberg_table_of_format_v1_is_refused(iceberg: list[Res]) -> None:
    v1 = edit(
        iceberg,
        rules.GLUE_TABLE,
        lambda p: p["openTableFormatInput"]["icebergInput"].update(version="1"),
        name="catalog-streaming-events",
    )
    assert failing(rules.evaluate(v1)) == {
        "iceberg-tables-maintained": ["Iceberg table streaming_events must be format version 2, has 1"]
    }


def test_an_iceberg_delivery_needs_its_freshness_alarm_not_the_s3_ones(iceberg: list[Res]) -> None:
    report = failing(rules.evaluate(drop(iceberg, rules.ALARM, "delivery-freshness")))
    assert list(report) == ["alarms-exist"]
    assert report["alarms-exist"] == [
        "ingest-delivery (acme-data-kinesis-to-s3) has no alarm on AWS/Firehose DeliveryToIceberg.DataFreshness"
    ]


def test_an_iceberg_delivery_without_an_error_prefix_fails_only_delivery_errors_kept(iceberg: list[Res]) -> None:
    loose = edit(
        iceberg, rules.FIREHOSE, lambda p: p["icebergConfiguration"]["s3Configuration"].pop("errorOutputPrefix")
    )
    assert failing(rules.evaluate(loose)) == {
        "delivery-errors-kept": ["delivery stream ingest-delivery must set an error output prefix"]
    }


def test_the_iceberg_roles_grant_no_wildcard(iceberg: list[Res]) -> None:
    roles = [r for r in iceberg if r.type == rules.ROLE_POLICY and ("optimizer" in r.name or "firehose" in r.name)]
    assert len(roles) == 2
    assert all(rules.no_wildcard_iam(r.type, r.props) == [] for r in roles)


@pytest.mark.parametrize(
    ("typ", "guardrail"),
    [
        (rules.BUCKET_POLICY, "tls-only-bucket-policy"),
        (rules.BUCKET_SSE, "bucket-encrypted"),
        (rules.BUCKET_PUBLIC_ACCESS_BLOCK, "no-public-bucket"),
    ],
)
def test_the_generators_state_bucket_is_held_to_every_bucket_guardrail(
    passing: list[Res], typ: str, guardrail: str
) -> None:
    report = failing(rules.evaluate(drop(passing, typ, "generator-state")))
    assert set(report) == {guardrail} and all("bucket generator-state " in m for m in report[guardrail])
