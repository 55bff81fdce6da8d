"""The backfill: lake layout, session invariants, model shares, determinism, chunking and the command line."""

from __future__ import annotations

import collections
import datetime as dt
import functools
import re
import zoneinfo
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from functions.generator import events as generator
from functions.shared import devices, domains, layout, player, plays
from functions.shared import world as wm
from functions.shared.dimensions import DEFAULT_DIMENSION_SEED, Dimensions, generate_dimensions
from functions.shared.schema import STREAMING_EVENTS
from lakewriter.backfill import BackfillReport, model, run_backfill
from lakewriter.backfill import __main__ as cli
from lakewriter.backfill.run import LEDGER, run_id
from lakewriter.backfill.writer import MS_PER_HOUR, PartitionWriters
from lakewriter.durable import LOCK_FILE
from lakewriter.parquet import arrow_schema
from tests.functions.invariants import autoplayed, check_events

BATCH = 35
"""Mean events per 5 minutes: about 30,000 events over the three days."""
START, END = dt.date(2025, 11, 1), dt.date(2025, 11, 4)
SEED = 11
CHUNK = 8000
WRITTEN_AT = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
NAME_PATTERN = re.compile(
    r"^backfill-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    + re.escape(layout.PARQUET_EXTENSION)
    + "$"
)


@functools.cache
def dims() -> Dimensions:
    return generate_dimensions(DEFAULT_DIMENSION_SEED, customers=1000, titles=500, delivery=False)  # ads as calibrated


def backfill(
    out: Path | str, *, batch: int = BATCH, seed: int = SEED, chunk: int = CHUNK, **kw: object
) -> BackfillReport:
    return run_backfill(
        kw.pop("start", START), kw.pop("end", END), seed=seed, batch_size=batch, out=str(out), dims=dims(),
        chunk_events=chunk, written_at=WRITTEN_AT, **kw,
    )  # fmt: skip


def _ms(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days * 86_400_000


def lake_files(root: Path) -> dict[str, Path]:
    """Relative path -> file, for every Parquet file under root."""
    return {str(p.relative_to(root)): p for p in sorted(root.rglob("*" + layout.PARQUET_EXTENSION))}


def read_rows(root: Path) -> list[dict]:
    return [row for path in lake_files(root).values() for row in pq.read_table(path).to_pylist()]


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BackfillReport]:
    root = tmp_path_factory.mktemp("lake")
    return root, backfill(root)


@pytest.fixture(scope="module")
def rows(lake: tuple[Path, BackfillReport]) -> list[dict]:
    return sorted(read_rows(lake[0]), key=lambda r: (r["event_timestamp"], r["event_id"]))


@pytest.fixture(scope="module")
def sessions(rows: list[dict]) -> dict[str, list[dict]]:
    by_session: dict[str, list[dict]] = collections.defaultdict(list)
    for r in rows:
        by_session[r["session_id"]].append(r)
    return by_session


# --- layout -------------------------------------------------------------------------------------------


def test_every_row_lies_in_the_hour_partition_of_its_timestamp_and_each_partition_has_one_file(
    lake: tuple[Path, BackfillReport],
) -> None:
    root, _ = lake
    files = lake_files(root)
    directories = [str(Path(rel).parent) + "/" for rel in files]
    assert len(directories) == len(set(directories)), "one file per partition"
    for rel, path in files.items():
        expected_dirs = {
            layout.partition_path(layout.partition_values(ts))
            for ts in pq.read_table(path, columns=["event_timestamp"]).column(0).to_pylist()
        }
        assert expected_dirs == {str(Path(rel).parent) + "/"}, rel
    assert all(d.startswith(layout.TELEMETRY_PREFIX) for d in directories)


def test_file_names_are_in_firehose_family_from_the_run_start_and_a_seeded_run_id(
    lake: tuple[Path, BackfillReport],
) -> None:
    names = {Path(rel).name for rel in lake_files(lake[0])}
    expected = layout.firehose_object_name(
        stream_name="backfill",
        version=1,
        written_at=WRITTEN_AT.strftime("%Y-%m-%dT%H:%M:%SZ"),
        suffix=run_id(SEED, BATCH, _ms(START), _ms(END), DEFAULT_DIMENSION_SEED, 1000, 500),
    )
    assert names == {expected}
    assert NAME_PATTERN.match(expected)
    assert "2026-01-02-03-04-05" in expected


