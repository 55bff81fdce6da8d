"""The workgroup's named queries: one SQL text each, run by Athena and by the local DuckDB lake.

The SQL keeps to what Trino (Athena engine v3) and DuckDB both accept: `substr`, `CAST(... AS
VARCHAR/DOUBLE)`, `current_date`, `ROUND`, `COUNT(DISTINCT ...)`, `COALESCE`. Divisions are made in DOUBLE:
Trino gives a DECIMAL quotient the larger operand scale (SUM(seconds) / 3600.0 keeps one decimal), DuckDB
a DOUBLE, so a decimal literal would make the two answer differently.
"""

from dataclasses import dataclass

_TODAY = "CAST(current_date AS VARCHAR)"

RECENT_DAYS = 30
"""Days (today included) the windowed named queries read; only a query whose description says so reads all history."""

ALL_HISTORY = "scans all history on purpose"
"""Words a description must carry for a query on the partitioned table that has no partition filter."""

_FIRST_DAY = f"CAST(CAST(current_date - INTERVAL '{RECENT_DAYS - 1}' DAY AS DATE) AS VARCHAR)"
"""First day of the window as yyyy-MM-dd, in both engines (DuckDB's date minus interval is a timestamp, hence DATE)."""


def recent_partitions(alias: str = "") -> str:
    """Predicate keeping the last RECENT_DAYS days of partitions.

    The year bound is on one partition column alone, so Athena prunes the projected years before it evaluates the
    whole-date comparison on the rest (at most two years of hours, not every projected one).
    """
    col = f"{alias}." if alias else ""
    return (
        f"{col}year >= substr({_FIRST_DAY}, 1, 4)\n"
        f"  AND concat({col}year, '-', {col}month, '-', {col}day) >= {_FIRST_DAY}"
    )


@dataclass(frozen=True)
class NamedQuery:
    """One saved query of the workgroup."""

    name: str
    """Query name in the workgroup."""
    description: str
    """What the query answers."""
    sql_template: str
    """SQL with `{database}` where the Glue database name goes."""

    def sql(self, database: str) -> str:
        # Quoted, as Athena's SELECT needs for a database named like a keyword (order, table) or starting with a digit.
        quoted = '"' + database.replace('"', '""') + '"'
        return self.sql_template.format(database=quoted).strip() + "\n"


