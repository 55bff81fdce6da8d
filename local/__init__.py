"""The local pipeline: the stack's data path and queries on one machine, with moto and DuckDB."""
