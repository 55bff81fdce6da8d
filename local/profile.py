"""The audience's own figures, measured from a lake and held to the reference bands (`local.bands`).

`measure(lake)` reads the lake's telemetry and its customers and titles tables with DuckDB (the same catalog views
as `python -m local run`), rebuilds each viewing session from its events, and computes every figure a band
declares, plus the series the chart draws. `figures(lake)` is the list of figures alone.

A play is a session: its minutes are its largest `watch_duration_seconds`, its start the first event's timestamp,
its local time that start in the customer's `timezone`, and it completed if it has a `complete` event. Figures per
subscriber per day count the whole UTC days the lake covers (from its marker, else every date from the first
play to the last) and the customers subscribed on each of them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from functions.shared import layout
from functions.shared.schema import CUSTOMERS, INCIDENTS, STREAMING_EVENTS, TITLES
from local.bands import AD_BANDS, BANDS_BY_KEY, DEVICE_SHARE_BANDS, MINUTES_PER_PLAY_BANDS, PLAN_STREAM_LIMITS, Band

SCHEMA = "lake"
"""DuckDB schema the lake's catalog views are registered in."""

DAYS_PER_MONTH = 365.25 / 12
LIFECYCLE_WINDOW_DAYS = 365
"""Churn and sign-ups are rates over the year up to the lake's last day."""
SHORT_PLAY_SECONDS = 60
DAYTIME_HOURS = range(10, 17)
"""10 am–5 pm local, the daytime of WEEKEND_DAYTIME_LIFT."""
PRIME_TIME_HOURS = range(20, 23)
"""8–11 pm local, the prime time of PRIME_TIME_SHARE."""
TOP_HOURS_FRACTION = 0.03
TOP_PLAYS_FRACTION = 0.10
FILM_TYPES = ("movie", "documentary")
EPISODE_TYPES = ("series",)
LENGTH_BUCKETS: tuple[tuple[str, int, int], ...] = (
    ("< 30 min", 0, 30),
    ("30–60", 30, 60),
    ("60–90", 60, 90),
    ("90–120", 90, 120),
    ("≥ 120", 120, 10_000),
)
"""Title lengths (duration_minutes, [low, high)) the chart shows completion by."""
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKEND = (5, 6)
"""Indexes of Saturday and Sunday in WEEKDAYS (ISO weekday - 1)."""


class ProfileError(ValueError):
    """The lake can't be profiled: missing, not a lake, or unreadable."""


@dataclass(frozen=True)
class Figure:
    """One measured figure of the audience beside its reference band."""

    band: Band
    value: float | None
    """The measured value in the band's unit; None when the lake holds too little to measure it."""
    detail: str = ""
    """What the value was measured over (counts), for the reader."""

    @property
    def key(self) -> str:
        return self.band.key

    @property
    def ok(self) -> bool:
        """Whether the value is inside the band."""
        return self.band.holds(self.value)


@dataclass(frozen=True)
class Profile:
    """Every figure of one lake, and the series its chart draws."""

    lake: Path
    figures: tuple[Figure, ...]
    days: tuple[dt.date, ...]
    """Whole UTC days the per-day figures cover."""
    plays: int
    customers: int
    hours_per_customer_day: tuple[float, ...] = ()
    """Each subscriber's mean hours per subscribed day."""
    device_share: dict[str, float] = field(default_factory=dict)
    device_share_by_market: dict[str, dict[str, float]] = field(default_factory=dict)
    """Market (devices.market of the customer's country) -> device type -> % of its viewing time."""
    devices_per_household: dict[int, int] = field(default_factory=dict)
    """Households with 20+ plays by how many devices they streamed on."""
    minutes_by_device: dict[str, float] = field(default_factory=dict)
    completion_by_type: dict[str, float] = field(default_factory=dict)
    completion_by_length: tuple[tuple[str, float | None, int], ...] = ()
    """(bucket, completion %, plays) per LENGTH_BUCKETS."""
    concentration: tuple[float, ...] = ()
    """Cumulative share of hours (%) held by the top 1, 2, … titles of the catalogue."""
    hours_by_weekday_hour: tuple[tuple[float, ...], ...] = ()
    """Hours per occurrence of each local weekday (rows, Monday first) and local hour (columns)."""
    max_streams: dict[int, int] = field(default_factory=dict)
    """Households by the most sessions they played at once."""
    over_limit_by_tier: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Tier -> (households over its limit, households that played)."""

    def figure(self, key: str) -> Figure:
        for fig in self.figures:
            if fig.key == key:
                return fig
        raise KeyError(key)


def figures(lake: Path) -> list[Figure]:
    """The audience's figures measured from `lake`, each with its band and whether it holds."""
    return list(measure(lake).figures)


def measure(lake: Path) -> Profile:
    """Measure every figure of `lake` (see the module docstring for what each counts)."""
    con = _open(lake)
    try:
        return _measure(con, lake)
    except duckdb.Error as exc:
        raise ProfileError(f"--lake {lake}: cannot read it: {_first_line(exc)}") from exc
    finally:
        con.close()


