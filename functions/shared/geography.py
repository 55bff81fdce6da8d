"""Where customers live and how they connect: curated metros, and each country's ISPs and mobile carriers.

mimesis draws city and state independently of each other; the metro table is the coherent alternative. The
network tables give each country its own home broadband providers and mobile network operators with their
market shares (sources next to each table; docs/catalogue.md lists them), and `isp_for` picks one from a
uniform draw. Lambda-safe: standard library only.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Mapping
from dataclasses import dataclass

from functions.shared import domains


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

# --- Networks ------------------------------------------------------------------------------------------------------
# Each table lists a country's largest providers with their subscribers (millions) or market share (%) as the cited
# source gives them; a draw picks among the listed ones in proportion, so the long tail of small providers is left
# out and the listed shares are scaled up to 1. Names are the brands a customer would recognise (and an IP lookup of
# their address would show): the group's consumer brand, its regional brands merged in.

HOME_ISPS: Mapping[str, Mapping[str, float]] = {
    # Leichtman Research Group, "About 3,500,000 Added Broadband From Top Providers in 2023" (March 2024):
    # broadband subscribers (millions) at the end of 2023. Verizon is Fios/DSL (7.65) plus 5G Home (3.07);
    # T-Mobile is its 5G Home Internet; Cox and Mediacom are LRG estimates (private companies); Lumen (consumer
    # brand CenturyLink) and Frontier are their 1Q 2023 counts less the year's reported losses.
    "US": {
        "Comcast": 32.25,
        "Charter Spectrum": 30.59,
        "AT&T": 15.29,
        "Verizon": 10.72,
        "Cox": 5.5,
        "T-Mobile": 4.78,
        "Optimum": 4.52,
        "Frontier": 2.9,
        "CenturyLink": 2.75,
        "Mediacom": 1.5,
        "Sparklight": 1.06,
    },
    # Company reports for 2023, retail Internet subscribers (millions): Bell (incl. Bell MTS), Rogers (incl. Shaw,
    # acquired April 2023), TELUS, Vidéotron (Quebecor), Cogeco (Canadian operations). CRTC Communications Market
    # Report: these five hold most residential Internet subscriptions.
    "CA": {"Bell": 4.4, "Rogers": 4.2, "TELUS": 2.6, "Videotron": 1.7, "Cogeco": 0.43},
    # Ofcom, market shares of fixed broadband connections (%), 2023 (BT includes EE and Plusnet).
    "GB": {"BT": 32.0, "Sky": 22.0, "Virgin Media": 19.0, "TalkTalk": 10.0, "Vodafone": 4.0},
    # VATM/Dialog Consult TK-Marktanalyse 2023 and the operators' 2023 reports: broadband lines (millions) of
    # about 37 million. Telekom is Deutsche Telekom's retail lines, Vodafone its cable and DSL, O2 Telefónica's.
    "DE": {"Telekom": 14.9, "Vodafone": 10.1, "1&1": 3.9, "O2": 2.3, "Deutsche Glasfaser": 0.6},
    # ACCC NBN Wholesale Market Indicators Report, June quarter 2023: shares of NBN services (%). TPG includes
    # iiNet; Vocus includes Dodo and iPrimus.
    "AU": {
        "Telstra": 41.5,
        "TPG": 21.7,
        "Optus": 13.1,
        "Vocus": 7.9,
        "Aussie Broadband": 7.5,
        "Superloop": 3.1,
        "Southern Phone": 1.4,
    },
}
"""Home broadband providers of each country and their market shares (unnormalised; sources in the comments)."""

MOBILE_CARRIERS: Mapping[str, Mapping[str, float]] = {
    # Postpaid phone connections (millions) at the end of 2023, from the carriers' annual reports.
    "US": {"Verizon": 91.0, "T-Mobile": 76.0, "AT&T": 71.0},
    # Mobile subscribers (millions) at the end of 2023, company reports; Freedom Mobile (Quebecor since 2023)
    # and Vidéotron are Quebecor's two networks.
    "CA": {"Rogers": 11.6, "Bell": 10.2, "TELUS": 10.0, "Freedom Mobile": 2.0, "Videotron": 1.7},
    # Ofcom, retail mobile subscriptions (%) by network operator, 2023; MVNOs are left out.
    "GB": {"EE": 25.0, "O2": 23.0, "Vodafone": 18.0, "Three": 10.0},
    # Bundesnetzagentur Jahresbericht 2023: shares of mobile SIM cards (%) by network operator.
    "DE": {"Telekom": 36.0, "O2": 33.0, "Vodafone": 30.0, "1&1": 1.0},
    # ACCC Communications Market Report 2022–23: retail mobile services (%) by network (TPG's brand is Vodafone).
    "AU": {"Telstra": 41.0, "Optus": 29.0, "Vodafone": 19.0},
}
"""Mobile network operators of each country and their market shares, for 4G/5G connections."""

MOBILE_CONNECTIONS = frozenset({"4g", "5g"})
"""Connection types carried by a mobile network rather than the home's broadband line."""

assert MOBILE_CONNECTIONS.issubset(domains.CONNECTION_TYPES)

assert set(HOME_ISPS) == set(MOBILE_CARRIERS) == set(COUNTRY_SHARES)
assert all(w > 0 for table in (HOME_ISPS, MOBILE_CARRIERS) for shares in table.values() for w in shares.values())


def network_shares(country: str, connection_type: str) -> Mapping[str, float]:
    """The providers a customer in `country` on `connection_type` may use, with their shares (summing to 1)."""
    tables = MOBILE_CARRIERS if connection_type in MOBILE_CONNECTIONS else HOME_ISPS
    if country not in tables:
        raise ValueError(f"country must be one of {sorted(tables)}, got {country!r}")
    shares = tables[country]
    total = sum(shares.values())
    return {name: w / total for name, w in shares.items()}


def _cumulative(shares: Mapping[str, float]) -> tuple[tuple[str, ...], tuple[float, ...]]:
    total = sum(shares.values())
    return tuple(shares), tuple(acc / total for acc in itertools.accumulate(shares.values()))


_HOME_DRAW = {c: _cumulative(s) for c, s in HOME_ISPS.items()}
_MOBILE_DRAW = {c: _cumulative(s) for c, s in MOBILE_CARRIERS.items()}


def isp_for(country: str, connection_type: str, unit_draw: float) -> str:
    """The ISP (home line) or mobile carrier (4G/5G) that a uniform `unit_draw` in [0, 1) picks in `country`.

    Providers take consecutive stretches of [0, 1) as long as their shares, so the same draw always gives the same
    provider and a uniform draw gives each provider its share.
    """
    if connection_type not in domains.CONNECTION_TYPES:
        raise ValueError(f"connection_type must be one of {sorted(domains.CONNECTION_TYPES)}, got {connection_type!r}")
    draws = _MOBILE_DRAW if connection_type in MOBILE_CONNECTIONS else _HOME_DRAW
    if country not in draws:
        raise ValueError(f"country must be one of {sorted(draws)}, got {country!r}")
    if not 0.0 <= unit_draw < 1.0:
        raise ValueError(f"unit_draw must be in [0, 1), got {unit_draw!r}")
    names, bounds = draws[country]
    return names[min(bisect.bisect_right(bounds, unit_draw), len(names) - 1)]
