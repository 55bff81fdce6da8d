"""The customers table in parts: Parquet files of consecutive id ranges under the table's prefix (docs/scale.md step 4).

Part k holds customers k·rows_per_part + 1 … (k + 1)·rows_per_part, as known on the table's as-of day, so a table
as of a later day keeps every earlier part's ids in the same file. Every part is byte-stable
(`lakewriter.parquet.write_parquet`): the same (seed, count, as-of) always gives the same files, which is what lets
the stack upload them without a diff and the local lake skip rewriting what it already holds.

A row is `dimensions.customer_row(seed, count, index, as_of)`, a pure function of its index (the Python definition,
`customer_rows`); `customer_table` makes a range of rows at once on numpy arrays, equal to it row for row
(tests/lakewriter/test_customer_parts.py), so each part is made on its own from its id range, in seconds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from functions.shared import domains, geography, people
from functions.shared.dimensions import (
    EMAIL_SHAPES,
    GENDERS,
    GLOBAL_EMAIL_DOMAINS,
    LOCAL_EMAIL_BELOW,
    NAME_BITS,
    PICK_BITS,
    customer_row,
    name_book,
    name_slug,
    signed_up_by,
)
from functions.shared.schema import CUSTOMERS
from lakewriter.draws import draws, subscription_arrays
from lakewriter.parquet import arrow_schema, write_parquet

CUSTOMERS_PER_PART = 1_000_000
"""Rows of each part (the last holds the rest): ~53 MB of SNAPPY Parquet at today's row definition."""
ARROW_BATCH_ROWS = 65_536
"""Rows made at a time (`customer_table`): a part's working arrays stay a few tens of MB whatever its size."""
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
_CODE_ROOTS = ("functions/shared", "lakewriter/customers.py", "lakewriter/draws.py", "lakewriter/parquet.py")
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
    """Rows of customers `first`, `first` + 1, … (1-based ids) of the table of `count` as of `as_of`, in id order, by
    the row's Python definition (`dimensions.customer_row`, one at a time: the reference `customer_table` equals)."""
    for index in range(first - 1, signed_up_by(seed, count, as_of)):
        yield customer_row(seed, count, index, as_of)


class _Vocabulary(NamedTuple):
    """The strings a seed's rows are made of, as Arrow arrays the columns take from by index."""

    country: pa.Array
    state: pa.Array
    city: pa.Array
    timezone: pa.Array
    genres: pa.Array
    """Per layout slot, its preferred genres (JSON)."""
    first: pa.Array
    last: pa.Array
    heads: pa.Array
    """Every first name's slug, then every first name's initial (EMAIL_SHAPES' heads)."""
    last_slugs: pa.Array
    domains: pa.Array
    """dimensions.GLOBAL_EMAIL_DOMAINS, then each country's local providers (in layout.countries order)."""
    name_groups: np.ndarray
    """Per (locale, gender) group `2 * locale + gender`: first names' offset and count, surnames' offset and count."""
    country_locale: np.ndarray
    """Per country (layout.countries), its locale's index."""
    country_domains: np.ndarray
    """Per country, its local providers' offset in `domains` and count."""


