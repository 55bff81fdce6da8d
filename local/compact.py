"""`python -m local compact`: keep an Iceberg lake healthy as AWS Glue's table optimizers keep the AWS table.

Under the lake's lock, after recovering whatever a killed run left: small data files of each hour are rewritten
into one (same rows), committed as one Iceberg snapshot through the lake's journal (so a compaction killed at any
point leaves the table as before, or compacted, never both); then snapshots past the retention are expired with
the files only they referenced, and orphan files past their retention are deleted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from lakewriter import durable
from local import iceberg
from local.marker import LakeError, open_lake
from local.settings import LocalSettings


@dataclass
class CompactReport:
    """What one compaction did."""

    files_before: int
    files_after: int
    rewritten: int
    """Small files rewritten."""
    written: int
    """Files they became."""
    maintenance: iceberg.MaintenanceReport
    snapshot_id: int | None
    """The snapshot of the rewrite, if there was one."""


def compact_lake(
    settings: LocalSettings, lake: Path, *, wait: float = 0.0, now: dt.datetime | None = None
) -> CompactReport:
    """Compact the lake's Iceberg table, expire its old snapshots and delete orphan files (`now`: the clock the
    retention periods are measured against)."""
    now = now or dt.datetime.now(dt.UTC)
    if not lake.is_dir():
        raise LakeError(f"--lake {lake} does not exist: nothing to compact")
    with durable.sigterm_unwinds(), open_lake(lake, settings, wait=wait) as opened:
        if not opened.iceberg:
            raise LakeError(
                f"--lake {lake} is a {opened.table_format} lake: compaction rewrites an Iceberg table's files "
                "(a lake made with --table-format iceberg)"
            )
        table = iceberg.open_table(lake, opened.database)
        before, _ = iceberg.scan_files(table)
        plan = iceberg.plan_compaction(table)
        snapshot_id = None
        if plan.groups:
            schema = iceberg.target_schema(table)
            staging = opened.staging()
            try:
                moves = []
                for group in plan.groups:
                    first = Path(iceberg.local_path(group[0].file_path))
                    relative = first.parent.relative_to(lake.resolve())
                    staged = iceberg.rewrite_group(group, schema, staging / relative)
                    moves.append((staged, lake / relative / staged.name))
                journal = opened.journal({}, replaces_data=[f for g in plan.groups for f in g])
                journal.commit(moves)
                snapshot_id = journal.external.snapshot_id if journal.external else None  # type: ignore[attr-defined]
            finally:
                durable.remove_staging(staging)
            table = table.refresh()
        maintenance = iceberg.expire_and_clean(lake, table, now)
        after, _ = iceberg.scan_files(table.refresh())
        return CompactReport(len(before), len(after), plan.inputs, len(plan.groups), maintenance, snapshot_id)
