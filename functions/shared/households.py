"""Who watches on a day, and how much: each household's viewing propensity and the days it watches.

A household (customer) has a heavy-tailed propensity w (lognormal, median 1) drawn from the world seed and its
index. On a viewing day (04:00 to 04:00 local) it watches with probability w / (w + 1), and on a day it watches its
weight among the day's viewers is w + 1; over many days its share of the world's plays is therefore proportional
to w. Light households watch on few days, heavy ones on most, and per-household hours spread several-fold, as
public figures describe. Lambda-safe: standard library only; the world (world.py) turns these into integer
weights that the generator and the compiled backfill both read.
"""

from __future__ import annotations

import itertools
import math
from statistics import NormalDist

from functions.shared import domains

PROPENSITY_SIGMA = 1.0
"""Spread (log-space standard deviation) of households' viewing propensity. No public per-household distribution
exists; Leichtman Research Group (2020) finds about 40 % of US adults stream SVOD daily while 78 % of households
subscribe, so only about half of subscribing households watch on a given day and households differ several-fold.
With sigma 1 about half watch on a day (w / (w + 1) averages 0.5) and mean daily hours vary with a coefficient of
variation of about 1.3 (local.bands: DAILY_ACTIVE_SHARE 30-75 %, HOURS_SPREAD_CV 0.5-4)."""
VIEWING_DAY_START_MINUTES = 4 * 60
"""A household's viewing day runs from 04:00 to 04:00 local time, so a late night belongs to the evening before."""
WEIGHT_UNIT = 1 << 10
"""Integer weights are in units of 1/1024 of the median household's propensity."""
MAX_PROPENSITY = 64.0
"""Propensity is capped (0.004 % of households lie beyond): no household holds an implausible share of viewing."""

DISENGAGE_DAYS = 60
"""Over the last 60 days of a subscription a household watches on ever fewer days (the chance falls linearly to 0 at
the end date): disengagement comes before cancellation, so an analyst finds that customers who cancelled had been
watching less (judgement: the churn-prediction literature's leading signal is falling usage; no public figure of
the lead time was checked)."""

GENRE_AFFINITY = 0.5
"""Share of plays whose viewer is drawn among the hour's viewers who list the title's genre in preferred_genres
(the rest among all of them): households watch to their taste, and what they are offered follows it (Gomez-Uribe
and Hunt, "The Netflix Recommender System", ACM TMIS 2015: about 80 % of hours streamed come from
recommendations). Judgement: half, so a preferred genre (1-3 of 14) takes over half of a household's plays."""
AFFINITY_BITS = 16
AFFINITY_BELOW = round(GENRE_AFFINITY * (1 << AFFINITY_BITS))
"""A session's viewer draw's low 16 bits below this: its viewer is drawn among the title genre's fans."""

ADMITTED_SHARES: tuple[tuple[float, float], ...] = (
    (0.5, 0.824), (1.0, 0.734), (1.5, 0.653), (2.0, 0.584), (2.5, 0.518), (3.0, 0.452), (3.5, 0.398),
    (4.0, 0.343), (4.5, 0.287), (5.5, 0.203),
)  # fmt: skip
"""(load, share of candidate sessions admitted): how many of an hour's candidates a device and the plan's stream
limit let through (concurrency.py) at its load, the mean hours a subscriber streams a day (subscriber_hours) times
the hour's intensity (its rate over the week's mean). The fixed point, measured together with
VIEWING_HOURS_PER_BATCH_UNIT (whose unit the load is in) by bench/calibrate_audience.py: per hour over the week from
2026-11-02, seed 1, 2,400 customers at densities 1.2, 2.0 and 2.9 h, with households' own screens, binge chains and
ads, an ad-tier play holding its household to its last quarter hour (concurrency.ad_hold), customers drawn per index
(people.py) and a viewer by rejection (measured loads 0.49-5.3; 5.5 extrapolated): `python
bench/calibrate_audience.py` with its defaults, 2026-12-06 (two rounds, largest change 0.008; 0.01-0.02 lower than
on the households before). An hour's start rate is divided by its share so its played
sessions follow the calendar's curve and carry batchSize."""


def admitted_share(hours_per_subscriber: float) -> float:
    """Share of candidate sessions admitted at a density (ADMITTED_SHARES, linear between its points)."""
    points = ADMITTED_SHARES
    if hours_per_subscriber <= points[0][0]:
        return points[0][1]
    for (h0, s0), (h1, s1) in itertools.pairwise(points):
        if hours_per_subscriber <= h1:
            return s0 + (s1 - s0) * (hours_per_subscriber - h0) / (h1 - h0)
    return points[-1][1]