def ad_figures(lake: Path) -> list[Figure]:
    """The ad figures of `lake` (`local.bands.AD_BANDS`): None each while its events carry no ads.

    Ad minutes per hour: `ad_duration_seconds` of the `ad_start` events of viewers on an ad tier over the content
    hours of their plays; completion: `ad_complete` / `ad_start` per screen; frequency: `ad_start` events per
    (campaign, customer, UTC day) that has one, and the share of those over the frequency cap.
    """
    from functions.shared import ads

    con = _open(lake)
    try:
        for statement in _BUILD.split(";"):
            if statement.strip():
                con.execute(statement)
        tiers = ", ".join(f"'{t}'" for t in ads.domains.AD_SUPPORTED_TIERS)
        ad_seconds = _scalar(
            con,
            f"SELECT sum(e.ad_duration_seconds) FROM {SCHEMA}.streaming_events e JOIN customers c USING (customer_id) "
            f"WHERE e.event_type = 'ad_start' AND c.tier IN ({tiers})",
        )
        content_seconds = _scalar(con, f"SELECT sum(watch_s) FROM plays WHERE tier IN ({tiers})")
        per_device = dict(
            con.execute(
                f"SELECT device_type, sum(CASE WHEN event_type = 'ad_complete' THEN 1 ELSE 0 END) * 100.0 "
                f"/ nullif(sum(CASE WHEN event_type = 'ad_start' THEN 1 ELSE 0 END), 0) "
                f"FROM {SCHEMA}.streaming_events WHERE event_type IN ('ad_start', 'ad_complete') GROUP BY device_type"
            ).fetchall()
        )
        frequency, over = con.execute(
            f"SELECT avg(n), avg(CASE WHEN n > {ads.FREQUENCY_CAP} THEN 100.0 ELSE 0 END) FROM ("
            f"SELECT count(*) AS n FROM {SCHEMA}.streaming_events WHERE event_type = 'ad_start' "
            f"GROUP BY campaign_id, customer_id, CAST(CAST(event_timestamp AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS DATE))"
        ).fetchone()
    except duckdb.Error as exc:
        raise ProfileError(f"--lake {lake}: cannot read it: {_first_line(exc)}") from exc
    finally:
        con.close()
    minutes = ad_seconds / 60 / (content_seconds / 3600) if ad_seconds and content_seconds else None
    values = {
        "ad_minutes_per_hour": minutes,
        "ad_completion_tv": per_device.get("tv"),
        "ad_completion_mobile": per_device.get("mobile"),
        "ad_frequency_viewer_day": frequency,
        "ad_over_cap_share": over,
    }
    return [Figure(band, None if values[band.key] is None else float(values[band.key])) for band in AD_BANDS]


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _open(lake: Path) -> duckdb.DuckDBPyConnection:
    from local.sql import connect

    if not lake.is_dir():
        raise ProfileError(f"--lake {lake}: no such lake directory (make one with `python -m local run --lake DIR`)")
    from local.marker import lake_table_format

    iceberg = lake_table_format(lake) == layout.TABLE_FORMAT_ICEBERG
    prefixes = [layout.iceberg_prefix(STREAMING_EVENTS.prefix) if iceberg else STREAMING_EVENTS.prefix]
    prefixes += [CUSTOMERS.prefix, TITLES.prefix]
    missing = [p for p in prefixes if not any((lake / p).rglob("*.parquet"))]
    if missing:
        raise ProfileError(f"--lake {lake}: not a lake with telemetry: no Parquet files under {', '.join(missing)}")
    try:
        with_incidents = any((lake / INCIDENTS.prefix).rglob("*.parquet"))
        tables = (STREAMING_EVENTS, CUSTOMERS, TITLES) + ((INCIDENTS,) if with_incidents else ())
        con = connect(lake, SCHEMA, tables)
        con.execute("SET enable_progress_bar = false")
        _volume_incidents(con, with_incidents)
        return con
    except duckdb.Error as exc:
        raise ProfileError(f"--lake {lake}: cannot read it: {_first_line(exc)}") from exc


def _volume_incidents(con: duckdb.DuckDBPyConnection, with_incidents: bool) -> None:
    """`volume_incidents`: the answer key's incidents that multiply a country's session starts (live surges).

    The weekly shape is the calendar's: a play starting inside one of them weighs 1000 / volume_permille, which
    takes the event's extra starts out in expectation (a headline live event on a Tuesday is an incident to find, not
    the week's shape).
    """
    con.execute(
        "CREATE TEMP TABLE volume_incidents (start_ts TIMESTAMPTZ, end_ts TIMESTAMPTZ, country VARCHAR, weight DOUBLE)"
    )
    if with_incidents:
        con.execute(
            f"""INSERT INTO volume_incidents
                SELECT CAST(start_time AS TIMESTAMPTZ), CAST(end_time AS TIMESTAMPTZ), country, 1000.0 / volume_permille
                FROM {SCHEMA}.incidents WHERE volume_permille <> 1000 AND volume_permille > 0"""
        )


