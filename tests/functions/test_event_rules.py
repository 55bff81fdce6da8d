"""Event rules the producer applies after the types: known event types, and ad fields on ad events only."""

from __future__ import annotations

from typing import Any

import pytest

from functions.shared import domains
from functions.shared.schema import KNOWN_EVENT_TYPES, SchemaError, validate_event

NO_AD = dict.fromkeys(domains.AD_EVENT_FIELDS)
AD = {"campaign_id": "camp_0007", "ad_position": "mid_roll", "ad_duration_seconds": 30}


def _event(event_type: Any, **fields: Any) -> dict:
    return {"event_type": event_type, **NO_AD, **fields}


@pytest.mark.parametrize("event_type", sorted(KNOWN_EVENT_TYPES - set(domains.AD_EVENT_TYPES)))
def test_every_known_event_type_without_ad_fields_passes(event_type: str) -> None:
    validate_event(_event(event_type))


@pytest.mark.parametrize("event_type", domains.AD_EVENT_TYPES)
def test_an_ad_event_with_campaign_position_and_a_length_its_format_allows_passes(event_type: str) -> None:
    for position in domains.AD_POSITIONS:
        for seconds in domains.AD_FORMATS[position]:
            validate_event(
                _event(event_type, campaign_id="camp_0001", ad_position=position, ad_duration_seconds=seconds)
            )


def test_the_model_declares_no_event_type_or_position_the_producer_would_refuse() -> None:
    from functions.shared import ads

    assert set(ads.POSITIONS) == set(domains.AD_POSITIONS)
    assert set(domains.EVENT_TYPES) | set(domains.AD_EVENT_TYPES) == KNOWN_EVENT_TYPES


REFUSED: list[tuple[str, dict, tuple[str, ...]]] = [
    ("unknown_type", _event("rewind"), ("'event_type'", "'rewind'", "must be one of")),
    ("type_in_other_case", _event("START"), ("'event_type'", "'START'")),
    ("null_type", _event(None), ("'event_type'", "None")),
    ("ad_without_campaign", _event("ad_start", **{**AD, "campaign_id": None}), ("'campaign_id'", "ad_start", "None")),
    ("ad_with_blank_campaign", _event("ad_complete", **{**AD, "campaign_id": " "}), ("'campaign_id'", "' '")),
    ("ad_without_position", _event("ad_start", **{**AD, "ad_position": None}), ("'ad_position'", "must be set")),
    (
        "ad_without_length",
        _event("ad_complete", **{**AD, "ad_duration_seconds": None}),
        ("'ad_duration_seconds'", "must be set"),
    ),
    (
        "unknown_position",
        _event("ad_start", **{**AD, "ad_position": "pause_ad"}),
        ("'ad_position'", "'pause_ad'", "pre_roll", "mid_roll", "post_roll"),
    ),
    (
        "length_its_format_does_not_allow",
        _event("ad_start", **{**AD, "ad_position": "pre_roll", "ad_duration_seconds": 60}),
        ("'ad_duration_seconds'", "[15, 30]", "pre_roll", "60"),
    ),
    ("length_as_boolean", _event("ad_start", **{**AD, "ad_duration_seconds": True}), ("'ad_duration_seconds'",)),
    ("campaign_on_a_play_event", _event("pause", campaign_id="camp_0001"), ("'campaign_id'", "null on a pause")),
    ("position_on_a_play_event", _event("start", ad_position="pre_roll"), ("'ad_position'", "null on a start")),
    ("length_on_a_play_event", _event("stop", ad_duration_seconds=15), ("'ad_duration_seconds'", "15")),
]


@pytest.mark.parametrize(("record", "expected"), [(r, e) for _, r, e in REFUSED], ids=[n for n, _, _ in REFUSED])
def test_a_broken_event_rule_is_refused_naming_field_value_and_rule(record: dict, expected: tuple) -> None:
    with pytest.raises(SchemaError) as info:
        validate_event(record)
    for fragment in expected:
        assert fragment in str(info.value)
