"""The sensor readings table: this project's data definition, in acme-telemetry's one schema type."""

from components import Column, NamedQuery, Table

TIME_PARTITIONS = tuple(Column(name, "string") for name in ("year", "month", "day", "hour"))

READINGS = Table(
    name="sensor_readings",
    description="One row per reading of a building sensor, partitioned by the time it was measured",
    prefix="readings/",
    columns=(
        Column("reading_id", "string", "Unique id of the reading"),
        Column("sensor_id", "string"),
        Column("site_id", "string"),
        Column("measured_at", "string", "ISO 8601 UTC with milliseconds, e.g. 2026-11-30T08:15:00.000Z"),
        Column("temperature_c", "double"),
        Column("humidity_pct", "double"),
        Column("co2_ppm", "int"),
        Column("battery_pct", "int"),
    ),
    partition_keys=TIME_PARTITIONS,
    timestamp_field="measured_at",
)

QUERIES = (
    NamedQuery(
        "hourly_temperature_today",
        "Average temperature per site and hour today; reads only today's partitions",
        """
SELECT site_id, hour, ROUND(AVG(temperature_c), 1) AS avg_temperature_c
FROM {database}.sensor_readings
WHERE year = substr(CAST(current_date AS VARCHAR), 1, 4)
  AND month = substr(CAST(current_date AS VARCHAR), 6, 2)
  AND day = substr(CAST(current_date AS VARCHAR), 9, 2)
GROUP BY site_id, hour
ORDER BY site_id, hour
""",
    ),
)