def _span(con: duckdb.DuckDBPyConnection, lake: Path) -> tuple[dt.date, ...]:
    """Whole UTC days the lake covers: from its marker if it has one, else every date from first to last play."""
    from local.marker import covered_span

    coverage = covered_span(lake)
    if coverage is not None:
        first = dt.datetime.fromtimestamp(coverage[0] / 1000, dt.UTC)
        until = dt.datetime.fromtimestamp(coverage[1] / 1000, dt.UTC)
        start = first.date() + dt.timedelta(days=0 if first.time() == dt.time(0) else 1)
        end = until.date()  # exclusive
    else:
        lo, hi = con.execute("SELECT min(start_ts)::DATE, max(start_ts)::DATE FROM plays").fetchone()
        if lo is None:
            return ()
        start, end = lo, hi + dt.timedelta(days=1)
    return tuple(start + dt.timedelta(days=i) for i in range((end - start).days))


_BUILD = f"""
CREATE TEMP TABLE sessions AS
SELECT session_id,
       any_value(customer_id) AS customer_id,
       any_value(device_id) AS device_id,
       any_value(device_type) AS device_type,
       any_value(title_id) AS title_id,
       any_value(title_type) AS title_type,
       min(CAST(event_timestamp AS TIMESTAMPTZ)) AS start_ts,
       max(CAST(event_timestamp AS TIMESTAMPTZ)) AS end_ts,
       coalesce(max(watch_duration_seconds), 0) AS watch_s,
       bool_or(event_type = 'complete') AS completed
FROM {SCHEMA}.streaming_events
GROUP BY session_id
HAVING NOT bool_or(event_type IN ('start_failed', 'exit_before_start'));

CREATE TEMP TABLE customers AS
SELECT customer_id, subscription_tier AS tier, timezone, country,
       TRY_CAST(subscription_start_date AS DATE) AS sub_start,
       TRY_CAST(subscription_end_date AS DATE) AS sub_end
FROM {SCHEMA}.customers;

CREATE TEMP TABLE titles AS
SELECT title_id, duration_minutes, TRY_CAST(release_date AS DATE) AS release_date, series_id,
       CASE WHEN series_id IS NOT NULL THEN row_number() OVER (
           PARTITION BY series_id ORDER BY season_number, episode_number, title_id) END AS episode_order
FROM {SCHEMA}.titles;

CREATE TEMP TABLE plays AS
SELECT s.*, s.start_ts::DATE AS start_date, c.tier, c.country, c.sub_start, c.sub_end, t.duration_minutes,
       t.release_date, t.series_id, t.episode_order,
       CASE WHEN c.timezone IS NOT NULL THEN timezone(c.timezone, s.start_ts) END AS local_start
FROM sessions s LEFT JOIN customers c USING (customer_id) LEFT JOIN titles t USING (title_id);
"""


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] = ()) -> float | None:
    row = con.execute(sql, list(params)).fetchone()
    return None if row is None or row[0] is None else float(row[0])


def _pct(part: float | None, whole: float | None) -> float | None:
    return None if part is None or not whole else 100.0 * part / whole


def _measure(con: duckdb.DuckDBPyConnection, lake: Path) -> Profile:
    for statement in _BUILD.split(";"):
        if statement.strip():
            con.execute(statement)
    days = _span(con, lake)
    con.execute("CREATE TEMP TABLE days (d DATE)")
    if days:
        con.executemany("INSERT INTO days VALUES (?)", [(d,) for d in days])
    con.execute(
        """CREATE TEMP TABLE subscribed AS
           SELECT c.customer_id, d.d FROM customers c, days d
           WHERE coalesce(c.sub_start, d.d) <= d.d AND (c.sub_end IS NULL OR d.d <= c.sub_end)"""
    )
    con.execute("CREATE TEMP TABLE span_plays AS SELECT p.* FROM plays p JOIN days ON p.start_date = days.d")

    plays = int(_scalar(con, "SELECT count(*) FROM plays") or 0)
    customers = int(_scalar(con, "SELECT count(*) FROM customers") or 0)
    out: list[Figure] = []
    series: dict[str, object] = {}

    out += _per_subscriber(con, series)
    out += _concurrency(con, series)
    out += _devices(con, series)
    out += _device_mix(con, series)
    out += _plays(con, series)
    out += _binge(con)
    out += _next_day(con)
    out += _concentration(con, series)
    out += _calendar(con, days, series)
    out += _lifecycle(con, days)
    out += _consistency(con)
    out += _qoe(con)
    order = {key: i for i, key in enumerate(BANDS_BY_KEY)}
    out.sort(key=lambda f: order[f.key])
    return Profile(lake=lake, figures=tuple(out), days=days, plays=plays, customers=customers, **series)  # type: ignore[arg-type]


