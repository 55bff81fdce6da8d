"""The lake layout's timestamp text and partition rule."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from functions.shared import layout


def test_format_timestamp_gives_utc_milliseconds_with_z_whatever_the_zone() -> None:
    tokyo = dt.timezone(dt.timedelta(hours=9))
    moment = dt.datetime(2026, 11, 27, 8, 5, 9, 123_999, tzinfo=tokyo)
    text = layout.format_timestamp(moment)
    assert text == "2026-11-26T23:05:09.123Z"
    assert layout.TIMESTAMP_PATTERN.match(text)
    assert layout.partition_values(text) == {"year": "2026", "month": "11", "day": "26", "hour": "23"}


def test_error_path_is_the_error_prefix_resolved_for_a_type_and_time() -> None:
    rendered = (
        layout.FIREHOSE_ERROR_PREFIX.replace("!{firehose:error-output-type}", "format-conversion-failed")
        .replace("!{timestamp:yyyy}", "2026")
        .replace("!{timestamp:MM}", "01")
        .replace("!{timestamp:dd}", "02")
    )
    assert layout.error_path("format-conversion-failed", "2026-01-02T03:04:05.006Z") == rendered


@pytest.mark.parametrize(
    "text",
    [
        "2026-13-01T00:00:00.000Z",  # month 13: Athena's projection (1-12) would never read its partition
        "2026-02-29T00:00:00.000Z",  # 2026 is not a leap year
        "2026-04-31T00:00:00.000Z",
        "2026-01-01T24:00:00.000Z",
        "2026-01-01T23:60:00.000Z",
        "2026-01-01T23:59:60.000Z",
        "0000-01-01T00:00:00.000Z",
        "2026-01-01T00:00:00.000Z\n",  # `$` would have let a trailing newline through
        "２０２６-01-01T00:00:00.000Z",  # full-width digits match \d but are not ASCII
        "2026-01-01T00:00:00Z",
        "2026-01-01 00:00:00.000Z",
        "2026-01-01T00:00:00.000+00:00",
        None,
        20260101,
    ],
)
def test_timestamps_that_are_not_real_utc_moments_are_refused(text: object) -> None:
    assert not layout.is_timestamp(text)
    with pytest.raises(ValueError, match="must be a real moment in ISO 8601 UTC"):
        layout.partition_values(text)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    ["2024-02-29T23:59:59.999Z", "2026-12-31T00:00:00.000Z", "1970-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z"],
)
def test_real_moments_at_the_calendars_edges_are_accepted(text: str) -> None:
    assert layout.is_timestamp(text)
    assert layout.partition_values(text)["year"] == text[:4]


def _run_jq_object_of_slices(query: str, record: dict) -> dict[str, str]:
    """Evaluate a JQ query of the form {key:.field[a:b],...} (all Firehose is given) on a record."""
    match = re.fullmatch(r"\{(.*)\}", query)
    assert match, query
    out = {}
    for part in match.group(1).split(","):
        slot = re.fullmatch(r"(\w+):\.(\w+)\[(\d+):(\d+)\]", part)
        assert slot, part
        key, field, start, end = slot.groups()
        out[key] = record[field][int(start) : int(end)]
    return out


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=dt.UTC),
        dt.datetime(2025, 12, 31, 23, 59, 59, 999000, tzinfo=dt.UTC),
    ],
)
def test_the_firehose_jq_query_yields_the_events_own_utc_year_month_day_and_hour(moment: dt.datetime) -> None:
    query = layout.jq_metadata_query()
    assert query == (
        "{year:.event_timestamp[0:4],month:.event_timestamp[5:7],day:.event_timestamp[8:10],"
        "hour:.event_timestamp[11:13]}"
    )
    keys = _run_jq_object_of_slices(query, {"event_timestamp": layout.format_timestamp(moment)})
    assert keys == {"year": f"{moment:%Y}", "month": f"{moment:%m}", "day": f"{moment:%d}", "hour": f"{moment:%H}"}
    assert keys == layout.partition_values(layout.format_timestamp(moment))
