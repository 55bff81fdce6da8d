"""The backfill's vectorised string builders against Python's own formatting, value by value."""

from __future__ import annotations

import datetime as dt
import uuid

import numpy as np
import pytest

from functions.shared.layout import TIMESTAMP_PATTERN
from lakewriter.backfill import model, strings


def test_uuid4_strings_equal_pythons_uuid_of_the_same_bytes_with_version_and_variant_set() -> None:
    rng = np.random.default_rng(3)
    raw = np.frombuffer(rng.bytes(16 * 2000), dtype=np.uint8).reshape(-1, 16)
    got = strings.uuid4_strings(raw).to_pylist()
    for value, b in zip(got, raw, strict=True):
        expected = uuid.UUID(bytes=b.tobytes(), version=4)
        assert value == str(expected)
    assert len(set(got)) == len(got)


def test_uuid4_strings_of_rows_repeat_each_rows_text_in_the_order_asked() -> None:
    rng = np.random.default_rng(6)
    raw = np.frombuffer(rng.bytes(16 * 300), dtype=np.uint8).reshape(-1, 16)
    rows = np.sort(rng.integers(0, 300, 1000))[::-1]
    every = strings.uuid4_strings(raw).to_pylist()
    assert strings.uuid4_strings(raw, rows).to_pylist() == [every[r] for r in rows]
    assert strings.uuid4_strings(raw, np.array([], dtype=np.intp)).to_pylist() == []


@pytest.mark.parametrize("rows", [[0, 3], [-1], [2, 0, 1, 5]])
def test_uuid4_strings_rejects_rows_outside_the_array(rows: list[int]) -> None:
    with pytest.raises(ValueError, match="rows must index the 3 rows"):
        strings.uuid4_strings(np.zeros((3, 16), dtype=np.uint8), np.array(rows))


def test_uuid4_strings_rejects_arrays_that_are_not_n_by_16_bytes() -> None:
    with pytest.raises(ValueError, match=r"\(n, 16\) uint8"):
        strings.uuid4_strings(np.zeros((3, 15), dtype=np.uint8))


def test_timestamp_strings_equal_datetime_formatting_across_days_months_and_a_leap_day() -> None:
    rng = np.random.default_rng(4)
    start = int(dt.datetime(2024, 2, 27, tzinfo=dt.UTC).timestamp() * 1000)
    ms = np.sort(rng.integers(start, start + 5 * 86_400_000, 5000))
    ms[:3] = [start, start + 86_400_000 * 3 - 1, start + 86_400_000 * 3]  # 2024-02-29 last ms, 2024-03-01 first ms
    got = strings.timestamp_strings(ms).to_pylist()
    for value, m in zip(got, ms, strict=True):
        moment = dt.datetime.fromtimestamp(int(m) / 1000, tz=dt.UTC)
        assert value == moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(m) % 1000:03d}Z"
        assert TIMESTAMP_PATTERN.match(value)
    assert got[1] == "2024-02-29T23:59:59.999Z" and got[2] == "2024-03-01T00:00:00.000Z"


def test_timestamp_strings_before_1970_count_back_from_the_epoch() -> None:
    ms = np.array([-1, -86_400_000, -86_400_001, -30_610_224_000_000, 0])  # the last ms of 1969, ..., 1000-01-01
    assert strings.timestamp_strings(ms).to_pylist() == [
        "1969-12-31T23:59:59.999Z",
        "1969-12-31T00:00:00.000Z",
        "1969-12-30T23:59:59.999Z",
        "1000-01-01T00:00:00.000Z",
        "1970-01-01T00:00:00.000Z",
    ]


def test_completion_percentage_equals_pythons_round_including_exact_halfway_cases() -> None:
    rng = np.random.default_rng(5)
    duration = rng.integers(20, 181, 200_000) * 60
    position = (rng.random(200_000) * (duration + 1)).astype(np.int64)
    # exact ties: 100 * position / duration = k + 0.005 (e.g. 6 s of an 80 min title is 0.125 %)
    duration[:3], position[:3] = [4800, 4800, 2400], [6, 18, 3]
    got = model.completion_percentage(position, duration)
    expected = [round(100.0 * int(p) / int(d), 2) for p, d in zip(position, duration, strict=True)]
    assert got.tolist() == expected


def test_a_columns_own_dictionary_holds_exactly_its_used_values_in_value_order() -> None:
    coded = model.Coded.of(["c", "a", "b", "a", "d", "c", "é"])  # values c, a, b, d, é in first-seen order
    for rows in ([4, 0, 2, 6, 0], [], [3, 1, 3], list(range(7))):
        column = coded.column(np.array(rows, dtype=np.intp), own_values=True)
        assert column.to_pylist() == [["c", "a", "b", "a", "d", "c", "é"][r] for r in rows]
        used = sorted({int(coded.codes[r]) for r in rows})
        assert column.dictionary.to_pylist() == [coded.values[c].as_py() for c in used]