def _fig(key: str, value: float | None, detail: str = "") -> Figure:
    return Figure(BANDS_BY_KEY[key], value, detail)


def _per_subscriber(con: duckdb.DuckDBPyConnection, series: dict[str, object]) -> list[Figure]:
    """Hours and plays per subscriber per day, their spread across subscribers, and the daily active share."""
    subscriber_days = _scalar(con, "SELECT count(*) FROM subscribed") or 0.0
    hours = _scalar(con, "SELECT sum(watch_s) / 3600.0 FROM span_plays") or 0.0
    n_plays = _scalar(con, "SELECT count(*) FROM span_plays") or 0.0
    per_customer = [
        float(v)
        for (v,) in con.execute(
            """SELECT coalesce(sum(p.watch_s), 0) / 3600.0 / count(DISTINCT s.d)
               FROM subscribed s LEFT JOIN span_plays p ON p.customer_id = s.customer_id AND p.start_date = s.d
               GROUP BY s.customer_id ORDER BY 1"""
        ).fetchall()
    ]
    series["hours_per_customer_day"] = tuple(per_customer)
    cv = None
    if per_customer and sum(per_customer) > 0:
        mean = sum(per_customer) / len(per_customer)
        cv = math.sqrt(sum((v - mean) ** 2 for v in per_customer) / len(per_customer)) / mean
    active = _scalar(
        con,
        """SELECT avg(active * 1.0 / subscribers) FROM (
               SELECT s.d, count(*) AS subscribers, count(a.customer_id) AS active
               FROM subscribed s LEFT JOIN (SELECT DISTINCT customer_id, start_date FROM span_plays) a
                 ON a.customer_id = s.customer_id AND a.start_date = s.d
               GROUP BY s.d)""",
    )
    detail = f"{n_plays:,.0f} plays over {subscriber_days:,.0f} subscriber-days"
    return [
        _fig("hours_per_subscriber_day", hours / subscriber_days if subscriber_days else None, detail),
        _fig("hours_spread_cv", cv, f"{len(per_customer):,} subscribers"),
        _fig("sessions_per_subscriber_day", n_plays / subscriber_days if subscriber_days else None, detail),
        _fig("daily_active_share", None if active is None else 100.0 * active, detail),
    ]


def _max_overlap(key: str) -> str:
    """SQL of the most sessions each `key` (customer_id or device_id) had playing at once.

    Sessions are [start, end] intervals; at equal times an end sorts before a start, so back-to-back sessions do
    not overlap.
    """
    return f"""
        SELECT {key} AS k, max(running) AS streams FROM (
            SELECT {key}, sum(step) OVER (PARTITION BY {key} ORDER BY t, step ROWS UNBOUNDED PRECEDING) AS running
            FROM (SELECT {key}, start_ts AS t, 1 AS step FROM plays
                  UNION ALL SELECT {key}, end_ts AS t, -1 AS step FROM plays))
        GROUP BY {key}"""


def _concurrency(con: duckdb.DuckDBPyConnection, series: dict[str, object]) -> list[Figure]:
    """Households over their plan's stream limit, and devices playing two sessions at once."""
    households = con.execute(
        f"SELECT h.k, h.streams, c.tier FROM ({_max_overlap('customer_id')}) h "
        "LEFT JOIN customers c ON c.customer_id = h.k"
    ).fetchall()
    histogram: dict[int, int] = {}
    by_tier: dict[str, list[int]] = {}
    for _, streams, tier in households:
        histogram[int(streams)] = histogram.get(int(streams), 0) + 1
        limit = PLAN_STREAM_LIMITS.get(tier)
        if limit is not None:
            counts = by_tier.setdefault(tier, [0, 0])
            counts[0] += int(streams) > limit
            counts[1] += 1
    series["max_streams"] = dict(sorted(histogram.items()))
    series["over_limit_by_tier"] = {t: (c[0], c[1]) for t, c in sorted(by_tier.items())}
    over = sum(c[0] for c in by_tier.values())
    judged = sum(c[1] for c in by_tier.values())
    devices = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE streams > 1) FROM ({_max_overlap('device_id')})"
    ).fetchone()
    most = max(histogram) if histogram else 0
    return [
        _fig("over_plan_limit_share", _pct(over, judged), f"{over:,} of {judged:,} households; most at once {most}"),
        _fig("device_overlap_share", _pct(devices[1], devices[0]), f"{devices[1]:,} of {devices[0]:,} devices"),
    ]