def test_files_are_snappy_parquet_with_exactly_the_streaming_events_schema(lake: tuple[Path, BackfillReport]) -> None:
    expected = arrow_schema(STREAMING_EVENTS)
    for path in lake_files(lake[0]).values():
        f = pq.ParquetFile(path)
        assert f.schema_arrow.equals(expected), f"{path}: {f.schema_arrow} != {expected}"
        codecs = {
            f.metadata.row_group(g).column(c).compression
            for g in range(f.metadata.num_row_groups)
            for c in range(f.metadata.num_columns)
        }
        assert codecs == {"SNAPPY"}, path


def test_report_matches_the_lake_exactly_n_rows_with_unique_event_ids(
    lake: tuple[Path, BackfillReport], rows: list[dict], sessions: dict[str, list[dict]]
) -> None:
    root, report = lake
    files = lake_files(root)
    assert report.events == len(rows) > 20_000
    assert len({r["event_id"] for r in rows}) == len(rows)
    assert report.files == report.partitions == len(files)
    assert report.bytes == sum(p.stat().st_size for p in files.values())
    assert report.sessions == len(sessions)
    assert report.seconds > 0


# --- invariants and integrity ----------------------------------------------------------------------------


def test_rows_satisfy_every_streaming_session_invariant(rows: list[dict]) -> None:
    check_events(rows, dims())


def test_all_timestamps_are_in_the_range_start_inclusive_end_exclusive(rows: list[dict]) -> None:
    assert rows[0]["event_timestamp"] >= f"{START.isoformat()}T00:00:00.000Z"
    assert rows[-1]["event_timestamp"] < f"{END.isoformat()}T00:00:00.000Z"


def test_sessions_are_cut_only_by_the_range_edges(sessions: dict[str, list[dict]]) -> None:
    # A session without its start began before the range; one without its end plays on past it.
    first_hours = f"{START.isoformat()}T0"
    last_day = f"{(END - dt.timedelta(days=1)).isoformat()}T2"
    firsts = {"start", "start_failed", "exit_before_start"}
    ends = {*domains.SESSION_END_TYPES, "error", "start_failed", "exit_before_start"}
    # A post-roll's ads follow a complete: a session's end is its last event of the play's own.
    content = {s: [e for e in evs if e["event_type"] not in domains.AD_EVENT_TYPES] for s, evs in sessions.items()}
    sessions = {s: evs for s, evs in content.items() if evs}
    for sid, evs in sessions.items():
        if evs[0]["event_type"] not in firsts:
            assert evs[0]["event_timestamp"] < first_hours + "5", sid
        if evs[-1]["event_type"] not in ends:
            assert evs[-1]["event_timestamp"] >= last_day, sid
    whole = sum(evs[0]["event_type"] in firsts and evs[-1]["event_type"] in ends for evs in sessions.values())
    assert whole > 0.95 * len(sessions)


def test_viewers_devices_and_networks_are_the_streaming_generators_for_that_customer(rows: list[dict]) -> None:
    customers = {c["customer_id"]: c for c in dims().customers}
    homes = devices.Households(dims().customers)
    owned = {  # device_id -> (type, index) of each device of each household
        generator.device_identity(row["customer_id"], devices.TYPES[t], i)[0]: (devices.TYPES[t], i)
        for c, row in enumerate(dims().customers)
        for t, i in homes.of(c)[1]
    }
    seen = {(r["customer_id"], r["device_id"]): r for r in rows}
    fields = ("device_id", "device_type", "device_os", "isp", "ip_address", "connection_type", "app_version", "quality")
    for (customer_id, device_id), r in seen.items():
        customer = customers[customer_id]
        assert customer["subscription_start_date"] <= r["event_timestamp"][:10], customer_id
        profile = generator.viewer_profile(customer, *owned[device_id]).base
        assert {f: r[f] for f in fields} == {f: profile[f] for f in fields}, (customer_id, device_id)
    assert len(seen) > 500  # many viewers (about a third of the 1,000 customers are subscribed at a time)
    assert any(index > 0 for _, index in (owned[d] for _, d in seen))  # households' second TVs and phones play


