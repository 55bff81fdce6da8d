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


NAMED_QUERIES: tuple[NamedQuery, ...] = (
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
        f"the flight the lake holds (docs/ads.md: expect a ratio near 1); {ALL_HISTORY} (a flight runs up to a year)",
        """
WITH lake AS (
    SELECT MIN(concat(year, '-', month, '-', day)) AS first_day, MAX(concat(year, '-', month, '-', day)) AS last_day
    FROM {database}.streaming_events
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
           date_diff('day', GREATEST(CAST(c.start_date AS DATE), CAST(l.first_day AS DATE)),
                     LEAST(CAST(c.end_date AS DATE), CAST(l.last_day AS DATE))) + 1 AS days_in_lake
    FROM {database}.campaigns c CROSS JOIN lake l
    WHERE c.start_date <= l.last_day AND c.end_date >= l.first_day
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

NAMED_QUERIES += AD_QUERIES

NAMED_QUERIES_BY_NAME = {q.name: q for q in NAMED_QUERIES}

READY_QUERY = NAMED_QUERIES_BY_NAME["events_by_type"]
"""The query a stack output offers to paste into Athena."""
