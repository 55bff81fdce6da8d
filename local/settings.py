"""The stack settings the local run uses: the same config files and rules as `pulumi up`."""

from __future__ import annotations

from pathlib import Path

import yaml

from components.testing import load_stack_config
from functions.shared.dimensions import DEFAULT_DIMENSION_SEED
from stack import PROJECT_DIR
from stack.settings import KEYS, PROJECT, Settings

LocalSettings = Settings
"""The local run takes its names, batch size, seeds and partitioning from the stack's own settings."""


def check_stack_file(stack: str, project_dir: Path | None = None) -> None:
    """Raise ValueError naming the file and the rule unless Pulumi.<stack>.yaml exists and is a YAML mapping with
    a `config:` mapping, as the Pulumi CLI requires of a stack file."""
    project_dir = Path(project_dir or PROJECT_DIR)
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in project_dir.glob("Pulumi.*.yaml"))
        raise ValueError(
            f"--stack {stack!r}: no stack config {path.name} in {project_dir}; stacks here: {', '.join(known)}"
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise ValueError(f"{path.name}: not valid YAML{at}: {problem}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path.name} cannot be read: {exc}") from None
    if data is None:
        return
    if not isinstance(data, dict):
        raise ValueError(f"{path.name} must be a YAML mapping (config: ...), got a {type(data).__name__}")
    config = data.get("config")
    if config is not None and not isinstance(config, dict):
        raise ValueError(f"{path.name}: config must be a mapping of key: value, got a {type(config).__name__}")


def load_settings(stack: str = "dev") -> Settings:
    """Settings of `stack` as `pulumi up` would see them (Pulumi.yaml defaults + Pulumi.<stack>.yaml)."""
    check_stack_file(stack, PROJECT_DIR)
    config = load_stack_config(stack, PROJECT_DIR)
    raw = {key.name: config.get(f"{PROJECT}:{key.name}") for key in KEYS}
    return Settings.from_config(raw, config.get("aws:region"))


def dimension_seed(settings: Settings) -> int:
    """The dimension seed the stack gives its upload and its generator: dimensionSeed, or the generator's default."""
    return DEFAULT_DIMENSION_SEED if settings.dimension_seed is None else settings.dimension_seed
