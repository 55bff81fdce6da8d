"""The stack settings the local run uses: the same config files and rules as `pulumi up`."""

from __future__ import annotations

from components.settings import KEYS, PROJECT, Settings
from components.testing import REPO_ROOT, load_stack_config
from functions.shared.dimensions import DEFAULT_DIMENSION_SEED

LocalSettings = Settings
"""The local run takes its names, batch size, seeds and partitioning from the stack's own settings."""


def load_settings(stack: str = "dev") -> Settings:
    """Settings of `stack` as `pulumi up` would see them (Pulumi.yaml defaults + Pulumi.<stack>.yaml)."""
    try:
        config = load_stack_config(stack)
    except FileNotFoundError as exc:
        known = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in REPO_ROOT.glob("Pulumi.*.yaml"))
        raise ValueError(f"--stack {stack!r}: {exc}; stacks here: {', '.join(known)}") from exc
    raw = {key.name: config.get(f"{PROJECT}:{key.name}") for key in KEYS}
    return Settings.from_config(raw, config.get("aws:region"))


def dimension_seed(settings: Settings) -> int:
    """The dimension seed the stack gives its upload and its generator: dimensionSeed, or the generator's default."""
    return DEFAULT_DIMENSION_SEED if settings.dimension_seed is None else settings.dimension_seed
