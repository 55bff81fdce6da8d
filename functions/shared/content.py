"""What the catalogue holds: ratings that fit each genre, runtimes by format, how series run, how popular titles are.

`dimensions.generate_titles` draws the titles table from these facts; docs/catalogue.md explains them with their
sources. Lambda-safe: standard library only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import NormalDist

from functions.shared import domains

# --- Ratings ---------------------------------------------------------------------------------------------------------
# Which rating a title of a genre may carry, and how often. What a rating allows is set by its published definition:
#   MPA film ratings (motionpictures.org/film-ratings): G "all ages admitted, nothing that would offend parents for
#   viewing by children"; PG "some material may not be suitable for children"; PG-13 "some material may be
#   inappropriate for children under 13"; R "under 17 requires accompanying parent or adult guardian" (adult
#   material: hard language, intense or persistent violence, sexually-oriented nudity, drug abuse).
#   TV Parental Guidelines (tvguidelines.org): TV-Y "designed to be appropriate for all children" (ages 2-6);
#   TV-G "suitable for all ages", little or no violence, no strong language; TV-PG "parental guidance suggested";
#   TV-14 "parents strongly cautioned", may be unsuitable under 14; TV-MA "mature audience only", may be
#   unsuitable under 17.
# So: only Family and Animation take the children's ratings (G, TV-Y); Horror, Crime and Thriller, whose genre is
# intense violence or menace, start at PG-13 / TV-14; Family never reaches PG-13 / TV-14. The weights (how typical
# each allowed rating is within the genre) are this project's judgement, not a measured figure.

FILM_RATINGS_BY_GENRE: Mapping[str, Mapping[str, float]] = {
    "Action": {"PG": 0.05, "PG-13": 0.55, "R": 0.40},
    "Adventure": {"G": 0.05, "PG": 0.35, "PG-13": 0.45, "R": 0.15},
    "Animation": {"G": 0.25, "PG": 0.60, "PG-13": 0.15},
    "Comedy": {"PG": 0.15, "PG-13": 0.40, "R": 0.45},
    "Crime": {"PG-13": 0.30, "R": 0.70},
    "Drama": {"PG": 0.10, "PG-13": 0.40, "R": 0.50},
    "Family": {"G": 0.40, "PG": 0.60},
    "Fantasy": {"PG": 0.30, "PG-13": 0.50, "R": 0.20},
    "Horror": {"PG-13": 0.30, "R": 0.70},
    "Mystery": {"PG": 0.10, "PG-13": 0.50, "R": 0.40},
    "Romance": {"PG": 0.15, "PG-13": 0.50, "R": 0.35},
    "Sci-Fi": {"PG": 0.15, "PG-13": 0.55, "R": 0.30},
    "Thriller": {"PG-13": 0.40, "R": 0.60},
}
"""MPA ratings a film of each fiction genre may carry, with how typical each is."""

TV_RATINGS_BY_GENRE: Mapping[str, Mapping[str, float]] = {
    "Action": {"TV-PG": 0.20, "TV-14": 0.50, "TV-MA": 0.30},
    "Adventure": {"TV-G": 0.10, "TV-PG": 0.40, "TV-14": 0.40, "TV-MA": 0.10},
    "Animation": {"TV-Y": 0.30, "TV-G": 0.25, "TV-PG": 0.25, "TV-14": 0.10, "TV-MA": 0.10},
    "Comedy": {"TV-PG": 0.30, "TV-14": 0.45, "TV-MA": 0.25},
    "Crime": {"TV-14": 0.45, "TV-MA": 0.55},
    "Documentary": {"TV-G": 0.25, "TV-PG": 0.35, "TV-14": 0.30, "TV-MA": 0.10},
    "Drama": {"TV-PG": 0.15, "TV-14": 0.45, "TV-MA": 0.40},
    "Family": {"TV-Y": 0.30, "TV-G": 0.50, "TV-PG": 0.20},
    "Fantasy": {"TV-PG": 0.25, "TV-14": 0.45, "TV-MA": 0.30},
    "Horror": {"TV-14": 0.40, "TV-MA": 0.60},
    "Mystery": {"TV-PG": 0.20, "TV-14": 0.50, "TV-MA": 0.30},
    "Romance": {"TV-PG": 0.30, "TV-14": 0.50, "TV-MA": 0.20},
    "Sci-Fi": {"TV-PG": 0.20, "TV-14": 0.50, "TV-MA": 0.30},
    "Thriller": {"TV-14": 0.50, "TV-MA": 0.50},
}
"""TV Parental Guidelines ratings a series (or a documentary, rated for streaming like TV) of each genre may carry."""

DOCUMENTARY_SUB_GENRES = ("Adventure", "Crime", "Drama", "Family", "Mystery")
"""Fiction genres a documentary's sub-genre may name (true crime, expeditions, family portraits...)."""


def ratings_for(title_type: str, genre: str) -> Mapping[str, float]:
    """The ratings (with weights) a title of this type and genre may carry: MPA for films, TV guidelines otherwise."""
    table = FILM_RATINGS_BY_GENRE if title_type == "movie" else TV_RATINGS_BY_GENRE
    if genre not in table:
        raise ValueError(f"genre must be one of {sorted(table)} for a {title_type}, got {genre!r}")
    return table[genre]


# --- Runtimes --------------------------------------------------------------------------------------------------------

