"""Title, series and campaign names: only curated words and patterns, fit for their row, unique, clean, reproducible."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mimesis import Finance
from mimesis.locales import Locale

from functions.shared import domains, names
from functions.shared.dimensions import Dimensions, generate_campaigns, generate_dimensions, generate_titles

EPISODE = re.compile(r"^(?P<show>.+) S(?P<season>\d{2})E(?P<episode>\d{2})$")
SEQUEL = r"(?: \d+)?"
FLIGHT = r"(?: - Flight \d+)?"

# Whole words no name may contain: profanity, slurs' usual stand-ins, sexual and anatomical words, gore.
BLOCKLIST = frozenset(
    re.findall(
        r"[a-z]+",
        """
    anal anus arse ass asshole balls bastard bitch blowjob boob boobs booty breast breasts butt cock crap cum
    cunt damn dick dildo erection fag fuck fucking genital genitals hell hooker horny jerk kill killer nazi
    naked nipple nipples nude orgasm penis piss porn prick pussy rape rapist retard scrotum semen sex sexy shit
    slut suicide testicle testicles tit tits twat vagina vulva whore wank bloody torture
    """,
    )
)

FICTION_TYPES = ("movie", "series")


@pytest.fixture(scope="module")
def dims() -> Dimensions:
    return generate_dimensions(seed=7, customers=10, titles=1500, campaigns=300)


def _alternation(words: Iterable[str]) -> str:
    # Longest first, so "Night Manager" is tried before a shorter word it starts with.
    return "(?:" + "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True)) + ")"


def _regex(patterns: Iterable[str], pools: Mapping[str, Iterable[str]], suffix: str) -> re.Pattern[str]:
    """One regex matching exactly the names the patterns make from the pools (plus an optional suffix)."""
    shapes = []
    for pattern in patterns:
        parts = re.split(r"\{(\w+)\}", pattern)
        shapes.append("".join(re.escape(p) if i % 2 == 0 else _alternation(pools[p]) for i, p in enumerate(parts)))
    return re.compile("(?:" + "|".join(shapes) + ")" + suffix)


def _title_pools(genres: Iterable[str]) -> dict[str, Iterable[str]]:
    return {**names.TITLE_SLOTS, "gnoun": [w for g in genres for w in names.GENRE_NOUNS.get(g, ())]}


@functools.cache
def _title_regex(title_type: str, genres: tuple[str, ...]) -> re.Pattern[str]:
    return _regex(names.TITLE_PATTERNS[title_type], _title_pools(genres), SEQUEL)


def _show(row: dict) -> str:
    match = EPISODE.fullmatch(row["title_name"]) if row["title_type"] == "series" else None
    return match["show"] if match else row["title_name"]


def _words(name: str) -> set[str]:
    return set(re.findall(r"[a-z]+", name.lower()))


def _vocabulary() -> list[str]:
    """Every word list and pattern the namers draw from."""
    lists: list[Iterable[str]] = [
        *names.TITLE_SLOTS.values(),
        *names.GENRE_NOUNS.values(),
        *names.TITLE_PATTERNS.values(),
        *names.CAMPAIGN_PATTERNS.values(),
        *names.INDUSTRY_PRODUCTS.values(),
        *names.INDUSTRY_OFFERS.values(),
        *names.OBJECTIVE_GOALS.values(),
        names.TAGLINES,
        names.SEASONS_BY_MONTH.values(),
        names.RETAIL_MOMENTS_BY_MONTH.values(),
    ]
    return [w for words in lists for w in words]


def test_every_title_name_is_a_pattern_of_its_type_filled_from_the_lists_for_its_genre(dims: Dimensions) -> None:
    for t in dims.titles:
        regex = _title_regex(t["title_type"], (t["genre"],))
        assert regex.fullmatch(_show(t)), (t["title_type"], t["genre"], t["title_name"])


def test_fiction_and_documentary_names_never_share_a_pattern(dims: Dimensions) -> None:
    documentary = _title_regex("documentary", domains.GENRES)
    fiction = [_title_regex(kind, domains.GENRES) for kind in FICTION_TYPES]
    for t in dims.titles:
        show = _show(t)
        if t["title_type"] == "documentary":
            assert not any(r.fullmatch(show) for r in fiction), show
        else:
            assert not documentary.fullmatch(show), show


def test_each_title_type_uses_all_of_its_patterns(dims: Dimensions) -> None:
    pools = _title_pools(domains.GENRES)
    for kind, patterns in names.TITLE_PATTERNS.items():
        shows = {_show(t) for t in dims.titles if t["title_type"] == kind}
        unused = [p for p in patterns if not any(_regex([p], pools, SEQUEL).fullmatch(s) for s in shows)]
        assert not unused, (kind, unused)


def test_episodes_of_a_show_share_its_name_and_no_title_name_repeats(dims: Dimensions) -> None:
    for rows in (dims.titles, generate_dimensions().titles):
        title_names = [t["title_name"] for t in rows]
        assert len(set(title_names)) == len(title_names)
    # Consecutive episodes of one show: same show name, genre, rating and studio.
    shows: dict[str, set[tuple[str, str, str]]] = {}
    for t in dims.titles:
        if t["title_type"] == "series":
            shows.setdefault(_show(t), set()).add((t["genre"], t["content_rating"], t["production_studio"]))
    assert all(len(v) == 1 for v in shows.values())
    assert len(shows) > 20


def test_default_sized_tables_need_no_sequel_numbers() -> None:
    d = generate_dimensions()
    assert not [t["title_name"] for t in d.titles if re.search(r" \d+$", _show(t))]


def test_a_namer_that_runs_out_of_names_numbers_them_like_sequels_instead_of_repeating() -> None:
    namer = names.TitleNamer(3)
    made = [namer.name("documentary", "Documentary") for _ in range(2000)]
    assert len(set(made)) == len(made)
    numbered = [m for m in made if re.fullmatch(r".+ \d+", m)]
    assert numbered and all(m.rsplit(" ", 1)[0] in made for m in numbered)


def test_campaign_names_follow_their_type_and_agree_with_advertiser_industry_objective_and_dates(
    dims: Dimensions,
) -> None:
    seasons = {12: "Winter", 1: "Winter", 2: "Winter", 3: "Spring", 4: "Spring", 5: "Spring"}
    seasons |= {6: "Summer", 7: "Summer", 8: "Summer", 9: "Fall", 10: "Fall", 11: "Fall"}
    for c in dims.campaigns:
        start = dt.date.fromisoformat(c["start_date"])
        pools = names.campaign_slots(c["advertiser_name"], c["industry"], c["objective"], start)
        regex = _regex(names.CAMPAIGN_PATTERNS[c["campaign_type"]], pools, FLIGHT)
        assert regex.fullmatch(c["campaign_name"]), c["campaign_name"]
        # Independently of the pools: the words that come from the row's columns are that row's.
        brand = names.brand_name(c["advertiser_name"])
        assert brand in c["campaign_name"] and c["advertiser_name"].startswith(brand)
        rest = c["campaign_name"].replace(brand, "")
        assert set(re.findall(r"\b(?:19|20)\d\d\b", rest)) <= {str(start.year)}, c
        assert set(re.findall(r"\b(?:Winter|Spring|Summer|Fall)\b", rest)) <= {seasons[start.month]}, c
        assert set(re.findall(r"\bQ[1-4]\b", rest)) <= {f"Q{(start.month - 1) // 3 + 1}"}, c
        for objective, goals in names.OBJECTIVE_GOALS.items():
            if objective != c["objective"]:
                assert not any(g in rest for g in goals), c
        own = set(names.INDUSTRY_PRODUCTS[c["industry"]])
        for industry, products in names.INDUSTRY_PRODUCTS.items():
            if industry != c["industry"]:
                assert not [p for p in products if p not in own and re.search(rf"\b{re.escape(p)}\b", rest)], c
    campaign_names = [c["campaign_name"] for c in dims.campaigns]
    assert len(set(campaign_names)) == len(campaign_names)


@pytest.mark.parametrize(
    ("advertiser", "brand"),
    [
        ("Cisco Systems, Inc.", "Cisco Systems"),
        ("AES Corporation", "AES"),
        ("Altria Group", "Altria"),
        ("J. P. Morgan Chase and Co.", "J. P. Morgan Chase"),
        ("FileMaker Inc., formerly Claris Corp.", "FileMaker"),
        ("Jones Soda Co.", "Jones Soda"),
        ("JetBlue Airways", "JetBlue Airways"),
        ("Amazon.com", "Amazon.com"),
    ],
)
def test_brand_name_drops_the_legal_form_and_former_names(advertiser: str, brand: str) -> None:
    assert names.brand_name(advertiser) == brand


def test_no_curated_word_or_pattern_is_on_the_blocklist() -> None:
    for entry in _vocabulary():
        assert not _words(entry) & BLOCKLIST, entry


def test_no_company_fit_to_advertise_has_a_blocklisted_word() -> None:
    companies = Finance(Locale.EN)._dataset["company"]["name"]  # the whole list finance.company() draws from
    fit = [c for c in companies if names.is_fit_brand(c)]
    assert [c for c in fit if _words(c) & BLOCKLIST] == []
    assert len(fit) > 0.99 * len(companies)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**63 - 1))
def test_no_generated_name_contains_a_blocklisted_word_for_any_seed(seed: int) -> None:
    generated = [t["title_name"] for t in generate_titles(150, seed)]
    generated += [c["campaign_name"] for c in generate_campaigns(40, seed)]
    for name in generated:
        assert not _words(name) & BLOCKLIST, (seed, name)


def test_names_come_from_their_own_streams_so_replaying_the_rows_columns_renames_them() -> None:
    titles, campaigns = generate_titles(300, 21), generate_campaigns(60, 21)
    title_namer, campaign_namer = names.TitleNamer(21), names.CampaignNamer(21)
    previous_show = None
    for t in titles:
        if t["title_type"] == "series":
            if _show(t) == previous_show:
                continue  # another episode of the show already named
            previous_show = _show(t)
        assert title_namer.name(t["title_type"], t["genre"]) == _show(t)
    for c in campaigns:
        start = dt.date.fromisoformat(c["start_date"])
        made = campaign_namer.name(c["advertiser_name"], c["campaign_type"], c["industry"], c["objective"], start)
        assert made == c["campaign_name"]