BASE_QUERIES: tuple[NamedQuery, ...] = (
    NamedQuery(
        "total_events",
        f"Total number of playback events; {ALL_HISTORY} (COUNT(*) reads only Parquet footers)",
        "SELECT COUNT(*) AS events FROM {database}.streaming_events",
    ),
    NamedQuery(
        "events_by_type",
        f"Events by type, last {RECENT_DAYS} days",
        f"""
SELECT event_type, COUNT(*) AS count
FROM {{database}}.streaming_events
WHERE {recent_partitions()}
GROUP BY event_type
ORDER BY count DESC, event_type
""",
    ),
    NamedQuery(
        "content_engagement",
        f"Average watch duration by title type, last {RECENT_DAYS} days",
        f"""
SELECT title_type, ROUND(AVG(watch_duration_seconds), 1) AS avg_duration
FROM {{database}}.streaming_events
WHERE {recent_partitions()}
GROUP BY title_type
ORDER BY avg_duration DESC, title_type
""",
    ),
    NamedQuery(
        "events_today_by_hour",
        "Today's events per hour and type; reads only today's partitions",
        f"""
SELECT hour, event_type, COUNT(*) AS events
FROM {{database}}.streaming_events
WHERE year = substr({_TODAY}, 1, 4)
  AND month = substr({_TODAY}, 6, 2)
  AND day = substr({_TODAY}, 9, 2)
GROUP BY hour, event_type
ORDER BY hour, event_type
""",
    ),
    NamedQuery(
        "top_titles_by_watch_hours",
        f"Titles with the most hours watched in finished sessions, last {RECENT_DAYS} days, with their catalog details",
        f"""
SELECT t.title_id, t.title_name, t.title_type, t.genre,
       ROUND(CAST(SUM(e.watch_duration_seconds) AS DOUBLE) / 3600, 2) AS watch_hours,
       COUNT(DISTINCT e.session_id) AS sessions
FROM {{database}}.streaming_events e
JOIN {{database}}.titles t ON t.title_id = e.title_id
WHERE e.event_type IN ('stop', 'complete')
  AND {recent_partitions("e")}
GROUP BY t.title_id, t.title_name, t.title_type, t.genre
ORDER BY watch_hours DESC, t.title_id
LIMIT 10
""",
    ),
    NamedQuery(
        "engagement_by_subscription_tier",
        f"Sessions, completion and watch time per subscription tier, last {RECENT_DAYS} days",
        f"""
SELECT c.subscription_tier,
       COUNT(DISTINCT e.session_id) AS sessions,
       COUNT(DISTINCT e.customer_id) AS viewers,
       ROUND(AVG(e.completion_percentage), 1) AS avg_completion_pct,
       ROUND(AVG(CAST(e.watch_duration_seconds AS DOUBLE)) / 60, 1) AS avg_watch_minutes
FROM {{database}}.streaming_events e
JOIN {{database}}.customers c ON c.customer_id = e.customer_id
WHERE e.event_type IN ('stop', 'complete')
  AND {recent_partitions("e")}
GROUP BY c.subscription_tier
ORDER BY sessions DESC, c.subscription_tier
""",
    ),
    NamedQuery(
        "quality_of_experience_by_connection",
        f"Buffering and errors per connection type, last {RECENT_DAYS} days: where viewers suffer",
        f"""
SELECT connection_type,
       COUNT(*) AS events,
       ROUND(AVG(bandwidth_mbps), 1) AS avg_bandwidth_mbps,
       ROUND(AVG(CAST(buffering_events AS DOUBLE)), 3) AS avg_buffering_events,
       ROUND(AVG(buffering_duration_seconds), 2) AS avg_buffering_seconds,
       ROUND(AVG(CAST(error_count AS DOUBLE)), 3) AS avg_errors
FROM {{database}}.streaming_events
WHERE {recent_partitions()}
GROUP BY connection_type
ORDER BY avg_buffering_seconds DESC, connection_type
""",
    ),
    NamedQuery(
        "campaign_performance",
        "Campaign delivery and efficiency by industry",
        """
SELECT industry,
       COUNT(*) AS campaigns,
       SUM(impressions) AS impressions,
       SUM(clicks) AS clicks,
       ROUND(CAST(SUM(clicks) AS DOUBLE) / NULLIF(SUM(impressions), 0) * 100, 3) AS ctr_pct,
       ROUND(SUM(spent_amount), 2) AS spent
FROM {database}.campaigns
GROUP BY industry
ORDER BY spent DESC, industry
""",
    ),
    NamedQuery(
        "join_coverage",
        f"Share of events of the last {RECENT_DAYS} days whose customer and title exist in the dimension tables "
        "(expect 100)",
        f"""
SELECT COUNT(*) AS events,
       ROUND(100 * CAST(COUNT(c.customer_id) AS DOUBLE) / COUNT(*), 2) AS pct_with_customer,
       ROUND(100 * CAST(COUNT(t.title_id) AS DOUBLE) / COUNT(*), 2) AS pct_with_title
FROM {{database}}.streaming_events e
LEFT JOIN {{database}}.customers c ON c.customer_id = e.customer_id
LEFT JOIN {{database}}.titles t ON t.title_id = e.title_id
WHERE {recent_partitions("e")}
""",
    ),
)


# --- Quality of experience (issue 17) ------------------------------------------------------------------------------
# Definitions as in docs/research/qoe-ads-incidents.md §0 (Conviva, Mux, CTA R4WG20): an attempt is a session's
# `start`, `start_failed` or `exit_before_start` (exactly one each); start-up time is that of `start` events; video
# start failures and exits before start are shares of attempts; a play's rebuffering ratio is its stalled time over
# played plus stalled time, read from the cumulative counters of its last event (`stop`, `complete` or `error`).
# Percentiles are nearest-rank, from ROW_NUMBER() and COUNT(*) windows with integer arithmetic: exact and the same in
# both engines (DuckDB's quantile_cont and Trino's approx_percentile differ in name and in answer).

