"""Dimension tables: ids, schema, coherence of each row, and determinism across processes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from functions.shared import content, domains, geography, households
from functions.shared.dimensions import (
    REFERENCE_DATE,
    SIGNUPS_FROM,
    SIGNUPS_UNTIL,
    Dimensions,
    customer_row,
    generate_campaigns,
    generate_customers,
    generate_dimensions,
    generate_titles,
    name_book,
    signed_up_by,
)
from functions.shared.schema import CAMPAIGNS, CUSTOMERS, TITLES, validate_record

ROOT = Path(__file__).resolve().parents[2]
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@pytest.fixture(scope="module")
def dims() -> Dimensions:
    return generate_dimensions(seed=7, customers=1500, titles=1500, campaigns=300)


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def test_ids_are_one_based_zero_padded_and_counts_match() -> None:
    d = generate_dimensions(seed=3, customers=12, titles=7, campaigns=4)
    assert [c["customer_id"] for c in d.customers] == [f"cust_{i:06d}" for i in range(1, 13)]
    assert [t["title_id"] for t in d.titles] == [f"title_{i:05d}" for i in range(1, 8)]
    assert [c["campaign_id"] for c in d.campaigns] == ["camp_0001", "camp_0002", "camp_0003", "camp_0004"]


def test_rows_have_exactly_the_schema_columns_in_order_with_schema_types(dims: Dimensions) -> None:
    for table, rows in ((CUSTOMERS, dims.customers), (TITLES, dims.titles), (CAMPAIGNS, dims.campaigns)):
        for row in rows:
            assert tuple(row) == table.column_names
            validate_record(table, row)


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "3", None])
@pytest.mark.parametrize("argument", ["customers", "titles", "campaigns"])
def test_bad_counts_raise_naming_the_argument(argument: str, bad: object) -> None:
    with pytest.raises(ValueError, match=rf"^{argument} must be an int >= 1"):
        generate_dimensions(**{argument: bad})  # type: ignore[arg-type]


@pytest.mark.parametrize("make", [generate_customers, generate_titles, generate_campaigns])
def test_table_generators_reject_a_zero_count(make: object) -> None:
    with pytest.raises(ValueError, match=r"^count must be an int >= 1, got 0"):
        make(0, 1)  # type: ignore[operator]


def test_customer_geography_is_one_curated_metro(dims: Dimensions) -> None:
    metros = {(m.country, m.state, m.city, m.timezone) for m in geography.METROS}
    for c in dims.customers:
        assert (c["country"], c["state"], c["city"], c["timezone"]) in metros, c["customer_id"]
    # More than a handful of metros and every country show up, so the table is really used.
    assert len({c["city"] for c in dims.customers}) > 25
    assert {c["country"] for c in dims.customers} == set(geography.COUNTRY_SHARES)


def test_customer_names_emails_and_ages_agree(dims: Dimensions) -> None:
    emails = [c["email"] for c in dims.customers]
    assert len(set(emails)) == len(emails)
    for c in dims.customers:
        local, _, domain = c["email"].partition("@")
        assert re.fullmatch(r"[a-z0-9._]+", local) and "." in domain, c["email"]
        folded = unicodedata.normalize("NFKD", c["last_name"]).encode("ascii", "ignore").decode().lower()
        # Every address pattern keeps the customer's last name, folded to ASCII letters.
        assert re.sub(r"[^a-z]", "", folded) in re.sub(r"[^a-z]", "", local), c
        birth = _date(c["date_of_birth"])
        age = REFERENCE_DATE.year - birth.year - ((REFERENCE_DATE.month, REFERENCE_DATE.day) < (birth.month, birth.day))
        low, _, high = c["age_group"].rstrip("+").partition("-")
        assert int(low) <= age <= (int(high) if high else 200), c


def test_every_email_is_unique_by_construction_its_trailing_digits_the_customer_number(dims: Dimensions) -> None:
    for c in dims.customers:
        local = c["email"].partition("@")[0]
        number = str(int(c["customer_id"].removeprefix("cust_")))
        assert re.fullmatch(rf"[a-z._]+{number}", local), c  # names hold no digit: the number ends the local part


def test_customer_names_come_from_their_countrys_locale(dims: Dimensions) -> None:
    book = name_book()
    for c in dims.customers:
        locale = geography.COUNTRY_LOCALE[c["country"]]
        genders = [g for g in ("female", "male") if c["first_name"] in book.first[(locale, g)]]
        assert any(c["last_name"] in book.last[(locale, g)] for g in genders), c
    german = [c for c in dims.customers if c["country"] == "DE"]
    assert len(german) > 100 and sum(c["last_name"] in book.last[("en", "male")] for c in german) < len(german) / 4


def test_a_row_is_one_customers_own_and_does_not_exist_before_its_sign_up() -> None:
    count, index = 5000, 2345
    row = customer_row(3, count, index)
    assert row == generate_customers(count, 3)[index]
    start = _date(row["subscription_start_date"])
    assert customer_row(3, count, index, start)["customer_id"] == "cust_002346"
    with pytest.raises(ValueError, match=f"cust_002346 signs up on {start}, after the table's as-of date"):
        customer_row(3, count, index, start - dt.timedelta(days=1))
    assert signed_up_by(3, count, start - dt.timedelta(days=1)) <= index < signed_up_by(3, count, start)


def test_customer_subscription_history_is_consistent(dims: Dimensions) -> None:
    """As of the default as-of date (SIGNUPS_UNTIL, every customer signed up): dates, is_active and lifetime value
    agree with the customer's whole subscription."""
    as_of = SIGNUPS_UNTIL
    for c, sub in zip(dims.customers, dims.subscriptions(), strict=True):
        tier = c["subscription_tier"]
        assert tier in domains.SUBSCRIPTION_TIERS
        assert c["monthly_revenue"] == domains.TIER_MONTHLY_PRICE[tier]
        assert (c["payment_method"] is None) == (domains.TIER_MONTHLY_PRICE[tier] == 0)
        assert c["payment_method"] is None or c["payment_method"] in domains.PAYMENT_METHODS
        start = _date(c["subscription_start_date"])
        end = _date(c["subscription_end_date"]) if c["subscription_end_date"] else None
        assert start == sub.start and SIGNUPS_FROM <= start < as_of
        assert end == (sub.end if sub.end <= as_of else None)
        assert c["is_active"] is (end is None)
        months = ((end or as_of) - start).days / (365.2425 / 12)
        assert c["lifetime_value"] == pytest.approx(c["monthly_revenue"] * max(1, round(months)), abs=0.01)
        assert TIMESTAMP.match(c["created_at"]) and TIMESTAMP.match(c["updated_at"])
        assert c["created_at"].startswith(c["subscription_start_date"])
        assert c["created_at"] <= c["updated_at"] <= f"{end or as_of}T23:59:59Z"
        genres = json.loads(c["preferred_genres"])
        assert 1 <= len(genres) <= 3 and set(genres) <= set(domains.GENRES)
        assert c["acquisition_channel"] in domains.ACQUISITION_CHANNELS


