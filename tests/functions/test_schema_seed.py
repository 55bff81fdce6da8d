"""The original stack's tables keep every column (name, Glue type, order) and event type: later issues only add.

The seed's columns are written out here from the original stack's catalog (the shared reference's
seed-stack-facts.md), not read from `functions.shared.schema`, so a rename there fails this test.
"""

from __future__ import annotations

import pytest

from functions.shared import domains
from functions.shared.schema import TABLES, Table


def _columns(text: str) -> tuple[tuple[str, str], ...]:
    """'name, other double' -> (('name', 'string'), ('other', 'double')): every type not written is string."""
    pairs = []
    for item in text.split(","):
        name, *kind = item.split()
        pairs.append((name, kind[0] if kind else "string"))
    return tuple(pairs)


SEED_COLUMNS = {
    "streaming_events": _columns(
        "event_id, event_type, event_timestamp, customer_id, title_id, session_id, device_id, title_type, device_type,"
        " device_os, app_version, quality, bandwidth_mbps double, buffering_events int,"
        " buffering_duration_seconds double, error_count int, watch_duration_seconds int, position_seconds int,"
        " completion_percentage double, ip_address, isp, connection_type, country, state, city"
    ),
    "customers": _columns(
        "customer_id, email, first_name, last_name, date_of_birth, age_group, subscription_tier,"
        " subscription_start_date, subscription_end_date, country, state, city, timezone, payment_method,"
        " monthly_revenue double, lifetime_value double, is_active boolean, acquisition_channel, preferred_genres,"
        " created_at, updated_at"
    ),
    "titles": _columns(
        "title_id, title_name, title_type, genre, sub_genre, content_rating, release_date, duration_minutes int,"
        " season_number double, episode_number double, production_country, original_language, available_languages,"
        " director, cast, production_studio, popularity_score double, critical_rating double, viewer_rating double,"
        " budget_millions double, revenue_millions double, awards_count int, is_original boolean,"
        " licensing_cost double, created_at, updated_at"
    ),
    "campaigns": _columns(
        "campaign_id, campaign_name, advertiser_id, advertiser_name, industry, campaign_type, objective, start_date,"
        " end_date, status, daily_budget double, total_budget double, spent_amount double, target_age_groups,"
        " target_genders, target_countries, target_genres, target_subscription_tiers, ad_format,"
        " ad_duration_seconds int, placement_type, creative_url, landing_page_url, impressions bigint,"
        " unique_viewers bigint, clicks bigint, conversions bigint, view_through_rate double,"
        " click_through_rate double, conversion_rate double, cost_per_mille double, cost_per_click double,"
        " cost_per_conversion double, created_at, updated_at"
    ),
}
"""The original catalog's columns, in its order (25, 21, 26 and 35)."""

ADDED_COLUMNS = {
    "streaming_events": _columns(
        "startup_time_ms int, bitrate_kbps int, error_code, campaign_id, ad_position, ad_duration_seconds int"
    ),  # issue 17: the player's story and its ads, after the seed's columns
    "customers": (),
    "titles": _columns("series_id"),  # issue 16: binge chains
    "campaigns": (),
}
"""The columns added since; a new one belongs here, a renamed one fails."""

SEED_PARTITION_KEYS = (("year", "string"), ("month", "string"), ("day", "string"), ("hour", "string"))
SEED_EVENT_TYPES = ("start", "pause", "resume", "stop", "complete")


def _table(name: str) -> Table:
    return next(t for t in TABLES if t.name == name)


@pytest.mark.parametrize("name", sorted(SEED_COLUMNS))
def test_the_seed_tables_keep_every_column_name_type_and_order_and_only_gain_columns(name: str) -> None:
    columns = tuple((c.name, c.type) for c in _table(name).columns)
    seed = SEED_COLUMNS[name]
    assert tuple(c for c in columns if c in seed) == seed  # every seed column, same type, same order
    assert tuple(c for c in columns if c not in seed) == ADDED_COLUMNS[name]


def test_the_events_table_appends_its_new_columns_and_keeps_its_partitions() -> None:
    events = _table("streaming_events")
    columns = tuple((c.name, c.type) for c in events.columns)
    assert columns == SEED_COLUMNS["streaming_events"] + ADDED_COLUMNS["streaming_events"]
    assert tuple((c.name, c.type) for c in events.partition_keys) == SEED_PARTITION_KEYS


def test_the_seed_event_types_are_still_event_types_beside_the_new_ones() -> None:
    known = set(domains.EVENT_TYPES) | set(domains.AD_EVENT_TYPES)
    assert set(SEED_EVENT_TYPES) <= known
    assert known - set(SEED_EVENT_TYPES) == {
        "start_failed", "exit_before_start", "bitrate_change", "error", "ad_start", "ad_complete",
    }  # fmt: skip


def test_incidents_is_a_table_of_its_own_and_the_seed_tables_are_all_there() -> None:
    assert [t.name for t in TABLES] == [*SEED_COLUMNS, "incidents"]