ATTEMPT_TYPES = ("start", "start_failed", "exit_before_start")
PLAY_END_TYPES = ("stop", "complete", "error")


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _share(condition: str, of: str = "COUNT(*)", percent: bool = True, digits: int = 2) -> str:
    """ROUND of the share of rows meeting `condition` among `of`, in DOUBLE (see the module docstring)."""
    scale = "100 * " if percent else ""
    return f"ROUND({scale}CAST(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END) AS DOUBLE) / NULLIF({of}, 0), {digits})"


def _percentile(column: str, percent: int) -> str:
    """Nearest-rank percentile of `column` over rows ranked `rn` of `n` in their group (rn, n from windows)."""
    return f"MIN(CASE WHEN rn * 100 >= {percent} * n THEN {column} END)"


def _startup_query(keys: tuple[str, ...]) -> str:
    by = ", ".join(keys)
    on = " AND ".join(f"p.{k} = a.{k}" for k in keys)
    return f"""
WITH attempts AS (
  SELECT {by}, event_type, startup_time_ms
  FROM {{database}}.streaming_events
  WHERE event_type IN {_in(ATTEMPT_TYPES)}
    AND {recent_partitions()}
), ranked AS (
  SELECT {by}, startup_time_ms,
         ROW_NUMBER() OVER (PARTITION BY {by} ORDER BY startup_time_ms) AS rn,
         COUNT(*) OVER (PARTITION BY {by}) AS n
  FROM attempts
  WHERE event_type = 'start' AND startup_time_ms IS NOT NULL
), percentiles AS (
  SELECT {by}, {_percentile("startup_time_ms", 50)} AS p50, {_percentile("startup_time_ms", 95)} AS p95
  FROM ranked
  GROUP BY {by}
)
SELECT {", ".join(f"a.{k}" for k in keys)},
       COUNT(*) AS attempts,
       p.p50 AS startup_p50_ms,
       p.p95 AS startup_p95_ms,
       {_share("a.event_type = 'start_failed'")} AS start_failure_pct,
       {_share("a.event_type = 'exit_before_start'")} AS exit_before_start_pct
FROM attempts a
LEFT JOIN percentiles p ON {on}
GROUP BY {", ".join(f"a.{k}" for k in keys)}, p.p50, p.p95
ORDER BY attempts DESC, {", ".join(f"a.{k}" for k in keys)}
"""


QOE_QUERIES: tuple[NamedQuery, ...] = (
    NamedQuery(
        "qoe_startup_by_device",
        f"Start attempts, start-up time p50/p95 (ms), video start failures and exits before start (% of attempts) "
        f"per device type, last {RECENT_DAYS} days",
        _startup_query(("device_type",)),
    ),
    NamedQuery(
        "qoe_startup_by_isp",
        f"Start attempts, start-up time p50/p95 (ms), video start failures and exits before start (% of attempts) "
        f"per country and ISP or carrier, last {RECENT_DAYS} days",
        _startup_query(("country", "isp")),
    ),
    NamedQuery(
        "qoe_rebuffering_by_connection",
        f"Rebuffering ratio (stalled / (played + stalled) time, %), plays with a stall, stalls per play and playback "
        f"failures (% of ended plays) per connection type, last {RECENT_DAYS} days",
        f"""
SELECT connection_type,
       COUNT(*) AS plays,
       ROUND(100 * SUM(buffering_duration_seconds)
             / NULLIF(SUM(buffering_duration_seconds) + SUM(CAST(watch_duration_seconds AS DOUBLE)), 0), 3)
         AS rebuffering_ratio_pct,
       {_share("buffering_events > 0", digits=1)} AS plays_with_stall_pct,
       ROUND(CAST(SUM(buffering_events) AS DOUBLE) / COUNT(*), 3) AS stalls_per_play,
       {_share("event_type = 'error'")} AS playback_failure_pct
FROM {{database}}.streaming_events
WHERE event_type IN {_in(PLAY_END_TYPES)}
  AND {recent_partitions()}
GROUP BY connection_type
ORDER BY rebuffering_ratio_pct DESC, connection_type
""",
    ),
    NamedQuery(
        "qoe_bitrate_by_device",
        f"Average rendition bitrate (kbps, over the events that carry one), its range and adaptive bitrate changes per "
        f"started play per device type, last {RECENT_DAYS} days",
        f"""
SELECT device_type,
       ROUND(AVG(CAST(bitrate_kbps AS DOUBLE)), 0) AS avg_bitrate_kbps,
       MIN(bitrate_kbps) AS min_bitrate_kbps,
       MAX(bitrate_kbps) AS max_bitrate_kbps,
       {
            _share(
                "event_type = 'bitrate_change'",
                of="SUM(CASE WHEN event_type = 'start' THEN 1 ELSE 0 END)",
                percent=False,
            )
        } AS bitrate_changes_per_play
FROM {{database}}.streaming_events
WHERE {recent_partitions()}
GROUP BY device_type
ORDER BY avg_bitrate_kbps DESC, device_type
""",
    ),
)