FILM_MEDIAN_MINUTES: Mapping[str, int] = {
    "Action": 114,
    "Adventure": 116,
    "Animation": 92,
    "Comedy": 101,
    "Crime": 114,
    "Drama": 112,
    "Family": 96,
    "Fantasy": 118,
    "Horror": 94,
    "Mystery": 108,
    "Romance": 106,
    "Sci-Fi": 115,
    "Thriller": 106,
}
"""Median feature runtime by genre. Stephen Follows, "Are movies getting longer?" (2019), 1999-2018: films released in
US/Canadian cinemas average 106 minutes (the top 50 grossing 114, all films made 95), with long outliers. The spread
between genres (horror, family and animation near 1.5 h, epics near 2 h) is this project's reading."""
FILM_RUNTIME_SIGMA = 0.14
"""Log-normal spread of a film's runtime around its genre's median (about 80-140 minutes for a 106-minute median)."""
FILM_MINUTES = (75, 180)
"""Shortest and longest film: a feature is over 40 minutes (Academy rules) and most run 75 minutes or more; the cap
keeps the world's longest session, and so its look-back, where it was."""

DOCUMENTARY_MINUTES = (45, 85, 120)
"""Feature documentary runtime: (shortest, most common, longest) of a triangular draw."""

HALF_HOUR_GENRES = frozenset({"Comedy", "Animation", "Family"})
"""Series genres made in the half-hour format (sitcoms, cartoons, children's shows); the rest are hour-long dramas."""
SERIES_FORMATS: Mapping[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "half_hour": ((22, 30), (20, 34)),
    "hour": ((42, 56), (38, 60)),
}
"""Per format: (the range a series' usual episode length is drawn from, the band every episode stays in). A half-hour
slot holds about 22 minutes of programme with advertising and streaming episodes of it run up to half an hour; an hour
drama runs 42-44 minutes on network TV and closer to an hour on streaming; premieres and finales run longer."""


def series_format(genre: str) -> str:
    """'half_hour' or 'hour': the format of a series of this genre."""
    return "half_hour" if genre in HALF_HOUR_GENRES else "hour"


# --- How series run --------------------------------------------------------------------------------------------------

SEASON_COUNT_WEIGHTS: Mapping[int, float] = {1: 0.50, 2: 0.25, 3: 0.12, 4: 0.07, 5: 0.04, 6: 0.02}
"""Seasons a series runs to: streaming services renew few shows past the second season (limited series and early
cancellations are half of all). Judgement, not a measured figure."""
EPISODES_PER_SEASON: Mapping[str, tuple[int, int]] = {"half_hour": (8, 12), "hour": (6, 10)}
"""Episodes in a season by format: streaming seasons run 6-10 hour-long or 8-12 half-hour episodes, against the 22 of
a traditional US network season."""
DROP_SHARE = 0.5
"""Share of series released a whole season at once (binge drop, Netflix's practice); the others air weekly (the
practice of Disney+, Max, Apple TV+ and network TV)."""
DAYS_BETWEEN_SEASONS = (240, 720)
"""Days from a season's last episode to the next season's premiere (streaming gaps of one to two years)."""


# --- When titles come out --------------------------------------------------------------------------------------------

SLATE_DAYS = (-730, 730)
"""The release slate, in days from the reference date: a share of titles (SLATE_SHARE) premiere uniformly in it, so
every stretch of the lake's history and of the live stream after the reference date has releases to spike on; titles
dated after the reference date are announced (in the table) but not yet out."""
SLATE_SHARE = 0.35
"""Share of films, documentaries and series that premiere within the slate; the rest are the library."""
LIBRARY_MEAN_AGE_YEARS: Mapping[str, float] = {"movie": 10.0, "documentary": 6.0, "series": 6.0}
"""Mean age (years before the slate starts, exponential) of library titles by type."""
LIBRARY_MAX_AGE_YEARS: Mapping[str, float] = {"movie": 45.0, "documentary": 20.0, "series": 20.0}


# --- Popularity ------------------------------------------------------------------------------------------------------

TOP_TITLES_SHARE = 0.03
TOP_TITLES_HOURS_SHARE = 0.37
"""Netflix's engagement report for H1 2023 ("What We Watched"), as analysed by Altman Solon: the top ~3 % of titles took
about 37 % of hours viewed. A title there is a film or a season of a series."""
POPULARITY_SIGMA = NormalDist().inv_cdf(1 - TOP_TITLES_SHARE) - NormalDist().inv_cdf(1 - TOP_TITLES_HOURS_SHARE)
"""Spread of the log-normal appeal of a title (film or season). With log-normal weights of spread s, the top share q
of titles holds 1 - Phi(z(1 - q) - s) of the total, so the top 3 % holding 37 % needs s = z(0.97) - z(0.63) = 1.549."""
POPULARITY_MEDIAN = 10.0
"""popularity_score of the median film or season; a score is proportional to the hours the title draws."""
SEASON_APPEAL_CORRELATION = 0.8
"""How much of a season's appeal is its series' (the rest is the season's own): hits stay hits, with ups and downs."""


def popularity(z: float) -> float:
    """The popularity_score of a film or season whose standard-normal appeal draw is `z`."""
    return POPULARITY_MEDIAN * math.exp(POPULARITY_SIGMA * z)


assert set(FILM_RATINGS_BY_GENRE) == set(domains.GENRES) - {"Documentary"} == set(FILM_MEDIAN_MINUTES)
assert set(TV_RATINGS_BY_GENRE) == set(domains.GENRES)
_RATING_TABLES = (*FILM_RATINGS_BY_GENRE.values(), *TV_RATINGS_BY_GENRE.values())
assert all(set(table) <= set(domains.CONTENT_RATINGS) for table in _RATING_TABLES)
assert all(not r.startswith("TV-") for table in FILM_RATINGS_BY_GENRE.values() for r in table)
assert all(r.startswith("TV-") for table in TV_RATINGS_BY_GENRE.values() for r in table)
assert set(HALF_HOUR_GENRES) <= set(domains.GENRES) and set(DOCUMENTARY_SUB_GENRES) <= set(domains.GENRES)