def _devices(con: duckdb.DuckDBPyConnection, series: dict[str, object]) -> list[Figure]:
    """Share of viewing time and minutes per play by device type."""
    rows = con.execute(
        "SELECT device_type, sum(watch_s), avg(watch_s) / 60.0, count(*) FROM plays GROUP BY device_type"
    ).fetchall()
    total = sum(float(r[1] or 0) for r in rows)
    share = {str(r[0]): _pct(float(r[1] or 0), total) or 0.0 for r in rows}
    minutes = {str(r[0]): float(r[2] or 0) for r in rows}
    series["device_share"] = share
    series["minutes_by_device"] = minutes
    out = [_fig(band.key, share.get(device, 0.0) if total else None) for device, band in DEVICE_SHARE_BANDS.items()]
    plays_by = {str(r[0]): int(r[3]) for r in rows}
    out += [
        _fig(band.key, minutes.get(device), f"{plays_by.get(device, 0):,} plays")
        for device, band in MINUTES_PER_PLAY_BANDS.items()
    ]
    ratio = minutes["mobile"] / minutes["tv"] if minutes.get("tv") and "mobile" in minutes else None
    out.append(_fig("mobile_tv_play_ratio", ratio))
    return out


HOUSEHOLD_MIN_PLAYS = 20
"""Households with at least this many plays count in devices_per_household (fewer show too few of their screens)."""


def _device_mix(con: duckdb.DuckDBPyConnection, series: dict[str, object]) -> list[Figure]:
    """Device shares of viewing time by market and plan, and devices per household (devices.py)."""
    from functions.shared import devices

    rows = con.execute("SELECT country, tier, device_type, sum(watch_s) FROM plays GROUP BY ALL").fetchall()
    by_market: dict[str, dict[str, float]] = {}
    by_tier: dict[str, dict[str, float]] = {}
    for country, tier, device, seconds in rows:
        if country is None:
            continue
        market = by_market.setdefault(devices.market(str(country)), {})
        market[str(device)] = market.get(str(device), 0.0) + float(seconds or 0)
        own = by_tier.setdefault(str(tier), {})
        own[str(device)] = own.get(str(device), 0.0) + float(seconds or 0)

    def shares(times: dict[str, float]) -> dict[str, float]:
        total = sum(times.values())
        return {d: 100 * t / total for d, t in times.items()} if total else {}

    market_shares = {m: shares(t) for m, t in by_market.items()}
    tier_shares = {t: shares(v) for t, v in by_tier.items()}
    series["device_share_by_market"] = market_shares
    na, eu = market_shares.get("north_america", {}), market_shares.get("europe", {})
    ad, premium = tier_shares.get("free_with_ads", {}), tier_shares.get("premium", {})
    counts = con.execute(
        f"""SELECT devices, count(*) FROM (
                SELECT customer_id, count(DISTINCT device_id) AS devices FROM plays GROUP BY customer_id
                HAVING count(*) >= {HOUSEHOLD_MIN_PLAYS})
            GROUP BY devices ORDER BY devices"""
    ).fetchall()
    histogram = {int(n): int(k) for n, k in counts}
    series["devices_per_household"] = histogram
    households = sum(histogram.values())
    mean = sum(n * k for n, k in histogram.items()) / households if households else None
    gap_detail = f"ad tier {ad.get('mobile', 0.0):.1f} %, premium {premium.get('mobile', 0.0):.1f} %"
    return [
        _fig("device_share_tv_north_america", na.get("tv") if na else None),
        _fig("device_share_tv_europe", eu.get("tv") if eu else None),
        _fig("tv_share_gap", na.get("tv", 0.0) - eu.get("tv", 0.0) if na and eu else None),
        _fig(
            "mobile_share_tier_gap",
            ad.get("mobile", 0.0) - premium.get("mobile", 0.0) if ad and premium else None,
            gap_detail if ad and premium else "",
        ),
        _fig("devices_per_household", mean, f"{households:,} households with {HOUSEHOLD_MIN_PLAYS}+ plays"),
    ]


def _plays(con: duckdb.DuckDBPyConnection, series: dict[str, object]) -> list[Figure]:
    """Minutes per play, short plays, and completion by type and by length."""
    n, mean_minutes, short = con.execute(
        f"SELECT count(*), avg(watch_s) / 60.0, count(*) FILTER (WHERE watch_s < {SHORT_PLAY_SECONDS}) FROM plays"
    ).fetchone()
    kinds = {"episode": EPISODE_TYPES, "film": FILM_TYPES}
    completion: dict[str, float] = {}
    counts: dict[str, int] = {}
    for kind, types in kinds.items():
        plays, done = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE completed) FROM plays WHERE list_contains(?, title_type)",
            [list(types)],
        ).fetchone()
        counts[kind] = int(plays)
        if plays:
            completion[kind] = 100.0 * done / plays
    series["completion_by_type"] = completion
    by_length = []
    for label, low, high in LENGTH_BUCKETS:
        plays, done = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE completed) FROM plays "
            "WHERE duration_minutes >= ? AND duration_minutes < ?",
            [low, high],
        ).fetchone()
        by_length.append((label, 100.0 * done / plays if plays else None, int(plays)))
    series["completion_by_length"] = tuple(by_length)
    episode, film = completion.get("episode"), completion.get("film")
    return [
        _fig("minutes_per_play", None if not n else float(mean_minutes), f"{n:,} plays"),
        _fig("short_play_share", _pct(short, n), f"{short:,} of {n:,} plays"),
        _fig("completion_episode", episode, f"{counts['episode']:,} plays"),
        _fig("completion_film", film, f"{counts['film']:,} plays"),
        _fig("completion_ratio", episode / film if episode is not None and film else None),
    ]


