"""Deterministic dimension tables (customers, titles, campaigns) built from a seed with mimesis.

Title and campaign names come from the curated lists and patterns of `functions.shared.names`, each table's names
from their own stream.

The stack writes these tables at deploy time and the generator Lambda rebuilds them in memory from the
same seed and counts, so every event it emits joins. Everything therefore depends only on the seed and
counts: no clock, no uuid4, no set iteration, no hash(). Lambda-safe: standard library and mimesis.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import NamedTuple, TypeVar

from mimesis import Finance, Person
from mimesis.datasets import EMAIL_DOMAINS
from mimesis.locales import Locale

from functions.shared import ads, content, domains, geography, incidents, people
from functions.shared.names import CampaignNamer, TitleNamer, is_fit_brand
from functions.shared.schema import CAMPAIGNS, CUSTOMERS, INCIDENTS, TITLES, Table

DEFAULT_DIMENSION_SEED = 42
REFERENCE_DATE = dt.date(2026, 1, 1)
"""The "today" of the dimension tables: every date in them is relative to it, so output never depends on the clock."""

INCIDENTS_FROM = dt.date(REFERENCE_DATE.year - 1, 1, 1)
INCIDENTS_UNTIL = dt.date(REFERENCE_DATE.year + 3, 1, 1)
"""The incidents table lists the world's incidents overlapping [INCIDENTS_FROM, INCIDENTS_UNTIL): from a year before
the reference date (the first year Athena's partition projection enumerates by default, and the customers' recent
history) to three years after it, a horizon past any lake the stack will stream into or backfill. Like the other
tables it never reads the clock; a lake outside this range has events but no answer key."""

_REFERENCE_DT = dt.datetime(REFERENCE_DATE.year, REFERENCE_DATE.month, REFERENCE_DATE.day, tzinfo=dt.UTC)
_DAY_SECONDS = 86_400
SIGNUPS_FROM = REFERENCE_DATE + dt.timedelta(days=domains.SIGNUP_DAYS[0])
"""The first sign-up's day (customer 1's)."""
SIGNUPS_UNTIL = REFERENCE_DATE + dt.timedelta(days=domains.SIGNUP_DAYS[1])
"""Every customer has signed up before this day, the customers table's default as-of date: a table as of it holds
every customer the world ever references (the stack uploads it once; its generator runs on from there)."""

_FICTION_GENRES = tuple(g for g in domains.GENRES if g != "Documentary")
_SUBTITLE_LANGUAGES = ("en", "es", "fr", "de", "pt", "it", "ja", "ko", "hi")
_STUDIO_SUFFIXES = ("Pictures", "Studios", "Films", "Entertainment", "Media", "Productions")
_AD_TLDS = ("com", "co", "io", "net")

T = TypeVar("T")


class Subscription(NamedTuple):
    """A customer's whole subscription, a pure function of the dimension seed, the customer count and its index: the
    world's truth, of which a customers table shows what is known on its as-of date."""

    start: dt.date
    """subscription_start_date: the customer watches from this day."""
    end: dt.date
    """The day it ends (no session on or after it); the table shows it as subscription_end_date once it has passed."""
    created: dt.datetime
    """The moment of sign-up (created_at)."""
    touch: float
    """Where updated_at lies between created_at and the row's last change, from 0 to 1."""


@dataclass(frozen=True)
class Dimensions:
    """The three dimension tables as lists of schema-ordered row dicts."""

    customers: list[dict]
    titles: list[dict]
    campaigns: list[dict]
    lifecycle: tuple[int, int] | None = None
    """(seed, count) the customers were generated from (generate_customers): row i's whole subscription is
    `subscription(seed, count, i + 1)`, also where it runs past the table's as-of date; None for rows written by hand,
    whose dates are then the whole truth."""

    def subscriptions(self) -> Iterator[Subscription]:
        """Each customer's whole subscription, in table order (drawn one at a time: none is kept)."""
        if self.lifecycle is None:
            raise ValueError("these customers were written by hand: only generated ones carry their whole subscription")
        seed, count = self.lifecycle
        return (subscription(seed, count, i) for i in range(1, len(self.customers) + 1))

    def subscription_days(self) -> Iterator[tuple[int, int]]:
        """Each customer's (start, end) days since 1970-01-01, in table order: `subscriptions` as the world reads it."""
        if self.lifecycle is None:
            raise ValueError("these customers were written by hand: only generated ones carry their whole subscription")
        seed, count = self.lifecycle
        return (subscription_days(seed, count, i) for i in range(1, len(self.customers) + 1))

    def as_of(self, day: dt.date) -> Dimensions:
        """The tables as known on `day`: customers who signed up by then, their end date, is_active, lifetime value
        and updated_at as of that day (titles and campaigns are unchanged)."""
        known = [(row, sub) for row, sub in zip(self.customers, self.subscriptions(), strict=True) if sub.start <= day]
        return Dimensions(
            [row | _subscription_fields(sub, row["monthly_revenue"], day) for row, sub in known],
            self.titles,
            self.campaigns,
            self.lifecycle,
        )


