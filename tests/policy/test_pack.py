"""The pulumi-policy pack runs the same rule functions: its policies report what the rules find."""

from __future__ import annotations

from typing import Any

import pytest

pulumi_policy = pytest.importorskip("pulumi_policy")

from policy import rules  # noqa: E402
from policy.pack import policies  # noqa: E402

NO_OPTIONS = pulumi_policy.PolicyResourceOptions(
    protect=False,
    ignore_changes=[],
    delete_before_replace=None,
    aliases=[],
    custom_timeouts=pulumi_policy.PolicyCustomTimeouts(0, 0, 0),
    additional_secret_outputs=[],
)


def test_pack_has_one_policy_per_guardrail_with_the_same_names() -> None:
    pack = policies()
    assert [p.name for p in pack] == [g.name for g in rules.GUARDRAILS]
    kinds = {p.name: type(p).__name__ for p in pack}
    assert kinds["no-wildcard-iam"] == "ResourceValidationPolicy"
    assert kinds["alarms-exist"] == "StackValidationPolicy"


def test_resource_policy_reports_the_rules_violation_against_the_resource() -> None:
    policy = next(p for p in policies() if p.name == "encryption-at-rest")
    reported: list[tuple[str, Any]] = []
    args = pulumi_policy.ResourceValidationArgs(
        rules.STREAM, {"encryptionType": "NONE"}, "urn:stream", "stream", NO_OPTIONS, None
    )
    policy.validate(args, lambda message, urn=None: reported.append((message, urn)))
    assert reported == [("Kinesis stream must use encryptionType KMS, has 'NONE'", "urn:stream")]


def test_stack_policy_reports_each_finding_with_its_urn() -> None:
    policy = next(p for p in policies() if p.name == "lambda-on-failure-destination")
    function = pulumi_policy.PolicyResource(rules.FUNCTION, {"name": "f"}, "urn:f", "f", NO_OPTIONS, None, None, [], {})
    reported: list[tuple[str, Any]] = []
    policy.validate(
        pulumi_policy.StackValidationArgs([function]), lambda message, urn=None: reported.append((message, urn))
    )
    assert reported == [("function f has neither an on-failure destination nor a dead-letter queue", "urn:f")]
