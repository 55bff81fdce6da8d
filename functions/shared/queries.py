"""The workgroup's named queries: one SQL text each, run by Athena and by the local DuckDB lake.

The SQL keeps to what Trino (Athena engine v3) and DuckDB both accept: `substr`, `CAST(... AS
VARCHAR/DOUBLE)`, `current_date`, `ROUND`, `COUNT(DISTINCT ...)`, `COALESCE`. Divisions are made in DOUBLE:
Trino gives a DECIMAL quotient the larger operand scale (SUM(seconds) / 3600.0 keeps one decimal), DuckDB
a DOUBLE, so a decimal literal would make the two answer differently.
"""

from dataclasses import dataclass

_TODAY = "CAST(current_date AS VARCHAR)"


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
        "Total number of playback events",
        "SELECT COUNT(*) AS events FROM {database}.streaming_events",
    ),
    NamedQuery(
        "events_by_type",
        "Events by type",
        """
SELECT event_type, COUNT(*) AS count
FROM {database}.streaming_events
GROUP BY event_type
ORDER BY count DESC, event_type
""",
    ),
    NamedQuery(
        "content_engagement",
        "Average watch duration by title type",
        """
SELECT title_type, ROUND(AVG(watch_duration_seconds), 1) AS avg_duration
FROM {database}.streaming_events
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
        "Titles with the most hours watched in finished sessions, with their catalog details",
        """
SELECT t.title_id, t.title_name, t.title_type, t.genre,
       ROUND(CAST(SUM(e.watch_duration_seconds) AS DOUBLE) / 3600, 2) AS watch_hours,
       COUNT(DISTINCT e.session_id) AS sessions
FROM {database}.streaming_events e
JOIN {database}.titles t ON t.title_id = e.title_id
WHERE e.event_type IN ('stop', 'complete')
GROUP BY t.title_id, t.title_name, t.title_type, t.genre
ORDER BY watch_hours DESC, t.title_id
LIMIT 10
""",
    ),
    NamedQuery(
        "engagement_by_subscription_tier",
        "Sessions, completion and watch time per subscription tier",
        """
SELECT c.subscription_tier,
       COUNT(DISTINCT e.session_id) AS sessions,
       COUNT(DISTINCT e.customer_id) AS viewers,
       ROUND(AVG(e.completion_percentage), 1) AS avg_completion_pct,
       ROUND(AVG(CAST(e.watch_duration_seconds AS DOUBLE)) / 60, 1) AS avg_watch_minutes
FROM {database}.streaming_events e
JOIN {database}.customers c ON c.customer_id = e.customer_id
WHERE e.event_type IN ('stop', 'complete')
GROUP BY c.subscription_tier
ORDER BY sessions DESC, c.subscription_tier
""",
    ),
    NamedQuery(
        "quality_of_experience_by_connection",
        "Buffering and errors per connection type: where viewers suffer",
        """
SELECT connection_type,
       COUNT(*) AS events,
       ROUND(AVG(bandwidth_mbps), 1) AS avg_bandwidth_mbps,
       ROUND(AVG(CAST(buffering_events AS DOUBLE)), 3) AS avg_buffering_events,
       ROUND(AVG(buffering_duration_seconds), 2) AS avg_buffering_seconds,
       ROUND(AVG(CAST(error_count AS DOUBLE)), 3) AS avg_errors
FROM {database}.streaming_events
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
        "Share of events whose customer and title exist in the dimension tables (expect 100)",
        """
SELECT COUNT(*) AS events,
       ROUND(100 * CAST(COUNT(c.customer_id) AS DOUBLE) / COUNT(*), 2) AS pct_with_customer,
       ROUND(100 * CAST(COUNT(t.title_id) AS DOUBLE) / COUNT(*), 2) AS pct_with_title
FROM {database}.streaming_events e
LEFT JOIN {database}.customers c ON c.customer_id = e.customer_id
LEFT JOIN {database}.titles t ON t.title_id = e.title_id
""",
    ),
)

NAMED_QUERIES_BY_NAME = {q.name: q for q in NAMED_QUERIES}

READY_QUERY = NAMED_QUERIES_BY_NAME["events_by_type"]
"""The query a stack output offers to paste into Athena."""
