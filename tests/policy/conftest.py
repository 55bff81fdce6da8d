"""The dev stack under mocks, run once for all policy tests."""

import pytest

from components.testing import ProgramResult
from stack.testing import run_stack


@pytest.fixture(scope="session")
def dev_stack() -> ProgramResult:
    return run_stack("dev")