# --- Anomalies: robust z-scores of hourly QoE per scope ------------------------------------------------------------

ANOMALY_Z = (7, 2)
"""Flag a cell whose modified z-score is at least 7/2 = 3.5 (Iglewicz & Hoaglin 1993, "How to Detect and Handle
Outliers"; research doc §4b). Kept as a fraction: the queries carry no decimal literal (module docstring)."""
MAD_TO_SIGMA = (14826, 10000)
"""1.4826 x MAD estimates a normal standard deviation (the same as Iglewicz & Hoaglin's 0.6745 / MAD)."""
MIN_ATTEMPTS = 25
"""A cell is scored only with at least this many attempts: Conviva's AI alerts need >= 25 attempts per interval and
cohort before alerting (Conviva Experience Insights alerts doc; research doc §4b)."""
BASELINE_DAYS = 7
"""A cell's baseline is the same scope at the same hour of the day on the previous BASELINE_DAYS days. The research
doc's suggestion (same hour of the week over 4 weeks) needs a month of history; a day-period baseline works in the
14-day lakes the local tools build and still follows the evening peak (judgement)."""
MIN_BASELINE_POINTS = 3
"""Cells with fewer earlier points (the lake's first days) are not scored (judgement)."""
RATE_FLOOR = (5, 1000)
"""The binomial noise floor of a rate uses at least this probability: 0.5 %, the bottom of the VSF band (research
doc §5), so a baseline of zero failures does not make one failure an anomaly."""
RATE_FLOOR_EVENTS = 2
"""...and at least this many events' worth of the cell's trials (2 / trials): the normal approximation of a binomial
count of a few events flags noise (at 40 attempts and a 1 % baseline, 2 failures happen one hour in 16); with it a
cell of 40 attempts needs 6 failures (judgement)."""
REBUFFERING_FLOOR = (10, (5, 10000))
"""Scale floor of the rebuffering ratio: 10 / sqrt(plays) of the baseline plus 0.05 point. Derived first as 2 /
sqrt(n) (about a fifth of plays stall, research doc §5, so the share of time stalled over n plays has a relative
standard error near sqrt(0.8 / (0.2 n))) widened to 3 for the spread of stall lengths; measured on a 14-day lake's
incident-free cells, stall time is far more clumped (99.9th percentile of z was 7.0 at 3), hence 10 (3.1)."""
STARTUP_FLOOR = (3, 1)
"""Scale floor of the start-up p95: 3 / sqrt(starts) of the baseline. Derived: the p95 of n log-normal start-up
times (sigma 0.7, research doc §1a band p95/median ~3) has a relative standard error of about
sqrt(0.95 x 0.05 / n) / phi(1.645) x 0.7 = 1.5 / sqrt(n); the world mixes screens and connections, so its upper tail
is wider: measured on a 14-day lake's incident-free cells, the 99.9th percentile of z was 4.2 at 2, 2.8 at 3."""
VOLUME_FLOOR = (3, 20)
"""Scale floor of the attempt share: the larger of its binomial noise over the hour's attempts and 15 % of the
baseline: households watch on some days and not others, so a scope's share varies beyond sampling (measured on a
14-day lake's incident-free cells: 99.9th percentile of z 4.1 at 10 %, 3.8 at 15 %)."""