# --- how many households a volume needs -------------------------------------------------------------------------
VIEWING_HOURS_PER_BATCH_UNIT = 14.5
"""Viewing hours a day per unit of batchSize (mean events per 5 minutes): a session averages about 7.4 events (its
player's, world.EVENTS_PER_PLAY, and its ads', world.AD_EVENTS_PER_SESSION) and about 24 minutes (plays.py), so
batchSize B makes about 14.5·B hours a day. Measured with ADMITTED_SHARES by `python bench/calibrate_audience.py`
(defaults: seed 1, 2,400 customers, the week from 2026-11-02, 1,500 campaigns; 2026-12-06, customers per index:
14.50 and 14.47 in its two rounds, 15.0 on the households before); re-measure both whenever events per session or
play lengths move."""
SUBSCRIBED_SHARE = 1 / 3
"""Share of the customers table subscribed at a time: sign-ups at an even rate over domains.SIGNUP_DAYS (three years
before the reference date to two after), tenure exponential at domains.MONTHLY_CHURN (dimensions.subscription;
30 % at the end of 2025, 34 % at the end of 2026 and 35 % at the end of 2027, docs/audience.md)."""
TARGET_HOURS_PER_SUBSCRIBER = 2.0
"""Mean hours a subscriber streams a day that a derived audience aims at: Netflix's 2.1 h per subscription in 2023
(MoffettNathanson's reading of the engagement report; local.bands HOURS_PER_SUBSCRIBER_DAY, 1.2–3 h)."""
HOURS_PER_SUBSCRIBER_BAND = (1.2, 3.0)
"""Mean hours per subscriber per day a configured audience must give (local.bands HOURS_PER_SUBSCRIBER_DAY's range,
which cites its sources); a customer count outside it is refused."""


def subscriber_hours(batch_size: int, customers: int) -> float:
    """Mean hours a subscriber streams a day when `customers` rows carry batchSize's volume."""
    return VIEWING_HOURS_PER_BATCH_UNIT * batch_size / (customers * SUBSCRIBED_SHARE)


def audience_size(batch_size: int) -> int:
    """Customers (table rows) whose subscribers stream TARGET_HOURS_PER_SUBSCRIBER a day at batchSize's volume."""
    return max(1, round(VIEWING_HOURS_PER_BATCH_UNIT * batch_size / (TARGET_HOURS_PER_SUBSCRIBER * SUBSCRIBED_SHARE)))


def audience_range(batch_size: int) -> tuple[int, int]:
    """Smallest and largest customer counts whose subscribers stream within HOURS_PER_SUBSCRIBER_BAND."""
    low, high = HOURS_PER_SUBSCRIBER_BAND
    unit = VIEWING_HOURS_PER_BATCH_UNIT * batch_size / SUBSCRIBED_SHARE
    return max(1, math.ceil(unit / high)), max(1, math.floor(unit / low))


MAX_CUSTOMERS = audience_range(domains.MAX_BATCH_SIZE)[1]
"""Largest customers table (36,250,000): the most customers whose subscribers still stream HOURS_PER_SUBSCRIBER_BAND's
low end at the largest batchSize. Nothing holds the table: the generator reads customers per index (people.py) and
the deploying machine writes it in parts, ~5 µs a row (lakewriter/customers.py, docs/scale.md step 4)."""


PROPENSITY_SALT = 0x686F_7573_6568_6F6C
ACTIVE_SALT = 0x6163_7469_7665_6461

_NORMAL = NormalDist()


def propensity(u53: int) -> float:
    """A household's propensity from a 53-bit uniform integer (lognormal, median 1, capped)."""
    q = (u53 + 0.5) / (1 << 53)
    return min(MAX_PROPENSITY, math.exp(PROPENSITY_SIGMA * _NORMAL.inv_cdf(q)))


def active_threshold(w: float) -> int:
    """A household watches on a viewing day when that day's 53-bit draw is below this: P = w / (w + 1)."""
    return int(w / (w + 1.0) * (1 << 53))


def day_weight(w: float) -> int:
    """A household's integer weight among a day's viewers on a day it watches."""
    return max(1, round((w + 1.0) * WEIGHT_UNIT))


def viewing_day(epoch_minute_local: int) -> int:
    """The viewing day (days since the epoch) of a local moment in minutes since the local epoch."""
    return (epoch_minute_local - VIEWING_DAY_START_MINUTES) // 1440
