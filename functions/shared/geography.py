"""Curated metro areas where customers live, so country, state, city and timezone always agree.

mimesis draws city and state independently of each other; this table is the coherent alternative.
Lambda-safe: standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Metro:
    """One metro area: ISO country code, state/region, city, IANA timezone and a population weight."""

    country: str
    state: str
    city: str
    timezone: str
    weight: float


METROS: tuple[Metro, ...] = (
    Metro("US", "NY", "New York", "America/New_York", 19.5),
    Metro("US", "CA", "Los Angeles", "America/Los_Angeles", 12.9),
    Metro("US", "IL", "Chicago", "America/Chicago", 9.4),
    Metro("US", "TX", "Dallas", "America/Chicago", 7.9),
    Metro("US", "TX", "Houston", "America/Chicago", 7.3),
    Metro("US", "GA", "Atlanta", "America/New_York", 6.2),
    Metro("US", "FL", "Miami", "America/New_York", 6.1),
    Metro("US", "PA", "Philadelphia", "America/New_York", 6.2),
    Metro("US", "MA", "Boston", "America/New_York", 4.9),
    Metro("US", "AZ", "Phoenix", "America/Phoenix", 5.0),
    Metro("US", "CA", "San Francisco", "America/Los_Angeles", 4.6),
    Metro("US", "WA", "Seattle", "America/Los_Angeles", 4.0),
    Metro("US", "MI", "Detroit", "America/Detroit", 4.3),
    Metro("US", "MN", "Minneapolis", "America/Chicago", 3.7),
    Metro("US", "CA", "San Diego", "America/Los_Angeles", 3.3),
    Metro("US", "CO", "Denver", "America/Denver", 3.0),
    Metro("US", "OR", "Portland", "America/Los_Angeles", 2.5),
    Metro("US", "UT", "Salt Lake City", "America/Denver", 1.3),
    Metro("US", "HI", "Honolulu", "Pacific/Honolulu", 1.0),
    Metro("US", "AK", "Anchorage", "America/Anchorage", 0.4),
    Metro("CA", "ON", "Toronto", "America/Toronto", 6.7),
    Metro("CA", "QC", "Montreal", "America/Toronto", 4.3),
    Metro("CA", "BC", "Vancouver", "America/Vancouver", 2.7),
    Metro("CA", "AB", "Calgary", "America/Edmonton", 1.6),
    Metro("CA", "NS", "Halifax", "America/Halifax", 0.5),
    Metro("GB", "England", "London", "Europe/London", 9.6),
    Metro("GB", "England", "Manchester", "Europe/London", 2.8),
    Metro("GB", "England", "Birmingham", "Europe/London", 2.6),
    Metro("GB", "Scotland", "Glasgow", "Europe/London", 1.0),
    Metro("GB", "Wales", "Cardiff", "Europe/London", 0.5),
    Metro("GB", "Northern Ireland", "Belfast", "Europe/London", 0.6),
    Metro("DE", "Berlin", "Berlin", "Europe/Berlin", 3.7),
    Metro("DE", "Hamburg", "Hamburg", "Europe/Berlin", 1.9),
    Metro("DE", "Bavaria", "Munich", "Europe/Berlin", 1.5),
    Metro("DE", "North Rhine-Westphalia", "Cologne", "Europe/Berlin", 1.1),
    Metro("DE", "Hesse", "Frankfurt", "Europe/Berlin", 0.8),
    Metro("AU", "NSW", "Sydney", "Australia/Sydney", 5.3),
    Metro("AU", "VIC", "Melbourne", "Australia/Melbourne", 5.1),
    Metro("AU", "QLD", "Brisbane", "Australia/Brisbane", 2.6),
    Metro("AU", "WA", "Perth", "Australia/Perth", 2.1),
)

COUNTRY_SHARES: Mapping[str, float] = {"US": 0.60, "CA": 0.10, "GB": 0.12, "DE": 0.10, "AU": 0.08}
"""Share of customers per country; within a country metros are drawn by their weight."""

COUNTRY_LOCALE: Mapping[str, str] = {"US": "en", "CA": "en-ca", "GB": "en-gb", "DE": "de", "AU": "en-au"}
"""mimesis locale used for the names of customers in each country."""

COUNTRY_EMAIL_DOMAINS: Mapping[str, tuple[str, ...]] = {
    "US": ("comcast.net", "att.net", "icloud.com"),
    "CA": ("rogers.com", "shaw.ca", "icloud.com"),
    "GB": ("btinternet.com", "sky.com", "icloud.com"),
    "DE": ("gmx.de", "web.de", "t-online.de"),
    "AU": ("bigpond.com", "optusnet.com.au", "icloud.com"),
}
"""Local mail providers, used alongside mimesis' global ones."""

PRODUCTION_COUNTRIES: Mapping[str, str] = {
    "US": "en",
    "GB": "en",
    "CA": "en",
    "AU": "en",
    "DE": "de",
    "FR": "fr",
    "ES": "es",
    "JP": "ja",
    "KR": "ko",
    "IN": "hi",
    "MX": "es",
    "BR": "pt",
}
"""Countries titles are produced in, with the original language (ISO 639-1) of their productions."""

PRODUCTION_COUNTRY_WEIGHTS: Mapping[str, float] = {
    "US": 0.50,
    "GB": 0.10,
    "CA": 0.04,
    "AU": 0.03,
    "DE": 0.05,
    "FR": 0.06,
    "ES": 0.05,
    "JP": 0.06,
    "KR": 0.06,
    "IN": 0.02,
    "MX": 0.02,
    "BR": 0.01,
}

assert set(COUNTRY_SHARES) == {m.country for m in METROS} == set(COUNTRY_LOCALE) == set(COUNTRY_EMAIL_DOMAINS)
assert set(PRODUCTION_COUNTRIES) == set(PRODUCTION_COUNTRY_WEIGHTS)

METROS_BY_COUNTRY: Mapping[str, tuple[Metro, ...]] = {
    c: tuple(m for m in METROS if m.country == c) for c in COUNTRY_SHARES
}