ANOMALY_SCOPES = ("country", "isp", "os", "app")
"""country; isp as '<country> / <isp>' (names repeat across countries); os as the device_os; app as '<device_os>
<app_version>'. A new app version's own cells are small (and have no history on its first days): a crash in it
shows first in its OS's cells."""
OS_METRICS = ("start_failure_rate", "error_rate")
"""What the os scope scores: an app's crash (start failures, fatal errors). Its other metrics move with every CDN or
ISP incident of its viewers' markets and would only repeat the country and isp cells' alerts (judgement)."""
OS_Z = (10, 1)
"""The os scope's threshold, z >= 10: an OS's cells pool every market, so each ISP or CDN incident anywhere lifts
them a little (z 3.5-8 on the default world's two weeks), while a crash of one app version lifts them far (z 14-22
for the seed's iOS crash, whose own version's cells were below MIN_ATTEMPTS). Judgement, from that measurement."""
ANOMALY_METRICS = ("start_failure_rate", "error_rate", "rebuffering_ratio", "startup_p95_ms", "attempt_share")
"""attempt_share is the scope's share of the hour's attempts (of all scopes of its kind): the volume with the
world's daily and weekly curve divided out, which a same-hour-of-day baseline alone leaves in (weekend hours run up
to half again above weekday ones)."""


def _frac(pair: tuple[int, int]) -> str:
    return f"(CAST({pair[0]} AS DOUBLE) / {pair[1]})"


def _rank_median(source: str, value: str, keys: str, out: str) -> str:
    """Median of `value` per `keys` of `source`, by rank: the middle row, or the mean of the two middle rows."""
    return f"""
  SELECT {keys}, AVG({value}) AS {out}, MAX(n) AS points
  FROM (
    SELECT {keys}, {value},
           ROW_NUMBER() OVER (PARTITION BY {keys} ORDER BY {value}) AS rn,
           COUNT(*) OVER (PARTITION BY {keys}) AS n
    FROM {source}
  ) ranked
  WHERE 2 * rn IN (n, n + 1, n + 2)
  GROUP BY {keys}"""


_CELL = "scope_type, scope, hour, metric"
_P0 = f"GREATEST(y.baseline, {_frac(RATE_FLOOR)}, CAST({RATE_FLOOR_EVENTS} AS DOUBLE) / x.trials)"
"""The probability a rate's binomial noise floor uses (RATE_FLOOR, RATE_FLOOR_EVENTS)."""
_ON = " AND ".join(f"x.{k} = y.{k}" for k in ("scope_type", "scope", "hour", "metric"))

