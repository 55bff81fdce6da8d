"""Two weeks of the default world, backfilled into a lake and profiled (`local.profile`): each figure the world
model claims is held to its reference band (`local.bands`, with its public sources)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from functions.shared.dimensions import DEFAULT_DIMENSION_SEED, generate_dimensions
from functions.shared.schema import CUSTOMERS, TITLES
from lakewriter.backfill import run_backfill
from lakewriter.parquet import rows_to_arrow
from local.profile import Profile, measure

START = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
"""A Monday: the lake holds two whole weeks."""
DAYS = 14
BATCH_SIZE = 60
"""The rate at which the default 1,000 customers watch about 2 hours a day each (docs/audience.md)."""

HELD = (
    "hours_per_subscriber_day",
    "hours_spread_cv",
    "sessions_per_subscriber_day",
    "daily_active_share",
    "device_share_tv",
    "device_share_mobile",
    "device_share_web",
    "device_share_tablet",
    "minutes_per_play",
    "minutes_per_play_tv",
    "minutes_per_play_mobile",
    "mobile_tv_play_ratio",
    "short_play_share",
    "completion_episode",
    "completion_film",
    "completion_ratio",
    "top_3pct_hours_share",
    "top_10pct_plays_share",
    "sunday_rank",
    "weekend_daytime_lift",
    "peak_hour",
    "prime_time_share",
    "plays_outside_subscription",
    "plays_before_release",
)
"""The figures this world model is built to meet; docs/audience.md lists those it does not yet."""


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> Profile:
    lake: Path = tmp_path_factory.mktemp("lake")
    dims = generate_dimensions(DEFAULT_DIMENSION_SEED, customers=1000, titles=500, campaigns=1)
    run_backfill(START, START + dt.timedelta(days=DAYS), seed=1, batch_size=BATCH_SIZE, out=str(lake), dims=dims)
    for table, rows in ((CUSTOMERS, dims.customers), (TITLES, dims.titles)):
        (lake / table.prefix).mkdir(parents=True)
        pq.write_table(rows_to_arrow(table, rows), lake / table.prefix / f"{table.name}.parquet")
    return measure(lake)


@pytest.mark.parametrize("key", HELD)
def test_two_weeks_of_the_default_world_hold_the_figure_to_its_band(profile: Profile, key: str) -> None:
    figure = profile.figure(key)
    assert figure.ok, f"{key} = {figure.value} outside {figure.band.describe()} ({figure.band.figure})"
