"""`local run --table-format iceberg`: the lake's events as an Apache Iceberg table (pyiceberg, a SQL catalog on
SQLite in the lake) holding exactly the Parquet mode's events; the named queries over it in DuckDB; compaction,
snapshot expiry and orphan deletion as Glue's optimizers do them; schema evolution; time travel; refusals."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import os
import time
from pathlib import Path

import pytest

from components import iceberg as aws
from functions.shared.schema import STREAMING_EVENTS, Column
from lakewriter.backfill import run_backfill
from local import iceberg
from local.__main__ import main
from local.compact import compact_lake
from local.marker import LAKE_MARKER, LakeError
from local.pipeline import run_pipeline
from local.settings import load_settings
from local.sql import connect, run_named_queries

pytestmark = pytest.mark.e2e

NOW = dt.datetime(2026, 11, 26, 0, 12, tzinfo=dt.UTC)
SEED = 3
SETTINGS = load_settings("dev").but(batch_size=20, customer_count=50, title_count=20, campaign_count=5)
DB = SETTINGS.database_name
ARGS = {"ticks": 2, "backfill_days": 1, "now": NOW, "seed": SEED}


def _table(lake: Path) -> object:
    return iceberg.open_table(lake, DB, create=False)


def iceberg_events(lake: Path) -> collections.Counter[str]:
    """Event ids of the lake's Iceberg table, as pyiceberg reads it."""
    rows = _table(lake).scan(selected_fields=("event_id",)).to_arrow()  # type: ignore[attr-defined]
    return collections.Counter(rows["event_id"].to_pylist())


def _rows(lake: Path, **kwargs: object) -> list[tuple]:
    con = connect(lake, DB, **kwargs)  # type: ignore[arg-type]
    return con.execute(f'SELECT * FROM "{DB}".streaming_events ORDER BY event_id').fetchall()