ANOMALY_SQL = f"""
WITH events AS (
  SELECT event_type, country, isp, device_os, app_version, startup_time_ms, buffering_duration_seconds,
         watch_duration_seconds,
         concat(substr(event_timestamp, 1, 10), ' ', substr(event_timestamp, 12, 2), ':00:00') AS hour
  FROM {{database}}.streaming_events
  WHERE event_type IN {_in(ATTEMPT_TYPES + PLAY_END_TYPES)}
    AND {recent_partitions()}
), scoped AS (
  SELECT e.*, s.scope_type,
         CASE s.scope_type
           WHEN 'country' THEN e.country
           WHEN 'isp' THEN concat(e.country, ' / ', e.isp)
           WHEN 'os' THEN e.device_os
           ELSE concat(e.device_os, ' ', e.app_version)
         END AS scope
  FROM events e
  CROSS JOIN (VALUES {", ".join(f"('{s}')" for s in ANOMALY_SCOPES)}) AS s (scope_type)
), cells AS (
  SELECT scope_type, scope, hour,
         SUM(CASE WHEN event_type IN {_in(ATTEMPT_TYPES)} THEN 1 ELSE 0 END) AS attempts,
         SUM(CASE WHEN event_type = 'start_failed' THEN 1 ELSE 0 END) AS failed,
         SUM(CASE WHEN event_type = 'start' THEN 1 ELSE 0 END) AS starts,
         SUM(CASE WHEN event_type = 'error' THEN 1 ELSE 0 END) AS errors,
         SUM(CASE WHEN event_type IN {_in(PLAY_END_TYPES)} THEN 1 ELSE 0 END) AS ended,
         SUM(CASE WHEN event_type IN {_in(PLAY_END_TYPES)} THEN buffering_duration_seconds ELSE 0 END) AS stalled,
         SUM(CASE WHEN event_type IN {_in(PLAY_END_TYPES)} THEN CAST(watch_duration_seconds AS DOUBLE) ELSE 0 END)
           AS played
  FROM scoped
  GROUP BY scope_type, scope, hour
), startup AS (
  SELECT scope_type, scope, hour, {_percentile("startup_time_ms", 95)} AS p95
  FROM (
    SELECT scope_type, scope, hour, startup_time_ms,
           ROW_NUMBER() OVER (PARTITION BY scope_type, scope, hour ORDER BY startup_time_ms) AS rn,
           COUNT(*) OVER (PARTITION BY scope_type, scope, hour) AS n
    FROM scoped
    WHERE event_type = 'start' AND startup_time_ms IS NOT NULL
  ) ranked
  GROUP BY scope_type, scope, hour
), shares AS (
  SELECT c.*, SUM(c.attempts) OVER (PARTITION BY c.scope_type, c.hour) AS hour_attempts
  FROM cells c
), metrics AS (
  SELECT c.scope_type, c.scope, c.hour, m.metric, CAST(c.hour AS TIMESTAMP) AS at, substr(c.hour, 12, 2) AS hod,
         c.attempts,
         CASE m.metric
           WHEN 'error_rate' THEN c.starts
           WHEN 'startup_p95_ms' THEN c.starts
           WHEN 'rebuffering_ratio' THEN c.ended
           WHEN 'attempt_share' THEN c.hour_attempts
           ELSE c.attempts
         END AS trials,
         CASE m.metric
           WHEN 'start_failure_rate' THEN CAST(c.failed AS DOUBLE) / c.attempts
           WHEN 'error_rate' THEN CAST(c.errors AS DOUBLE) / NULLIF(c.starts, 0)
           WHEN 'rebuffering_ratio' THEN c.stalled / NULLIF(c.stalled + c.played, 0)
           WHEN 'startup_p95_ms' THEN CAST(p.p95 AS DOUBLE)
           ELSE CAST(c.attempts AS DOUBLE) / c.hour_attempts
         END AS value
  FROM shares c
  LEFT JOIN startup p ON p.scope_type = c.scope_type AND p.scope = c.scope AND p.hour = c.hour
  CROSS JOIN (VALUES {", ".join(f"('{m}')" for m in ANOMALY_METRICS)}) AS m (metric)
  WHERE c.attempts >= {MIN_ATTEMPTS}
    AND (c.scope_type <> 'os' OR m.metric IN {_in(OS_METRICS)})
), history AS (
  SELECT x.scope_type, x.scope, x.hour, x.metric, y.value AS past
  FROM metrics x
  JOIN metrics y
    ON y.scope_type = x.scope_type AND y.scope = x.scope AND y.metric = x.metric AND y.hod = x.hod
   AND y.at < x.at AND y.at >= x.at - INTERVAL '{BASELINE_DAYS}' DAY
  WHERE y.value IS NOT NULL
), medians AS ({_rank_median("history", "past", _CELL, "baseline")}
), deviations AS (
  SELECT x.scope_type, x.scope, x.hour, x.metric, ABS(x.past - y.baseline) AS deviation
  FROM history x
  JOIN medians y ON {_ON}
), mads AS ({_rank_median("deviations", "deviation", _CELL, "mad")}
), scored AS (
  SELECT x.hour, x.scope_type, x.scope, x.metric, x.value, x.attempts, y.baseline, y.points,
         GREATEST(
           z.mad * {_frac(MAD_TO_SIGMA)},
           CASE
             WHEN x.metric IN ('start_failure_rate', 'error_rate') THEN
               SQRT({_P0} * (1 - {_P0}) / x.trials)
             WHEN x.metric = 'rebuffering_ratio' THEN
               y.baseline * {REBUFFERING_FLOOR[0]} / SQRT(x.trials) + {_frac(REBUFFERING_FLOOR[1])}
             WHEN x.metric = 'startup_p95_ms' THEN y.baseline * {_frac(STARTUP_FLOOR)} / SQRT(x.trials)
             ELSE GREATEST(SQRT(y.baseline * (1 - y.baseline) / x.trials), y.baseline * {_frac(VOLUME_FLOOR)})
           END
         ) AS scale
  FROM metrics x
  JOIN medians y ON {_ON}
  JOIN mads z ON z.scope_type = x.scope_type AND z.scope = x.scope AND z.hour = x.hour AND z.metric = x.metric
  WHERE x.value IS NOT NULL AND x.trials > 0 AND y.points >= {MIN_BASELINE_POINTS}
)
SELECT hour, scope_type, scope, metric, ROUND(value, 4) AS value, ROUND(baseline, 4) AS baseline,
       ROUND(scale, 4) AS scale, ROUND((value - baseline) / scale, 1) AS z, attempts, points AS baseline_points
FROM scored
WHERE scale > 0 AND (
  (scope_type <> 'os' AND (value - baseline) * {ANOMALY_Z[1]} >= {ANOMALY_Z[0]} * scale)
  OR (scope_type = 'os' AND (value - baseline) * {OS_Z[1]} >= {OS_Z[0]} * scale)
)
ORDER BY hour, scope_type, scope, metric
"""

