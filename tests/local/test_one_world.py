"""One world locally and in AWS: the local lake holds the dimension bytes the stack uploads and the events its
generator emits, for the stack's own config (Pulumi.yaml + Pulumi.dev.yaml, loaded as the CLI loads them)."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from components.catalog import customer_part_count
from components.testing import ProgramResult
from functions.generator import handler
from functions.generator.events import window_events
from functions.shared import layout
from functions.shared.dimensions import generate_dimensions
from functions.shared.schema import CUSTOMERS, DIMENSION_TABLES
from lakewriter import durable
from lakewriter.customers import part_key
from lakewriter.parquet import parquet_bytes, rows_to_arrow
from local.marker import LAKE_MARKER
from local.pipeline import run_pipeline
from local.plan import ms
from local.settings import load_settings
from stack.testing import run_stack

pytestmark = pytest.mark.e2e

STACK = "dev"
NOW = dt.datetime(2026, 11, 26, 12, 7, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def program() -> ProgramResult:
    return run_stack(STACK)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lake = tmp_path_factory.mktemp("one-world") / "lake"
    run_pipeline(load_settings(STACK), lake, ticks=1, now=NOW)
    return lake


def _generator_environment(program: ProgramResult) -> dict[str, str]:
    (function,) = [
        r
        for r in program.resources
        if r.type == "aws:lambda/function:Function" and "PRODUCER_FUNCTION_NAME" in str(r.inputs.get("environment"))
    ]
    return dict(function.inputs["environment"]["variables"])


def test_the_local_dimension_tables_are_the_stacks_uploads_as_known_at_the_lakes_end(
    program: ProgramResult, lake: Path
) -> None:
    """Titles and campaigns byte for byte. The stack uploads the customers table in parts as of the sign-up horizon
    (every customer its generator will reference, SIGNUPS_UNTIL); the lake holds the same table in parts as known on
    its last day (Dimensions.as_of): who had signed up by then, with end dates and is_active of that day."""
    objects = [r.inputs for r in program.resources if r.type == "aws:s3/bucketObjectv2:BucketObjectv2"]
    uploads = {o["key"]: base64.b64decode(o["contentBase64"]) for o in objects if "contentBase64" in o}
    parts = {o["key"]: Path(o["source"].path).read_bytes() for o in objects if "source" in o}
    assert len(uploads) == len(DIMENSION_TABLES) - 1
    # The stack's lake is kept: it registers the largest table's parts, those past this table's end without a row.
    assert list(parts) == [part_key(k) for k in range(customer_part_count(1, kept=True))]
    paths = [Path(o["source"].path) for o in objects if "source" in o]
    assert all(pq.read_table(path).num_rows == 0 for path in paths[1:])
    for key, blob in uploads.items():
        assert (lake / key).read_bytes() == blob, key
    env = _generator_environment(program)
    seed, count = int(env["DIMENSION_SEED"]), int(env["CUSTOMER_COUNT"])
    dims = generate_dimensions(seed, count, 1, 1)
    assert parts[part_key(0)] == parquet_bytes(rows_to_arrow(CUSTOMERS, dims.customers))
    known = dims.as_of(NOW.date())
    assert sorted(p.name for p in (lake / CUSTOMERS.prefix).iterdir()) == ["customers.parquet"]
    assert (lake / part_key(0)).read_bytes() == parquet_bytes(rows_to_arrow(CUSTOMERS, known.customers))
    assert 0 < len(known.customers) < len(dims.customers)
    assert max(c["subscription_start_date"] for c in known.customers) <= NOW.date().isoformat()


def test_a_local_tick_holds_exactly_the_events_the_stacks_generator_emits_for_it(
    program: ProgramResult, lake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _generator_environment(program)
    # The generator's own start-up path, with the environment the program gives the function.
    monkeypatch.setattr(handler, "_config", handler.GeneratorConfig.from_env(env))
    monkeypatch.setattr(handler, "_dimensions", None)
    monkeypatch.setattr(handler, "_worlds", {})
    end = ms(NOW) // 300_000 * 300_000
    expected = {e["event_id"] for e in window_events(handler.world(), end - 300_000, end)}
    landed = {
        eid
        for path in (lake / layout.TELEMETRY_PREFIX).rglob("*.parquet")
        for eid in pq.read_table(path, columns=["event_id"])["event_id"].to_pylist()
    }
    assert len(expected) > 400  # a 5-minute tick at batchSize 200 (10-15 % short since the ads: docs/ads.md)
    assert landed == expected


def test_the_lake_marker_records_the_world_the_stacks_generator_gets(program: ProgramResult, lake: Path) -> None:
    env = _generator_environment(program)
    world = durable.read_state(lake / LAKE_MARKER)["world"]
    assert str(world["dimension_seed"]) == env["DIMENSION_SEED"] == "42"
    assert (str(world["customers"]), str(world["titles"])) == (env["CUSTOMER_COUNT"], env["TITLE_COUNT"])
    assert str(world["batch_size"]) == env["BATCH_SIZE"]