# --- shares of the session model -------------------------------------------------------------------------


def test_event_type_device_and_end_shares_follow_the_session_model(
    rows: list[dict], sessions: dict[str, list[dict]]
) -> None:
    # Shares among the plays' own events: this world's one campaign fills few breaks (ads: test_ad_events.py).
    per_session, started = wm.EVENTS_PER_SESSION - wm.AD_EVENTS_PER_SESSION, 1 - player.UNSTARTED_SHARE
    pauses_per_play = (wm.EVENTS_PER_PLAY - 2 - player.MEAN_SWITCHES) / 2
    counts = collections.Counter(r["event_type"] for r in rows if r["event_type"] not in domains.AD_EVENT_TYPES)
    share = {t: counts[t] / counts.total() for t in domains.EVENT_TYPES}
    attempts = share["start"] + share["start_failed"] + share["exit_before_start"]
    assert attempts == pytest.approx(1 / per_session, abs=0.01)
    assert share["pause"] == pytest.approx(started * pauses_per_play / per_session, abs=0.01)
    assert share["resume"] == pytest.approx(started * pauses_per_play / per_session, abs=0.01)
    assert share["bitrate_change"] == pytest.approx(started * player.MEAN_SWITCHES / per_session, abs=0.01)

    # The play's own events (its ads are counted by AD_EVENTS_PER_SESSION, tests/functions/test_ad_events.py).
    content = [[e for e in evs if e["event_type"] not in domains.AD_EVENT_TYPES] for evs in sessions.values()]
    whole = [evs for evs in content if evs[0]["event_type"] == "start"]
    world = wm.World(SEED, dims(), BATCH)  # a binge chain's episodes play on its first's screen, from the start
    links = autoplayed(world, world.slot_range(_ms(START), _ms(END)))
    firsts = [evs[0] for evs in whole if evs[0]["session_id"] not in links]
    ended = [evs for evs in whole if evs[-1]["event_type"] in domains.SESSION_END_TYPES]
    # Completion follows the screen and the title type (plays.COMPLETE_BELOW), play by play.
    n_types = len(domains.TITLE_TYPES)
    screens, types = list(domains.DEVICE_TYPES), list(domains.TITLE_TYPES)
    expected = [
        plays.COMPLETE_BELOW[screens.index(evs[0]["device_type"]) * n_types + types.index(evs[0]["title_type"])] / 1024
        for evs in ended
    ]
    completed = [evs[-1]["event_type"] == "complete" for evs in ended]
    assert np.mean(completed) == pytest.approx(np.mean(expected), abs=0.02)
    # Each household plays on its own screens (devices.py), calibrated so that the world's mix is near the global
    # one; the audience's markets (mostly North America) and plans move it a few points.
    devices_seen = collections.Counter(e["device_type"] for e in firsts)
    for device, weight in plays.DEVICE_PLAY_SHARES.items():
        # Within 6 points: households own their screens (devices.py), and a TV play runs longest and carries the most
        # ads, so a device's earlier play refuses a few more of its candidates (docs/ads.md).
        assert devices_seen[device] / len(firsts) == pytest.approx(weight / 64, abs=0.06), device
    resumed = sum(e["position_seconds"] > 0 for e in firsts) / len(firsts)
    assert resumed == pytest.approx(wm.RESUMED_SESSION_SHARE, abs=0.025)
    assert np.mean([len(evs) for evs in ended]) == pytest.approx(wm.EVENTS_PER_PLAY, abs=0.12)


