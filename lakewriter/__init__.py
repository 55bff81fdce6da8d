"""Parquet tools for the lake (pyarrow, numpy, numba): the table writers and the fast historical backfill.

Not Lambda code: nothing under `functions/` imports this package.
"""
