"""Parquet writers: schema mapping, lossless round trips, SNAPPY everywhere, byte-identical output."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.fs
import pyarrow.parquet as pq
import pytest

from functions.shared.dimensions import Dimensions, generate_dimensions
from functions.shared.schema import CAMPAIGNS, CUSTOMERS, GLUE_TYPES, STREAMING_EVENTS, TITLES, Table
from lakewriter.parquet import (
    arrow_schema,
    arrow_type,
    dimension_parquet,
    parquet_bytes,
    rows_to_arrow,
    write_parquet,
)
from tests.functions.worlds import generate_events

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dims() -> Dimensions:
    return generate_dimensions(seed=42, customers=150, titles=120, campaigns=30)


@pytest.fixture(scope="module")
def events(dims: Dimensions) -> list[dict]:
    return generate_events(800, dims, window_end=dt.datetime(2026, 11, 26, 3, tzinfo=dt.UTC), rng=random.Random(8))


def _tables(dims: Dimensions, events: list[dict]) -> list[tuple[Table, list[dict]]]:
    return [
        (CUSTOMERS, dims.customers),
        (TITLES, dims.titles),
        (CAMPAIGNS, dims.campaigns),
        (STREAMING_EVENTS, events),
    ]


def test_every_glue_type_maps_to_its_arrow_type() -> None:
    expected = {"string": pa.string(), "int": pa.int32(), "bigint": pa.int64(), "double": pa.float64()}
    expected["boolean"] = pa.bool_()
    assert {t: arrow_type(t) for t in GLUE_TYPES} == expected


def test_an_unknown_glue_type_raises_listing_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"glue_type must be one of \['bigint', 'boolean', .*got 'varchar'"):
        arrow_type("varchar")


def test_arrow_schema_keeps_catalog_order_and_appends_partitions_as_strings() -> None:
    plain = arrow_schema(STREAMING_EVENTS)
    assert tuple(plain.names) == STREAMING_EVENTS.column_names
    assert plain.field("buffering_events").type == pa.int32()
    assert plain.field("bandwidth_mbps").type == pa.float64()
    full = arrow_schema(STREAMING_EVENTS, with_partitions=True)
    assert tuple(full.names) == STREAMING_EVENTS.column_names + STREAMING_EVENTS.partition_names
    assert all(full.field(name).type == pa.string() for name in STREAMING_EVENTS.partition_names)
    assert arrow_schema(CAMPAIGNS).field("impressions").type == pa.int64()


def test_rows_round_trip_through_parquet_unchanged(dims: Dimensions, events: list[dict]) -> None:
    for table, rows in _tables(dims, events):
        data = parquet_bytes(rows_to_arrow(table, rows))
        back = pq.read_table(io.BytesIO(data))
        assert back.schema.equals(arrow_schema(table)), table.name
        assert back.to_pylist() == rows, table.name


def test_every_column_chunk_is_snappy_compressed(dims: Dimensions, events: list[dict]) -> None:
    for table, rows in _tables(dims, events):
        meta = pq.ParquetFile(io.BytesIO(parquet_bytes(rows_to_arrow(table, rows)))).metadata
        codecs = {
            meta.row_group(g).column(c).compression for g in range(meta.num_row_groups) for c in range(meta.num_columns)
        }
        assert codecs == {"SNAPPY"}, table.name


def test_identical_input_gives_identical_bytes(dims: Dimensions) -> None:
    first = dimension_parquet(dims, 1)
    again = dimension_parquet(generate_dimensions(seed=42, customers=150, titles=120, campaigns=30), 1)
    assert set(first) == {"titles", "campaigns", "incidents"}  # the customers table is in parts (lakewriter.customers)
    assert first == again
    assert first["campaigns"] != dimension_parquet(generate_dimensions(43, 150, 120, 30), 1)["campaigns"]
    other_world = dimension_parquet(dims, 2)
    assert other_world["incidents"] != first["incidents"] and other_world["campaigns"] == first["campaigns"]


_DIGEST_SCRIPT = """
import hashlib
from lakewriter.parquet import dimension_parquet
from functions.shared.dimensions import generate_dimensions
blobs = dimension_parquet(generate_dimensions(42, 150, 120, 30), 1)
print(hashlib.sha256(b"".join(blobs[name] for name in sorted(blobs))).hexdigest())
"""


def test_dimension_parquet_bytes_are_identical_in_another_process(dims: Dimensions) -> None:
    env = {**os.environ, "PYTHONHASHSEED": "777", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _DIGEST_SCRIPT], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    blobs = dimension_parquet(dims, 1)
    assert done.stdout.strip() == hashlib.sha256(b"".join(blobs[name] for name in sorted(blobs))).hexdigest()


def test_write_parquet_creates_parent_directories(tmp_path: Path, events: list[dict]) -> None:
    path = tmp_path / "telemetry" / "year=2026" / "month=11" / "part.parquet"
    write_parquet(rows_to_arrow(STREAMING_EVENTS, events), str(path))
    assert pq.read_table(path).to_pylist() == events
    assert path.read_bytes() == parquet_bytes(rows_to_arrow(STREAMING_EVENTS, events))


def test_write_parquet_writes_through_a_given_filesystem(tmp_path: Path, dims: Dimensions) -> None:
    fs = pyarrow.fs.SubTreeFileSystem(str(tmp_path), pyarrow.fs.LocalFileSystem())
    write_parquet(rows_to_arrow(CUSTOMERS, dims.customers), "customers.parquet", filesystem=fs)
    assert pq.read_table(tmp_path / "customers.parquet").to_pylist() == dims.customers


def test_a_missing_column_raises_naming_it_and_the_row(dims: Dimensions) -> None:
    rows = [dict(r) for r in dims.customers[:3]]
    del rows[2]["email"]
    with pytest.raises(ValueError, match="customers row 2 is missing column 'email'"):
        rows_to_arrow(CUSTOMERS, rows)


def test_a_value_of_the_wrong_type_raises_naming_the_column(events: list[dict]) -> None:
    rows = [dict(r) for r in events[:3]]
    rows[1]["error_count"] = "three"
    with pytest.raises(ValueError, match=r"streaming_events row 1 column 'error_count' must be int or null, got str"):
        rows_to_arrow(STREAMING_EVENTS, rows)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("duration_minutes", 95.7, "column 'duration_minutes' must be int or null, got float 95.7"),
        ("duration_minutes", True, "column 'duration_minutes' must be int or null, got bool True"),
        ("popularity_score", True, "column 'popularity_score' must be double or null, got bool True"),
        ("is_original", 1, "column 'is_original' must be boolean or null, got int 1"),
    ],
)
def test_values_arrow_would_convert_silently_are_refused(
    dims: Dimensions, column: str, value: object, message: str
) -> None:
    # Arrow would truncate 95.7 to 95 in an int column and write True as 1.0 in a double one.
    rows = [dict(r) for r in dims.titles[:3]]
    rows[2][column] = value
    with pytest.raises(ValueError, match=re.escape(f"titles row 2 {message}")):
        rows_to_arrow(TITLES, rows)


def test_an_int_outside_32_bits_is_refused_not_wrapped(events: list[dict]) -> None:
    rows = [dict(events[0], position_seconds=2**31)]
    with pytest.raises(ValueError, match="position_seconds"):
        rows_to_arrow(STREAMING_EVENTS, rows)