def _check_count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return value


def _row(table: Table, values: Mapping[str, object]) -> dict:
    """Row in the schema's column order; fails loudly if a column is missing or unknown."""
    names = table.column_names
    if len(values) != len(names) or not all(name in values for name in names):
        missing = set(names) - values.keys()
        extra = values.keys() - set(names)
        raise AssertionError(f"{table.name} row: missing {sorted(missing)}, unknown {sorted(extra)}")
    return {name: values[name] for name in names}


def _weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    return rng.choices(tuple(weights), tuple(weights.values()))[0]


def _pick(rng: random.Random, items: Sequence[T]) -> T:
    return items[rng.randrange(len(items))]


def _sample_in_order(rng: random.Random, items: Sequence[str], low: int, high: int) -> list[str]:
    """Between low and high distinct items, kept in the domain's order."""
    chosen = set(rng.sample(range(len(items)), rng.randint(low, min(high, len(items)))))
    return [item for i, item in enumerate(items) if i in chosen]


def _timestamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _moment(day: dt.date, rng: random.Random) -> dt.datetime:
    """A random second within `day`, UTC."""
    start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return start + dt.timedelta(seconds=rng.randrange(_DAY_SECONDS))


def _later(moment: dt.datetime, until: dt.datetime, rng: random.Random) -> dt.datetime:
    """A random moment in [moment, until] (moment itself if until is earlier)."""
    span = int((until - moment).total_seconds())
    return moment + dt.timedelta(seconds=rng.randint(0, span)) if span > 0 else moment


def _ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]", "", folded)


_EPOCH = dt.date(1970, 1, 1)


def subscription(seed: int, count: int, index: int) -> Subscription:
    """Customer `index` (1-based) of `count`: people.subscription_days (sign-ups at an even rate over
    domains.SIGNUP_DAYS in id order, an exponential tenure of mean 1 / MONTHLY_CHURN months, at least
    MIN_TENURE_DAYS, ending wherever it falls, before or after any table's as-of date), with its sign-up's second."""
    return _subscription(seed, index - 1, *people.subscription_days(seed, count, index - 1))


def _subscription(seed: int, index: int, first: int, last: int) -> Subscription:
    """`subscription` of customer `index` (0-based) whose days are known."""
    second, touch = people.subscription_extras(seed, index)
    start = _EPOCH + dt.timedelta(days=first)
    created = dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC) + dt.timedelta(seconds=second)
    return Subscription(start, _EPOCH + dt.timedelta(days=last), created, touch)


def subscription_days(seed: int, count: int, index: int) -> tuple[int, int]:
    """`subscription`'s start and end as days since 1970-01-01 (what the world reads, without building dates)."""
    return people.subscription_days(seed, count, index - 1)


def _subscription_fields(sub: Subscription, price: float, as_of: dt.date) -> dict:
    """The columns of a subscription that depend on the table's as-of date: it ended if its end date has come."""
    end = sub.end if sub.end <= as_of else None
    last = end or as_of
    months = max(1, round((last - sub.start).days / people.DAYS_PER_MONTH))
    until = dt.datetime(last.year, last.month, last.day, tzinfo=dt.UTC) + dt.timedelta(seconds=_DAY_SECONDS - 1)
    updated = sub.created + dt.timedelta(seconds=int(sub.touch * (until - sub.created).total_seconds()))
    return {
        "subscription_end_date": end.isoformat() if end else None,
        "lifetime_value": round(price * months, 2),
        "is_active": end is None,
        "updated_at": _timestamp(updated),
    }


def signed_up_by(seed: int, count: int, as_of: dt.date) -> int:
    """How many of the `count` customers have signed up by `as_of`: the customers table as of that day holds ids
    1 … this (sign-up days never decrease with the id, so a binary search finds the edge)."""
    _check_count("count", count)
    day = (as_of - _EPOCH).days
    low, high = 0, count
    while low < high:
        mid = (low + high) // 2
        if people.subscription_days(seed, count, mid)[0] <= day:
            low = mid + 1
        else:
            high = mid
    return low


def generate_customers(count: int, seed: int, as_of: dt.date = SIGNUPS_UNTIL) -> list[dict]:
    """Customer rows cust_000001… of `count` with names, emails, geography and subscription history that agree, as of
    `as_of`: those who signed up by then (a prefix: ids follow sign-up order; their subscriptions: `subscription`).

    A row's draws do not depend on `as_of`, so a table as of an earlier day is the first rows of a later one's.
    """
    return [customer_row(seed, count, i, as_of) for i in range(signed_up_by(seed, count, as_of))]


