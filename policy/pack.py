"""pulumi-policy wrappers around the guardrails of `policy.rules` (kept apart from __main__.py, which serves)."""

from __future__ import annotations

from pulumi_policy import (
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policy import rules


def _resource_policy(guardrail: rules.Guardrail) -> ResourceValidationPolicy:
    rule = guardrail.resource_rule
    assert rule is not None

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for message in rule(args.resource_type, args.props):
            report_violation(message, args.urn)

    return ResourceValidationPolicy(name=guardrail.name, description=guardrail.description, validate=validate)


def _stack_policy(guardrail: rules.Guardrail) -> StackValidationPolicy:
    rule = guardrail.stack_rule
    assert rule is not None

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [rules.Res(r.resource_type, r.name, r.props, r.urn) for r in args.resources]
        for message, urn in rule(resources):
            report_violation(message, urn)

    return StackValidationPolicy(name=guardrail.name, description=guardrail.description, validate=validate)


def policies() -> list[Policy]:
    """One pulumi-policy policy per guardrail, in the order of `rules.GUARDRAILS`."""
    return [_resource_policy(g) if g.resource_rule else _stack_policy(g) for g in rules.GUARDRAILS]
