"""The customers table in parts: Parquet files of consecutive id ranges under the table's prefix (docs/scale.md step 4).

Part k holds customers k·rows_per_part + 1 … (k + 1)·rows_per_part, as known on the table's as-of day, so a table
as of a later day keeps every earlier part's ids in the same file. Every part is byte-stable
(`lakewriter.parquet.write_parquet`): the same (seed, count, as-of) always gives the same files, which is what lets
the stack upload them without a diff and the local lake skip rewriting what it already holds.

`customer_rows` is the one source of the rows; everything else here only cuts and writes them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pyarrow as pa

from functions.shared.dimensions import iter_customers
from functions.shared.schema import CUSTOMERS
from lakewriter.parquet import arrow_schema, rows_to_arrow, write_parquet

CUSTOMERS_PER_PART = 1_000_000
"""Rows of each part (the last holds the rest): ~53 MB of SNAPPY Parquet at today's row definition."""
ARROW_BATCH_ROWS = 65_536
"""Row dicts turned into Arrow at a time: a part holds its rows as Arrow (~150 B each), not as dicts (~2 KB each)."""
FIRST_PART = "customers.parquet"
"""File name of part 0: the key the table had as one file, so a lake or stack that held it is updated in place
(a kept lake, `lakeRetainOnDestroy`, would otherwise keep the old file beside the parts, and Athena would read every
customer twice)."""
PART_PATTERN = "customers_{:05d}.parquet"
"""File name of part k ≥ 1, under the customers table's prefix (sorted by name, the parts are in id order)."""
CACHE_COMPLETE = "_complete.json"
"""Written last into a cache entry: then the entry holds all its parts."""
CACHE_ENTRIES_KEPT = 4
"""Cache entries kept, the last used (a stack's entry is ~1 GB at 22.5 million rows; one per config and code)..."""
CACHE_GRACE_SECONDS = 3600
"""... and any used within this long (another program may be uploading from it)."""
_CODE_ROOTS = ("functions/shared", "lakewriter/customers.py", "lakewriter/parquet.py")
"""What the rows and their bytes are made by: a change to any of these files invalidates the cache."""
_REPO = Path(__file__).resolve().parent.parent


def part_name(index: int) -> str:
    """File name of part `index` (0-based)."""
    return PART_PATTERN.format(index) if index else FIRST_PART


def part_key(index: int) -> str:
    """Lake-relative key of part `index`: `customers/customers.parquet`, `customers/customers_00001.parquet` …"""
    return f"{CUSTOMERS.prefix}{part_name(index)}"


