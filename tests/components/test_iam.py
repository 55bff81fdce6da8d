"""Every policy document of the whole program: no wildcards unless justified, every ARN belongs to this stack."""

import pytest

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
    assert len(docs) == 8  # 3 trust policies, 3 role policies, bucket policy, queue policy
    for res, doc in docs:
        for statement in doc["Statement"]:
            actions = as_list(statement["Action"])
            resources = as_list(statement.get("Resource", []))
            wildcard = any(a == "*" or a.endswith(":*") for a in actions) or "*" in resources
            if wildcard or statement.get("Principal") == "*":
                # Only a Deny may be that broad: it must shut plain HTTP for everyone, on every action.
                assert res.type == "aws:s3/bucketPolicy:BucketPolicy", res.name
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
                if resource == GLUE_CATALOG:
                    continue  # one catalog per account and region, shared by design
                assert not owned(resource, staging_arns - {GLUE_CATALOG}), resource


def test_only_aws_services_are_trusted_and_only_for_this_account(dev: ProgramResult) -> None:
    for res, doc in policy_documents(dev):
        if res.type != "aws:iam/role:Role":
            continue
        [statement] = doc["Statement"]
        assert statement["Action"] == "sts:AssumeRole"
        assert statement["Principal"]["Service"] in ("lambda.amazonaws.com", "firehose.amazonaws.com")
        assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_the_generator_may_invoke_itself_for_shards_only_when_given_its_own_arn() -> None:
    from components import policies

    own = policies.lambda_function_arn("aws", "us-west-2", "123456789012", "acme-data-generator")
    assert own == "arn:aws:lambda:us-west-2:123456789012:function:acme-data-generator"
    producer, queue, logs = "arn:aws:lambda:us-west-2:123456789012:function:p", "arn:q", "arn:l"
    with_shards = policies.generator_policy(producer, queue, logs, own)
    invokes = [s for s in with_shards["Statement"] if s["Action"] == ["lambda:InvokeFunction"]]
    assert [s["Resource"] for s in invokes] == [[producer], [own]]
    without = policies.generator_policy(producer, queue, logs)
    assert [s["Resource"] for s in without["Statement"] if s["Action"] == ["lambda:InvokeFunction"]] == [[producer]]