def test_more_sessions_start_in_the_viewers_local_evening_than_at_night(sessions: dict[str, list[dict]]) -> None:
    zones = {c["customer_id"]: zoneinfo.ZoneInfo(c["timezone"]) for c in dims().customers}
    hours = collections.Counter()
    for evs in sessions.values():
        first = evs[0]
        if first["event_type"] != "start":
            continue
        utc = dt.datetime.strptime(first["event_timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
        hours[utc.astimezone(zones[first["customer_id"]]).hour] += 1
    evening = sum(hours[h] for h in (19, 20, 21, 22))
    night = sum(hours[h] for h in (2, 3, 4, 5))
    assert evening > 5 * night


# --- determinism and chunking -------------------------------------------------------------------------------


def _tables(root: Path) -> dict[str, pa.Table]:
    return {rel: pq.read_table(p) for rel, p in lake_files(root).items()}


def test_same_seed_gives_identical_files_and_rows_a_different_seed_different_rows(
    tmp_path: Path, lake: tuple[Path, BackfillReport], rows: list[dict]
) -> None:
    backfill(tmp_path / "again")
    first, again = _tables(lake[0]), _tables(tmp_path / "again")
    assert first.keys() == again.keys()
    assert all(first[k].equals(again[k]) for k in first)

    backfill(tmp_path / "other", seed=SEED + 1)
    other = read_rows(tmp_path / "other")
    assert len(other) == pytest.approx(len(rows), rel=0.05)
    assert not {r["event_id"] for r in other} & {r["event_id"] for r in rows}
    sessions_a = collections.Counter((r["customer_id"], r["title_id"]) for r in rows if r["event_type"] == "start")
    sessions_b = collections.Counter((r["customer_id"], r["title_id"]) for r in other if r["event_type"] == "start")
    assert sessions_a != sessions_b


def test_tiny_chunks_write_the_same_rows_into_the_same_single_file_per_partition(
    tmp_path: Path, lake: tuple[Path, BackfillReport]
) -> None:
    report = backfill(tmp_path, chunk=997)
    tiny, big = _tables(tmp_path), _tables(lake[0])
    assert tiny.keys() == big.keys()
    assert all(tiny[k].equals(big[k]) for k in big)
    assert report.files == len(big)
    groups = [pq.ParquetFile(p).metadata.num_row_groups for p in lake_files(tmp_path).values()]
    assert max(groups) > 1, "a partition fed by several chunks gets several row groups"


def test_households_and_viewers_that_start_over_block_after_block_give_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """model.Households and model.Viewers forget everything when full (MAX_HOUSEHOLDS, MAX_VIEWERS): half a day
    whose blocks overflow them many times, chunks mixing blocks coded before and after, writes the rows it always
    does."""
    first = dt.datetime.combine(START, dt.time(12), tzinfo=dt.UTC)
    day = {"start": first, "end": first + dt.timedelta(hours=12), "chunk": 2000}
    backfill(tmp_path / "roomy", **day)
    monkeypatch.setattr(model, "MAX_HOUSEHOLDS", 40)
    monkeypatch.setattr(model, "MAX_VIEWERS", 30)
    starts_over = []
    monkeypatch.setattr(model.Viewers, "clear", lambda self: starts_over.append(1) or _clear(self))
    backfill(tmp_path / "small", **day)
    roomy, small = _tables(tmp_path / "roomy"), _tables(tmp_path / "small")
    assert small.keys() == roomy.keys()
    assert all(small[k].equals(roomy[k]) for k in roomy)
    assert len(starts_over) > 10


_clear = model.Viewers.clear


def test_hour_files_close_as_time_moves_on_so_few_are_open_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    peak = 0
    original = PartitionWriters.write

    def write(self: PartitionWriters, hour_start_ms: int, rows: pa.Table) -> None:
        nonlocal peak
        original(self, hour_start_ms, rows)
        peak = max(peak, self.open_count)

    monkeypatch.setattr(PartitionWriters, "write", write)
    report = backfill(tmp_path, chunk=997)
    longest_session_hours = -(-wm.World(SEED, dims()).max_session_ms // MS_PER_HOUR)
    assert report.partitions == 72
    # Open: the hours a session started in the current block of starts (an hour) may still reach, the hours a
    # pending chunk's events span (997 events at BATCH per 5 minutes), and the partial hours at either end.
    pending_hours = -(-997 // (BATCH * 12))
    assert peak <= longest_session_hours + pending_hours + 3, f"{peak} files open at once"


def test_a_partition_closed_once_is_never_reopened_as_a_second_file(tmp_path: Path) -> None:
    schema = pa.schema([pa.field("event_timestamp", pa.string())])
    writers = PartitionWriters(
        pafs.LocalFileSystem(), str(tmp_path), schema, "f.parquet", dictionary_columns=[], statistics_columns=[]
    )
    hour = int(dt.datetime(2025, 11, 1, 5, tzinfo=dt.UTC).timestamp() * 1000)
    rows = pa.table({"event_timestamp": ["2025-11-01T05:00:00.000Z"]}, schema=schema)
    writers.write(hour, rows)
    writers.write(hour + MS_PER_HOUR, rows)
    writers.close_before(hour + MS_PER_HOUR)  # hour 05 is over, hour 06 may still receive rows
    assert writers.open_count == 1
    with pytest.raises(RuntimeError, match="year=2025/month=11/day=01/hour=05"):
        writers.write(hour, rows)
    writers.close_all()
    assert not list((tmp_path / "telemetry").rglob("*.parquet"))  # nothing in the lake before commit
    writers.commit()
    assert sorted(lake_files(tmp_path)) == [
        "telemetry/year=2025/month=11/day=01/hour=05/f.parquet",
        "telemetry/year=2025/month=11/day=01/hour=06/f.parquet",
    ]
    assert _names(tmp_path) == ["telemetry"]  # the staging directory is gone


def test_a_range_of_a_few_minutes_writes_exactly_that_stretch_of_the_world(tmp_path: Path) -> None:
    start = dt.datetime(2025, 11, 2, 20, 3, 7, 250_000, tzinfo=dt.UTC)
    report = backfill(tmp_path, start=start, end=start + dt.timedelta(minutes=4))
    rows = sorted(read_rows(tmp_path), key=lambda r: r["event_timestamp"])
    assert report.events == len(rows) > 0
    assert (
        "2025-11-02T20:03:07.250Z"
        <= rows[0]["event_timestamp"]
        <= rows[-1]["event_timestamp"]
        < ("2025-11-02T20:07:07.250Z")
    )
    check_events(rows, dims())


def test_a_filesystem_object_with_a_relative_root_writes_under_that_root(tmp_path: Path) -> None:
    fs = pafs.SubTreeFileSystem(str(tmp_path), pafs.LocalFileSystem())
    report = backfill("lake/run1", filesystem=fs, end=START + dt.timedelta(days=1))
    files = lake_files(tmp_path / "lake" / "run1")
    assert len(files) == report.files > 0
    assert all(rel.startswith(layout.TELEMETRY_PREFIX) for rel in files)


# --- argument errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch_size": 0}, "batch_size must be an integer from 1 to 1,000,000"),
        ({"batch_size": True}, "batch_size must be an integer from 1"),
        ({"batch_size": 1_000_001}, "batch_size must be an integer from 1 to 1,000,000"),
        ({"start": END, "end": START}, "start must be before end"),
        ({"start": START, "end": START}, "start must be before end"),
        ({"start": dt.datetime(2025, 11, 1)}, "start must be a UTC time (timezone-aware)"),
        ({"start": "2025-11-01"}, "start must be a date or an ISO 8601 UTC time"),
        ({"chunk_events": 0}, "chunk_events must be an integer >= 1"),
        ({"out": " "}, "out must be a directory or s3://bucket/prefix"),
        ({"seed": -1}, "seed must be an integer from 0 to"),
        ({"seed": 2**63}, "seed must be an integer from 0 to"),
    ],
)
def test_run_backfill_rejects_bad_arguments_naming_the_argument(tmp_path: Path, kwargs: dict, message: str) -> None:
    args = {"batch_size": 10, "start": START, "end": END, "seed": 1, "out": str(tmp_path), "dims": dims()} | kwargs
    with pytest.raises(ValueError, match=re.escape(message)):
        run_backfill(args.pop("start"), args.pop("end"), **args)
    assert not list(tmp_path.rglob("*.parquet"))


@pytest.mark.parametrize(
    ("change", "option"),
    [
        ({"--start": "2025-13-01"}, "--start"),
        ({"--end": "yesterday"}, "--end"),
        ({"--start": "2025-11-04", "--end": "2025-11-01"}, "--start must be before --end"),
        ({"--batch-size": "0"}, "--batch-size"),
        ({"--batch-size": "ten"}, "--batch-size"),
        ({"--batch-size": "1000001"}, "--batch-size"),
        ({"--start": "2025-11-01T25:00:00Z"}, "argument --start"),
        ({"--start": "2025-11-01T10:00:00Z", "--end": "2025-11-01T10:00:00Z"}, "--start must be before --end"),
        ({"--chunk-events": "0"}, "--chunk-events"),
        ({"--seed": "-3"}, "--seed"),
        ({"--seed": str(2**63)}, "--seed"),
        ({"--written-at": "noon"}, "--written-at"),
        ({"--start": "20251101"}, "argument --start"),  # date.fromisoformat alone would take these three
        ({"--start": "2025-W44-6"}, "argument --start"),
        ({"--start": "0999-01-01"}, "argument --start"),
        ({"--chunk-events": "5000001"}, "argument --chunk-events: must be an integer from 1 to 5,000,000"),
    ],
)
def test_cli_exits_non_zero_with_a_message_naming_the_bad_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, str], option: str
) -> None:
    args = {"--batch-size": "10", "--start": "2025-11-01", "--end": "2025-11-02", "--seed": "1", "--out": str(tmp_path)}
    args |= change
    with pytest.raises(SystemExit) as exit_info:
        cli.main([item for pair in args.items() for item in pair])
    assert exit_info.value.code == 2
    assert option in capsys.readouterr().err
    assert not list(tmp_path.rglob("*.parquet"))


