"""Every policy document of the whole program: no wildcards unless justified, every ARN belongs to this stack."""

import json

import pytest

from components.policies import XRAY_WRITE_ACTIONS
from components.testing import ProgramResult

from .conftest import as_list, policy_documents

ACCOUNT = "123456789012"
REGION = "us-west-2"
GLUE_CATALOG = f"arn:aws:glue:{REGION}:{ACCOUNT}:catalog"
"""Glue authorizes GetTable on the account's catalog as well as on the database and table."""


def stack_arns(result: ProgramResult) -> set[str]:
    return {r.outputs[key] for r in result.resources for key in ("arn", "layerArn") if key in r.outputs}


def glue_arns(result: ProgramResult) -> set[str]:
    db = result.one("aws:glue/catalogDatabase:CatalogDatabase").inputs["name"]
    return {GLUE_CATALOG, f"arn:aws:glue:{REGION}:{ACCOUNT}:database/{db}"}


def owned(resource: str, arns: set[str]) -> bool:
    """The ARN is a stack resource, a key under a stack bucket, or a stream of a stack log group."""
    return resource in arns or any(resource.startswith((f"{arn}/", f"{arn}:")) for arn in arns)


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_policies_use_no_wildcard_action_or_resource_except_the_tls_deny(
    stack: str, request: pytest.FixtureRequest
) -> None:
    result: ProgramResult = request.getfixturevalue(stack)
    docs = policy_documents(result)
    # 3 trust, 4 role policies (one for shards), 3 bucket policies (lake, generator state, access logs), queue
    assert len(docs) == 11
    for res, doc in docs:
        for statement in doc["Statement"]:
            actions = as_list(statement["Action"])
            resources = as_list(statement.get("Resource", []))
            if resources == ["*"] and set(actions) <= set(XRAY_WRITE_ACTIONS):
                continue  # X-Ray's trace APIs take no resource-level permissions: Resource "*" is required
            wildcard = any(a == "*" or a.endswith(":*") for a in actions) or "*" in resources
            if wildcard or statement.get("Principal") == "*":
                # Only a Deny may be that broad: it must shut plain HTTP for everyone, on every action (buckets, and
                # the dead-letter queue as SQS's security best practices show).
                assert res.type in ("aws:s3/bucketPolicy:BucketPolicy", "aws:sqs/queuePolicy:QueuePolicy"), res.name
                assert statement["Effect"] == "Deny"
                assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_every_resource_arn_in_a_policy_belongs_to_this_stack(stack: str, request: pytest.FixtureRequest) -> None:
    result: ProgramResult = request.getfixturevalue(stack)
    arns = stack_arns(result)
    allowed = arns | glue_arns(result)
    checked = 0
    for res, doc in policy_documents(result):
        for statement in doc["Statement"]:
            if statement.get("Sid") == "ActiveTracing":
                continue  # X-Ray: Resource "*" (see above)
            for resource in as_list(statement.get("Resource", [])):
                assert owned(resource, allowed), (res.name, resource)
                checked += 1
            source = statement.get("Condition", {}).get("ArnEquals", {}).get("aws:SourceArn")
            if source is not None:
                assert source in arns
    assert checked >= 15


def test_policies_of_one_stack_never_name_the_other_stacks_resources(
    dev: ProgramResult, staging: ProgramResult
) -> None:
    staging_arns = stack_arns(staging) | glue_arns(staging)
    for _, doc in policy_documents(dev):
        for statement in doc["Statement"]:
            for resource in as_list(statement.get("Resource", [])):
                if resource == "*":
                    continue  # X-Ray's trace APIs (checked above), no resource of either stack
                if resource == GLUE_CATALOG:
                    continue  # one catalog per account and region, shared by design
                assert not owned(resource, staging_arns - {GLUE_CATALOG}), resource


TRUST_CONDITIONS = {
    # Firehose developer guide, "Allow Firehose to assume an IAM role": sts:ExternalId is the account id.
    "firehose.amazonaws.com": {"StringEquals": {"sts:ExternalId": ACCOUNT}},
    # Lambda developer guide, execution role: no condition (Lambda documents none it sends).
    "lambda.amazonaws.com": None,
}


def test_trust_policies_carry_only_the_conditions_each_services_guide_documents(dev: ProgramResult) -> None:
    seen = []
    for res, doc in policy_documents(dev):
        if res.type != "aws:iam/role:Role":
            continue
        [statement] = doc["Statement"]
        assert statement["Action"] == "sts:AssumeRole"
        service = statement["Principal"]["Service"]
        assert statement.get("Condition") == TRUST_CONDITIONS[service], res.name
        seen.append(service)
    assert sorted(seen) == ["firehose.amazonaws.com", "lambda.amazonaws.com", "lambda.amazonaws.com"]


def test_the_generator_may_invoke_only_itself_for_shards_in_a_policy_of_its_own(dev: ProgramResult) -> None:
    from components import policies

    own = "arn:aws:lambda:us-west-2:123456789012:function:acme-data-generator"
    assert policies.generator_shards_policy(own)["Statement"] == [
        {"Sid": "InvokeOwnShards", "Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": [own]}
    ]
    shards = dev.one("aws:iam/rolePolicy:RolePolicy", "generator-generator-shards-policy")
    assert json.loads(shards.inputs["policy"]) == policies.generator_shards_policy(own)
    generator = dev.one("aws:lambda/function:Function", "generator-generator")
    assert generator.urn in shards.dependencies or shards.inputs["role"] == "generator-generator-role-id"