GENDERS = ("female", "male")
"""The genders a customer's names are drawn for (mimesis's dataset keys), by the draw's top bit."""
EMAIL_SHAPES = (("first", "."), ("first", ""), ("initial", ""), ("first", "_"))
"""An address's local part: (its head: the first name or its initial, the separator before the last name), then the
customer's number, so every address is unique by construction (names and separators hold no digit, so the local
part's trailing digits are the number)."""
LOCAL_EMAIL_BELOW = round(0.3 * (1 << 16))
"""A customer's address is at a local provider (geography.COUNTRY_EMAIL_DOMAINS) when its 16-bit draw is below
this (30 %), else at a global one."""
GLOBAL_EMAIL_DOMAINS = tuple(d.lstrip("@") for d in EMAIL_DOMAINS if "example" not in d)
"""The global mail providers mimesis lists."""
NAME_BITS, PICK_BITS = 24, 16
"""A name is picked by a 24-bit draw, a mail provider, payment method or channel by a 16-bit one: index
`(u * n) >> bits` of an n-item list (integers: the vectorised twin, lakewriter.customers, picks the same)."""


class NameBook(NamedTuple):
    """mimesis's first names and surnames of each country's locale (geography.COUNTRY_LOCALE), per gender."""

    first: Mapping[tuple[str, str], tuple[str, ...]]
    """(locale, gender) -> first names."""
    last: Mapping[tuple[str, str], tuple[str, ...]]
    """(locale, gender) -> surnames (the same for both genders where the locale's are not by gender)."""


@lru_cache(maxsize=1)
def name_book() -> NameBook:
    """The locales' name lists, read once from mimesis's datasets (the lists its Person draws from)."""
    first, last = {}, {}
    for locale in sorted(set(geography.COUNTRY_LOCALE.values())):
        data = json.loads((resources.files("mimesis") / "datasets" / locale / "person.json").read_text("utf-8"))
        for gender in GENDERS:
            first[(locale, gender)] = tuple(data["names"][gender])
            surnames = data["surnames"]
            last[(locale, gender)] = tuple(surnames[gender] if isinstance(surnames, dict) else surnames)
    return NameBook(first, last)


