"""Customers per index (people.py): the layout's exact shares, its permutations, and subscriptions in band."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from statistics import NormalDist

import pytest

from functions.shared import domains, geography, households, people


def test_each_block_of_ids_holds_every_layout_slot_once_and_position_inverts_slot_of() -> None:
    key = people.layout_key(42)
    for block in (0, 1, 5_000):
        slots = [people.slot_of(key, (block << people.BLOCK_BITS) + p) for p in range(people.BLOCK)]
        assert sorted(slots) == list(range(people.BLOCK))
        assert all(people.position(key, block, s) == (block << people.BLOCK_BITS) + p for p, s in enumerate(slots))
    assert all((a * people.inverse_odd(a)) % people.BLOCK == 1 for a in range(1, people.BLOCK, 2))


@pytest.mark.parametrize("block", [0, 3, 1_234])
def test_country_shares_are_exact_in_every_block_and_metros_follow_their_weights(block: int) -> None:
    """Largest remainders of COUNTRY_SHARES x 4,096 in every block (sampling, before, varied by a few %)."""
    count = (block + 1) * people.BLOCK
    rows = [people.traits(42, count, (block << people.BLOCK_BITS) + p) for p in range(people.BLOCK)]
    got = Counter(r["country"] for r in rows)
    for country, share in geography.COUNTRY_SHARES.items():
        assert abs(got[country] - share * people.BLOCK) < 1, (country, got[country])
    us = [m for m in geography.METROS if m.country == "US"]
    cities = Counter(r["city"] for r in rows if r["country"] == "US")
    for m in us:
        assert abs(cities[m.city] - m.weight / sum(x.weight for x in us) * got["US"]) < 1, m.city


def test_propensities_of_a_block_are_the_lognormals_quantiles_and_genres_one_to_three() -> None:
    lay = people.layout(42)
    expected = sorted(
        min(households.MAX_PROPENSITY, NormalDist(0, households.PROPENSITY_SIGMA).inv_cdf((k + 0.5) / people.BLOCK))
        for k in range(people.BLOCK)
    )
    assert sorted(lay.propensity) == pytest.approx([min(households.MAX_PROPENSITY, math.exp(x)) for x in expected])
    assert all(1 <= len(g) <= 3 and list(g) == sorted(set(g)) for g in lay.genres)
    fans = Counter(g for gs in lay.genres for g in gs)
    assert len(fans) == len(domains.GENRES) and min(fans.values()) > people.BLOCK * 2 / len(domains.GENRES) / 2


def test_tiers_and_age_groups_follow_their_shares() -> None:
    rows = [people.traits(7, 20_000, i) for i in range(0, 20_000, 2)]
    tiers = Counter(r["subscription_tier"] for r in rows)
    for tier, share in domains.SUBSCRIPTION_TIER_SHARES.items():
        assert tiers[tier] / len(rows) == pytest.approx(share, abs=0.02), tier
    assert {r["age_group"] for r in rows} == set(domains.AGE_GROUPS)


def test_tenure_table_interpolates_the_exponential_and_starts_follow_ids() -> None:
    q = people.TENURE_QUANTILES
    assert q == tuple(sorted(q)) and people.tenure_days(0) == domains.MIN_TENURE_DAYS
    mean = sum(people.tenure_days((k << 20) + 0x80000) for k in range(4096)) / 4096
    assert mean == pytest.approx(people.MEAN_TENURE_DAYS, rel=0.03)
    starts = [people.subscription_days(7, 5_000, i)[0] for i in range(5_000)]
    assert starts == sorted(starts)
    # signed_up(day) bounds every id whose sign-up window starts by that day, and no more.
    for day in (starts[0], starts[1_000], starts[4_999] - 3):
        n = people.signed_up(5_000, day)
        assert max(i for i, s in enumerate(starts) if s <= day) < n <= 5_000
        assert people.SIGNUP_FROM_DAY + (n - 1) * people.SIGNUP_SPAN_DAYS // 5_000 <= day


def _monthly(spans: list[tuple[int, int]], day: dt.date) -> tuple[float, float, float]:
    """(churn %, sign-ups % per subscriber-month over the year to `day`, share subscribed on it)."""
    d = (day - dt.date(1970, 1, 1)).days
    first = d - 364
    cancels = sum(first <= e <= d for _, e in spans)
    joins = sum(first <= s <= d for s, _ in spans)
    exposure = sum(max(0, min(e, d) - max(s, first) + 1) for s, e in spans) / people.DAYS_PER_MONTH
    return 100 * cancels / exposure, 100 * joins / exposure, sum(s <= d < e for s, e in spans) / len(spans)


@pytest.mark.parametrize("day", [dt.date(2025, 11, 16), dt.date(2026, 11, 15), dt.date(2027, 11, 15)])
def test_churn_and_sign_ups_stay_in_the_dimension_tables_bands(day: dt.date) -> None:
    """The bands of test_dimensions' subscriptions: monthly churn 3.5-5.5 %, sign-ups 4-7 %, a third subscribed."""
    spans = [people.subscription_days(7, 20_000, i) for i in range(20_000)]
    churn, signups, subscribed = _monthly(spans, day)
    assert 3.5 <= churn <= 5.5 and 4.0 <= signups <= 7.0, (churn, signups)
    assert subscribed == pytest.approx(households.SUBSCRIBED_SHARE, abs=0.06)


def test_customers_is_a_lazy_sequence_of_traits_and_refuses_bad_counts() -> None:
    seq = people.Customers(3, 10_000_000)
    assert len(seq) == 10_000_000 and seq[9_999_999] == people.traits(3, 10_000_000, 9_999_999)
    assert seq[-1]["customer_id"] == "cust_10000000" and seq[2:4] == [seq[2], seq[3]]
    with pytest.raises(IndexError):
        people.traits(3, 10, 10)
    with pytest.raises(ValueError, match="customers must be an int >= 1"):
        people.Customers(3, 0)
