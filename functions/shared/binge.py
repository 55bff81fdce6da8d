"""Binge chains: when an episode ends, the same screen plays the next one after the autoplay countdown.

A session of an episode that completes is followed, with probability AUTOPLAY_SHARE per step, by the next episode
of its series (the next in season and episode order, then the next season's first) as a new session on the same
device of the same household, starting a countdown after the last event of the one before; a chain stops at the
first link that does not complete (or does not start), at MAX_AUTOPLAY autoplayed episodes, or where the next
episode is not released yet on the first session's UTC day. The whole chain is drawn from the first session's key
(world.D_CHAIN: the steps' draws, then one derived key per link), so a chain is one candidate of the admission pass
and its end is bounded from the key (concurrency.chain_links). Lambda-safe: standard library only.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

from functions.shared import domains, plays

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