@lru_cache(maxsize=16_384)
def name_slug(text: str, fallback: str) -> str:
    """A name folded to ASCII lower-case letters (what an address holds of it), `fallback` if none is left."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z]", "", folded) or fallback


def _scaled(u: int, n: int, bits: int) -> int:
    """Index of a `bits`-bit uniform `u` in an n-item list."""
    return (u * n) >> bits


def customer_row(seed: int, count: int, index: int, as_of: dt.date = SIGNUPS_UNTIL) -> dict:
    """Customer `index` (0-based: cust_{index + 1}) of `count` as its row of the customers table as of `as_of`, a pure
    function of (seed, count, index, as_of): the world's columns (people.traits), its subscription (`subscription`)
    and the table-only columns from two more draws (people.table_draws):

    - names: mimesis's lists for the country's locale (`name_book`), gender by the second draw's top bit;
    - e-mail: a name-based local part (EMAIL_SHAPES) and the customer's number, at a local or a global provider;
    - payment method (none on a free tier) and acquisition channel: uniform picks.
    """
    traits = people.traits(seed, count, index)
    sub = _subscription(seed, index, traits["start_day"], traits["end_day"])
    if sub.start > as_of:
        raise ValueError(f"{traits['customer_id']} signs up on {sub.start}, after the table's as-of date {as_of}")
    names, picks = people.table_draws(seed, index)
    country = traits["country"]
    locale, gender = geography.COUNTRY_LOCALE[country], GENDERS[picks >> 63]
    book = name_book()
    firsts, lasts = book.first[(locale, gender)], book.last[(locale, gender)]
    first = firsts[_scaled(names >> 40, len(firsts), NAME_BITS)]
    last = lasts[_scaled((names >> 16) & 0xFFFFFF, len(lasts), NAME_BITS)]
    head, separator = EMAIL_SHAPES[(picks >> 61) & 3]
    f, la = name_slug(first, "user"), name_slug(last, "viewer")
    local_part = f"{f if head == 'first' else f[0]}{separator}{la}{index + 1}"
    local = (picks >> 32) & 0xFFFF < LOCAL_EMAIL_BELOW
    providers = geography.COUNTRY_EMAIL_DOMAINS[country] if local else GLOBAL_EMAIL_DOMAINS
    domain = providers[_scaled(names & 0xFFFF, len(providers), PICK_BITS)]
    tier = traits["subscription_tier"]
    price = domains.TIER_MONTHLY_PRICE[tier]
    payment = domains.PAYMENT_METHODS[_scaled((picks >> 16) & 0xFFFF, len(domains.PAYMENT_METHODS), PICK_BITS)]
    return _row(
        CUSTOMERS,
        {
            "customer_id": traits["customer_id"],
            "email": f"{local_part}@{domain}",
            "first_name": first,
            "last_name": last,
            "date_of_birth": traits["date_of_birth"],
            "age_group": traits["age_group"],
            "subscription_tier": tier,
            "subscription_start_date": sub.start.isoformat(),
            "country": country,
            "state": traits["state"],
            "city": traits["city"],
            "timezone": traits["timezone"],
            # Free viewers pay with their attention, not a card.
            "payment_method": None if price == 0 else payment,
            "monthly_revenue": price,
            "acquisition_channel": domains.ACQUISITION_CHANNELS[
                _scaled(picks & 0xFFFF, len(domains.ACQUISITION_CHANNELS), PICK_BITS)
            ],
            "preferred_genres": traits["preferred_genres"],
            "created_at": _timestamp(sub.created),
            **_subscription_fields(sub, price, as_of),
        },
    )


def _production(rng: random.Random, person: Person, with_languages: int) -> dict:
    """Attributes a series shares across its episodes (and a film or documentary has once)."""
    country = _weighted(rng, geography.PRODUCTION_COUNTRY_WEIGHTS)
    language = geography.PRODUCTION_COUNTRIES[country]
    others = [lang for lang in _SUBTITLE_LANGUAGES if lang != language]
    extra = rng.sample(others, rng.randint(0, with_languages))
    return {
        "production_country": country,
        "original_language": language,
        "available_languages": json.dumps([language, *sorted(extra)]),
        "director": person.full_name(),
        "cast": json.dumps([person.full_name() for _ in range(rng.randint(3, 6))]),
        "production_studio": f"{person.last_name()} {_pick(rng, _STUDIO_SUFFIXES)}",
        "is_original": rng.random() < 0.25,
    }


def _next_title_type(rng: random.Random, rows_by_type: Mapping[str, int]) -> str:
    """A title type drawn among those short of their TITLE_TYPES share of rows, in proportion to how short.

    A series adds all its episodes at once, so drawing types independently would let the row shares drift with the
    series' lengths; this keeps each type within one series' length of its share at any table size.
    """
    total = sum(rows_by_type.values()) + 1
    short = {t: w * total - rows_by_type[t] for t, w in domains.TITLE_TYPES.items()}
    return _weighted(rng, {t: d for t, d in short.items() if d > 0})


def _premiere(rng: random.Random, title_type: str) -> dt.date:
    """When a film, documentary or series first comes out: within the release slate, or earlier (the library)."""
    first, last = content.SLATE_DAYS
    if rng.random() < content.SLATE_SHARE:
        return REFERENCE_DATE + dt.timedelta(days=rng.randint(first, last - 1))
    mean, oldest = content.LIBRARY_MEAN_AGE_YEARS[title_type], content.LIBRARY_MAX_AGE_YEARS[title_type]
    age_days = int(min(rng.expovariate(1 / mean), oldest) * 365.2425)
    return REFERENCE_DATE + dt.timedelta(days=first - 1 - age_days)


_RELEASE_HORIZON = REFERENCE_DATE + dt.timedelta(days=content.SLATE_DAYS[1])
"""Nothing is scheduled on or after this day: a series' later episodes past it are not in the table yet."""


def _sub_genre(rng: random.Random, title_type: str, genre: str, rating: str) -> str:
    """A second genre that agrees with the title's rating (a G-rated family film is not also a horror film)."""
    if title_type == "documentary":
        candidates = [g for g in content.DOCUMENTARY_SUB_GENRES if rating in content.ratings_for(title_type, g)]
    else:
        candidates = [g for g in _FICTION_GENRES if g != genre and rating in content.ratings_for(title_type, g)]
    return _pick(rng, candidates)


def _film(rng: random.Random, namer: TitleNamer, person: Person, title_type: str) -> dict:
    """A film or documentary: one row's title fields."""
    if title_type == "movie":
        genre = _pick(rng, _FICTION_GENRES)
        rating = _weighted(rng, content.ratings_for(title_type, genre))
        production = _production(rng, person, 6)
        shortest, longest = content.FILM_MINUTES
        minutes = content.FILM_MEDIAN_MINUTES[genre] * math.exp(content.FILM_RUNTIME_SIGMA * rng.gauss(0.0, 1.0))
        duration = min(longest, max(shortest, round(minutes)))
        budget = min(300.0, max(0.5, rng.lognormvariate(3.3, 0.9)))
    else:
        genre = "Documentary"
        rating = _weighted(rng, content.ratings_for(title_type, genre))
        production = _production(rng, person, 4)
        shortest, usual, longest = content.DOCUMENTARY_MINUTES
        duration = int(rng.triangular(shortest, longest, usual))
        budget = rng.uniform(0.2, 5.0)
    return {
        "title_name": namer.name(title_type, genre),
        "title_type": title_type,
        "genre": genre,
        "sub_genre": _sub_genre(rng, title_type, genre, rating),
        "content_rating": rating,
        "release": _premiere(rng, title_type),
        "duration_minutes": duration,
        "season_number": None,
        "episode_number": None,
        "series_id": None,
        "production": production,
        "popularity": content.popularity(rng.gauss(0.0, 1.0)),
        "budget": budget,
    }


