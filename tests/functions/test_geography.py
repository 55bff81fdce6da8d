"""Networks: each country's own ISPs and mobile carriers, drawn in their market shares and stable per household."""

from __future__ import annotations

from collections import Counter

import pytest

from functions.generator.events import CONNECTION_SHARES_BY_DEVICE, viewer_profile
from functions.shared import domains, geography

CUSTOMERS_PER_COUNTRY = 6000


def _customer(country: str, i: int) -> dict:
    metro = geography.METROS_BY_COUNTRY[country][0]
    return {
        "customer_id": f"cust_{country}{i:06d}",
        "country": country,
        "state": metro.state,
        "city": metro.city,
        "subscription_tier": "standard",
    }


def _isps(country: str, device_type: str) -> list[tuple[str, str]]:
    """(connection_type, isp) of one device type of many customers of a country."""
    out = []
    for i in range(CUSTOMERS_PER_COUNTRY):
        base = viewer_profile(_customer(country, i), device_type).base
        out.append((base["connection_type"], base["isp"]))
    return out


def test_every_country_has_home_isps_and_mobile_carriers_with_positive_shares() -> None:
    for table in (geography.HOME_ISPS, geography.MOBILE_CARRIERS):
        assert set(table) == set(geography.COUNTRY_SHARES)
        for shares in table.values():
            assert len(shares) >= 3 and all(w > 0 for w in shares.values())
    for country in geography.COUNTRY_SHARES:
        for connection in domains.CONNECTION_TYPES:
            assert sum(geography.network_shares(country, connection).values()) == pytest.approx(1.0)


def test_the_us_isps_no_longer_appear_abroad() -> None:
    us_only = set(geography.HOME_ISPS["US"]) - {"Vodafone", "T-Mobile"}
    for country in ("CA", "GB", "DE", "AU"):
        assert not us_only & set(geography.HOME_ISPS[country]), country


@pytest.mark.parametrize("country", sorted(geography.COUNTRY_SHARES))
def test_home_devices_get_their_countrys_isps_in_its_market_shares(country: str) -> None:
    """TVs connect over the home line (fiber, cable, wifi, dsl): one ISP per customer, drawn by market share."""
    assert not set(CONNECTION_SHARES_BY_DEVICE["tv"]) & geography.MOBILE_CONNECTIONS
    counts = Counter(isp for _, isp in _isps(country, "tv"))
    shares = geography.network_shares(country, "cable")
    assert set(counts) <= set(shares)
    n = CUSTOMERS_PER_COUNTRY
    for isp, share in shares.items():
        # Customers draw independently (a digest of their id): 4 binomial standard deviations.
        assert abs(counts[isp] / n - share) < 4 * (share * (1 - share) / n) ** 0.5, (isp, counts[isp] / n, share)


@pytest.mark.parametrize("country", sorted(geography.COUNTRY_SHARES))
def test_mobile_connections_get_their_countrys_carriers_in_their_shares(country: str) -> None:
    seen = _isps(country, "mobile")
    carriers = [isp for connection, isp in seen if connection in geography.MOBILE_CONNECTIONS]
    at_home = [isp for connection, isp in seen if connection not in geography.MOBILE_CONNECTIONS]
    assert carriers and at_home
    assert set(carriers) <= set(geography.MOBILE_CARRIERS[country])
    assert set(at_home) <= set(geography.HOME_ISPS[country])
    counts, n = Counter(carriers), len(carriers)
    for carrier, share in geography.network_shares(country, "5g").items():
        assert abs(counts[carrier] / n - share) < 4 * (share * (1 - share) / n) ** 0.5, (carrier, share)


def test_a_household_keeps_one_isp_at_home_and_one_carrier_on_the_road() -> None:
    for i in range(500):
        customer = _customer("US", i)
        by_network: dict[bool, set[str]] = {True: set(), False: set()}
        for device_type in domains.DEVICE_TYPES:
            base = viewer_profile(customer, device_type).base
            assert viewer_profile(dict(customer), device_type).base == base  # the same in every call
            by_network[base["connection_type"] in geography.MOBILE_CONNECTIONS].add(base["isp"])
        assert len(by_network[True]) <= 1 and len(by_network[False]) <= 1, (customer, by_network)


def test_isp_for_gives_each_provider_a_stretch_of_the_unit_interval_as_long_as_its_share() -> None:
    steps = 100_000
    for country in geography.COUNTRY_SHARES:
        for connection in ("cable", "5g"):
            counts = Counter(geography.isp_for(country, connection, k / steps) for k in range(steps))
            for name, share in geography.network_shares(country, connection).items():
                assert counts[name] / steps == pytest.approx(share, abs=2 / steps)
            names = list(geography.network_shares(country, connection))
            assert geography.isp_for(country, connection, 0.0) == names[0]
            assert geography.isp_for(country, connection, 1 - 2**-53) == names[-1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("FR", "cable", 0.5), r"^country must be one of \['AU', 'CA', 'DE', 'GB', 'US'\], got 'FR'"),
        (("US", "satellite", 0.5), r"^connection_type must be one of .*, got 'satellite'"),
        (("US", "cable", 1.0), r"^unit_draw must be in \[0, 1\), got 1.0"),
        (("US", "4g", -0.1), r"^unit_draw must be in \[0, 1\), got -0.1"),
    ],
)
def test_isp_for_refuses_bad_input_naming_it(args: tuple[str, str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        geography.isp_for(*args)
