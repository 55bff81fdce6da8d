"""The program registers exactly what the committed snapshot records: every change to the stack is deliberate.

After an intended change, regenerate with `python -m tests.components.snapshot` and review the git diff.
"""

import pytest

from components.testing import ProgramResult
from tests.components.snapshot import VARIANTS, diff, load, snapshot


@pytest.mark.parametrize("stack", list(VARIANTS))
def test_stack_registers_exactly_the_snapshot(stack: str, request: pytest.FixtureRequest) -> None:
    result: ProgramResult = request.getfixturevalue(stack.replace("-", "_"))
    changes = diff(load(stack), snapshot(result))
    assert not changes, "stack differs from its snapshot:\n" + "\n".join(changes)