def _series(rng: random.Random, namer: TitleNamer, person: Person, series_id: str) -> list[dict]:
    """Every episode released before the horizon of one series, S01E01 first: title fields per row, in order."""
    genre = _pick(rng, _FICTION_GENRES)
    rating = _weighted(rng, content.ratings_for("series", genre))
    fmt = content.series_format(genre)
    (usual_low, usual_high), (band_low, band_high) = content.SERIES_FORMATS[fmt]
    usual = rng.randint(usual_low, usual_high)
    seasons = rng.choices(tuple(content.SEASON_COUNT_WEIGHTS), tuple(content.SEASON_COUNT_WEIGHTS.values()))[0]
    weekly = rng.random() >= content.DROP_SHARE
    shared = {
        "title_type": "series",
        "genre": genre,
        "sub_genre": _sub_genre(rng, "series", genre, rating),
        "content_rating": rating,
        "series_id": series_id,
        "production": _production(rng, person, 5),
    }
    show_name = namer.name("series", genre)
    budget = rng.uniform(1.0, 15.0)
    appeal = rng.gauss(0.0, 1.0)
    own = math.sqrt(1 - content.SEASON_APPEAL_CORRELATION**2)
    premiere = _premiere(rng, "series")
    rows: list[dict] = []
    for season in range(1, seasons + 1):
        episodes = rng.randint(*content.EPISODES_PER_SEASON[fmt])
        z = content.SEASON_APPEAL_CORRELATION * appeal + own * rng.gauss(0.0, 1.0)
        per_episode = content.popularity(z) / episodes  # a season's hours are shared by its episodes
        release = premiere
        for episode in range(1, episodes + 1):
            release = premiere + dt.timedelta(days=7 * (episode - 1) if weekly else 0)
            minutes = usual + rng.randint(-2, 3)
            if season == episode == 1:
                minutes += rng.randint(0, 8)  # the pilot sets the show up
            if episode == episodes:
                minutes += rng.randint(0, 6)  # and the finale closes the season
            if release >= _RELEASE_HORIZON:
                return rows
            rows.append(
                {
                    **shared,
                    "title_name": f"{show_name} S{season:02d}E{episode:02d}",
                    "release": release,
                    "duration_minutes": min(band_high, max(band_low, minutes)),
                    "season_number": season,
                    "episode_number": episode,
                    "popularity": per_episode,
                    "budget": budget * rng.uniform(0.9, 1.1),
                }
            )
        premiere = release + dt.timedelta(days=rng.randint(*content.DAYS_BETWEEN_SEASONS))
    return rows


def _created_day(rng: random.Random, release: dt.date, catalog_start: dt.date) -> dt.date:
    """When a title entered the catalogue: after its release (or the catalogue's start), or ahead of a future one."""
    last = REFERENCE_DATE - dt.timedelta(days=1)
    if release > last:
        return REFERENCE_DATE - dt.timedelta(days=rng.randint(1, 120))  # announced, coming soon
    return min(max(release, catalog_start) + dt.timedelta(days=rng.randint(0, 60)), last)


def generate_titles(count: int, seed: int) -> list[dict]:
    """Title rows title_00001…: films, documentaries, and series whole from S01E01, each with a fitting rating.

    Row shares of the title types follow TITLE_TYPES; a table of more rows starts with the rows of a smaller one.
    """
    _check_count("count", count)
    rng = random.Random(f"titles:{seed}")
    namer = TitleNamer(seed)
    person = Person(Locale.EN, seed=rng.getrandbits(64))
    catalog_start = REFERENCE_DATE - dt.timedelta(days=3 * 365)
    rows_by_type = dict.fromkeys(domains.TITLE_TYPES, 0)
    series_count = 0
    rows: list[dict] = []
    while len(rows) < count:
        title_type = _next_title_type(rng, rows_by_type)
        if title_type == "series":
            series_count += 1
            items = _series(rng, namer, person, f"series_{series_count:05d}")
        else:
            items = [_film(rng, namer, person, title_type)]
        rows_by_type[title_type] += len(items)
        for item in items[: count - len(rows)]:
            budget, release, production = item["budget"], item["release"], item["production"]
            critical = round(min(10.0, max(1.0, rng.gauss(6.8, 1.2))), 1)
            created = _moment(_created_day(rng, release, catalog_start), rng)
            original = production["is_original"]
            season, episode = item["season_number"], item["episode_number"]
            rows.append(
                _row(
                    TITLES,
                    {
                        "title_id": f"title_{len(rows) + 1:05d}",
                        "title_name": item["title_name"],
                        "title_type": item["title_type"],
                        "genre": item["genre"],
                        "sub_genre": item["sub_genre"],
                        "content_rating": item["content_rating"],
                        "release_date": release.isoformat(),
                        "duration_minutes": item["duration_minutes"],
                        "season_number": float(season) if season is not None else None,
                        "episode_number": float(episode) if episode is not None else None,
                        "series_id": item["series_id"],
                        **production,
                        "popularity_score": max(0.0001, round(item["popularity"], 4)),
                        "critical_rating": critical,
                        "viewer_rating": round(min(10.0, max(1.0, critical + rng.gauss(0, 0.8))), 1),
                        "budget_millions": round(budget, 2),
                        "revenue_millions": round(budget * rng.lognormvariate(0.3, 0.8), 2),
                        "awards_count": int(rng.expovariate(1.0) * max(0.0, critical - 5.5)),
                        # Originals are owned outright; licensed titles cost a share of their budget.
                        "licensing_cost": 0.0 if original else round(budget * rng.uniform(0.05, 0.3), 2),
                        "created_at": _timestamp(created),
                        "updated_at": _timestamp(_later(created, _REFERENCE_DT, rng)),
                    },
                )
            )
    return rows


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 6) if denominator else None