BINGE_GAP_SECONDS = 90
"""An episode play chains on the one before on its screen when it starts within this long of that one's last event
(autoplay's countdown, at most 15 s, and the next start-up, at most 60 s: functions/shared/binge.py)."""


def _binge(con: duckdb.DuckDBPyConnection) -> list[Figure]:
    """Share of episode plays chained on the previous episode of their series on the same screen, and episodes per
    sitting of two or more."""
    chained, episodes, sittings = con.execute(
        f"""WITH ordered AS (
               SELECT device_id, series_id, start_ts, end_ts,
                      coalesce(lag(series_id) OVER w = series_id AND lag(completed) OVER w
                               AND start_ts - lag(end_ts) OVER w <= INTERVAL {BINGE_GAP_SECONDS} SECOND, false)
                          AS chained
               FROM plays WINDOW w AS (PARTITION BY device_id ORDER BY start_ts, end_ts)),
           flagged AS (
               SELECT series_id, chained,
                      coalesce(lag(chained) OVER (PARTITION BY device_id ORDER BY start_ts, end_ts), false)
                          AS after_chained
               FROM ordered)
           SELECT count(*) FILTER (WHERE chained), count(*) FILTER (WHERE series_id IS NOT NULL),
                  count(*) FILTER (WHERE chained AND NOT after_chained)
           FROM flagged"""
    ).fetchone()
    return [
        _fig("binge_chained_share", _pct(chained, episodes), f"{chained:,} of {episodes:,} episode plays"),
        _fig(
            "binge_episodes_per_sitting",
            (chained + sittings) / sittings if sittings else None,
            f"{sittings:,} sittings of two or more",
        ),
    ]


def _next_day(con: duckdb.DuckDBPyConnection) -> list[Figure]:
    """Of a household's first episode play of a series on a later UTC day than its last play of it, the share that
    picks up where it left off: the episode after the last one it played (that one again if it did not complete
    it), or the one after the furthest it has played (season and episode order)."""
    continued, returns = con.execute(
        """WITH ordered AS (
               SELECT start_date, episode_order,
                      lag(start_date) OVER w AS last_date,
                      lag(episode_order) OVER w AS last_episode,
                      lag(completed) OVER w AS last_completed,
                      max(episode_order) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS seen
               FROM plays WHERE series_id IS NOT NULL
               WINDOW w AS (PARTITION BY customer_id, series_id ORDER BY start_ts, end_ts))
           SELECT count(*) FILTER (WHERE episode_order = last_episode + 1 AND last_completed
                                   OR episode_order = last_episode AND NOT last_completed
                                   OR episode_order = seen + 1),
                  count(*)
           FROM ordered WHERE last_date < start_date"""
    ).fetchone()
    return [
        _fig(
            "next_day_continues",
            _pct(continued, returns),
            f"{continued:,} of {returns:,} returns to a series on a later day",
        )
    ]


def _concentration(con: duckdb.DuckDBPyConnection, series: dict[str, object]) -> list[Figure]:
    """Share of hours on the top 3 % of the catalogue's titles and of plays on the top 10 %."""
    rows = con.execute(
        """SELECT coalesce(sum(p.watch_s), 0) AS seconds, count(p.session_id) AS plays
           FROM titles t LEFT JOIN plays p USING (title_id) GROUP BY t.title_id"""
    ).fetchall()
    n_titles = len(rows)
    seconds = sorted((float(r[0]) for r in rows), reverse=True)
    plays = sorted((int(r[1]) for r in rows), reverse=True)
    total_s, total_p = sum(seconds), sum(plays)
    curve, running = [], 0.0
    for s in seconds:
        running += s
        curve.append(100.0 * running / total_s if total_s else 0.0)
    series["concentration"] = tuple(curve)
    top_h = math.ceil(TOP_HOURS_FRACTION * n_titles)
    top_p = math.ceil(TOP_PLAYS_FRACTION * n_titles)
    return [
        _fig("top_3pct_hours_share", _pct(sum(seconds[:top_h]), total_s), f"top {top_h} of {n_titles:,} titles"),
        _fig("top_10pct_plays_share", _pct(sum(plays[:top_p]), total_p), f"top {top_p} of {n_titles:,} titles"),
    ]


