"""What people play on a day: the released titles, weighted by popularity, novelty and episode.

A session key's 16-bit title field picks a title through its day's table (`DayTitles.title`): every title released
by that UTC day fills a share of the 65,536 entries equal to its share of the day's weight, so no title is played
before its release date and each day's plays follow the weights below. Both the generator Lambda and the compiled
backfill read the same tables (built here, in Python, once per day). Lambda-safe: standard library only.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from functions.shared import ads, domains

TITLE_FIELD_BITS = 16
FIELDS = 1 << TITLE_FIELD_BITS

RELEASE_BOOST = 6.0
RELEASE_DECAY_DAYS = 28.0
"""A title draws 1 + 6 exp(-age / 28 days) times its base weight: several times its usual audience in its first
weeks, fading over about a month (judgement from Netflix's Top 10, which ranks titles by their first 28 days
because most of a release's viewing falls in them)."""
TYPE_WEIGHT: Mapping[str, float] = {"movie": 1.0, "series": 10.0, "documentary": 1.0}
"""popularity_score compares titles within a type; between types, series take much of streaming time (Nielsen's
weekly streaming Top 10s are mostly series; Netflix's engagement reports are led by seasons), which the catalogue's
scores (a median season scoring like a median film) leave to this factor: with it, series take ~40 % of the
default world's hours and over 45 % of its plays (judgement: no public split by type was checked)."""
EPISODE_RETENTION = 0.88
"""Episode n of a season draws 0.88**(n - 1) of the first's plays: viewers drop out through a season, fewest
after the first episodes (Netflix's 2015 "hooked" study: most who reached episode 2-4 went on to finish)."""


class DayTitles(NamedTuple):
    """A day's title draw: per value of a session key's title field, its title and that title's figures."""

    title: list[int]
    """Title index (table order) of each field value; empty when nothing had been released by the day."""
    seconds: list[int]
    """The title's duration in seconds."""
    types: list[int]
    """The title's type (index into domains.TITLE_TYPES)."""
    reach: list[int]
    """The title's duration, its most ad time (ads.max_ad_ms) and a slot, in ms (bounds how far a session of it can
    reach)."""
    genres: list[int]
    """The title's genre (index into domains.GENRES)."""


def epoch_day(iso_date: str) -> int:
    """Days since 1970-01-01 of an ISO date."""
    return (dt.date.fromisoformat(iso_date[:10]) - dt.date(1970, 1, 1)).days


class Catalogue:
    """The titles of one Dimensions as the world draws them: per UTC day, who plays what (`on`)."""

    MAX_CACHED_DAYS = 16

    def __init__(self, titles: Sequence[Mapping], slot_ms: int) -> None:
        self.seconds = [int(t["duration_minutes"]) * 60 for t in titles]
        self.types = [list(domains.TITLE_TYPES).index(t["title_type"]) for t in titles]
        self.genres = [domains.GENRES.index(t["genre"]) for t in titles]
        self.release = [epoch_day(t["release_date"]) for t in titles]
        # popularity_score is proportional to the hours a title draws (docs/catalogue.md: log-normal, calibrated
        # to the top 3 % of titles taking 37 % of hours); a play runs a share of the title, so plays go as hours
        # per minute of title.
        self.base = [
            float(t["popularity_score"])
            / int(t["duration_minutes"])
            * TYPE_WEIGHT[t["title_type"]]
            * EPISODE_RETENTION ** (int(t["episode_number"] or 1) - 1)
            for t in titles
        ]
        self.slot_ms = slot_ms
        self._days: dict[int, DayTitles] = {}

    def weights(self, day: int) -> list[float]:
        """Each title's weight on a day (0 before its release)."""
        return [
            base * (1.0 + RELEASE_BOOST * math.exp(-(day - released) / RELEASE_DECAY_DAYS)) if released <= day else 0.0
            for base, released in zip(self.base, self.release, strict=True)
        ]

    def on(self, day: int) -> DayTitles:
        """The title draw of a UTC day (days since the epoch)."""
        hit = self._days.get(day)
        if hit is None:
            if len(self._days) >= self.MAX_CACHED_DAYS:
                self._days.pop(next(iter(self._days)))
            weights = self.weights(day)
            total = sum(weights)
            table: list[int] = []
            seconds: list[int] = []
            types: list[int] = []
            reach: list[int] = []
            genres: list[int] = []
            if total > 0:
                acc = 0.0
                for i, w in enumerate(weights):
                    if w:
                        acc += w
                        count = min(FIELDS, round(acc / total * FIELDS)) - len(table)
                        table.extend([i] * count)  # runs of one title: each list is built a run at a time
                        seconds.extend([self.seconds[i]] * count)
                        types.extend([self.types[i]] * count)
                        reach.extend([self.seconds[i] * 1000 + ads.max_ad_ms(self.seconds[i]) + self.slot_ms] * count)
                        genres.extend([self.genres[i]] * count)
                for column in (table, seconds, types, reach, genres):  # rounding never leaves a gap, but be sure
                    column.extend(column[-1:] * (FIELDS - len(column)))
            hit = self._days[day] = DayTitles(table, seconds, types, reach, genres)
        return hit
