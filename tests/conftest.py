"""Fixtures every test package shares: Pulumi mocks for components, dummy AWS credentials for moto."""

import pytest

from components.testing import AwsMocks, use_mocks
from tests.installed import Installed, install


@pytest.fixture
def aws_mocks() -> AwsMocks:
    """AwsMocks installed as the Pulumi engine for this test, with a fresh root stack."""
    mocks = AwsMocks()
    use_mocks(mocks)
    return mocks


REGION = "us-west-2"


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials and region so boto3 never finds or uses a real account."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="session")
def installed_library(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """This checkout's library built as a wheel and installed into a fresh virtualenv (offline, no tooling)."""
    return install(tmp_path_factory.mktemp("installed"))