INCIDENT_QUERIES: tuple[NamedQuery, ...] = (
    NamedQuery(
        "qoe_anomalies",
        f"Hourly anomalies, last {RECENT_DAYS} days: (hour, scope, metric) cells of start failure rate, fatal error "
        f"rate, rebuffering ratio, start-up p95 and attempts per country, ISP and OS + app version whose robust "
        f"z-score against the same hour of the previous {BASELINE_DAYS} days (median, 1.4826 x MAD, with noise "
        f"floors) is at least 3.5; cells need {MIN_ATTEMPTS} attempts (docs/incidents.md)",
        ANOMALY_SQL,
    ),
)

INCIDENTS_OVERVIEW = NamedQuery(
    "incidents_overview",
    "The seeded incidents (the anomaly queries' answer key) by type and severity: count and mean length in hours",
    """
SELECT incident_type, severity,
       COUNT(*) AS incidents,
       ROUND(AVG(date_diff('minute', CAST(replace(substr(start_time, 1, 19), 'T', ' ') AS TIMESTAMP),
                           CAST(replace(substr(end_time, 1, 19), 'T', ' ') AS TIMESTAMP))) / 60, 2) AS avg_hours
FROM {database}.incidents
GROUP BY incident_type, severity
ORDER BY incident_type, severity
""",
)

