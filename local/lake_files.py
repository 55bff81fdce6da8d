"""The files a local lake keeps beside its data, named once for the marker and the Iceberg table alike."""

ICEBERG_CATALOG = "iceberg-catalog.db"
"""The Iceberg lake's SQL catalog (SQLite), in the lake directory."""