ADVERTISER_WORDS: Mapping[str, tuple[str, ...]] = {
    "Automotive": ("Motors", "Automotive", "Cars"),
    "Consumer Electronics": ("Electronics", "Devices", "Audio"),
    "Financial Services": ("Bank", "Financial", "Insurance"),
    "Food & Beverage": ("Foods", "Beverages", "Kitchen"),
    "Retail": ("Stores", "Market", "Outfitters"),
    "Travel": ("Airlines", "Travel", "Resorts"),
    "Telecommunications": ("Mobile", "Telecom", "Wireless"),
    "Gaming": ("Games", "Interactive", "Play"),
    "Health & Wellness": ("Health", "Pharma", "Fitness"),
    "Entertainment": ("Studios", "Live", "Music"),
}
"""Words that close an advertiser's name, by industry, so the name says what it sells ("Lopez Motors")."""
assert set(ADVERTISER_WORDS) == set(domains.AD_INDUSTRIES)

FORMAT_WEIGHTS: Mapping[str, float] = {"pre_roll": 0.3, "mid_roll": 0.6, "post_roll": 0.1}
"""Share of campaigns buying each break position (judgement: mid-roll carries most of a streamer's ad load, post-roll
is rare: Sherwood News 2025, docs/research/qoe-ads-incidents.md §3a)."""
assert set(FORMAT_WEIGHTS) == set(ads.IN_STREAM_FORMATS)
PLACEMENT_BY_FORMAT: Mapping[str, str] = {"pre_roll": "in_stream", "mid_roll": "in_stream", "post_roll": "in_stream"}
"""Where each format runs: every break of the stream is an in-stream placement."""
assert set(PLACEMENT_BY_FORMAT.values()) <= set(domains.AD_PLACEMENTS)
FLIGHT_DAYS = (120, 365)
"""Shortest and longest flight (judgement: a quarter to a year, as CTV upfront and always-on buys run; longer flights
keep enough campaigns live on any day for the frequency cap to fill most breaks, docs/ads.md)."""
UNTARGETED_SHARE = {"tiers": 0.8, "countries": 0.6, "genres": 0.7}
"""Share of campaigns taking every ad tier / every country / every genre (judgement: CTV buys are mostly broad)."""


def _targets(rng: random.Random) -> dict[str, str]:
    """A campaign's targeting columns: broad more often than not, an age range of three groups or more."""
    tiers = list(domains.AD_SUPPORTED_TIERS)
    if rng.random() >= UNTARGETED_SHARE["tiers"]:
        tiers = [_pick(rng, tiers)]
    countries = list(geography.COUNTRY_SHARES)
    if rng.random() >= UNTARGETED_SHARE["countries"]:
        countries = _sample_in_order(rng, countries, 1, 3)
    genres = list(domains.GENRES)
    if rng.random() >= UNTARGETED_SHARE["genres"]:
        genres = _sample_in_order(rng, genres, 2, 5)
    width = rng.randint(4, len(domains.AGE_GROUPS))
    first = rng.randint(0, len(domains.AGE_GROUPS) - width)
    return {
        "target_age_groups": json.dumps(list(domains.AGE_GROUPS[first : first + width])),
        "target_genders": json.dumps(_sample_in_order(rng, domains.TARGET_GENDERS, 1, 3)),
        "target_countries": json.dumps(countries),
        "target_genres": json.dumps(genres),
        "target_subscription_tiers": json.dumps(tiers),
    }


def _ad_length(rng: random.Random, ad_format: str) -> int:
    lengths = [s for s in domains.AD_FORMATS[ad_format] if s in ads.AD_LENGTH_WEIGHTS]
    return rng.choices(lengths, [ads.AD_LENGTH_WEIGHTS[s] for s in lengths])[0]


_DELIVERY_COLUMNS = (
    "daily_budget", "total_budget", "spent_amount", "impressions", "unique_viewers", "clicks", "conversions",
    "view_through_rate", "click_through_rate", "conversion_rate", "cost_per_mille", "cost_per_click",
    "cost_per_conversion",
)  # fmt: skip
"""The campaigns columns `ads.delivery` decides."""