def test_customer_ids_follow_sign_up_order_at_an_even_rate(dims: Dimensions) -> None:
    assert domains.SIGNUP_DAYS[1] == content.SLATE_DAYS[1], "sign-ups run through the release slate's end"
    starts = [_date(c["subscription_start_date"]) for c in dims.customers]
    assert starts == sorted(starts)
    span = (SIGNUPS_UNTIL - SIGNUPS_FROM).days
    per_year = Counter((s - SIGNUPS_FROM).days * 5 // span for s in starts)
    assert all(abs(n - len(starts) / 5) <= 2 for n in per_year.values()), per_year


def _monthly(subs: tuple, day: dt.date) -> tuple[float, float, float]:
    """(churn %, sign-ups % per subscriber-month over the year to `day`, share of customers subscribed on it)."""
    first = day - dt.timedelta(days=364)
    cancels = sum(first <= s.end <= day for s in subs)
    joins = sum(first <= s.start <= day for s in subs)
    exposure = sum(max(0, (min(s.end, day) - max(s.start, first)).days + 1) for s in subs) / (365.2425 / 12)
    subscribed = sum(s.start <= day < s.end for s in subs) / len(subs)
    return 100 * cancels / exposure, 100 * joins / exposure, subscribed


@pytest.mark.parametrize("day", [dt.date(2025, 11, 16), dt.date(2026, 11, 15), dt.date(2027, 11, 15)])
def test_sign_ups_and_cancellations_run_on_past_the_reference_date(dims: Dimensions, day: dt.date) -> None:
    """Monthly churn near MONTHLY_CHURN (Antenna, local.bands 2-8 %) and sign-ups in 2-9 % at any date through the
    sign-up horizon, not only before REFERENCE_DATE; about a third of the table subscribed (households.py)."""
    churn, signups, subscribed = _monthly(tuple(dims.subscriptions()), day)
    assert 3.5 <= churn <= 5.5 and 4.0 <= signups <= 7.0, (churn, signups)
    assert subscribed == pytest.approx(households.SUBSCRIBED_SHARE, abs=0.06)


def test_a_table_as_of_a_day_holds_who_signed_up_by_then_with_their_state_on_that_day(dims: Dimensions) -> None:
    day = dt.date(2026, 6, 30)
    view = dims.as_of(day)
    assert 0 < len(view.customers) < len(dims.customers)
    assert (
        view.customers[-1]["subscription_start_date"]
        <= day.isoformat()
        < dims.customers[len(view.customers)]["subscription_start_date"]
    )
    for c, sub in zip(view.customers, view.subscriptions(), strict=True):
        ended = sub.end <= day
        assert c["subscription_end_date"] == (sub.end.isoformat() if ended else None)
        assert c["is_active"] is not ended and c["updated_at"] <= f"{day}T23:59:59Z"
    # The same rows as a table generated as of that day, and as the full table's but for the as-of columns.
    assert view == generate_dimensions(seed=7, customers=1500, titles=1500, campaigns=300, as_of=day)
    fixed = [n for n in CUSTOMERS.column_names if n not in ("subscription_end_date", "is_active", "lifetime_value")]
    fixed.remove("updated_at")
    assert [[c[n] for n in fixed] for c in view.customers] == [
        [c[n] for n in fixed] for c in dims.customers[: len(view.customers)]
    ]


def test_the_worlds_subscription_days_are_the_subscriptions_dates(dims: Dimensions) -> None:
    epoch = dt.date(1970, 1, 1)
    assert list(dims.subscription_days()) == [
        ((s.start - epoch).days, (s.end - epoch).days) for s in dims.subscriptions()
    ]


def test_as_of_refuses_tables_written_by_hand() -> None:
    d = generate_dimensions(seed=3, customers=12, titles=7, campaigns=4)
    with pytest.raises(ValueError, match="written by hand"):
        Dimensions(d.customers, d.titles, d.campaigns).as_of(REFERENCE_DATE)


def test_title_types_keep_the_seed_row_shares_within_one_series_length(dims: Dimensions) -> None:
    """A series adds its episodes together, so row shares are held by quota (not independent draws, as before
    series ran whole): each type's row count stays within the longest series of its share."""
    n = len(dims.titles)
    longest = max(Counter(t["series_id"] for t in dims.titles if t["series_id"]).values())
    for title_type, weight in domains.TITLE_TYPES.items():
        rows = sum(t["title_type"] == title_type for t in dims.titles)
        assert abs(rows - weight * n) <= longest, (title_type, rows, weight * n)


def test_titles_have_type_appropriate_numbers_durations_and_ratings(dims: Dimensions) -> None:
    # Films from 75 minutes (was 80): runtimes are drawn by genre now, and an animated feature may run 75-80.
    duration_ranges = {"series": (20, 60), "movie": content.FILM_MINUTES, "documentary": (45, 120)}
    for t in dims.titles:
        low, high = duration_ranges[t["title_type"]]
        assert low <= t["duration_minutes"] <= high, t
        if t["title_type"] == "series":
            assert t["season_number"] >= 1 and t["episode_number"] >= 1
            assert t["season_number"] == int(t["season_number"]) and t["episode_number"] == int(t["episode_number"])
            assert t["title_name"].endswith(f"S{int(t['season_number']):02d}E{int(t['episode_number']):02d}")
            assert t["content_rating"].startswith("TV-")
        else:
            assert t["season_number"] is None and t["episode_number"] is None
        if t["title_type"] == "movie":
            assert not t["content_rating"].startswith("TV-")
        assert t["content_rating"] in domains.CONTENT_RATINGS
        assert (t["genre"] == "Documentary") == (t["title_type"] == "documentary")
        assert t["sub_genre"] in domains.GENRES and t["sub_genre"] != t["genre"]
        languages = json.loads(t["available_languages"])
        assert languages[0] == t["original_language"] == geography.PRODUCTION_COUNTRIES[t["production_country"]]
        assert 3 <= len(json.loads(t["cast"])) <= 6
        assert (t["licensing_cost"] == 0.0) == t["is_original"]
        assert 1.0 <= t["critical_rating"] <= 10.0 and 1.0 <= t["viewer_rating"] <= 10.0
        # Released before the reference date, or announced on the slate after it (was: always before).
        slate_end = REFERENCE_DATE + dt.timedelta(days=content.SLATE_DAYS[1])
        assert DATE.match(t["release_date"]) and _date(t["release_date"]) < slate_end
        assert t["created_at"] <= t["updated_at"] and t["created_at"][:10] < REFERENCE_DATE.isoformat()


def test_campaign_money_and_delivery_counts_are_consistent(dims: Dimensions) -> None:
    for c in dims.campaigns:
        days = (_date(c["end_date"]) - _date(c["start_date"])).days + 1
        assert c["total_budget"] == pytest.approx(c["daily_budget"] * days, abs=0.01)
        assert 0 <= c["spent_amount"] <= c["total_budget"]
        assert 0 <= c["clicks"] <= c["impressions"]
        assert 0 <= c["conversions"] <= c["clicks"]
        assert 0 <= c["unique_viewers"] <= c["impressions"]
        ratios = {
            "click_through_rate": (c["clicks"], c["impressions"]),
            "conversion_rate": (c["conversions"], c["clicks"]),
        }
        for name, (num, den) in ratios.items():
            assert c[name] == (round(num / den, 6) if den else None), name
        assert c["view_through_rate"] is None if not c["impressions"] else 0 <= c["view_through_rate"] <= 1
        if c["impressions"]:
            assert c["cost_per_mille"] == pytest.approx(c["spent_amount"] / c["impressions"] * 1000, abs=1e-3)
        start, end = _date(c["start_date"]), _date(c["end_date"])
        expected_status = (
            {"scheduled"} if start > REFERENCE_DATE else {"completed"} if end < REFERENCE_DATE else {"active", "paused"}
        )
        assert c["status"] in expected_status, c
        # Delivery figures cover the whole flight (what the world delivers, docs/ads.md), whatever the status.
        assert c["spent_amount"] == pytest.approx(c["impressions"] * (c["cost_per_mille"] or 0) / 1000, abs=0.01)
        assert c["ad_duration_seconds"] in domains.AD_FORMATS[c["ad_format"]]
        assert set(json.loads(c["target_subscription_tiers"])) <= set(domains.AD_SUPPORTED_TIERS)
        assert set(json.loads(c["target_age_groups"])) <= set(domains.AGE_GROUPS)
        assert set(json.loads(c["target_countries"])) <= set(geography.COUNTRY_SHARES)
        assert c["landing_page_url"].startswith("https://") and c["campaign_id"] in c["landing_page_url"]
        assert c["created_at"] <= c["updated_at"]
    # Several advertisers run more than one campaign, with one name and industry each.
    by_advertiser: dict[str, set[tuple[str, str]]] = {}
    for c in dims.campaigns:
        by_advertiser.setdefault(c["advertiser_id"], set()).add((c["advertiser_name"], c["industry"]))
    assert all(len(v) == 1 for v in by_advertiser.values())
    assert len(by_advertiser) < len(dims.campaigns)


def test_same_seed_gives_identical_rows_and_another_seed_does_not() -> None:
    assert generate_dimensions(5, 50, 40, 10) == generate_dimensions(5, 50, 40, 10)
    assert generate_dimensions(5, 50, 40, 10).customers != generate_dimensions(6, 50, 40, 10).customers


def test_growing_a_count_keeps_the_existing_customers_and_titles() -> None:
    """Who a customer is stays; when they signed up spreads over the sign-up span (ids follow sign-up order)."""
    dated = ("subscription_start_date", "subscription_end_date", "lifetime_value", "is_active", "created_at")
    fewer, more = generate_customers(30, 9), generate_customers(60, 9)[:30]
    assert [{**c, **dict.fromkeys(dated), "updated_at": None} for c in fewer] == [
        {**c, **dict.fromkeys(dated), "updated_at": None} for c in more
    ]
    assert generate_titles(30, 9) == generate_titles(60, 9)[:30]


_DIGEST_SCRIPT = """
import hashlib, json
from functions.shared.dimensions import generate_dimensions
d = generate_dimensions(11, 300, 200, 40)
print(hashlib.sha256(json.dumps([d.customers, d.titles, d.campaigns]).encode()).hexdigest())
"""


def _digest(d: Dimensions) -> str:
    return hashlib.sha256(json.dumps([d.customers, d.titles, d.campaigns]).encode()).hexdigest()


def test_dimensions_are_identical_across_processes_with_different_hash_seeds() -> None:
    digests = []
    for hash_seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", _DIGEST_SCRIPT], env=env, cwd=ROOT, capture_output=True, text=True, check=True
        )
        digests.append(done.stdout.strip())
    assert digests[0] == digests[1] == _digest(generate_dimensions(11, 300, 200, 40))
