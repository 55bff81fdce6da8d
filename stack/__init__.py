"""This stack's own config, names and defaults: everything the reusable `components` library must not assume."""

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
"""The directory of this stack's Pulumi.yaml, Pulumi.<stack>.yaml files and __main__.py."""