_DELIVERED: dict[tuple[int, int, tuple[int, int]], Mapping[str, ads.Delivery]] = {}
"""ads.delivery by (seed, campaign count, memo), where generate_dimensions' memo (seed, customer count) names the
customers."""


def generate_campaigns(
    count: int,
    seed: int,
    customers: Sequence[Mapping[str, object]] | None = None,
    *,
    delivery: bool = True,
    memo: tuple[int, int] | None = None,
) -> list[dict]:
    """Campaign rows camp_0001… in the stream's break positions, with delivery figures the world delivers.

    Flights fall within the catalogue's release slate (the years the world has titles for). impressions,
    unique_viewers and the view-through rate are what `ads.delivery` expects the world to deliver to `customers`
    (by default the seed's default customers table) over the whole flight; spend is impressions x the campaign's
    CPM, and the budget sits above that pace. `status` is the flight's state on the reference date. With
    `delivery` False those money and delivery columns are null (the generator needs only who a campaign targets).
    `memo` names `customers` (generate_dimensions passes (seed, count)) so a process computes the figures once.
    """
    _check_count("count", count)
    if customers is None:
        customers = people.Customers(seed, CUSTOMERS.default_rows or 1)
    rng = random.Random(f"campaigns:{seed}")
    finance = Finance(Locale.EN, seed=rng.getrandbits(64))
    namer = CampaignNamer(seed)
    advertisers = []
    for a in range(1, max(1, count // 3) + 1):
        company = finance.company()
        while not is_fit_brand(company):
            company = finance.company()
        brand = re.split(r"[,\s]+", company)[0]
        industry = _pick(rng, domains.AD_INDUSTRIES)
        name = f"{brand} {_pick(rng, ADVERTISER_WORDS[industry])}"
        advertisers.append((f"adv_{a:04d}", name, industry, _ascii_slug(brand)))
    first_day, last_day = content.SLATE_DAYS
    drafts = []
    for i in range(1, count + 1):
        campaign_id = f"camp_{i:04d}"
        advertiser_id, advertiser, industry, slug = _pick(rng, advertisers)
        campaign_type = _pick(rng, domains.CAMPAIGN_TYPES)
        objective = _pick(rng, domains.CAMPAIGN_OBJECTIVES)
        days = rng.randint(*FLIGHT_DAYS)
        start = REFERENCE_DATE + dt.timedelta(days=rng.randint(first_day, last_day - days))
        end = start + dt.timedelta(days=days - 1)
        status = "scheduled" if start > REFERENCE_DATE else "completed" if end < REFERENCE_DATE else "active"
        ad_format = _weighted(rng, FORMAT_WEIGHTS)
        domain = f"{slug or 'brand'}.{_pick(rng, _AD_TLDS)}"
        created = min(_moment(start - dt.timedelta(days=rng.randint(3, 30)), rng), _REFERENCE_DT)
        drafts.append(
            {
                "campaign_id": campaign_id,
                "campaign_name": namer.name(advertiser, campaign_type, industry, objective, start),
                "advertiser_id": advertiser_id,
                "advertiser_name": advertiser,
                "industry": industry,
                "campaign_type": campaign_type,
                "objective": objective,
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
                "status": status,
                **_targets(rng),
                "ad_format": ad_format,
                "ad_duration_seconds": _ad_length(rng, ad_format),
                "placement_type": PLACEMENT_BY_FORMAT[ad_format],
                "creative_url": f"https://cdn.{domain}/ads/{campaign_id}/creative.mp4",
                "landing_page_url": f"https://www.{domain}/offers?utm_source=acme&utm_campaign={campaign_id}",
                "created_at": _timestamp(created),
                "updated_at": _timestamp(_later(created, min(_moment(end, rng), _REFERENCE_DT), rng)),
                "_rates": (
                    rng.uniform(*ads.CPM_RANGE),
                    rng.uniform(*ads.CTR_RANGE),
                    rng.uniform(*ads.CONVERSION_RANGE),
                    rng.uniform(*ads.BUDGET_HEADROOM),
                    days,
                ),
            }
        )
    delivered = _DELIVERED.get((seed, count, memo)) if delivery and memo else None
    if delivered is None:
        delivered = ads.delivery(drafts, customers) if delivery else {}
        if delivery and memo:
            if len(_DELIVERED) >= 8:
                _DELIVERED.clear()
            _DELIVERED[(seed, count, memo)] = delivered
    rows = []
    for draft in drafts:
        cpm, ctr, cvr, headroom, days = draft.pop("_rates")
        if not delivery:
            rows.append(_row(CAMPAIGNS, {**draft, **dict.fromkeys(_DELIVERY_COLUMNS)}))
            continue
        d = delivered[draft["campaign_id"]]
        impressions = round(d.impressions)
        spent = round(impressions * cpm / 1000, 2)
        clicks = round(impressions * ctr)
        conversions = round(clicks * cvr)
        daily = max(0.01, math.ceil(spent / days * headroom * 100) / 100)  # in cents, never below the pace
        rows.append(
            _row(
                CAMPAIGNS,
                {
                    **draft,
                    "daily_budget": daily,
                    "total_budget": round(daily * days, 2),
                    "spent_amount": spent,
                    "impressions": impressions,
                    "unique_viewers": min(impressions, round(d.unique_viewers)),
                    "clicks": clicks,
                    "conversions": conversions,
                    # Share of impressions watched to the end (completed views are not a column of their own).
                    "view_through_rate": round(d.completed / d.impressions, 6) if impressions else None,
                    "click_through_rate": _ratio(clicks, impressions),
                    "conversion_rate": _ratio(conversions, clicks),
                    "cost_per_mille": round(spent / impressions * 1000, 4) if impressions else None,
                    "cost_per_click": round(spent / clicks, 4) if clicks else None,
                    "cost_per_conversion": round(spent / conversions, 4) if conversions else None,
                },
            )
        )
    return rows


def _epoch_ms(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days * 86_400_000


def _iso_ms(epoch_ms: int) -> str:
    """ISO 8601 UTC with milliseconds, as the events' event_timestamp, so the two compare as strings."""
    moment = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=epoch_ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def incident_row(incident: incidents.Incident) -> dict:
    """One row of the incidents table."""
    return _row(
        INCIDENTS,
        {
            "incident_id": incident.incident_id,
            "incident_type": incident.incident_type,
            "start_time": _iso_ms(incident.start_ms),
            "end_time": _iso_ms(incident.end_ms),
            "severity": incident.severity,
            "country": incident.country,
            "state": incident.state,
            "isp": incident.isp,
            "device_os": incident.device_os,
            "app_version": incident.app_version,
            "startup_permille": incident.startup_permille,
            "start_fail_permille": incident.start_fail_permille,
            "stall_permille": incident.stall_permille,
            "error_permille": incident.error_permille,
            "volume_permille": incident.volume_permille,
            "bitrate_permille": incident.bitrate_permille,
            "description": incident.description,
        },
    )


def generate_incidents(world_seed: int) -> list[dict]:
    """The incidents table of a world: every incident overlapping [INCIDENTS_FROM, INCIDENTS_UNTIL), by start."""
    found = incidents.incidents_between(world_seed, _epoch_ms(INCIDENTS_FROM), _epoch_ms(INCIDENTS_UNTIL))
    return [incident_row(i) for i in found]


def world_dimensions(
    seed: int = DEFAULT_DIMENSION_SEED,
    customers: int = 1000,
    titles: int = 500,
    campaigns: int = CAMPAIGNS.default_rows or 1,
    *,
    delivery: bool = False,
) -> Dimensions:
    """The tables the world reads, without building the customers table: customers per index (people.Customers,
    each the world columns of its table row), titles, and campaigns, with their delivery figures if `delivery`
    (what the stack uploads: ads.delivery reads a sample of customers by index, the same figures
    generate_dimensions gives)."""
    _check_count("customers", customers)
    _check_count("titles", titles)
    _check_count("campaigns", campaigns)
    lazy = people.Customers(seed, customers)
    return Dimensions(
        customers=lazy,  # type: ignore[arg-type]  # a read-only sequence of the rows' world columns
        titles=generate_titles(titles, seed),
        campaigns=generate_campaigns(campaigns, seed, lazy, delivery=delivery, memo=(seed, customers)),
        lifecycle=(seed, customers),
    )


def generate_dimensions(
    seed: int = DEFAULT_DIMENSION_SEED,
    customers: int = 1000,
    titles: int = 500,
    campaigns: int = CAMPAIGNS.default_rows or 1,
    as_of: dt.date = SIGNUPS_UNTIL,
    *,
    delivery: bool = True,
) -> Dimensions:
    """All three tables for one seed, the customers table as of `as_of` (Dimensions.as_of); each table draws from its
    own stream, so counts don't shift the others.

    `delivery` False leaves the campaigns' delivery figures null: they take a while (`ads.delivery`) and only the
    uploaded table needs them."""
    _check_count("customers", customers)
    _check_count("titles", titles)
    _check_count("campaigns", campaigns)
    # The campaigns' figures are over their whole flights, so they come from the whole table, whatever `as_of`.
    customer_rows = generate_customers(customers, seed)
    whole = Dimensions(
        customers=customer_rows,
        titles=generate_titles(titles, seed),
        # The figures depend on the seed's customers of this count: a process computes them once per tables.
        campaigns=generate_campaigns(campaigns, seed, customer_rows, delivery=delivery, memo=(seed, customers)),
        lifecycle=(seed, customers),
    )
    return whole if as_of == SIGNUPS_UNTIL else whole.as_of(as_of)