AD_QUERIES: tuple[NamedQuery, ...] = (
    NamedQuery(
        "ad_reach_and_frequency",
        f"Impressions (ad_start), reach (viewers with one or more), frequency and completion per campaign, last "
        f"{RECENT_DAYS} days",
        f"""
WITH per_campaign AS (
    SELECT campaign_id, ad_position,
           SUM(CASE WHEN event_type = 'ad_start' THEN 1 ELSE 0 END) AS impressions,
           SUM(CASE WHEN event_type = 'ad_complete' THEN 1 ELSE 0 END) AS completed,
           COUNT(DISTINCT CASE WHEN event_type = 'ad_start' THEN customer_id END) AS reach
    FROM {{database}}.streaming_events
    WHERE event_type IN ('ad_start', 'ad_complete')
      AND {recent_partitions()}
    GROUP BY campaign_id, ad_position
)
SELECT p.campaign_id, c.campaign_name, c.advertiser_name, p.ad_position, p.impressions, p.reach,
       ROUND(CAST(p.impressions AS DOUBLE) / NULLIF(p.reach, 0), 2) AS frequency,
       ROUND(100 * CAST(p.completed AS DOUBLE) / NULLIF(p.impressions, 0), 1) AS completion_pct
FROM per_campaign p
LEFT JOIN {{database}}.campaigns c ON c.campaign_id = p.campaign_id
ORDER BY p.impressions DESC, p.campaign_id
""",
    ),
    NamedQuery(
        "ad_completion_by_device",
        f"Ads started and completed per device type, last {RECENT_DAYS} days (CTV completes ~95 %, mobile ~80 %)",
        f"""
SELECT device_type,
       SUM(CASE WHEN event_type = 'ad_start' THEN 1 ELSE 0 END) AS ads_started,
       SUM(CASE WHEN event_type = 'ad_complete' THEN 1 ELSE 0 END) AS ads_completed,
       ROUND(100 * CAST(SUM(CASE WHEN event_type = 'ad_complete' THEN 1 ELSE 0 END) AS DOUBLE)
             / NULLIF(SUM(CASE WHEN event_type = 'ad_start' THEN 1 ELSE 0 END), 0), 1) AS completion_pct,
       ROUND(CAST(SUM(CASE WHEN event_type = 'ad_start' THEN ad_duration_seconds ELSE 0 END) AS DOUBLE) / 60, 1)
           AS ad_minutes_booked
FROM {{database}}.streaming_events
WHERE event_type IN ('ad_start', 'ad_complete')
  AND {recent_partitions()}
GROUP BY device_type
ORDER BY ads_started DESC, device_type
""",
    ),
    NamedQuery(
        "ad_delivery_reconciliation",
        "Impressions in the lake per campaign against the campaigns table's flight figures, prorated to the days of "
        "the flight the lake holds, from its first hour with events to its last (docs/ads.md: expect a ratio near 1); "
        f"{ALL_HISTORY} (a flight runs up to a year)",
        """
WITH lake AS (
    SELECT MIN(concat(year, '-', month, '-', day)) AS first_day, MAX(concat(year, '-', month, '-', day)) AS last_day
    FROM {database}.streaming_events
),
edges AS (
    SELECT l.first_day, l.last_day,
           MIN(CASE WHEN concat(e.year, '-', e.month, '-', e.day) = l.first_day THEN CAST(e.hour AS INTEGER) END)
               AS first_hour,
           MAX(CASE WHEN concat(e.year, '-', e.month, '-', e.day) = l.last_day THEN CAST(e.hour AS INTEGER) END)
               AS last_hour
    FROM {database}.streaming_events e CROSS JOIN lake l
    GROUP BY l.first_day, l.last_day
),
delivered AS (
    SELECT campaign_id, COUNT(*) AS impressions, COUNT(DISTINCT customer_id) AS reach
    FROM {database}.streaming_events
    WHERE event_type = 'ad_start'
    GROUP BY campaign_id
),
flights AS (
    SELECT c.campaign_id, c.campaign_name, c.impressions AS table_impressions, c.unique_viewers,
           date_diff('day', CAST(c.start_date AS DATE), CAST(c.end_date AS DATE)) + 1 AS flight_days,
           date_diff('day', GREATEST(CAST(c.start_date AS DATE), CAST(e.first_day AS DATE)),
                     LEAST(CAST(c.end_date AS DATE), CAST(e.last_day AS DATE))) + 1
           - CASE WHEN c.start_date <= e.first_day THEN CAST(e.first_hour AS DOUBLE) / 24 ELSE 0 END
           - CASE WHEN c.end_date >= e.last_day THEN CAST(23 - e.last_hour AS DOUBLE) / 24 ELSE 0 END AS days_in_lake
    FROM {database}.campaigns c CROSS JOIN edges e
    WHERE c.start_date <= e.last_day AND c.end_date >= e.first_day
)
SELECT f.campaign_id, f.campaign_name, f.flight_days, f.days_in_lake,
       ROUND(CAST(f.table_impressions AS DOUBLE) * f.days_in_lake / f.flight_days, 1) AS expected_impressions,
       COALESCE(d.impressions, 0) AS delivered_impressions,
       ROUND(CAST(COALESCE(d.impressions, 0) AS DOUBLE)
             / NULLIF(CAST(f.table_impressions AS DOUBLE) * f.days_in_lake / f.flight_days, 0), 3) AS ratio,
       f.unique_viewers AS table_reach, COALESCE(d.reach, 0) AS delivered_reach
FROM flights f
LEFT JOIN delivered d ON d.campaign_id = f.campaign_id
ORDER BY expected_impressions DESC, f.campaign_id
""",
    ),
)
"""Ad queries (issue 17): impressions are ad_start events (first frame, the MRC/IAB impression)."""

NAMED_QUERIES: tuple[NamedQuery, ...] = (
    *BASE_QUERIES,
    *QOE_QUERIES,
    *INCIDENT_QUERIES,
    INCIDENTS_OVERVIEW,
    *AD_QUERIES,
)

NAMED_QUERIES_BY_NAME = {q.name: q for q in NAMED_QUERIES}

READY_QUERY = NAMED_QUERIES_BY_NAME["events_by_type"]
"""The query a stack output offers to paste into Athena."""