def _calendar(con: duckdb.DuckDBPyConnection, days: Sequence[dt.date], series: dict[str, object]) -> list[Figure]:
    """Weekly and daily shape in the viewers' local time, over the whole days of the span, live surges weighed out."""
    occurrences = [0] * 7
    for day in days:
        occurrences[day.weekday()] += 1
    grid = [[0.0] * 24 for _ in range(7)]
    for weekday, hour, hours in con.execute(
        """SELECT isodow(p.local_start) - 1, hour(p.local_start), sum(p.watch_s * coalesce(i.weight, 1.0)) / 3600.0
           FROM span_plays p LEFT JOIN volume_incidents i
             ON p.country = i.country AND p.start_ts >= i.start_ts AND p.start_ts < i.end_ts
           WHERE p.local_start IS NOT NULL GROUP BY 1, 2"""
    ).fetchall():
        grid[int(weekday)][int(hour)] += float(hours)
    total = sum(map(sum, grid))
    per_day = [[h / occurrences[w] if occurrences[w] else 0.0 for h in grid[w]] for w in range(7)]
    series["hours_by_weekday_hour"] = tuple(tuple(row) for row in per_day)
    every_weekday = all(occurrences)
    sunday_rank = None
    if every_weekday and total:
        daily = [sum(row) for row in per_day]
        sunday_rank = 1.0 + sum(1 for w in range(6) if daily[w] > daily[6])
    lift = None
    weekend_days = sum(occurrences[w] for w in WEEKEND)
    weekdays = sum(occurrences) - weekend_days
    if weekend_days and weekdays:
        weekend = sum(grid[w][h] for w in WEEKEND for h in DAYTIME_HOURS) / weekend_days
        weekday = sum(grid[w][h] for w in range(7) if w not in WEEKEND for h in DAYTIME_HOURS) / weekdays
        lift = weekend / weekday if weekday else None
    by_hour = [sum(grid[w][h] for w in range(7)) for h in range(24)]
    peak = float(max(range(24), key=lambda h: by_hour[h])) if total else None
    prime = _pct(sum(by_hour[h] for h in PRIME_TIME_HOURS), total)
    span = f"{len(days)} days"
    return [
        _fig("sunday_rank", sunday_rank, span if every_weekday else f"{span}: not every weekday"),
        _fig("weekend_daytime_lift", lift, span),
        _fig("peak_hour", peak, span),
        _fig("prime_time_share", prime, span),
    ]


def _lifecycle(con: duckdb.DuckDBPyConnection, days: Sequence[dt.date]) -> list[Figure]:
    """Monthly churn and sign-ups over the LIFECYCLE_WINDOW_DAYS up to the lake's last whole day."""
    if not days:
        return [_fig("monthly_churn", None), _fig("monthly_signups", None)]
    end = days[-1]
    start = end - dt.timedelta(days=LIFECYCLE_WINDOW_DAYS - 1)
    cancels, signups, exposure = con.execute(
        """SELECT count(*) FILTER (WHERE sub_end BETWEEN $start AND $end),
                  count(*) FILTER (WHERE sub_start BETWEEN $start AND $end),
                  sum(greatest(0, date_diff('day', greatest(coalesce(sub_start, $start), $start),
                                            least(coalesce(sub_end, $end), $end)) + 1))
           FROM customers""",
        {"start": start, "end": end},
    ).fetchone()
    months = (exposure or 0) / DAYS_PER_MONTH
    detail = f"{cancels:,} cancels, {signups:,} sign-ups over {months:,.0f} subscriber-months to {end}"
    return [
        _fig("monthly_churn", 100.0 * cancels / months if months else None, detail),
        _fig("monthly_signups", 100.0 * signups / months if months else None, detail),
    ]


def _consistency(con: duckdb.DuckDBPyConnection) -> list[Figure]:
    """Plays outside the customer's subscription and plays before the title's release."""
    plays, outside, before, known_release = con.execute(
        """SELECT count(*),
                  count(*) FILTER (WHERE start_date < sub_start OR start_date > sub_end),
                  count(*) FILTER (WHERE start_date < release_date),
                  count(release_date)
           FROM plays"""
    ).fetchone()
    return [
        _fig("plays_outside_subscription", _pct(outside, plays), f"{outside:,} of {plays:,} plays"),
        _fig("plays_before_release", _pct(before, known_release), f"{before:,} of {known_release:,} plays"),
    ]


