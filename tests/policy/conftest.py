"""The dev stack under mocks, run once for all policy tests."""

import pytest

from components.testing import ProgramResult, run_program


@pytest.fixture(scope="session")
def dev_stack() -> ProgramResult:
    return run_program("dev")
