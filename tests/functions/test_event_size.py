"""The event size the stack sizes its producers with (scheduled_generator.EVENT_BYTES) is what events weigh."""

from __future__ import annotations

import json

from components.scheduled_generator import EVENT_BYTES
from functions.generator.events import clear_window_cache, window_records
from tests.functions import busy_day

HOUR_MS = 3_600_000


def test_event_bytes_is_the_generated_records_mean_rounded_up_by_at_most_a_tenth() -> None:
    clear_window_cache()
    start = busy_day.DAY_MS + 18 * HOUR_MS  # evening in Europe, afternoon in the Americas: every event type
    records = window_records(busy_day.world(), start, start + 3 * HOUR_MS)
    clear_window_cache()
    mean = sum(len(r["Data"]) for r in records) / len(records)
    types = {json.loads(r["Data"])["event_type"] for r in records}
    assert len(records) > 500 and {"ad_start", "start", "bitrate_change"} <= types
    assert mean <= EVENT_BYTES <= 1.1 * mean, f"events weigh {mean:.0f} bytes on average: set EVENT_BYTES"
