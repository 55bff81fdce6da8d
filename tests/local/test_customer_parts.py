"""The local lake's customers table in parts: written in one journaled commit, read whole by DuckDB, never visible
by half (a run killed at any step leaves each customer once, every customer of the table before), finished by the
next run, and rid of files that are not its parts."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from functions.shared.schema import CUSTOMERS
from lakewriter import customers, durable
from lakewriter.customers import customer_parts
from lakewriter.parquet import parquet_bytes
from local import pipeline
from local.marker import LAKE_MARKER, open_lake
from local.pipeline import write_customer_parts
from local.settings import load_settings
from local.sql import connect
from tests.local.forks import crash, recorded

SETTINGS = load_settings("dev").but(customer_count=50, title_count=20, campaign_count=5)
SEED, COUNT, PER_PART = 42, 50, 20
EARLY, LATE = dt.date(2025, 6, 1), dt.date(2027, 6, 1)


def _write(lake: Path, as_of: dt.date) -> list[Path]:
    with durable.sigterm_unwinds(), open_lake(lake, SETTINGS) as opened:  # as `python -m local run` does
        return write_customer_parts(opened, SEED, COUNT, as_of, PER_PART)


def _table(as_of: dt.date) -> list[dict]:
    return pa.concat_tables(customer_parts(SEED, COUNT, as_of, PER_PART)).to_pylist()


def _visible(lake: Path) -> list[dict]:
    """Every row of every Parquet file under the table's prefix, as a reader of the prefix sees them."""
    files = sorted((lake / CUSTOMERS.prefix).glob("*.parquet"))
    return [row for f in files for row in pq.read_table(f).to_pylist()]


def _strays(lake: Path) -> list[Path]:
    return [p for p in lake.rglob("*") if p.name.startswith(durable.TMP_MARK) or p.name.startswith(durable.STAGING_DIR)]


def test_the_parts_are_the_table_and_duckdb_reads_them_all(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    parts = _write(lake, LATE)
    assert [p.name for p in parts] == ["customers.parquet", "customers_00001.parquet", "customers_00002.parquet"]
    assert [p.read_bytes() for p in parts] == [parquet_bytes(t) for t in customer_parts(SEED, COUNT, LATE, PER_PART)]
    con = connect(lake, "db", (CUSTOMERS,))
    rows = con.execute('SELECT customer_id FROM "db"."customers" ORDER BY customer_id').fetchall()
    assert [r[0] for r in rows] == [r["customer_id"] for r in _table(LATE)] and len(rows) > 2 * PER_PART
    assert durable.read_state(lake / LAKE_MARKER)["customers"]["parts"] == [p.name for p in parts]


def test_the_same_table_again_makes_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lake = tmp_path / "lake"
    parts = _write(lake, LATE)
    stamps = [p.stat().st_mtime_ns for p in parts]

    def no_generation(*args: object) -> None:
        raise AssertionError("the parts were made again")

    monkeypatch.setattr(pipeline, "customer_parts", no_generation)
    assert _write(lake, LATE) == parts
    assert [p.stat().st_mtime_ns for p in parts] == stamps


def test_a_later_day_rewrites_the_parts_and_files_that_are_not_parts_go(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    _write(lake, EARLY)
    assert _visible(lake) == _table(EARLY) and len(_table(EARLY)) < COUNT
    legacy = lake / CUSTOMERS.prefix / "extra.parquet"  # a Parquet file under the prefix that is not a part
    legacy.write_bytes(parquet_bytes(pa.concat_tables(customer_parts(SEED, COUNT, EARLY))))
    stale = lake / CUSTOMERS.prefix / "customers_00009.parquet"
    stale.write_bytes(b"a part past the table's end")
    _write(lake, LATE)
    assert _visible(lake) == _table(LATE)
    assert not legacy.exists() and not stale.exists() and not _strays(lake)


def _steps(tmp_path: Path) -> list[str]:
    lake = tmp_path / "steps"
    _write(lake, EARLY)
    return recorded(lambda: _write(lake, LATE))[1]


@pytest.mark.parametrize("action", ["kill", "term", "raise"])
def test_a_rewrite_stopped_at_any_step_never_shows_half_a_table_and_the_next_run_finishes_it(
    tmp_path: Path, action: str
) -> None:
    steps = _steps(tmp_path)
    assert steps.count("write customers part") == 3 and "rename staged" in steps
    early = {r["customer_id"]: r for r in _table(EARLY)}
    late = {r["customer_id"]: r for r in _table(LATE)}
    for at in range(1, len(steps) + 1):
        lake = tmp_path / f"{action}-{at}"
        _write(lake, EARLY)
        status = crash(lambda lake=lake: _write(lake, LATE), at, action)
        assert os.WIFSIGNALED(status) if action == "kill" else os.WEXITSTATUS(status) == 3, (at, steps[at - 1])
        seen = _visible(lake)
        ids = [r["customer_id"] for r in seen]
        assert len(ids) == len(set(ids)) and set(early) <= set(ids), (at, steps[at - 1])  # each once, none lost
        assert all(r in (early.get(r["customer_id"]), late[r["customer_id"]]) for r in seen), (at, steps[at - 1])
        if action != "kill":  # an error or a signal: the old table or the new one, whole, and nothing left over
            assert seen in (list(early.values()), list(late.values())) and not _strays(lake), (at, steps[at - 1])
        _write(lake, LATE)  # the next run: recovery, then the table of its day
        assert _visible(lake) == list(late.values()) and not _strays(lake), (at, steps[at - 1])
        assert "pending" not in durable.read_state(lake / LAKE_MARKER)


def test_the_part_size_is_declared_once() -> None:
    assert customers.CUSTOMERS_PER_PART == 1_000_000
    assert write_customer_parts.__defaults__ == (customers.CUSTOMERS_PER_PART,)
