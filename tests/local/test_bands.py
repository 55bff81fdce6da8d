"""The reference bands: each declared once, sourced, and a range its figure can be held to."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from functions.shared.domains import DEVICE_TYPES, SUBSCRIPTION_TIERS
from local.bands import BANDS, BANDS_BY_KEY, DEVICE_SHARE_BANDS, PLAN_STREAM_LIMITS, Band, Source


def test_every_band_has_a_unique_key_and_a_complete_source():
    assert len({b.key for b in BANDS}) == len(BANDS)
    for band in BANDS:
        assert band.figure and band.basis, band.key
        assert band.sources, f"{band.key} has no source"
        for source in band.sources:
            assert source.cite and source.publisher and source.report and source.measured, band.key
            assert source.year is None or 2000 <= source.year <= 2026, band.key


def test_percentage_bands_stay_within_0_and_100():
    for band in BANDS:
        if band.unit == "%":
            assert 0 <= band.low <= band.high <= 100, band.key


def test_a_band_holds_its_ends_and_refuses_outside_and_missing_values():
    band = BANDS_BY_KEY["hours_per_subscriber_day"]
    assert band.holds(band.low) and band.holds(band.high) and band.holds((band.low + band.high) / 2)
    assert not band.holds(band.low - 0.01) and not band.holds(band.high + 0.01)
    assert not band.holds(None) and not band.holds(math.nan)


def test_a_band_describes_its_range():
    source = Source("c", "p", "r", 2024, "m")
    assert Band("a", "f", "h", 1.2, 3.0, (source,), "b").describe() == "1.2–3 h"
    assert Band("b", "f", "%", 0.0, 0.0, (source,), "b").describe() == "0 %"
    assert Band("c", "f", "×", 1.3, math.inf, (source,), "b").describe() == "≥ 1.3 ×"


def test_a_band_with_low_above_high_is_refused():
    with pytest.raises(ValueError, match="low must be <= high"):
        Band("x", "f", "", 2.0, 1.0, (Source("c", "p", "r", 2024, "m"),), "b")


def test_device_shares_and_plan_limits_cover_the_schema_domains():
    assert set(DEVICE_SHARE_BANDS) == set(DEVICE_TYPES)
    assert set(PLAN_STREAM_LIMITS) == set(SUBSCRIPTION_TIERS)
    # the device bands leave room for shares that add up to 100 %
    assert sum(b.low for b in DEVICE_SHARE_BANDS.values()) <= 100 <= sum(b.high for b in DEVICE_SHARE_BANDS.values())


def test_the_profile_page_lists_every_band_and_source_as_declared():
    page = (Path(__file__).resolve().parents[2] / "docs" / "profile.md").read_text(encoding="utf-8")
    for band in BANDS:
        assert f"| {band.figure} | {band.describe()} | {band.basis} |" in page, band.key
        for source in band.sources:
            assert f"**{source.cite}**" in page and source.url in page, source.cite
