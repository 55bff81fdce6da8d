"""The customers table in parts: its vectorised rows are the Python definition's, row for row; the parts together are
the whole table, row for row, at every part edge; the cache of part files the stack uploads from is written once per
key and re-made when interrupted."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from functions.shared import people
from functions.shared.dimensions import (
    SIGNUPS_UNTIL,
    customer_row,
    generate_customers,
    generate_dimensions,
    signed_up_by,
)
from functions.shared.schema import CUSTOMERS
from lakewriter import customers
from lakewriter.customers import (
    CACHE_COMPLETE,
    CUSTOMERS_PER_PART,
    cache_key,
    cached_parts,
    customer_part,
    customer_parts,
    customer_rows,
    customer_table,
    part_count,
    part_key,
    part_name,
)
from lakewriter.parquet import parquet_bytes, rows_to_arrow

SEED, COUNT = 5, 50
DAY = dt.date(2025, 6, 1)


@pytest.fixture(scope="module")
def whole() -> list[dict]:
    return generate_customers(COUNT, SEED)


@pytest.mark.parametrize(
    ("seed", "count", "as_of"),
    [(42, 2_500_000, dt.date(2025, 3, 1)), (9, 3_000, SIGNUPS_UNTIL), (0, 4_097, dt.date(2024, 7, 1))],
)
def test_the_vectorised_rows_are_the_python_definitions_row_for_row(seed: int, count: int, as_of: dt.date) -> None:
    """At the start, across block edges (people.BLOCK) and part edges (CUSTOMERS_PER_PART), and up to the last
    customer signed up by the as-of date (the next one has no row yet)."""
    known = signed_up_by(seed, count, as_of)
    edges = [0, 1_500, people.BLOCK - 8, 2 * people.BLOCK - 8, CUSTOMERS_PER_PART - 8, 2 * CUSTOMERS_PER_PART - 8]
    ranges = [(a, min(known, a + (1_500 if a == 0 else 16))) for a in edges if a < known] + [(known - 16, known)]
    for first, stop in ranges:
        expected = [customer_row(seed, count, i, as_of) for i in range(max(0, first), stop)]
        assert customer_table(seed, count, as_of, max(0, first), stop).to_pylist() == expected, (first, stop)
    if known < count:
        with pytest.raises(ValueError, match="after the table's as-of date"):
            customer_row(seed, count, known, as_of)


def test_each_part_is_made_on_its_own_from_its_id_range() -> None:
    parts = list(customer_parts(SEED, COUNT, DAY, 7))
    assert [customer_part(SEED, COUNT, DAY, k, 7) for k in range(len(parts))] == parts
    assert customer_part(SEED, COUNT, DAY, len(parts), 7).num_rows == 0  # past the table's end


@pytest.mark.parametrize("rows_per_part", [1, 7, 10, 49, 50, 51, 1_000_000])
def test_the_parts_concatenated_are_the_whole_table_row_for_row(whole: list[dict], rows_per_part: int) -> None:
    parts = list(customer_parts(SEED, COUNT, SIGNUPS_UNTIL, rows_per_part))
    assert len(parts) == part_count(COUNT, rows_per_part)
    assert [p.num_rows for p in parts[:-1]] == [rows_per_part] * (len(parts) - 1)
    assert pa.concat_tables(parts).to_pylist() == whole
    for k, part in enumerate(parts):  # each part starts on its edge: ids k·n + 1 …
        assert part.column("customer_id")[0].as_py() == f"cust_{k * rows_per_part + 1:06d}"
        assert part.schema.names == list(CUSTOMERS.column_names)


def test_parts_as_of_a_day_are_the_table_known_that_day_and_keep_the_later_tables_edges(whole: list[dict]) -> None:
    known = generate_dimensions(SEED, COUNT, 3, 2, as_of=DAY, delivery=False).customers
    assert 0 < len(known) < COUNT
    parts = list(customer_parts(SEED, COUNT, DAY, 7))
    assert pa.concat_tables(parts).to_pylist() == known == generate_customers(COUNT, SEED, DAY)
    later = list(customer_parts(SEED, COUNT, SIGNUPS_UNTIL, 7))
    for early, late in zip(parts, later, strict=False):  # the same ids in the same file, later dates
        n = early.num_rows
        assert early.column("customer_id") == late.column("customer_id").slice(0, n)


def test_rows_from_any_id_are_the_tables_rows_from_there(whole: list[dict]) -> None:
    for first in (1, 2, 7, 8, 50):
        assert list(customer_rows(SEED, COUNT, SIGNUPS_UNTIL, first)) == whole[first - 1 :]


def test_a_table_nobody_has_signed_up_to_has_no_parts() -> None:
    assert list(customer_parts(SEED, COUNT, dt.date(2000, 1, 1))) == []
    assert part_count(0) == 0 and part_count(1) == 1
    assert part_key(0) == "customers/customers.parquet" and part_key(3) == "customers/customers_00003.parquet"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((SEED, 0, DAY, 5), "count must be an int >= 1, got 0"),
        ((-1, COUNT, DAY, 5), "seed must be an int >= 0, got -1"),
        ((SEED, COUNT, DAY, 0), "rows_per_part must be an int >= 1, got 0"),
        ((SEED, True, DAY, 5), "count must be an int >= 1, got True"),
        ((SEED, COUNT, "2025-06-01", 5), "as_of must be a date, got '2025-06-01'"),
    ],
)
def test_bad_arguments_are_refused_naming_them(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        next(customer_parts(*args))


def test_the_cache_holds_the_parts_bytes_and_is_written_once(tmp_path: Path, monkeypatch) -> None:
    paths = cached_parts(str(tmp_path), SEED, COUNT, DAY, 7)
    expected = [parquet_bytes(p) for p in customer_parts(SEED, COUNT, DAY, 7)]
    assert [Path(p).read_bytes() for p in paths] == expected
    assert [Path(p).name for p in paths] == [part_name(k) for k in range(len(expected))]
    assert part_name(0) == "customers.parquet" and part_name(2) == "customers_00002.parquet"
    assert pq.read_table(paths[0]).to_pylist() == generate_customers(COUNT, SEED, DAY)[:7]

    def no_generation(*args: object) -> None:
        raise AssertionError("the cache was complete")

    monkeypatch.setattr(customers, "customer_part", no_generation)
    assert cached_parts(str(tmp_path), SEED, COUNT, DAY, 7) == paths


def test_a_cache_entry_of_more_parts_than_the_table_has_ends_in_zero_row_parts(tmp_path: Path) -> None:
    paths = cached_parts(str(tmp_path), SEED, COUNT, DAY, 7, parts=6)
    own = cached_parts(str(tmp_path), SEED, COUNT, DAY, 7)
    assert len(own) == 4 and [Path(p).name for p in paths] == [part_name(k) for k in range(6)]
    assert [Path(p).read_bytes() for p in paths[:4]] == [Path(p).read_bytes() for p in own]
    assert [pq.read_table(p).num_rows for p in paths[4:]] == [0, 0]
    assert pq.read_table(paths[5]).schema == pq.read_table(paths[0]).schema
    with pytest.raises(ValueError, match="parts must be an int >= the table's 4 parts, got 3"):
        cached_parts(str(tmp_path), SEED, COUNT, DAY, 7, parts=3)


def test_an_interrupted_cache_entry_is_written_again(tmp_path: Path) -> None:
    paths = cached_parts(str(tmp_path), SEED, COUNT, DAY, 7)
    entry = Path(paths[0]).parent
    (entry / CACHE_COMPLETE).unlink()  # killed before the entry was complete
    Path(paths[-1]).write_bytes(b"half")
    again = cached_parts(str(tmp_path), SEED, COUNT, DAY, 7)
    assert again == paths and Path(paths[-1]).read_bytes() == parquet_bytes(
        list(customer_parts(SEED, COUNT, DAY, 7))[-1]
    )
    assert (entry / CACHE_COMPLETE).is_file() and not [p for p in os.listdir(entry) if p.startswith(".tmp-")]


def test_a_relative_cache_directory_gives_relative_paths(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    paths = cached_parts("cache", SEED, COUNT, DAY, 20)
    assert all(not os.path.isabs(p) and p.startswith("cache/customers-") for p in paths)


def test_the_cache_key_changes_with_each_input() -> None:
    base = cache_key(SEED, COUNT, DAY)
    assert base == cache_key(SEED, COUNT, DAY)
    others = {cache_key(SEED + 1, COUNT, DAY), cache_key(SEED, COUNT + 1, DAY), cache_key(SEED, COUNT, SIGNUPS_UNTIL)}
    others.add(cache_key(SEED, COUNT, DAY, 7))
    assert base not in others and len(others) == 4


def test_the_whole_table_in_one_part_is_the_single_file_of_before(whole: list[dict]) -> None:
    (part,) = customer_parts(SEED, COUNT, SIGNUPS_UNTIL)
    assert parquet_bytes(part) == parquet_bytes(rows_to_arrow(CUSTOMERS, whole))


def test_a_part_made_in_arrow_batches_has_the_bytes_of_one_made_at_once(
    whole: list[dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(customers, "ARROW_BATCH_ROWS", 3)
    parts = list(customer_parts(SEED, COUNT, SIGNUPS_UNTIL, 20))
    assert [parquet_bytes(p) for p in parts] == [
        parquet_bytes(rows_to_arrow(CUSTOMERS, whole[k : k + 20])) for k in range(0, COUNT, 20)
    ]


def test_the_cache_keeps_its_last_used_entries_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(customers, "CACHE_ENTRIES_KEPT", 2)
    first = Path(cached_parts(str(tmp_path), SEED, COUNT, DAY)[0]).parent
    second = Path(cached_parts(str(tmp_path), SEED + 1, COUNT, DAY)[0]).parent
    os.utime(second / CACHE_COMPLETE, ns=(1, 1))  # used long ago
    os.utime(first / CACHE_COMPLETE, ns=(2, 2))
    third = Path(cached_parts(str(tmp_path), SEED + 2, COUNT, DAY)[0]).parent
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, third.name])
    os.utime(third / CACHE_COMPLETE, ns=(3, 3))
    os.utime(first / CACHE_COMPLETE)
    fourth = Path(cached_parts(str(tmp_path), SEED + 3, COUNT, DAY)[0]).parent
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, fourth.name])
    fifth = Path(cached_parts(str(tmp_path), SEED + 4, COUNT, DAY)[0]).parent  # all three used within the grace
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, fourth.name, fifth.name])
    assert cached_parts(str(tmp_path), SEED, COUNT, DAY)[0] == str(first / "customers.parquet")
