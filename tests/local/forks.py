"""Write steps (lakewriter.faults) for crash tests: the steps a clean write takes, and a write crashed at one."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from typing import TypeVar

import pytest

from lakewriter import faults

CHILD_TIMEOUT = 60
"""Seconds a crashed child may take before the test kills it and fails."""

T = TypeVar("T")


def recorded(target: Callable[[], T]) -> tuple[T, list[str]]:
    """What `target` returns and the names of the write steps it took, in order."""
    names: list[str] = []
    faults.hook = names.append
    try:
        result = target()
    finally:
        faults.hook = None
    return result, names


def crash(target: Callable[[], object], at: int, action: str) -> int:
    """Run `target` in a forked child whose step `at` fails as `action`; its wait status."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 0
        # A shell starting pytest as a background job leaves SIGINT ignored, which Python then never turns into
        # KeyboardInterrupt: the child takes the interactive default, whoever launched the tests.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            faults.reset()
            os.environ[faults.ENV_AT] = str(at)
            os.environ[faults.ENV_ACTION] = action
            target()
        except BaseException:
            code = 3
        os._exit(code)
    deadline = time.monotonic() + CHILD_TIMEOUT
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"child stuck at step {at} ({action})")
        time.sleep(0.02)
