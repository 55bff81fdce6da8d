"""The local lake's dimension files are the bytes the stack uploads."""

from __future__ import annotations

import base64
from pathlib import Path

from components.catalog import dimension_objects
from functions.shared.dimensions import generate_dimensions
from local.pipeline import write_dimensions


def test_the_local_lake_and_the_stack_upload_the_same_dimension_bytes(tmp_path: Path) -> None:
    """Both call generate_dimensions and dimension_parquet: the new titles reach Athena and DuckDB identically."""
    counts, world_seed = (42, 200, 160, 10), 5
    local = {p.stem: p.read_bytes() for p in write_dimensions(tmp_path, generate_dimensions(*counts), world_seed)}
    stack = {name: base64.b64decode(data) for name, data in dimension_objects(*counts, world_seed).items()}
    assert local == stack
    assert set(local) == {"titles", "campaigns", "incidents"}  # the customers table is in parts (test_one_world)
