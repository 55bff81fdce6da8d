"""The backfill's ad book: the fitting campaigns of its households (model.Fitting) are ads.Book.fitting's."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np
import pytest

from functions.shared import ads, domains
from functions.shared.dimensions import generate_dimensions
from lakewriter.backfill.model import Fitting


def _by_the_book(campaigns: Sequence[Mapping[str, object]], customers: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Fitting's layout built customer by customer from ads.Book.fitting, the definition."""
    book = ads.Book(campaigns, customers)
    lists = [ids for c in range(len(customers)) for ids in book.fitting(c)]
    fit_at = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum([len(ids) for ids in lists], out=fit_at[1:])
    return fit_at, np.array([i for ids in lists for i in ids], dtype=np.int64)


def _assert_same(campaigns: Sequence[Mapping[str, object]], customers: list[dict]) -> np.ndarray:
    fitting = Fitting(ads.targets(campaigns))
    fit_at, fit = fitting(customers)
    # In batches, as a backfill's households come (the targets' side kept from one batch to the next).
    half = len(customers) // 2
    (at_1, fit_1), (at_2, fit_2) = fitting(customers[:half]), fitting(customers[half:])
    assert np.array_equal(np.concatenate([at_1[:-1], at_2 + at_1[-1]]), fit_at)
    assert np.array_equal(np.concatenate([fit_1, fit_2]), fit)
    want_at, want = _by_the_book(campaigns, customers)
    assert np.array_equal(fit_at, want_at)
    assert np.array_equal(fit, want)
    return fit_at


@pytest.mark.parametrize(("seed", "customers"), [(1, 2_000), (42, 300), (7, 5_000)])
def test_the_fitting_arrays_of_generated_worlds_equal_the_books_customer_by_customer(seed: int, customers: int) -> None:
    dims = generate_dimensions(seed=seed, customers=customers, delivery=False)
    fit_at = _assert_same(dims.campaigns, list(dims.customers))
    assert fit_at[-1] > 10 * customers  # ad-tier customers fit many campaigns: not a comparison of empty lists


def test_customers_written_by_hand_fit_as_the_book_says() -> None:
    dims = generate_dimensions(seed=3, customers=50, delivery=False)
    first = dict(dims.customers[0])
    some_target = ads.targets(dims.campaigns)[0]
    shapes = [
        {"subscription_tier": "free_with_ads", "preferred_genres": "[]"},  # likes nothing: fits none
        {"subscription_tier": "premium"},  # no ads on its tier
        {"subscription_tier": "basic", "preferred_genres": json.dumps(["NoSuchGenre"])},
        {"subscription_tier": "basic", "country": "XX"},  # a country no campaign targets
        {  # exactly the first in-stream campaign's audience, one of its genres listed twice
            "subscription_tier": sorted(some_target.tiers & set(domains.AD_SUPPORTED_TIERS))[0],
            "country": sorted(some_target.countries)[0],
            "age_group": sorted(some_target.age_groups)[0],
            "preferred_genres": json.dumps([sorted(some_target.genres)[0]] * 2),
        },
    ]
    customers = [{**first, **shape} for shape in shapes] + [dict(c) for c in dims.customers[1:10]]
    fit_at = _assert_same(dims.campaigns, customers)
    n = len(ads.POSITIONS)
    assert fit_at[n] == fit_at[0] and fit_at[2 * n] == fit_at[n]  # the first two fit nothing
    assert fit_at[5 * n] > fit_at[4 * n]  # the campaign's own audience fits it


def test_no_in_stream_campaign_or_no_ad_tier_customer_gives_empty_lists() -> None:
    dims = generate_dimensions(seed=5, customers=20, delivery=False)
    customers = [dict(c) for c in dims.customers]
    _assert_same([], customers)
    _assert_same(dims.campaigns, [{**c, "subscription_tier": "premium"} for c in customers])
