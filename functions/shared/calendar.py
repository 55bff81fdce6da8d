"""The calendar viewers live by: the local hour and weekday curve of viewing, and each zone's UTC offset per hour.

Both the generator Lambda and the backfill read these through the world's hour plans (world.py). Lambda-safe:
standard library only.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import lru_cache

HOUR_WEIGHTS: tuple[int, ...] = (
    9, 5, 3, 2, 2, 3, 5, 8, 9, 10, 11, 12, 14, 14, 14, 15, 17, 20, 26, 32, 36, 35, 28, 18,
)  # fmt: skip
"""Relative rate of session starts by the viewer's local hour 0-23, Monday to Friday: quiet at night, the peak at
8-9 pm and most viewing 6-10 pm (RealityMine via Broadcasting & Cable, "Primetime Endures for On-Demand")."""
WEEKEND_HOUR_WEIGHTS: tuple[int, ...] = (
    11, 6, 4, 3, 2, 2, 3, 4, 7, 10, 13, 15, 16, 17, 17, 17, 18, 20, 24, 29, 33, 32, 27, 18,
)  # fmt: skip
"""The same on Saturday and Sunday: later nights and about a sixth more daytime viewing (10 am-5 pm), the same
8-9 pm peak; it sums to HOUR_WEIGHTS' total, so DAY_WEIGHTS alone sets each day's volume."""
DAY_WEIGHTS: tuple[int, ...] = (93, 91, 92, 95, 104, 110, 115)
"""Relative volume by the viewer's local day of week, Monday first: plays and hours peak on Sunday (Conviva State
of Streaming Q1 2018; Nielsen: Sunday is the busiest TV day, via nScreenMedia), Friday and Saturday next."""
assert len(HOUR_WEIGHTS) == len(WEEKEND_HOUR_WEIGHTS) == 24 and len(DAY_WEIGHTS) == 7
assert sum(WEEKEND_HOUR_WEIGHTS) == sum(HOUR_WEIGHTS) and max(WEEKEND_HOUR_WEIGHTS) <= max(HOUR_WEIGHTS), (
    "max(HOUR_WEIGHTS) * max(DAY_WEIGHTS) bounds the busiest hour (components.scheduled_generator sizes by it)"
)
WEEKEND = (5, 6)
"""Saturday and Sunday (Monday = 0) follow WEEKEND_HOUR_WEIGHTS."""
_EPOCH_WEEKDAY = 3
"""1970-01-01 was a Thursday (Monday = 0)."""


def local_weight(local_hour: int) -> int:
    """The start-rate weight of an hour of local time (hours since the local epoch): its hour curve times its day."""
    weekday = (local_hour // 24 + _EPOCH_WEEKDAY) % 7
    curve = WEEKEND_HOUR_WEIGHTS if weekday in WEEKEND else HOUR_WEIGHTS
    return curve[local_hour % 24] * DAY_WEIGHTS[weekday]


WEEK_WEIGHT = sum(local_weight(h) for h in range(168))
"""A member's total weight over a week (the same for any week, any offset)."""


@lru_cache(maxsize=1024)
def _zone(tz_name: str) -> zoneinfo.ZoneInfo:
    """A zone, loaded once (ZoneInfo's own cache keeps only a few strongly)."""
    return zoneinfo.ZoneInfo(tz_name)


@lru_cache(maxsize=65536)
def utc_offset_at(tz_name: str, epoch_minute: int) -> int:
    """A time zone's UTC offset in minutes at a moment (minutes since the epoch; 0 for an unknown zone)."""
    at = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=epoch_minute)
    try:
        offset = at.astimezone(_zone(tz_name)).utcoffset()  # (tz.utcoffset(at) would read UTC as wall time)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OverflowError):
        return 0
    return int(offset.total_seconds() // 60) if offset is not None else 0


def hour_offset(tz_name: str, epoch_hour: int) -> int:
    """The offset a zone's viewers live by in a UTC hour: the one in force at its middle, so a daylight-saving
    change moves the curve at the hour it happens (at the hour for whole-hour zones)."""
    return utc_offset_at(tz_name, epoch_hour * 60 + 30)
