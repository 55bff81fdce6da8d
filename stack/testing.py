"""This stack's program under the library's mocks (components.testing), with its own project directory."""

from __future__ import annotations

from collections.abc import Mapping

from components.testing import AwsMocks, ProgramResult, load_stack_config, run_program
from stack import PROJECT_DIR


def run_stack(
    stack: str, *, overrides: Mapping[str, str] | None = None, mocks: AwsMocks | None = None
) -> ProgramResult:
    """This repository's __main__.py under mocks with `stack`'s config (Pulumi.yaml defaults + Pulumi.<stack>.yaml)."""
    return run_program(stack, PROJECT_DIR, overrides=overrides, mocks=mocks)


def stack_config(stack: str) -> dict[str, str]:
    """`stack`'s config as the Pulumi CLI hands it to this program."""
    return load_stack_config(stack, PROJECT_DIR)
