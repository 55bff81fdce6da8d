"""Binge chains: when an episode ends, the same screen plays the next one after the autoplay countdown.

A session of an episode that completes is followed, with probability AUTOPLAY_SHARE per step, by the next episode
of its series (the next in season and episode order, then the next season's first) as a new session on the same
device of the same household, starting a countdown after the last event of the one before; a chain stops at the
first link that does not complete (or does not start), at MAX_AUTOPLAY autoplayed episodes, or where the next
episode is not released yet on the first session's UTC day. The whole chain is drawn from the first session's key
(world.D_CHAIN: the steps' draws, then one derived key per link), so a chain is one candidate of the admission pass
and its end is bounded from the key (concurrency.chain_links).

On later days a household that follows a series goes on through it in order (`followed_title`): when a session's
title draw gives an episode of a series, the episode played is the household's own of that day, a pure function of
(world, household, series, day), and its chain goes on from there. Lambda-safe: standard library only.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from functions.shared import domains, plays
from functions.shared.splitmix import draw

AUTOPLAY_SHARE = 0.7
"""Share of completed episodes, with a next one out, after which the next plays in the same sitting (per step).
Judgement, within public figures: autoplay is on by default (Netflix's post-play, 2012), 61 % of streamers binge
regularly and 73 % define a binge as 2-6 episodes of one show in a sitting (Harris Interactive for Netflix, 2013),
70 % of US consumers binge (Deloitte Digital Democracy Survey, 10th edition, 2016). With it about a third of the
default world's episode plays are autoplayed (local.bands BINGE_CHAINED_SHARE)."""
MAX_AUTOPLAY = 2
"""At most this many episodes follow the first in one chain: Netflix asks "Are you still watching?" after 3 episodes
in a row played without touching the controls (help.netflix.com/en/node/114059); the chain ends there (judgement:
the viewer who answers starts a new sitting, which the world draws as a new session)."""
COUNTDOWN_MIN_MS = 5_000
COUNTDOWN_MAX_MS = 15_000
"""The next episode starts 5-15 s after the last event of the one before (uniform): Netflix's post-play counted down
15 s (The Verge, 2012-08-15) and tested under 6 s (Netflix France, 2019); viewers who press "next" start sooner."""
STEP_BITS = 16
CONTINUE_BELOW = round(AUTOPLAY_SHARE * (1 << STEP_BITS))
"""Step j of a chain is taken when bits 16(j-1)..16j-1 of the chain's draw are below this."""
assert MAX_AUTOPLAY * STEP_BITS <= 64

SERIES = list(domains.TITLE_TYPES).index("series")

FOLLOW_SALT = 0xF0_110E_5E61E5_0001
"""Mixed into the world key for the households' following of series (`followed_title`)."""
FOLLOW_CYCLE_DAYS = 56
"""A household's following of a series runs in cycles of this many days (each household and series at its own
phase): each cycle it either follows the series from season 1 episode 1 or not at all. Judgement: a season of a
streaming series is usually watched through within weeks of starting it (Netflix's "binge scale", 2016: members who
finished a first season took 4-6 days on average, most within a month); a cycle lets a household come back to a
series it finished or gave up, so years of history never pile every household up at the finales."""
CYCLE_MINUTES = FOLLOW_CYCLE_DAYS * 1440
FOLLOW_SHARE = 0.9
"""Share of (household, series, cycle) in which the household follows the series: its episode plays of the series
are then its own next episodes. Judgement: most episode viewing is of a show in progress (Netflix's 2015 "hooked"
study: 70 % of viewers who reach episode 2-4 finish the season); the rest are samplings and rewatches of whatever
the title draw gives."""
FOLLOW_BELOW = round(FOLLOW_SHARE * (1 << 16))
PACE_MIN_Q16 = round(0.2 * (1 << 16))
PACE_MAX_Q16 = round(0.8 * (1 << 16))
"""A following household's pace: 0.2 to 0.8 episodes a day (uniform, 16-bit fixed point), before the episodes its
sittings' autoplay chains add. Judgement, calibrated on the default world's sittings (their times and chains, two
weeks, replayed with other paces and shares): the pace that puts the most of a household's returns to a series on a
later day where it left off (local.bands NEXT_DAY_CONTINUES: 42 % at this pace and FOLLOW_SHARE, 36-40 % at 0.25-1.5
or 0.1-1.0 episodes a day, 23 % at 1-4). Slower than the binge scale's season in 4-6 days (2016), which describes
members who finished a season; the chains add up to two episodes a sitting."""


def follow_draw(follow_key: int, customer: int, series: int) -> int:
    """The draw of a household's following of one series (its phase and, through draw(., 1 + cycle), each cycle)."""
    return draw(draw(follow_key, customer), series)


def followed_position(base: int, slot: int) -> int:
    """How far (in episodes, from season 1 episode 1) a household with following draw `base` is through the series
    at a UTC minute (world.SLOT_MS slots since the epoch), or -1 when it does not follow the series in that cycle: it
    advances at its cycle's pace from the first episode at the cycle's start, so a later sitting is never behind an
    earlier one."""
    shifted = slot + (((base >> 40) * CYCLE_MINUTES) >> 24)
    cycle = draw(base, 1 + shifted // CYCLE_MINUTES)
    if cycle & 0xFFFF >= FOLLOW_BELOW:
        return -1
    pace = PACE_MIN_Q16 + ((((cycle >> 16) & 0xFFFF) * (PACE_MAX_Q16 - PACE_MIN_Q16)) >> 16)
    return (pace * (shifted % CYCLE_MINUTES)) // (1440 << 16)


def followed_episode(
    follow_key: int,
    customer: int,
    title: int,
    slot: int,
    series_of: Sequence[int],
    order: Sequence[Sequence[int]],
    release: Sequence[int],
) -> int:
    """The household's own episode when the title draw of its session starting in `slot` gives `title`, an episode
    of a series it follows then: the series' episode at its position (followed_position; past the last episode it
    starts the series over), if released by the slot's UTC day; else -1 (a film, a household not following, or one
    caught up with a series still coming out)."""
    s = series_of[title]
    if s < 0:
        return -1
    at = followed_position(follow_draw(follow_key, customer, s), slot)
    if at < 0:
        return -1
    episodes = order[s]
    episode = episodes[at % len(episodes)]
    return episode if release[episode] <= slot // 1440 else -1


def followed_title(
    follow_key: int,
    customer: int,
    title: int,
    slot: int,
    series_of: Sequence[int],
    order: Sequence[Sequence[int]],
    release: Sequence[int],
) -> int:
    """The title a household plays when the title draw of its session starting in `slot` gives `title`: its own
    episode (followed_episode) of a series it follows, else the drawn title."""
    episode = followed_episode(follow_key, customer, title, slot, series_of, order, release)
    return title if episode < 0 else episode


def series_orders(titles: Sequence[Mapping]) -> tuple[list[int], list[list[int]]]:
    """(per title its series' index or -1, per series its episodes' indexes in season and episode order), series in
    order of their first title."""
    index: dict[str, int] = {}
    series_of = [-1] * len(titles)
    order: list[list[tuple[int, int, int]]] = []
    for i, t in enumerate(titles):
        if t.get("title_type") == "series" and t.get("series_id"):
            s = index.setdefault(t["series_id"], len(index))
            if s == len(order):
                order.append([])
            order[s].append((int(t.get("season_number") or 1), int(t.get("episode_number") or 1), i))
            series_of[i] = s
    return series_of, [[i for _, _, i in sorted(episodes)] for episodes in order]


def next_titles(titles: Sequence[Mapping]) -> list[int]:
    """Per title (table order), the index of its series' next episode (season then episode order), -1 if none."""
    by_series: dict[str, list[tuple[int, int, int]]] = {}
    for i, t in enumerate(titles):
        if t.get("title_type") == "series" and t.get("series_id"):
            key = (int(t.get("season_number") or 1), int(t.get("episode_number") or 1), i)
            by_series.setdefault(t["series_id"], []).append(key)
    following = [-1] * len(titles)
    for episodes in by_series.values():
        episodes.sort()
        for (_, _, i), (_, _, j) in itertools.pairwise(episodes):
            following[i] = j
    return following


def link_plays(allowed: int, device: int, unstarted: float) -> float:
    """Mean autoplayed episodes after a first play on device `device` of an episode with `allowed` next episodes
    out: link j plays when the first and links 1..j-1 completed, every step was taken, and each link started."""
    if allowed <= 0:
        return 0.0
    complete = plays.COMPLETE_BELOW[device * len(domains.TITLE_TYPES) + SERIES] / (1 << plays.COMPLETE_BITS)
    started = 1.0 - unstarted
    total, reach = 0.0, complete * started  # the first completed (and started)
    for _ in range(min(allowed, MAX_AUTOPLAY)):
        reach *= AUTOPLAY_SHARE * started
        total += reach
        reach *= complete
    return total


def expected_links(allowed: int, unstarted: float) -> float:
    """Mean autoplayed episodes per candidate start of an episode with `allowed` next ones out, over the screens."""
    table = plays.DEVICE_TABLE
    return sum(link_plays(allowed, d, unstarted) for d in table) / len(table)
