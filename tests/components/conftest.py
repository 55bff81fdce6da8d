"""Whole-program runs under mocks, shared by the component tests (each run takes about a second)."""

import json
from typing import Any

import pytest

from components.testing import ProgramResult, RecordedResource
from stack.testing import run_stack

POLICY_INPUTS = {
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/role:Role": "assumeRolePolicy",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
}


@pytest.fixture(scope="session")
def dev() -> ProgramResult:
    return run_stack("dev")


@pytest.fixture(scope="session")
def staging() -> ProgramResult:
    return run_stack("staging")


@pytest.fixture(scope="session")
def dev_iceberg() -> ProgramResult:
    """The dev stack with tableFormat iceberg."""
    return run_stack("dev", overrides={"tableFormat": "iceberg"})


def policy_documents(result: ProgramResult) -> list[tuple[RecordedResource, dict[str, Any]]]:
    """Every policy document the program registered, parsed from its JSON text."""
    docs = []
    for res in result.resources:
        key = POLICY_INPUTS.get(res.type)
        if key is not None:
            docs.append((res, json.loads(res.inputs[key])))
    return docs


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def pytest_configure(config: pytest.Config) -> None:
    # pulumi_aws warns about its own deprecated resource classes while registering type modules.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:pulumi_aws.*")