@lru_cache(maxsize=4)
def _vocabulary(seed: int) -> _Vocabulary:
    lay = people.layout(seed)
    book = name_book()
    locales = sorted({loc for loc, _ in book.first})
    firsts: list[str] = []
    lasts: list[str] = []
    groups = []
    for locale in locales:
        for gender in GENDERS:
            f, la = book.first[(locale, gender)], book.last[(locale, gender)]
            groups.append((len(firsts), len(f), len(lasts), len(la)))
            firsts.extend(f)
            lasts.extend(la)
    slugs = [name_slug(f, "user") for f in firsts]
    mail = list(GLOBAL_EMAIL_DOMAINS)
    country_domains = []
    for country in lay.countries:
        local = geography.COUNTRY_EMAIL_DOMAINS[country]
        country_domains.append((len(mail), len(local)))
        mail.extend(local)
    metros = geography.METROS
    return _Vocabulary(
        country=pa.array([m.country for m in metros], pa.string()),
        state=pa.array([m.state for m in metros], pa.string()),
        city=pa.array([m.city for m in metros], pa.string()),
        timezone=pa.array([m.timezone for m in metros], pa.string()),
        genres=pa.array([json.dumps([domains.GENRES[g] for g in gs]) for gs in lay.genres], pa.string()),
        first=pa.array(firsts, pa.string()),
        last=pa.array(lasts, pa.string()),
        heads=pa.array(slugs + [s[0] for s in slugs], pa.string()),
        last_slugs=pa.array([name_slug(la, "viewer") for la in lasts], pa.string()),
        domains=pa.array(mail, pa.string()),
        name_groups=np.array(groups, dtype=np.int64),
        country_locale=np.array([locales.index(geography.COUNTRY_LOCALE[c]) for c in lay.countries], dtype=np.int64),
        country_domains=np.array(country_domains, dtype=np.int64),
    )


def _bits(values: np.ndarray, shift: int, width: int) -> np.ndarray:
    """Bits shift … shift + width - 1 of uint64 draws, as int64."""
    return ((values >> np.uint64(shift)) & np.uint64((1 << width) - 1)).astype(np.int64)


def _scaled(u: np.ndarray, n: np.ndarray | int, bits: int) -> np.ndarray:
    """dimensions._scaled on arrays: index `(u * n) >> bits` of an n-item list (int64: u * n < 2**40)."""
    return (u * n) >> bits