def test_cli_writes_the_lake_and_prints_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(
        ["--batch-size", "7", "--start", "2025-11-01T06:00:00Z", "--end", "2025-11-02", "--seed", "5",
         "--out", str(tmp_path), "--customers", "50", "--titles", "20", "--written-at", "2026-01-02T03:04:05Z",
         "--quiet"]
    )  # fmt: skip
    assert code == 0
    rows = read_rows(tmp_path)
    assert f"wrote {len(rows):,} events" in capsys.readouterr().out
    assert min(r["event_timestamp"] for r in rows) >= "2025-11-01T06:00:00.000Z"
    assert {tuple(p.name.split("-")[2:8]) for p in lake_files(tmp_path).values()} == {
        ("2026", "01", "02", "03", "04", "05")
    }
    assert {r["customer_id"] for r in rows} <= {f"cust_{i:06d}" for i in range(1, 51)}
    assert {r["title_id"] for r in rows} <= {f"title_{i:05d}" for i in range(1, 21)}


# --- reruns and failures ---------------------------------------------------------------------------------


def test_running_the_same_backfill_again_replaces_its_files_instead_of_adding_copies(tmp_path: Path) -> None:
    def run() -> BackfillReport:
        return run_backfill(START, END, batch_size=6, seed=4, out=str(tmp_path), dims=dims(), chunk_events=500)

    first = run()
    files = sorted(lake_files(tmp_path))
    run()
    assert sorted(lake_files(tmp_path)) == files
    assert len(read_rows(tmp_path)) == first.events > 1000
    assert {
        p.name.split("-")[2:8] == ["2025", "11", "04", "00", "00", "00"] for p in lake_files(tmp_path).values()
    } == {True}  # stamped with the end of the range (END = 2025-11-04)


