"""The stack settings the local run uses: the same config files and rules as `pulumi up`."""

from __future__ import annotations

from components.settings import KEYS, PROJECT, Settings
from components.testing import load_stack_config

LocalSettings = Settings
"""The local run takes its names, batch size, seeds and partitioning from the stack's own settings."""


def load_settings(stack: str = "dev") -> Settings:
    """Settings of `stack` as `pulumi up` would see them (Pulumi.yaml defaults + Pulumi.<stack>.yaml)."""
    config = load_stack_config(stack)
    raw = {key.name: config.get(f"{PROJECT}:{key.name}") for key in KEYS}
    return Settings.from_config(raw, config.get("aws:region"))
