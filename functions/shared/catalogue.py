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

from functions.shared import ads, binge, domains

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
    """The longest episode of the title's series (the title's own length for a film), its most ad time
    (ads.max_ad_ms), a slot, and the most a binge chain from any episode of the series can add (Catalogue.bound_reach),
    in ms: bounds how far a session of it and its chain can reach, whichever episode its household plays."""
    genres: list[int]
    """The title's genre (index into domains.GENRES)."""
    links: list[int]
    """How many of the title's next episodes are out that day, at most binge.MAX_AUTOPLAY (its chain's longest)."""
    plays_per_start: float
    """Mean plays per session start that day: the first, and the autoplayed episodes its chain adds
    (binge.expected_links)."""


def epoch_day(iso_date: str) -> int:
    """Days since 1970-01-01 of an ISO date."""
    return (dt.date.fromisoformat(iso_date[:10]) - dt.date(1970, 1, 1)).days


class Catalogue:
    """The titles of one Dimensions as the world draws them: per UTC day, who plays what (`on`)."""

    MAX_CACHED_DAYS = 16

    def __init__(self, titles: Sequence[Mapping], slot_ms: int, link_reach_ms: int = 0, unstarted: float = 0.0) -> None:
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
        self.next = binge.next_titles(titles)
        """Each title's next episode (binge.next_titles), -1 if none."""
        self.series_of, self.order = binge.series_orders(titles)
        """Each title's series (index into `order`, -1 for a film) and each series' episodes in order."""
        self.rank = [0] * len(titles)
        """Each episode's place in its series' `order` (0 for a film)."""
        for episodes in self.order:
            for place, episode in enumerate(episodes):
                self.rank[episode] = place
        self.bound_seconds = [
            max(self.seconds[e] for e in self.order[s]) if s >= 0 else self.seconds[t]
            for t, s in enumerate(self.series_of)
        ]
        """Per title, the longest episode of its series (its own length for a film): the most a session whose title
        draw gives it plays, whichever episode its household is on (binge.followed_title)."""
        self.bound_links = [min(binge.MAX_AUTOPLAY, len(self.order[s]) - 1) if s >= 0 else 0 for s in self.series_of]
        """Per title, the most autoplayed episodes a chain from any episode of its series can have."""
        self.link_reach_ms = link_reach_ms
        """What a binge link may add beyond its episode's length (its countdown, pauses, start-up and stalls)."""
        self._link_plays = [binge.expected_links(n, unstarted) for n in range(binge.MAX_AUTOPLAY + 1)]
        """Mean autoplayed episodes per start by links out (an attempt that never starts, `unstarted`, chains none)."""
        self._days: dict[int, DayTitles] = {}

    def chain_reach(self, title: int, links: int) -> int:
        """The most `links` autoplayed episodes after a title, their ad breaks included, add to its end (ms)."""
        reach, at = 0, self.next[title]
        for _ in range(links):
            if at < 0:
                break
            reach += self.link_reach_ms + self.seconds[at] * 1000 + ads.max_ad_ms(self.seconds[at])
            at = self.next[at]
        return reach

    def bound_reach(self, title: int) -> int:
        """The most a chain of `bound_links` episodes of the series of a drawn title adds to its end (ms), whichever
        episode its household plays (each link at most the series' longest, its ad breaks included)."""
        most = self.bound_seconds[title]
        return self.bound_links[title] * (self.link_reach_ms + most * 1000 + ads.max_ad_ms(most))

    def links_out(self, title: int, day: int) -> int:
        """How many of a title's next episodes are released by a day, at most binge.MAX_AUTOPLAY."""
        count, at = 0, self.next[title]
        while count < binge.MAX_AUTOPLAY and at >= 0 and self.release[at] <= day:
            count += 1
            at = self.next[at]
        return count

    def longest_ms(self) -> int:
        """The most any title's length, its ad breaks (ads.max_ad_ms) and its longest chain's reach add up to (ms)."""
        return max(
            s * 1000 + ads.max_ad_ms(s) + self.chain_reach(t, binge.MAX_AUTOPLAY) for t, s in enumerate(self.seconds)
        )

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
            links: list[int] = []
            starts = 0.0
            if total > 0:
                acc = 0.0
                for i, w in enumerate(weights):
                    if w:
                        acc += w
                        count = min(FIELDS, round(acc / total * FIELDS)) - len(table)
                        out = self.links_out(i, day)
                        table.extend([i] * count)  # runs of one title: each list is built a run at a time
                        seconds.extend([self.seconds[i]] * count)
                        types.extend([self.types[i]] * count)
                        most = self.bound_seconds[i]
                        reach.extend(
                            [most * 1000 + ads.max_ad_ms(most) + self.slot_ms + self.bound_reach(i)] * count
                        )  # fmt: skip
                        genres.extend([self.genres[i]] * count)
                        links.extend([out] * count)
                        starts += count * self._link_plays[out]
                for column in (table, seconds, types, reach, genres, links):  # rounding never leaves a gap, but be sure
                    column.extend(column[-1:] * (FIELDS - len(column)))
            hit = self._days[day] = DayTitles(table, seconds, types, reach, genres, links, 1.0 + starts / FIELDS)
        return hit
