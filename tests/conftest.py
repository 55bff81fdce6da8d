"""Shared Pulumi fixtures: fresh AWS mocks for tests that build components directly."""

import pytest

from components.testing import AwsMocks, use_mocks


@pytest.fixture
def aws_mocks() -> AwsMocks:
    """AwsMocks installed as the Pulumi engine for this test, with a fresh root stack."""
    mocks = AwsMocks()
    use_mocks(mocks)
    return mocks
