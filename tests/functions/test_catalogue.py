"""The titles table as a catalogue: whole series in order, fitting ratings, real runtimes, releases, popularity."""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import defaultdict
from itertools import pairwise
from statistics import NormalDist

import pytest

from functions.shared import content, domains
from functions.shared.dimensions import REFERENCE_DATE, generate_dimensions, generate_titles
from functions.shared.schema import TITLES

SERIES_ID = re.compile(r"^series_\d{5}$")


@pytest.fixture(scope="module")
def titles() -> list[dict]:
    return generate_titles(3000, 7)


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _series(titles: list[dict]) -> dict[str, list[dict]]:
    by_series: dict[str, list[dict]] = defaultdict(list)
    for t in titles:
        if t["series_id"] is not None:
            by_series[t["series_id"]].append(t)
    return by_series


def test_series_id_is_a_string_column_of_the_titles_table_set_exactly_on_episodes(titles: list[dict]) -> None:
    assert TITLES.column("series_id").type == "string"
    for t in titles:
        assert (t["series_id"] is not None) == (t["title_type"] == "series"), t
        assert t["series_id"] is None or SERIES_ID.match(t["series_id"])


def test_every_series_starts_at_s01e01_and_runs_season_by_season_episode_by_episode(titles: list[dict]) -> None:
    by_series = _series(titles)
    assert len(by_series) > 40
    positions = {t["title_id"]: i for i, t in enumerate(titles)}
    for series_id, rows in by_series.items():
        # One block of consecutive rows, one show name.
        indexes = [positions[t["title_id"]] for t in rows]
        assert indexes == list(range(indexes[0], indexes[0] + len(rows))), series_id
        assert len({t["title_name"].rsplit(" ", 1)[0] for t in rows}) == 1
        order = [(int(t["season_number"]), int(t["episode_number"])) for t in rows]
        assert order[0] == (1, 1), series_id
        for (s0, e0), (s1, e1) in pairwise(order):
            assert (s1, e1) in ((s0, e0 + 1), (s0 + 1, 1)), (series_id, order)
        for t, (s, e) in zip(rows, order, strict=True):
            assert t["title_name"].endswith(f" S{s:02d}E{e:02d}")
    # Series have several seasons and seasons several episodes, so the checks above are not of one-row series.
    assert statistics.mean(len({t["season_number"] for t in rows}) for rows in by_series.values()) > 1.5
    assert max(int(t["episode_number"]) for t in titles if t["series_id"]) >= 8


def test_episodes_come_out_in_order_weekly_or_a_whole_season_at_once(titles: list[dict]) -> None:
    patterns = set()
    for series_id, rows in _series(titles).items():
        seasons: dict[float, list[dt.date]] = defaultdict(list)
        for t in rows:
            seasons[t["season_number"]].append(_date(t["release_date"]))
        for days in seasons.values():
            gaps = {(b - a).days for a, b in pairwise(days)}
            assert gaps <= {0} or gaps == {7}, (series_id, days)
            patterns.add("drop" if gaps <= {0} and len(days) > 1 else "weekly" if gaps == {7} else "one")
        ordered = [seasons[s] for s in sorted(seasons)]
        for before, after in pairwise(ordered):
            low, high = content.DAYS_BETWEEN_SEASONS
            assert low <= (after[0] - before[-1]).days <= high, series_id
    assert {"drop", "weekly"} <= patterns


def test_a_larger_table_extends_the_last_series_of_a_smaller_one_rather_than_changing_it() -> None:
    small, large = generate_titles(137, 3), generate_titles(400, 3)
    assert large[:137] == small
    last = small[-1]["series_id"]
    if last is not None:
        assert [t for t in large if t["series_id"] == last][: sum(t["series_id"] == last for t in small)] == [
            t for t in small if t["series_id"] == last
        ]


def test_episode_runtimes_fit_their_series_format(titles: list[dict]) -> None:
    for series_id, rows in _series(titles).items():
        fmt = content.series_format(rows[0]["genre"])
        (usual_low, usual_high), (low, high) = content.SERIES_FORMATS[fmt]
        minutes = [t["duration_minutes"] for t in rows]
        assert all(low <= m <= high for m in minutes), (series_id, fmt, minutes)
        assert usual_low - 2 <= statistics.median(minutes) <= usual_high + 9, (series_id, fmt, minutes)
    half_hour = [t["duration_minutes"] for t in titles if t["genre"] in content.HALF_HOUR_GENRES and t["series_id"]]
    hour = [t["duration_minutes"] for t in titles if t["genre"] not in content.HALF_HOUR_GENRES and t["series_id"]]
    assert max(half_hour) < min(hour)


def test_film_runtimes_average_like_released_features_and_vary_by_genre(titles: list[dict]) -> None:
    films = [t for t in titles if t["title_type"] == "movie"]
    low, high = content.FILM_MINUTES
    assert all(low <= t["duration_minutes"] <= high for t in films)
    # Follows (1999-2018): features released in US cinemas average 106 minutes.
    assert 100 <= statistics.mean(t["duration_minutes"] for t in films) <= 112

    def median(genres: set[str]) -> float:
        return statistics.median(t["duration_minutes"] for t in films if t["genre"] in genres)

    assert median({"Horror", "Animation", "Family"}) + 10 < median({"Action", "Adventure", "Fantasy"})