def _dates(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Days since the epoch as ISO dates (null where `mask`)."""
    return pc.cast(pa.array(days.astype("datetime64[D]"), mask=mask), pa.string())


def _timestamps(seconds: np.ndarray) -> pa.Array:
    """Seconds since the epoch as dimensions._timestamp writes them (2026-01-01T00:00:00Z)."""
    text = pc.utf8_replace_slice(pc.cast(pa.array(seconds.astype("datetime64[s]")), pa.string()), 10, 11, "T")
    return pc.binary_join_element_wise(text, "Z", "")


_AGE_LOWS = np.array([int(g.rstrip("+").partition("-")[0]) for g in domains.AGE_GROUPS], dtype=np.int64)
_PRICES = np.array([domains.TIER_MONTHLY_PRICE[t] for t in people.TIERS], dtype=np.float64)
_EPOCH = dt.date(1970, 1, 1)


def customer_table(seed: int, count: int, as_of: dt.date, first: int, stop: int) -> pa.Table:
    """Rows of customers `first` … `stop` - 1 (0-based indexes, all signed up by `as_of`) as one Arrow table, made on
    numpy arrays: row for row `dimensions.customer_row` (the same draws, integer picks and float operations in the
    same order), at ~1 µs a row instead of ~100."""
    v = _vocabulary(seed)
    lay = people.layout(seed)
    i = np.arange(first, stop, dtype=np.int64)
    # The layout slot (people.slot_of) and what it fixes: metro, country, genres.
    block = draws(people.layout_key(seed), i >> people.BLOCK_BITS)
    a, c = _bits(block, 0, people.BLOCK_BITS) | 1, _bits(block, 32, people.BLOCK_BITS)
    slot = (a * (i & (people.BLOCK - 1)) + c) & (people.BLOCK - 1)
    metro = pa.array(np.asarray(lay.metro, dtype=np.int64)[slot])
    country = np.asarray(lay.country, dtype=np.int64)[slot]
    # Tier and age (people.traits).
    tkey = people.trait_key(seed)
    below = np.array(people.TIER_BELOW, dtype=np.uint64)
    tier = np.minimum(np.searchsorted(below, draws(tkey, 4 * i) >> np.uint64(11), side="right"), len(below) - 1)
    u = (draws(tkey, 4 * i + 1) >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    low, high, mode = people.MIN_AGE, people.AGE_MAX, people.AGE_MODE
    years = np.where(
        u < (mode - low) / (high - low),
        low + np.sqrt(u * (high - low) * (mode - low)),
        high - np.sqrt((1 - u) * (high - low) * (high - mode)),
    )
    reference = (people.REFERENCE_DATE - _EPOCH).days
    birth = reference - np.maximum((years * 365.2425).astype(np.int64), people.MIN_AGE * 366 + 1)
    born = birth.astype("datetime64[D]")
    year = born.astype("datetime64[Y]").astype(np.int64) + 1970
    month_day = (
        100 * (born.astype("datetime64[M]").astype(np.int64) % 12 + 1)
        + (born - born.astype("datetime64[M]")).astype(np.int64)
        + 1
    )
    ref = people.REFERENCE_DATE
    age = ref.year - year - (100 * ref.month + ref.day < month_day)
    age_group = np.searchsorted(_AGE_LOWS, age, side="right") - 1
    # The subscription (dimensions.subscription) and its as-of columns (dimensions._subscription_fields).
    start, end = subscription_arrays(seed, count, i)
    extras = draws(people.subscription_key(seed), 2 * i + 1)
    created = start * 86_400 + ((extras >> np.uint64(32)) * np.uint64(86_400) >> np.uint64(32)).astype(np.int64)
    touch = _bits(extras, 0, 32).astype(np.float64) / float(1 << 32)
    day = (as_of - _EPOCH).days
    ended = end <= day
    last = np.where(ended, end, day)
    months = np.maximum(1, np.rint((last - start) / people.DAYS_PER_MONTH).astype(np.int64))
    until = last * 86_400 + 86_399
    updated = created + (touch * (until - created).astype(np.float64)).astype(np.int64)
    price = _PRICES[tier]
    pairs, where = np.unique(tier * (1 << 32) + months, return_inverse=True)
    values = np.array([round(float(_PRICES[p >> 32]) * int(p & 0xFFFFFFFF), 2) for p in pairs.tolist()])
    lifetime = values[where.reshape(-1)] if len(pairs) else np.zeros(0)
    # The table-only columns (dimensions.customer_row).
    names_draw, picks = draws(tkey, 4 * i + 2), draws(tkey, 4 * i + 3)
    group = v.name_groups[2 * v.country_locale[country] + _bits(picks, 63, 1)]
    first_name = group[:, 0] + _scaled(_bits(names_draw, 40, NAME_BITS), group[:, 1], NAME_BITS)
    last_name = group[:, 2] + _scaled(_bits(names_draw, 16, NAME_BITS), group[:, 3], NAME_BITS)
    shape = _bits(picks, 61, 2)
    heads = np.array([head == "initial" for head, _ in EMAIL_SHAPES])
    separators = pa.array([separator for _, separator in EMAIL_SHAPES], pa.string())
    local = _bits(picks, 32, PICK_BITS) < LOCAL_EMAIL_BELOW
    offset, n = v.country_domains[country, 0], v.country_domains[country, 1]
    u16 = _bits(names_draw, 0, PICK_BITS)
    domain = np.where(local, offset + _scaled(u16, n, PICK_BITS), _scaled(u16, len(GLOBAL_EMAIL_DOMAINS), PICK_BITS))
    email = pc.binary_join_element_wise(
        v.heads.take(pa.array(first_name + heads[shape] * len(v.first))),
        separators.take(pa.array(shape)),
        v.last_slugs.take(pa.array(last_name)),
        pc.cast(pa.array(i + 1), pa.string()),
        "@",
        v.domains.take(pa.array(domain)),
        "",
    )
    payment = _scaled(_bits(picks, 16, PICK_BITS), len(domains.PAYMENT_METHODS), PICK_BITS)
    channel = _scaled(_bits(picks, 0, PICK_BITS), len(domains.ACQUISITION_CHANNELS), PICK_BITS)
    columns = {
        "customer_id": pc.binary_join_element_wise(
            "cust_", pc.utf8_lpad(pc.cast(pa.array(i + 1), pa.string()), 6, "0"), ""
        ),
        "email": email,
        "first_name": v.first.take(pa.array(first_name)),
        "last_name": v.last.take(pa.array(last_name)),
        "date_of_birth": _dates(birth),
        "age_group": pa.array(domains.AGE_GROUPS, pa.string()).take(pa.array(age_group)),
        "subscription_tier": pa.array(people.TIERS, pa.string()).take(pa.array(tier)),
        "subscription_start_date": _dates(start),
        "subscription_end_date": _dates(end, ~ended),
        "country": v.country.take(metro),
        "state": v.state.take(metro),
        "city": v.city.take(metro),
        "timezone": v.timezone.take(metro),
        "payment_method": pa.array(domains.PAYMENT_METHODS, pa.string()).take(pa.array(payment, mask=price == 0)),
        "monthly_revenue": pa.array(price),
        "lifetime_value": pa.array(lifetime, pa.float64()),
        "is_active": pa.array(~ended),
        "acquisition_channel": pa.array(domains.ACQUISITION_CHANNELS, pa.string()).take(pa.array(channel)),
        "preferred_genres": v.genres.take(pa.array(slot)),
        "created_at": _timestamps(created),
        "updated_at": _timestamps(updated),
    }
    schema = arrow_schema(CUSTOMERS)
    return pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema)


def customer_part(
    seed: int, count: int, as_of: dt.date, index: int, rows_per_part: int = CUSTOMERS_PER_PART
) -> pa.Table:
    """Part `index` of the table (customer_parts), made on its own from its id range (empty past the table's end)."""
    _check(seed, count, as_of, rows_per_part)
    first = index * rows_per_part
    stop = min(signed_up_by(seed, count, as_of), first + rows_per_part)
    batches = [
        customer_table(seed, count, as_of, at, min(stop, at + ARROW_BATCH_ROWS))
        for at in range(first, stop, ARROW_BATCH_ROWS)
    ]
    if not batches:
        return arrow_schema(CUSTOMERS).empty_table()
    # One chunk per column, as a table made in one go: the same Parquet bytes whatever the batches were.
    return pa.concat_tables(batches).combine_chunks()


def customer_parts(
    seed: int, count: int, as_of: dt.date, rows_per_part: int = CUSTOMERS_PER_PART
) -> Iterator[pa.Table]:
    """The customers table of `count` (dimension seed `seed`) as of `as_of`, as Arrow tables of `rows_per_part`
    consecutive ids each (the last holds the rest; none if nobody has signed up by `as_of`). Each part is made on
    its own (`customer_part`), one held at a time."""
    _check(seed, count, as_of, rows_per_part)
    for index in range(part_count(signed_up_by(seed, count, as_of), rows_per_part)):
        yield customer_part(seed, count, as_of, index, rows_per_part)


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
        "versions": {name: metadata.version(name) for name in ("pyarrow", "numpy", "mimesis")},
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:32]


def cached_parts(
    directory: str,
    seed: int,
    count: int,
    as_of: dt.date,
    rows_per_part: int = CUSTOMERS_PER_PART,
    parts: int | None = None,
) -> tuple[str, ...]:
    """Paths of the table's part files in a cache entry `<directory>/customers-<cache_key>/`, written first if the
    entry is not complete; paths are relative if `directory` is (the stack gives a relative one, so the paths it
    uploads from are the same on every machine).

    `parts` files if given (at least the table's: those past its end hold no row), else the table's parts.
    Each part enters under its final name by rename, and the entry's `CACHE_COMPLETE` is written last: an
    interrupted write leaves an incomplete entry, which the next call writes again.
    """
    _check(seed, count, as_of, rows_per_part)
    own = part_count(signed_up_by(seed, count, as_of), rows_per_part)
    if parts is None:
        parts = own
    elif isinstance(parts, bool) or not isinstance(parts, int) or parts < own:
        raise ValueError(f"parts must be an int >= the table's {own} parts, got {parts!r}")
    key = cache_key(seed, count, as_of, rows_per_part) + (f"-{parts}" if parts != own else "")
    entry = os.path.join(directory, f"customers-{key}")
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
    for index in range(parts):
        table = customer_part(seed, count, as_of, index, rows_per_part)
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
