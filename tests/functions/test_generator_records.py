"""window_records renders exactly the Kinesis entries the producer would encode from window_events."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.generator.events import epoch_ms, window_events, window_records
from functions.producer.encoding import encode_records
from functions.shared import people
from functions.shared.dimensions import Dimensions, generate_dimensions
from functions.shared.records import json_value, line_template
from functions.shared.schema import STREAMING_EVENTS
from functions.shared.world import World
from tests.functions.worlds import generate_events, generate_records

WINDOW_END = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def dims() -> Dimensions:
    return generate_dimensions(seed=7, customers=150, titles=60, campaigns=3)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**63 - 1),
    batch=st.integers(1, 3000),
    width_ms=st.sampled_from([0, 1, 7_000, 60_000, 300_000]),
    offset_ms=st.integers(-(10**10), 10**10),
)
def test_records_equal_the_producers_encoding_of_the_same_events(
    dims: Dimensions, seed: int, batch: int, width_ms: int, offset_ms: int
) -> None:
    world = World(seed, dims, batch)
    end = epoch_ms(WINDOW_END) + offset_ms
    events = window_events(world, end - width_ms, end)
    assert window_records(world, end - width_ms, end) == encode_records(events)


def test_dimension_text_that_needs_escapes_or_holds_percent_signs_renders_exactly(
    dims: Dimensions, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Customer and title values come from the dimension tables (customers per index: people.traits), so the
    # templates must escape them as JSON does and keep "%" literal; the generator's own strings need no escape.
    tricky = ['Zürich "Altstadt"', "100% Plaza %s %(x)r", "back\\slash", "tab\there", "Ōsaka\u2028"]
    real = people.traits

    def traits(seed: int, count: int, index: int) -> dict:
        row = real(seed, count, index)
        return dict(row, city=tricky[index % len(tricky)], state=f"{row['state']}%")

    monkeypatch.setattr(people, "traits", traits)
    titles = [dict(t, title_id=f'{t["title_id"]}"%', title_type=t["title_type"]) for t in dims.titles]
    odd = dataclasses.replace(dims, titles=titles)
    records = generate_records(3000, odd, window_end=WINDOW_END, rng=random.Random(5))
    assert records == encode_records(generate_events(3000, odd, window_end=WINDOW_END, rng=random.Random(5)))
    cities = {json.loads(r["Data"])["city"] for r in records}
    assert cities <= set(tricky) and len(cities) > 1


def test_every_record_is_one_newline_terminated_json_object_in_schema_order(dims: Dimensions) -> None:
    records = generate_records(2000, dims, window_end=WINDOW_END, rng=random.Random(9))
    for record in records:
        data = record["Data"]
        assert data.endswith(b"\n") and data.count(b"\n") == 1
        event = json.loads(data)
        assert tuple(event) == STREAMING_EVENTS.column_names
        assert record["PartitionKey"] == event["session_id"]


def test_the_same_seed_gives_the_same_records(dims: Dimensions) -> None:
    a = generate_records(800, dims, window_end=WINDOW_END, rng=random.Random(3))
    assert a == generate_records(800, dims, window_end=WINDOW_END, rng=random.Random(3))
    assert a != generate_records(800, dims, window_end=WINDOW_END, rng=random.Random(4))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start_ms": -1}, "start_ms must be an int >= 0"),
        ({"end_ms": 2.0}, "end_ms must be an int >= 0"),
        ({"start_ms": 10, "end_ms": 5}, "end_ms must not be before start_ms"),
        ({"shard": 3, "shards": 3}, r"shard must be in 0..2 \(shards=3\), got 3"),
        ({"shards": True}, "shards must be an int >= 0"),
    ],
)
def test_records_refuse_bad_windows_and_shards_naming_them(dims: Dimensions, kwargs: dict, message: str) -> None:
    args: dict = {"start_ms": 0, "end_ms": 1000, "shard": 0, "shards": 1} | kwargs
    with pytest.raises(ValueError, match=message):
        window_records(World(1, dims), args.pop("start_ms"), args.pop("end_ms"), **args)


# --- line_template ----------------------------------------------------------------------------------------


def test_a_template_with_every_column_open_formats_like_the_json_encoder() -> None:
    strings = [c.name for c in STREAMING_EVENTS.columns if c.type == "string"]
    template = line_template(STREAMING_EVENTS, quoted=strings)
    event = {
        c.name: (f"v-{c.name}" if c.type == "string" else 2.5 if c.type == "double" else 7)
        for c in STREAMING_EVENTS.columns
    }
    expected = json.dumps(event, separators=(",", ":"), ensure_ascii=False) + "\n"
    assert template % tuple(event.values()) == expected


def test_fixed_values_are_written_as_json_with_percent_signs_kept() -> None:
    fixed = {"city": 'a "b" 50%', "country": "Ü"}
    template = line_template(STREAMING_EVENTS, fixed)
    assert json_value(fixed["city"]).replace("%", "%%") in template
    assert '"country":"Ü"' in template


def test_a_template_refuses_unknown_columns_and_quoted_numbers() -> None:
    with pytest.raises(KeyError, match=r"no column.*'colour'"):
        line_template(STREAMING_EVENTS, {"colour": "red"})
    with pytest.raises(ValueError, match=r"quoted must name string columns only, got \['error_count'\]"):
        line_template(STREAMING_EVENTS, quoted=["city", "error_count"])


def test_json_value_refuses_nan() -> None:
    with pytest.raises(ValueError):
        json_value(float("nan"))