def test_every_title_has_a_rating_its_genre_and_sub_genre_allow(titles: list[dict]) -> None:
    seen = set()
    for t in titles:
        rating, kind = t["content_rating"], t["title_type"]
        assert rating in content.ratings_for(kind, t["genre"]), t
        assert rating in content.ratings_for(kind, t["sub_genre"]), t
        if kind == "movie":
            seen.add((t["genre"], rating))
    # Every film pair the table allows turns up among this catalogue's ~1,800 films: none is dead weight.
    assert seen == {(g, r) for g, ratings in content.FILM_RATINGS_BY_GENRE.items() for r in ratings}


def test_the_ratings_the_issue_names_are_refused() -> None:
    assert "TV-Y" not in content.ratings_for("series", "Drama")
    assert "G" not in content.ratings_for("movie", "Horror")
    assert "R" not in content.ratings_for("movie", "Family")
    for genre in ("Horror", "Crime", "Thriller"):
        assert not {"G", "PG"} & set(content.ratings_for("movie", genre))
        assert not {"TV-Y", "TV-G", "TV-PG"} & set(content.ratings_for("series", genre))
    children = {"G", "TV-Y"}
    for table in (content.FILM_RATINGS_BY_GENRE, content.TV_RATINGS_BY_GENRE):
        assert {g for g, rs in table.items() if children & set(rs)} <= {"Animation", "Family", "Adventure"}
    with pytest.raises(ValueError, match=r"^genre must be one of .* for a movie, got 'Documentary'"):
        content.ratings_for("movie", "Documentary")


def test_releases_are_spread_through_history_and_the_slate_with_some_in_every_month(titles: list[dict]) -> None:
    first, last = (REFERENCE_DATE + dt.timedelta(days=d) for d in content.SLATE_DAYS)
    months = set()
    day = first
    while day < last:
        months.add((day.year, day.month))
        day += dt.timedelta(days=28)
    released = {(d.year, d.month) for d in (_date(t["release_date"]) for t in titles) if first <= d < last}
    assert months <= released
    premieres = [t for t in titles if t["series_id"] is None or t["episode_number"] == t["season_number"] == 1.0]
    in_slate = sum(first <= _date(t["release_date"]) < last for t in premieres) / len(premieres)
    n = len(premieres)
    share = content.SLATE_SHARE
    assert abs(in_slate - share) < 4 * (share * (1 - share) / n) ** 0.5
    assert min(_date(t["release_date"]) for t in titles) < REFERENCE_DATE - dt.timedelta(days=20 * 365)


def test_the_popularity_curve_puts_37_percent_of_hours_in_the_top_3_percent_of_titles() -> None:
    """The curve itself, on evenly spaced quantiles: exact up to the grid (Altman Solon on Netflix H1 2023)."""
    n = 100_000
    scores = sorted((content.popularity(NormalDist().inv_cdf((i + 0.5) / n)) for i in range(n)), reverse=True)
    top = round(content.TOP_TITLES_SHARE * n)
    assert sum(scores[:top]) / sum(scores) == pytest.approx(content.TOP_TITLES_HOURS_SHARE, abs=0.005)


def test_a_few_percent_of_a_catalogues_titles_hold_about_a_third_or_more_of_its_popularity(titles: list[dict]) -> None:
    """Films and seasons (the report's titles): the top 3 % hold a third or more, up to the sampling spread of
    a heavy tail over ~2,000 titles (0.32-0.42 over seeds 0-5 at 4,000 rows)."""
    by_title: dict[object, float] = defaultdict(float)
    for t in titles:
        key = (t["series_id"], t["season_number"]) if t["series_id"] else t["title_id"]
        by_title[key] += t["popularity_score"]
    scores = sorted(by_title.values(), reverse=True)
    top = sum(scores[: round(content.TOP_TITLES_SHARE * len(scores))]) / sum(scores)
    assert 0.28 <= top <= 0.5, top
    # A season's episodes share its popularity, and a hit series' seasons tend to be hits.
    for rows in _series(titles).values():
        for season in {t["season_number"] for t in rows}:
            assert len({t["popularity_score"] for t in rows if t["season_number"] == season}) == 1


def test_default_catalogue_has_a_dozen_whole_series_and_no_release_clamped_to_the_reference_date() -> None:
    titles = generate_dimensions().titles
    by_series = _series(titles)
    assert 6 <= len(by_series) <= 20
    assert all(rows[0]["season_number"] == rows[0]["episode_number"] == 1.0 for rows in by_series.values())
    day_before = (REFERENCE_DATE - dt.timedelta(days=1)).isoformat()
    assert sum(t["release_date"] == day_before for t in titles) <= 3  # the old generator piled releases here
    assert {t["title_type"] for t in titles} == set(domains.TITLE_TYPES)
