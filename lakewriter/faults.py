"""Test-only fault points: every lake write step calls `step`, which does nothing unless a test asks it to.

`ACME_FAULT_AT=N` makes the N-th step (1-based) of the process fail as `ACME_FAULT_ACTION` says: `kill`
(SIGKILL to itself: no clean-up runs), `term` (SIGTERM), `int` (SIGINT, Python's KeyboardInterrupt), `enospc`
(OSError ENOSPC, a full disk) or `raise` (RuntimeError). `ACME_FAULT_LOG=path` appends each step's name to a
file, so a test can count the steps of a clean run. Tests in process set `hook` instead.
"""

from __future__ import annotations

import errno
import os
import signal
from collections.abc import Callable

ENV_AT = "ACME_FAULT_AT"
ENV_ACTION = "ACME_FAULT_ACTION"
ENV_LOG = "ACME_FAULT_LOG"
ACTIONS = ("kill", "term", "int", "enospc", "raise")

hook: Callable[[str], None] | None = None
"""Called with each step's name before the step (in-process tests)."""
_count = 0


class InjectedFault(RuntimeError):
    """The failure `ACME_FAULT_ACTION=raise` injects."""


def fail(action: str, name: str) -> None:
    """Fail now as `action` says (see the module docstring)."""
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "term":
        os.kill(os.getpid(), signal.SIGTERM)
    elif action == "int":
        os.kill(os.getpid(), signal.SIGINT)
    elif action == "enospc":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), name)
    elif action == "raise":
        raise InjectedFault(f"fault injected at {name}")
    else:
        raise ValueError(f"{ENV_ACTION} must be one of {ACTIONS}, got {action!r}")


def step(name: str) -> None:
    """A write step is about to happen."""
    global _count
    _count += 1
    if hook is not None:
        hook(name)
    log = os.environ.get(ENV_LOG)
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(name + "\n")
    at = os.environ.get(ENV_AT)
    if at and int(at) == _count:
        fail(os.environ.get(ENV_ACTION, "kill"), name)


def reset() -> None:
    """Start counting steps from one again (a forked child or a test's fresh run)."""
    global _count
    _count = 0
