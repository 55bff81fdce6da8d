"""Fast backfill: historical streaming_events written straight into the lake's hour partitions.

Not Lambda code (numpy, pyarrow and numba-compiled kernels).
`python -m lakewriter.backfill --help` for the command line.
"""

from lakewriter.backfill.run import BackfillReport, run_backfill

__all__ = ["BackfillReport", "run_backfill"]