BOOKKEEPING = frozenset({LOCK_FILE, LEDGER})
"""A local lake's lock and ledger: they stay once a run has opened the lake, whatever became of the run."""


def _leftovers(root: Path) -> list[str]:
    """Every path under `root` except the lake's bookkeeping files."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.name not in BOOKKEEPING)


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name not in BOOKKEEPING)


def test_a_run_that_fails_midway_deletes_every_file_and_directory_it_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "keep.txt").write_text("not ours")
    real = model.world_block
    written_before_failing = []

    def failing(*args: object, **kwargs: object) -> model.Block:
        if written_before_failing:
            return real(*args, **kwargs)  # type: ignore[arg-type]
        written_before_failing.extend(tmp_path.rglob("*.parquet"))
        if len(written_before_failing) > 3:
            raise KeyboardInterrupt  # as if the user pressed Ctrl-C once several hour files exist
        written_before_failing.clear()
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(model, "world_block", failing)
    with pytest.raises(KeyboardInterrupt):
        backfill(tmp_path / "lake", batch=231, chunk=2_000)
    assert len(written_before_failing) > 3
    assert _leftovers(tmp_path) == ["keep.txt", "lake"]  # the lake's directory, holding only its lock and ledger


def test_a_partition_that_cannot_be_written_fails_the_cli_and_keeps_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "telemetry" / "year=2025" / "month=11" / "day=02"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("a file where an hour directory must go")
    code = cli.main(
        ["--batch-size", "20", "--start", "2025-11-01", "--end", "2025-11-04", "--seed", "1", "--out", str(tmp_path),
         "--customers", "50", "--titles", "20", "--chunk-events", "1000", "--quiet"]
    )  # fmt: skip
    assert code == 1
    assert "failed, nothing kept" in capsys.readouterr().err
    assert not list(tmp_path.rglob("*.parquet"))
    assert _leftovers(tmp_path) == [
        "telemetry",
        "telemetry/year=2025",
        "telemetry/year=2025/month=11",
        str(blocker.relative_to(tmp_path)),
    ]


def test_an_out_that_cannot_take_files_is_refused_before_any_work(tmp_path: Path) -> None:
    a_file = tmp_path / "afile"
    a_file.write_text("x")
    for out, message in [
        (str(a_file), "exists and is not a directory"),
        (str(a_file / "below"), "is not a writable directory"),
        ("/proc/acme-nope/lake", "is not a writable directory"),
    ]:
        with pytest.raises(ValueError, match=re.escape(f"out {out!r}") + ".*" + message):
            run_backfill(START, END, batch_size=1, seed=1, out=out, dims=dims())
    assert _leftovers(tmp_path) == ["afile"]


def test_run_backfill_refuses_oversized_chunks_and_dates_before_year_1000(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="chunk_events must be an integer from 1 to 5,000,000"):
        run_backfill(START, END, batch_size=1, seed=1, out=str(tmp_path), dims=dims(), chunk_events=5_000_001)
    with pytest.raises(ValueError, match="start must be from year 1000 on"):
        run_backfill(dt.date(999, 12, 30), END, batch_size=1, seed=1, out=str(tmp_path), dims=dims())


def test_an_out_path_through_dot_dot_never_touches_what_was_already_there(tmp_path: Path) -> None:
    sandbox = tmp_path / "sandbox"
    (sandbox / "src").mkdir(parents=True)
    (sandbox / "src" / "keep.py").write_text("print('mine')")
    report = run_backfill(START, END, batch_size=1, seed=1, out=str(sandbox / "typo" / ".." / "lake"), dims=dims())
    assert (sandbox / "src" / "keep.py").read_text() == "print('mine')"
    assert sorted(p.name for p in sandbox.iterdir()) == ["lake", "src"]
    assert len(lake_files(sandbox / "lake")) == report.files > 0


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the patched close runs in __del__
@pytest.mark.parametrize("step", ["open", "close"])
def test_a_file_that_fails_to_open_or_close_is_not_left_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    # A full disk can fail a Parquet writer as it starts a file or as it writes the footer.
    def no_space(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    if step == "open":
        real_init = pq.ParquetWriter.__init__
        opened = []

        def init(self: pq.ParquetWriter, *args: object, **kwargs: object) -> None:
            opened.append(1)
            if len(opened) == 3:
                no_space()
            real_init(self, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(pq.ParquetWriter, "__init__", init)
    else:
        monkeypatch.setattr(pq.ParquetWriter, "close", no_space)
    with pytest.raises(OSError, match="No space left"):
        backfill(tmp_path / "lake", batch=23, chunk=1_000)
    assert _leftovers(tmp_path) == ["lake"]  # holding only its lock and ledger


def test_a_failed_rerun_puts_back_every_file_it_was_replacing(tmp_path: Path) -> None:
    backfill(tmp_path, batch=2)
    before = {rel: path.read_bytes() for rel, path in lake_files(tmp_path).items()}
    last = max(before)
    (tmp_path / last).unlink()
    (tmp_path / last).mkdir()  # a directory where the rerun must put its last file: its commit fails there
    with pytest.raises(OSError):
        backfill(tmp_path, batch=2)
    (tmp_path / last).rmdir()
    after = {rel: path.read_bytes() for rel, path in lake_files(tmp_path).items()}
    assert after == {rel: data for rel, data in before.items() if rel != last}
    assert _names(tmp_path) == ["telemetry"]


class _InterruptAfterMoves(pafs.FileSystemHandler):
    """The local filesystem, raising KeyboardInterrupt right after the n-th move has happened."""

    def __init__(self, moves_before_interrupt: int) -> None:
        self.fs, self.left = pafs.LocalFileSystem(), moves_before_interrupt

    def move(self, src: str, dest: str) -> None:
        self.fs.move(src, dest)
        self.left -= 1
        if self.left == 0:
            raise KeyboardInterrupt  # as Ctrl-C would land once the move returns, before anything records it

    def get_type_name(self) -> str:
        return "interrupting"

    def get_file_info(self, paths: list[str]) -> list[pafs.FileInfo]:
        return self.fs.get_file_info(paths)

    def get_file_info_selector(self, selector: pafs.FileSelector) -> list[pafs.FileInfo]:
        return self.fs.get_file_info(selector)

    def create_dir(self, path: str, recursive: bool) -> None:
        self.fs.create_dir(path, recursive=recursive)

    def delete_dir(self, path: str) -> None:
        self.fs.delete_dir(path)

    def delete_dir_contents(self, path: str, missing_dir_ok: bool = False) -> None:
        self.fs.delete_dir_contents(path, missing_dir_ok=missing_dir_ok)

    def delete_root_dir_contents(self) -> None:
        raise NotImplementedError

    def delete_file(self, path: str) -> None:
        self.fs.delete_file(path)

    def copy_file(self, src: str, dest: str) -> None:
        self.fs.copy_file(src, dest)

    def open_input_stream(self, path: str) -> pa.NativeFile:
        return self.fs.open_input_stream(path)

    def open_input_file(self, path: str) -> pa.NativeFile:
        return self.fs.open_input_file(path)

    def open_output_stream(self, path: str, metadata: dict) -> pa.NativeFile:
        return self.fs.open_output_stream(path)

    def open_append_stream(self, path: str, metadata: dict) -> pa.NativeFile:
        return self.fs.open_append_stream(path)

    def normalize_path(self, path: str) -> str:
        return self.fs.normalize_path(path)

    def equals(self, other: object) -> bool:
        return self is other


@pytest.mark.parametrize("moves", [1, 3])
def test_an_interruption_during_commit_leaves_the_lake_as_it_was(tmp_path: Path, moves: int) -> None:
    lake = tmp_path / "lake"
    backfill(lake, batch=2, seed=3)  # an earlier run of other arguments: its files must survive untouched
    before = {rel: path.read_bytes() for rel, path in lake_files(lake).items()}
    fs = pafs.PyFileSystem(_InterruptAfterMoves(moves))
    with pytest.raises(KeyboardInterrupt):
        backfill(str(lake), batch=2, seed=4, filesystem=fs)
    assert {rel: path.read_bytes() for rel, path in lake_files(lake).items()} == before
    assert _names(lake) == ["telemetry"]


def test_a_block_whose_first_arrays_fall_short_is_generated_again_with_room_for_every_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = wm.World(SEED, dims(), 500)
    catalog = model.Catalog.from_dimensions(dims())
    start = _ms(START) + 20 * 3_600_000
    lo, hi = start // wm.SLOT_MS - 200, start // wm.SLOT_MS + 30
    roomy = model.world_block(world, catalog, lo, hi, start, start + 1_800_000)
    monkeypatch.setattr(model, "EVENTS_PER_SESSION_GUESS", 0)  # 1,024 events: far too few for this block
    retried = model.world_block(world, catalog, lo, hi, start, start + 1_800_000)
    assert roomy.events > 1024
    for field in model.Block.SESSION_FIELDS + model.Block.EVENT_FIELDS:
        assert np.array_equal(getattr(retried, field), getattr(roomy, field)), field
