"""The lake layout's timestamp text and partition rule."""

from __future__ import annotations

import datetime as dt

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