@pytest.fixture(scope="module")
def lakes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same ticks and history in both formats."""
    root = tmp_path_factory.mktemp("formats")
    made = {}
    for table_format in ("parquet", "iceberg"):
        made[table_format] = root / table_format
        run_pipeline(SETTINGS, made[table_format], table_format=table_format, **ARGS)
    return made


def test_an_iceberg_lake_holds_the_same_events_as_the_parquet_lake_each_once(lakes: dict[str, Path]) -> None:
    events = iceberg_events(lakes["iceberg"])
    assert len(events) > 1000 and max(events.values()) == 1
    parquet_rows = _rows(lakes["parquet"])
    assert collections.Counter(r[0] for r in parquet_rows) == events
    assert _rows(lakes["iceberg"]) == parquet_rows  # every column, as the named queries see them


def test_the_named_queries_answer_alike_in_both_formats(lakes: dict[str, Path]) -> None:
    answers = {f: run_named_queries(connect(lake, DB), DB) for f, lake in lakes.items()}
    assert [(r.query.name, r.columns, r.rows) for r in answers["iceberg"]] == [
        (r.query.name, r.columns, r.rows) for r in answers["parquet"]
    ]
    assert answers["iceberg"][0].rows[0][0] == sum(iceberg_events(lakes["iceberg"]).values())


def test_the_table_has_the_aws_tables_schema_partition_spec_and_place(lakes: dict[str, Path]) -> None:
    lake = lakes["iceberg"]
    table = _table(lake)
    schema = table.schema()  # type: ignore[attr-defined]
    aws_columns = aws.iceberg_columns(STREAMING_EVENTS)
    assert [(f.field_id, f.name, str(f.field_type), f.required) for f in schema.fields] == [
        (c["id"], c["name"], c["type"], c["required"]) for c in aws_columns
    ]
    (field,) = table.spec().fields  # type: ignore[attr-defined]
    (aws_field,) = aws.partition_spec(STREAMING_EVENTS)["fields"]
    assert (field.source_id, field.field_id, str(field.transform), field.name) == (
        aws_field["source_id"], aws_field["field_id"], "truncate[13]", "event_timestamp_hour"
    )  # fmt: skip
    assert table.format_version == 2 and table.properties["write.parquet.compression-codec"] == "snappy"
    assert (lake / iceberg.CATALOG_FILE).is_file()
    files, deletes = iceberg.scan_files(table)  # type: ignore[arg-type]
    data = str(lake.resolve() / "telemetry-iceberg/data/event_timestamp_hour=2026-11-2")
    assert not deletes and files and all(f.startswith(data) for f in files)
    assert not (lake / "telemetry").exists()  # the Parquet layout's prefix stays empty
    rows = table.scan(selected_fields=("event_timestamp", "year", "month", "day", "hour")).to_arrow().to_pylist()  # type: ignore[attr-defined]
    assert (
        rows
        and all(  # stored as columns (as the AWS table keeps them), streamed and backfilled rows alike
            (r["year"], r["month"], r["day"], r["hour"]) == (t[:4], t[5:7], t[8:10], t[11:13])
            for r in rows
            for t in [r["event_timestamp"]]
        )
    )


def test_a_later_run_appends_only_what_the_lake_lacks(tmp_path: Path, lakes: dict[str, Path]) -> None:
    lake = tmp_path / "lake"
    run_pipeline(SETTINGS, lake, table_format="iceberg", **ARGS)
    later = run_pipeline(SETTINGS, lake, ticks=3, now=NOW + dt.timedelta(minutes=10), seed=SEED)  # the lake's format
    assert later.table_format == "iceberg" and later.ticks == 2  # 00:10 was streamed before
    events = iceberg_events(lake)
    assert max(events.values()) == 1 and set(iceberg_events(lakes["iceberg"])) < set(events)


def _lake_with_small_files(tmp_path: Path) -> Path:
    lake = tmp_path / "lake"
    run_pipeline(SETTINGS, lake, table_format="iceberg", **ARGS)
    for minutes in (5, 10, 15):  # one more tick each: hour 00 gets a file per tick
        run_pipeline(SETTINGS, lake, ticks=1, now=NOW + dt.timedelta(minutes=minutes), seed=SEED)
    return lake


def test_compact_rewrites_small_files_into_fewer_without_changing_a_row(tmp_path: Path) -> None:
    lake = _lake_with_small_files(tmp_path)
    rows = _rows(lake)
    files_before, _ = iceberg.scan_files(_table(lake))  # type: ignore[arg-type]
    report = compact_lake(SETTINGS, lake)
    files_after, _ = iceberg.scan_files(_table(lake))  # type: ignore[arg-type]
    assert report.rewritten >= 5 and report.written == 1  # hour 00's five tick files
    assert (report.files_before, report.files_after) == (len(files_before), len(files_after))
    assert len(files_after) == len(files_before) - report.rewritten + report.written
    assert _rows(lake) == rows
    assert _table(lake).current_snapshot().summary.operation.value == "overwrite"  # type: ignore[attr-defined]
    assert compact_lake(SETTINGS, lake).rewritten == 0  # nothing small left to pair


def test_compaction_expires_snapshots_as_glues_retention_defaults_and_deletes_orphans(tmp_path: Path) -> None:
    lake = _lake_with_small_files(tmp_path)
    run_pipeline(SETTINGS, lake, ticks=1, now=NOW + dt.timedelta(minutes=20), seed=SEED)
    rows = _rows(lake)
    first = iceberg.snapshots(_table(lake))[0]  # type: ignore[arg-type]
    data = lake / "telemetry-iceberg" / "data"
    old_orphan, new_orphan = data / "old-orphan.parquet", data / "new-orphan.parquet"
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=iceberg.SNAPSHOT_RETENTION_DAYS + 1)  # all past retention
    for path, age_days in ((old_orphan, iceberg.ORPHAN_FILE_RETENTION_DAYS + 1), (new_orphan, 1)):
        path.write_bytes(b"left by a killed writer")
        stamp = later.timestamp() - age_days * 86_400
        os.utime(path, (stamp, stamp))

    report = compact_lake(SETTINGS, lake, now=later)

    table = _table(lake)
    kept = iceberg.snapshots(table)  # type: ignore[arg-type]
    assert len(kept) == iceberg.SNAPSHOTS_TO_RETAIN == report.maintenance.kept_snapshots == 1  # Glue's defaults
    assert kept[0].snapshot_id == table.current_snapshot().snapshot_id  # type: ignore[attr-defined]
    assert report.maintenance.expired_snapshots >= 6 and report.maintenance.expired_files >= 5
    assert not old_orphan.exists() and new_orphan.exists()  # younger than the 3-day orphan retention
    new_orphan.unlink()
    referenced = iceberg.referenced_files(table)  # type: ignore[arg-type]
    on_disk = {str(p.resolve()) for p in (lake / "telemetry-iceberg").rglob("*") if p.is_file()}
    assert on_disk <= referenced, sorted(on_disk - referenced)  # no file the table does not need
    assert _rows(lake) == rows
    with pytest.raises(iceberg.IcebergLakeError, match=f"snapshot id {first.snapshot_id} is not in the table"):
        connect(lake, DB, snapshot_id=first.snapshot_id)


def test_a_column_added_to_the_definition_evolves_the_table_and_old_rows_read_it_as_null(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    run_pipeline(SETTINGS, lake, table_format="iceberg", **ARGS)
    count = sum(iceberg_events(lake).values())
    extended = dataclasses.replace(
        STREAMING_EVENTS, columns=(*STREAMING_EVENTS.columns, Column("cdn_pop", "string", "CDN edge location"))
    )
    table = iceberg.open_table(lake, DB, extended)
    assert table.schema().fields[-1].name == "cdn_pop"  # type: ignore[attr-defined]
    arrow = table.scan().to_arrow()  # type: ignore[attr-defined]
    assert arrow.num_rows == count and arrow["cdn_pop"].null_count == count
    con = connect(lake, DB, (extended,))
    assert con.execute(f'SELECT COUNT(*), COUNT(cdn_pop) FROM "{DB}".streaming_events').fetchone() == (count, 0)
    assert iceberg.open_table(lake, DB).schema().fields[-1].name == "cdn_pop"  # type: ignore[attr-defined]

    retyped = dataclasses.replace(
        STREAMING_EVENTS, columns=tuple(Column(c.name, "bigint" if c.name == "error_count" else c.type)
        for c in STREAMING_EVENTS.columns)
    )  # fmt: skip
    with pytest.raises(iceberg.IcebergLakeError, match=r"changes the type of error_count \(int in the table, long"):
        iceberg.open_table(lake, DB, retyped)


def test_time_travel_by_snapshot_id_and_as_of_a_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lake = tmp_path / "lake"
    run_pipeline(SETTINGS, lake, table_format="iceberg", **ARGS)
    before = iceberg.snapshots(_table(lake))[-1]  # type: ignore[arg-type]
    time.sleep(0.01)
    run_pipeline(SETTINGS, lake, ticks=1, now=NOW + dt.timedelta(minutes=5), seed=SEED)
    now_count = sum(iceberg_events(lake).values())
    assert now_count > before.records

    count = f'SELECT COUNT(*) FROM "{DB}".streaming_events'
    assert connect(lake, DB, snapshot_id=before.snapshot_id).execute(count).fetchone() == (before.records,)
    assert connect(lake, DB, as_of=before.committed_at).execute(count).fetchone() == (before.records,)
    assert connect(lake, DB).execute(count).fetchone() == (now_count,)
    with pytest.raises(iceberg.IcebergLakeError, match="the table had no snapshot yet"):
        connect(lake, DB, as_of=before.committed_at - dt.timedelta(days=1))

    sql = "SELECT COUNT(*) AS events FROM {database}.streaming_events"
    assert main(["query", "--lake", str(lake), "--snapshot-id", str(before.snapshot_id), "--sql", sql]) == 0
    assert f"{before.records}" in capsys.readouterr().out
    as_of = before.committed_at.isoformat().replace("+00:00", "Z")
    assert main(["query", "--lake", str(lake), "--as-of", as_of, "--query", "total_events"]) == 0
    assert f"{before.records}" in capsys.readouterr().out
    assert main(["history", "--lake", str(lake)]) == 0
    assert str(before.snapshot_id) in capsys.readouterr().out


def test_an_iceberg_lake_of_another_world_seed_is_refused(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    run_pipeline(SETTINGS, lake, ticks=1, now=NOW, seed=SEED, table_format="iceberg")
    with pytest.raises(LakeError, match=f"--seed {SEED + 1}: the lake {lake} holds world {SEED}"):
        run_pipeline(SETTINGS, lake, ticks=1, now=NOW, seed=SEED + 1, table_format="iceberg")


@pytest.mark.parametrize(("made", "asked"), [("parquet", "iceberg"), ("iceberg", "parquet")])
def test_a_lake_reopened_in_the_other_format_is_refused_naming_both(tmp_path: Path, made: str, asked: str) -> None:
    lake = tmp_path / "lake"
    run_pipeline(SETTINGS, lake, ticks=1, now=NOW, seed=SEED, table_format=made)
    marker = (lake / LAKE_MARKER).read_bytes()
    with pytest.raises(LakeError, match=f"--table-format {asked}: the lake {lake} was made with --table-format {made}"):
        run_pipeline(SETTINGS, lake, ticks=1, now=NOW, seed=SEED, table_format=asked)
    assert (lake / LAKE_MARKER).read_bytes() == marker


def test_a_damaged_catalog_or_a_lost_metadata_file_is_one_line_naming_the_catalog(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("local.settings.load_settings", lambda stack: SETTINGS)
    lake = tmp_path / "lake"
    run_pipeline(SETTINGS, lake, ticks=1, now=NOW, seed=SEED, table_format="iceberg")
    for metadata in (lake / "telemetry-iceberg" / "metadata").glob("*.metadata.json"):
        metadata.unlink()
    assert main(["run", "--ticks", "1", "--lake", str(lake)]) == 2
    out = capsys.readouterr().out.replace("\n", "")
    assert "Traceback" not in out and "the Iceberg table is damaged" in out and str(lake / "iceberg-catalog.db") in out

    (lake / iceberg.CATALOG_FILE).write_bytes(b"not a database at all" * 100)
    for command in (["run", "--ticks", "1"], ["compact"], ["history"], ["query", "--query", "total_events"]):
        assert main([*command, "--lake", str(lake)]) == 2, command
        out = capsys.readouterr().out.replace("\n", "")
        assert "Traceback" not in out and "damaged Iceberg catalog" in out, (command, out)


def test_unknown_table_formats_and_commands_for_the_other_format_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("local.settings.load_settings", lambda stack: SETTINGS)
    with pytest.raises(SystemExit) as stop:
        main(["run", "--table-format", "delta", "--lake", str(tmp_path / "x")])
    assert stop.value.code == 2 and "invalid choice: 'delta'" in capsys.readouterr().err
    with pytest.raises(LakeError, match="--table-format must be one of parquet, iceberg, got 'delta'"):
        run_pipeline(SETTINGS, tmp_path / "x", ticks=1, now=NOW, table_format="delta")
    assert not (tmp_path / "x").exists()
    lake = tmp_path / "parquet"
    run_pipeline(SETTINGS, lake, ticks=1, now=NOW, seed=SEED)
    assert main(["compact", "--lake", str(lake)]) == 2
    assert "is a parquet lake: compaction rewrites an Iceberg table" in capsys.readouterr().out.replace("\n", "")
    assert main(["query", "--lake", str(lake), "--snapshot-id", "1", "--query", "total_events"]) == 2
    assert "only an Iceberg lake keeps snapshots" in capsys.readouterr().out.replace("\n", "")
    with pytest.raises(ValueError, match="table_format iceberg needs the lake's Iceberg table"):
        run_backfill(NOW - dt.timedelta(hours=2), NOW, seed=SEED, out=str(tmp_path / "b"), table_format="iceberg")


def test_the_profile_reads_an_iceberg_lake_as_it_reads_a_parquet_one(lakes: dict[str, Path]) -> None:
    from local.profile import as_json, measure

    figures = {f: {**as_json(measure(lake)), "lake": None} for f, lake in lakes.items()}
    assert figures["iceberg"] == figures["parquet"] and figures["iceberg"]["figures"]


def test_dead_letters_of_an_iceberg_lake_are_re_driven_into_the_table_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from local import lambda_standin
    from local.pipeline import redrive

    real = lambda_standin.deliver_events
    calls = iter(range(10**6))

    def first_payload_fails(client, stream, events, **kwargs):  # type: ignore[no-untyped-def]
        if next(calls) < SETTINGS.producer_max_retry_attempts + 1:
            raise RuntimeError("KMSThrottlingException")
        return real(client, stream, events, **kwargs)

    monkeypatch.setattr(lambda_standin, "deliver_events", first_payload_fails)
    lake = tmp_path / "lake"
    assert run_pipeline(SETTINGS, lake, ticks=2, now=NOW, seed=SEED, table_format="iceberg").dead_letters == 1
    held = iceberg_events(lake)
    monkeypatch.setattr(lambda_standin, "deliver_events", real)
    report = redrive(SETTINGS, lake)
    assert report.redriven == 1 and report.dead_letters == 0
    events = iceberg_events(lake)
    assert max(events.values()) == 1 and set(held) < set(events)
    reference = tmp_path / "reference"
    run_pipeline(SETTINGS, reference, ticks=2, now=NOW, seed=SEED, table_format="iceberg")
    assert events == iceberg_events(reference)


def test_a_run_with_compact_compacts_the_iceberg_lake_after_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("local.settings.load_settings", lambda stack: SETTINGS)
    monkeypatch.setitem(run_pipeline.__kwdefaults__, "now", NOW)
    lake = tmp_path / "lake"
    args = ["--seed", str(SEED), "--lake", str(lake), "--query", "total_events"]
    assert main(["run", "--table-format", "iceberg", "--ticks", "2", *args]) == 0
    assert main(["run", "--ticks", "3", "--compact", *args]) == 0  # one more tick, in hour 23
    out = capsys.readouterr().out.replace("\n", "")
    assert "compacted" in out and "2 small file(s) rewritten into 1" in out  # hour 00's two ticks


def test_the_stacks_table_format_chooses_a_new_lakes_format_and_the_lake_keeps_it(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    report = run_pipeline(SETTINGS.but(table_format="iceberg"), lake, ticks=1, now=NOW, seed=SEED)
    assert report.table_format == "iceberg" and sum(iceberg_events(lake).values()) == report.delivered
    later = run_pipeline(SETTINGS, lake, ticks=2, now=NOW, seed=SEED)  # the stack says parquet; the lake says iceberg
    assert later.table_format == "iceberg" and max(iceberg_events(lake).values()) == 1
