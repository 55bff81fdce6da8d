"""The stack settings the local run uses: the same config files and rules as `pulumi up`."""

from __future__ import annotations

from stack.settings import KEYS, PROJECT, Settings
from stack.testing import stack_config, stack_names

LocalSettings = Settings
"""The local run takes its names, batch size, seeds and partitioning from the stack's own settings."""


def load_settings(stack: str = "dev") -> Settings:
    """Settings of `stack` as `pulumi up` would see them (Pulumi.yaml defaults + Pulumi.<stack>.yaml)."""
    try:
        config = stack_config(stack)
    except FileNotFoundError as exc:
        raise ValueError(f"--stack {stack!r}: {exc}; stacks here: {', '.join(stack_names())}") from exc
    raw = {key.name: config.get(f"{PROJECT}:{key.name}") for key in KEYS}
    return Settings.from_config(raw, config.get("aws:region"))
