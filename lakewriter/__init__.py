"""Parquet tools for the lake (pyarrow and numpy): the table writers and the fast historical backfill.

Not Lambda code: nothing under `functions/` imports this package.
"""