def part_count(rows: int, rows_per_part: int = CUSTOMERS_PER_PART) -> int:
    """Parts of a table of `rows` rows (none for an empty table)."""
    return -(-rows // rows_per_part)


def _check(seed: int, count: int, as_of: dt.date, rows_per_part: int) -> None:
    for name, value, low in (("seed", seed, 0), ("count", count, 1), ("rows_per_part", rows_per_part, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        raise ValueError(f"as_of must be a date, got {as_of!r}")


def customer_rows(seed: int, count: int, as_of: dt.date, first: int = 1) -> Iterator[dict]:
    """Rows of customers `first`, `first` + 1, … (1-based ids) of the table of `count` as of `as_of`, in id order.

    Today's row definition (`dimensions.iter_customers`) draws the customers in order from one stream, so rows from
    `first` cost the draws of every earlier row (made and dropped, not kept); a per-index definition (docs/scale.md
    step 1) makes any range directly and is the one line to change here.
    """
    return itertools.islice(iter_customers(count, seed, as_of), first - 1, None)


def customer_parts(
    seed: int, count: int, as_of: dt.date, rows_per_part: int = CUSTOMERS_PER_PART
) -> Iterator[pa.Table]:
    """The customers table of `count` (dimension seed `seed`) as of `as_of`, as Arrow tables of `rows_per_part`
    consecutive ids each (the last holds the rest; none if nobody has signed up by `as_of`). One part is held at a
    time."""
    _check(seed, count, as_of, rows_per_part)
    rows = customer_rows(seed, count, as_of)
    while True:
        batches, left = [], rows_per_part
        while left and (batch := list(itertools.islice(rows, min(ARROW_BATCH_ROWS, left)))):
            batches.append(rows_to_arrow(CUSTOMERS, batch))
            left -= len(batch)
        if not batches:
            return
        # One chunk per column, as a table made in one go: the same Parquet bytes whatever the batches were.
        yield pa.concat_tables(batches).combine_chunks()


def cache_key(seed: int, count: int, as_of: dt.date, rows_per_part: int = CUSTOMERS_PER_PART) -> str:
    """What a table's parts are a function of, as a digest: the config (seed, count, as-of, rows per part), the
    table's schema, and the code and library versions that make the rows and their bytes."""
    code = hashlib.sha256()
    for root in _CODE_ROOTS:
        path = _REPO / root
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            code.update(str(file.relative_to(_REPO)).encode() + b"\0" + file.read_bytes() + b"\0")
    key = {
        "seed": seed,
        "count": count,
        "as_of": as_of.isoformat(),
        "rows_per_part": rows_per_part,
        "schema": str(arrow_schema(CUSTOMERS)),
        "code": code.hexdigest(),
        "versions": {name: metadata.version(name) for name in ("pyarrow", "mimesis")},
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:32]


def cached_parts(
    directory: str, seed: int, count: int, as_of: dt.date, rows_per_part: int = CUSTOMERS_PER_PART
) -> tuple[str, ...]:
    """Paths of the table's part files in a cache entry `<directory>/customers-<cache_key>/`, written first if the
    entry is not complete; paths are relative if `directory` is (the stack gives a relative one, so the paths it
    uploads from are the same on every machine).

    Each part enters under its final name by rename, and the entry's `CACHE_COMPLETE` is written last: an
    interrupted write leaves an incomplete entry, which the next call writes again.
    """
    _check(seed, count, as_of, rows_per_part)
    entry = os.path.join(directory, f"customers-{cache_key(seed, count, as_of, rows_per_part)}")
    complete = os.path.join(entry, CACHE_COMPLETE)
    if os.path.isfile(complete):
        with open(complete, encoding="utf-8") as fh:
            names = json.load(fh)["parts"]
        if all(os.path.isfile(os.path.join(entry, n)) for n in names):
            os.utime(complete)  # used now: the last to be pruned
            _prune(directory)
            return tuple(os.path.join(entry, n) for n in names)
    os.makedirs(entry, exist_ok=True)
    names = []
    for index, table in enumerate(customer_parts(seed, count, as_of, rows_per_part)):
        name = part_name(index)
        tmp = os.path.join(entry, f".tmp-{uuid.uuid4().hex[:12]}-{name}")
        write_parquet(table, tmp)
        os.replace(tmp, os.path.join(entry, name))
        names.append(name)
    tmp = os.path.join(entry, f".tmp-{uuid.uuid4().hex[:12]}-{CACHE_COMPLETE}")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump({"parts": names}, fh)
    os.replace(tmp, complete)
    _prune(directory)
    return tuple(os.path.join(entry, n) for n in names)


def _prune(directory: str) -> None:
    """Remove the complete entries past the CACHE_ENTRIES_KEPT last used that were not used within
    CACHE_GRACE_SECONDS (incomplete ones are another writer's)."""
    used = []
    for name in os.listdir(directory):
        complete = os.path.join(directory, name, CACHE_COMPLETE)
        if name.startswith("customers-") and os.path.isfile(complete):
            used.append((os.stat(complete).st_mtime, name))
    recent = time.time() - CACHE_GRACE_SECONDS
    for when, name in sorted(used, reverse=True)[CACHE_ENTRIES_KEPT:]:
        if when < recent:
            shutil.rmtree(os.path.join(directory, name), ignore_errors=True)