def _qoe(con: duckdb.DuckDBPyConnection) -> list[Figure]:
    """The player's figures: start-up percentiles, failed and abandoned starts (of attempts), rebuffering and
    stalls, fatal errors (of ended plays), time-weighted bitrate by screen and switches per hour of play."""
    events = f"{SCHEMA}.streaming_events"
    attempts = con.execute(
        f"""SELECT count(*) FILTER (WHERE event_type IN ('start', 'start_failed', 'exit_before_start')),
                   count(*) FILTER (WHERE event_type = 'start_failed'),
                   count(*) FILTER (WHERE event_type = 'exit_before_start'),
                   quantile_cont(startup_time_ms, 0.5) FILTER (WHERE event_type = 'start') / 1000.0,
                   quantile_cont(startup_time_ms, 0.95) FILTER (WHERE event_type = 'start') / 1000.0
            FROM {events}"""
    ).fetchone()
    n_attempts, failed, exited, p50, p95 = attempts
    # Whole plays in the lake: a start and an end (stop, complete or a fatal error). Sums in whole milliseconds, so
    # the figure does not depend on the order a reader adds rows in.
    plays = con.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE stalls > 0), count(*) FILTER (WHERE failed),
                   sum(watch_s), sum(stalled_ms) / 1000.0, sum(switches)
            FROM (SELECT session_id, max(watch_duration_seconds) AS watch_s, max(buffering_events) AS stalls,
                         CAST(round(max(buffering_duration_seconds) * 1000) AS BIGINT) AS stalled_ms,
                         bool_or(event_type = 'error') AS failed,
                         count(*) FILTER (WHERE event_type = 'bitrate_change') AS switches
                  FROM {events} GROUP BY session_id
                  HAVING bool_or(event_type = 'start')
                     AND bool_or(event_type IN ('stop', 'complete', 'error')))"""
    ).fetchone()
    n_plays, stalled_plays, errors, watch_s, stalled_s, switches = plays
    bitrate = dict(
        con.execute(
            f"""SELECT device_type, sum(bitrate_kbps * played) / nullif(sum(played), 0) / 1000.0
                FROM (SELECT device_type, bitrate_kbps,
                             lead(watch_duration_seconds) OVER w - watch_duration_seconds AS played
                      FROM {events} WHERE bitrate_kbps IS NOT NULL
                      WINDOW w AS (PARTITION BY session_id ORDER BY event_timestamp))
                WHERE played IS NOT NULL GROUP BY device_type"""
        ).fetchall()
    )
    played = float(watch_s or 0)
    stall = float(stalled_s or 0)
    attempt_detail = f"{failed:,} failed and {exited:,} abandoned of {n_attempts:,} attempts"
    play_detail = f"{n_plays:,} whole plays"
    return [
        _fig("startup_p50", None if p50 is None else float(p50), f"{n_attempts - failed - exited:,} starts"),
        _fig("startup_p95", None if p95 is None else float(p95), f"{n_attempts - failed - exited:,} starts"),
        _fig("vsf_share", _pct(failed, n_attempts), attempt_detail),
        _fig("ebvs_share", _pct(exited, n_attempts), attempt_detail),
        _fig("rebuffering_ratio", _pct(stall, played + stall), f"{stall / 3600:,.1f} h stalled, {play_detail}"),
        _fig("stalled_play_share", _pct(stalled_plays, n_plays), play_detail),
        _fig("vpf_share", _pct(errors, n_plays), f"{errors:,} of {n_plays:,} whole plays"),
        _fig("bitrate_tv", _float(bitrate.get("tv"))),
        _fig("bitrate_web", _float(bitrate.get("web"))),
        _fig("bitrate_mobile", _float(bitrate.get("mobile"))),
        _fig("switches_per_hour", switches / (played / 3600) if played else None, f"{switches:,} switches"),
    ]


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def failing(profile: Profile) -> list[Figure]:
    """The figures outside their bands (what a world model's test asserts is empty)."""
    return [f for f in profile.figures if not f.ok]


def as_json(profile: Profile) -> dict:
    """The profile as plain data: each figure with its value, band, verdict and sources."""
    return {
        "lake": str(profile.lake),
        "days": [d.isoformat() for d in profile.days],
        "plays": profile.plays,
        "customers": profile.customers,
        "figures": [
            {
                "key": f.key,
                "figure": f.band.figure,
                "unit": f.band.unit,
                "value": f.value,
                "low": None if math.isinf(f.band.low) else f.band.low,
                "high": None if math.isinf(f.band.high) else f.band.high,
                "ok": f.ok,
                "detail": f.detail,
                "basis": f.band.basis,
                "sources": [
                    {
                        "cite": s.cite,
                        "publisher": s.publisher,
                        "report": s.report,
                        "year": s.year,
                        "measured": s.measured,
                        "url": s.url,
                    }
                    for s in f.band.sources
                ],
            }
            for f in profile.figures
        ],
    }


def format_value(figure: Figure) -> str:
    """The value for a table cell, in the band's unit."""
    if figure.value is None:
        return "—"
    unit = figure.band.unit
    value = figure.value
    if figure.key in ("peak_hour", "sunday_rank"):
        text = f"{value:.0f}"
    elif abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}" if unit else text


def markdown_table(profile: Profile) -> str:
    """The figures as a Markdown table: figure, value, band, verdict, sources."""
    days = profile.days
    span = f"{days[0]} to {days[-1]}, {len(days)} whole days" if days else "no whole day"
    passed = sum(f.ok for f in profile.figures)
    lines = [
        f"{profile.plays:,} plays, {profile.customers:,} customers, {span}: "
        f"{passed} of {len(profile.figures)} figures inside their bands.",
        "",
        "| figure | value | band | | sources |",
        "|---|---:|---:|:-:|---|",
    ]
    for f in profile.figures:
        cites = "; ".join(s.cite for s in f.band.sources)
        lines.append(
            f"| {f.band.figure} | {format_value(f)} | {f.band.describe()} | {'ok' if f.ok else '**out**'} | {cites} |"
        )
    return "\n".join(lines)
