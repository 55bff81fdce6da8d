"""EventBridge cron() schedules: parse one, find its previous firing, and its longest gap between firings.

The generator covers, at each firing of a cron() schedule, the time since the previous firing, so consecutive
ticks meet without gap or overlap. Syntax and semantics follow the EventBridge user guide, "Schedule expressions
for rules" (eb-scheduled-rule-pattern / eb-cron-expressions): six fields, minutes hours day-of-month month
day-of-week year, all in UTC; wildcards `, - * /` everywhere, `?` in exactly one of the two day fields, `L` and `W`
in day-of-month, `L` and `#` in day-of-week (1-7 or SUN-SAT, 1 is Sunday), months 1-12 or JAN-DEC, years
1970-2199. Only a year field of `*` is accepted here: a schedule that starts or stops in some year has a first
firing with no previous one to start its window from.

Lambda code: standard library only.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass

MINUTE_MS = 60_000
DAY_MINUTES = 1440
GREGORIAN_CYCLE_DAYS = 146_097
"""The Gregorian calendar (weekdays, month lengths, leap years) repeats every 400 years, this many days."""
_CYCLE_START = dt.date(2000, 1, 1)
_EPOCH = dt.date(1970, 1, 1)
_CRON = re.compile(r"^cron\(([^()]+)\)$")
_MONTHS = {name.upper(): i for i, name in enumerate(calendar.month_abbr) if name}
_WEEKDAYS = {name: i for i, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)}
FIELDS = ("minutes", "hours", "day-of-month", "month", "day-of-week", "year")
_RANGES = {"minutes": (0, 59), "hours": (0, 23), "day-of-month": (1, 31), "month": (1, 12), "day-of-week": (1, 7)}


class CronError(ValueError):
    """A cron() expression EventBridge would refuse, or one this project cannot cover tick by tick."""


def _value(field: str, text: str) -> int:
    names = _MONTHS if field == "month" else _WEEKDAYS if field == "day-of-week" else {}
    low, high = _RANGES[field]
    value = (
        names.get(text.upper()) if text.upper() in names else int(text) if text.isascii() and text.isdigit() else None
    )
    if value is None or not low <= value <= high:
        raise CronError(f"{field} must be values {low}-{high}{' or names' if names else ''}, got {text!r}")
    return value


def _values(field: str, text: str) -> frozenset[int]:
    """The values of a field made of `*`, numbers or names, ranges `a-b` and steps `x/n`, joined by commas."""
    low, high = _RANGES[field]
    out: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not (step_text.isascii() and step_text.isdigit()) or int(step_text) < 1:
                raise CronError(f"{field} step must be a positive integer, got {item!r}")
            step = int(step_text)
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, _, b = base.partition("-")
            first, last = _value(field, a), _value(field, b)
            if first > last:
                raise CronError(f"{field} range must run low to high, got {item!r}")
        else:
            first = _value(field, base)
            last = high if step_text else first
        out.update(range(first, last + 1, step))
    return frozenset(out)


def weekday(day: dt.date) -> int:
    """EventBridge's day-of-week number: 1 is Sunday, 7 is Saturday."""
    return (day.weekday() + 1) % 7 + 1


def _nearest_weekday(day_of_month: int, year: int, month: int) -> int | None:
    """The `W` rule: the weekday nearest `day_of_month` within the month (None when the month is shorter)."""
    last = calendar.monthrange(year, month)[1]
    if day_of_month > last:
        return None
    wd = dt.date(year, month, day_of_month).weekday()  # Monday 0 .. Sunday 6
    if wd == 5:  # Saturday: the Friday before, or the Monday after when that leaves the month
        return day_of_month - 1 if day_of_month > 1 else day_of_month + 2
    if wd == 6:  # Sunday: the Monday after, or the Friday before when that leaves the month
        return day_of_month + 1 if day_of_month < last else day_of_month - 2
    return day_of_month


@dataclass(frozen=True)
class Cron:
    """A parsed cron() schedule: the minutes of the day it fires at and which days it fires on."""

    expression: str
    times: tuple[int, ...]
    """Minutes after midnight UTC it fires at, ascending."""
    months: frozenset[int]
    day_kind: str
    """Which day field decides, and how: "dom" (values), "L", "LW", "W" (day-of-month) or "dow" (values), "dowL",
    "#" (day-of-week)."""
    days: frozenset[int] = frozenset()
    """The day-of-month or day-of-week values ("dom", "dow")."""
    n: int = 0
    """The day of "W", the weekday of "dowL" and "#"."""
    nth: int = 0
    """k of "n#k"."""

    def fires_on(self, day: dt.date) -> bool:
        """Whether the schedule fires on `day` (at each of `times`)."""
        if day.month not in self.months:
            return False
        kind = self.day_kind
        if kind == "dom":
            return day.day in self.days
        if kind == "dow":
            return weekday(day) in self.days
        last = calendar.monthrange(day.year, day.month)[1]
        if kind == "L":
            return day.day == last
        if kind == "LW":
            return day.day == max(d for d in range(last - 2, last + 1) if dt.date(day.year, day.month, d).weekday() < 5)
        if kind == "W":
            return day.day == _nearest_weekday(self.n, day.year, day.month)
        if kind == "dowL":
            return weekday(day) == self.n and day.day + 7 > last
        return weekday(day) == self.n and (day.day - 1) // 7 + 1 == self.nth  # "#"

    def previous(self, before_ms: int, within_ms: int) -> int:
        """Epoch ms of the latest firing strictly before `before_ms`, looking back at most `within_ms`."""
        floor = before_ms - within_ms
        day = dt.datetime.fromtimestamp((before_ms - 1) / 1000, dt.UTC).date()
        while True:
            midnight = (day - _EPOCH).days * DAY_MINUTES * MINUTE_MS
            if midnight + DAY_MINUTES * MINUTE_MS <= floor:
                raise CronError(f"{self.expression} does not fire in the {within_ms // 1000} s before {before_ms} ms")
            if self.fires_on(day):
                earlier = [midnight + t * MINUTE_MS for t in self.times if midnight + t * MINUTE_MS < before_ms]
                if earlier and earlier[-1] >= floor:
                    return earlier[-1]
            day -= dt.timedelta(days=1)

    @functools.cached_property
    def longest_gap_seconds(self) -> int:
        """Longest time between two consecutive firings over a whole 400-year calendar cycle (so over all time)."""
        days = [i for i in range(GREGORIAN_CYCLE_DAYS) if self.fires_on(_CYCLE_START + dt.timedelta(days=i))]
        if not days:
            raise CronError(f"{self.expression} never fires")
        within = max((b - a for a, b in zip(self.times, self.times[1:], strict=False)), default=0)
        span = self.times[-1] - self.times[0]
        across = max(b - a for a, b in zip(days, [*days[1:], days[0] + GREGORIAN_CYCLE_DAYS], strict=True))
        return max(within, across * DAY_MINUTES - span) * 60


def _days(dom: str, dow: str) -> dict[str, object]:
    """How the day fields pick days: the Cron fields day_kind, days, n and nth."""
    if dow == "?":
        if dom in ("L", "LW"):
            return {"day_kind": dom}
        if re.fullmatch(r"\d{1,2}W", dom):
            return {"day_kind": "W", "n": _value("day-of-month", dom[:-1])}
        return {"day_kind": "dom", "days": _values("day-of-month", dom)}
    if dow == "L":
        return {"day_kind": "dowL", "n": 7}  # L alone is the last day of the week, Saturday
    if len(dow) > 1 and dow.endswith("L"):
        return {"day_kind": "dowL", "n": _value("day-of-week", dow[:-1])}
    if "#" in dow:
        name, _, nth = dow.partition("#")
        if not (nth.isascii() and nth.isdigit() and 1 <= int(nth) <= 5):
            raise CronError(f"day-of-week n#k needs k from 1 to 5 (one expression only), got {dow!r}")
        return {"day_kind": "#", "n": _value("day-of-week", name), "nth": int(nth)}
    return {"day_kind": "dow", "days": _values("day-of-week", dow)}


@functools.lru_cache(maxsize=32)
def parse(expression: str) -> Cron:
    """The Cron of an EventBridge `cron(...)` expression; CronError naming the field and the rule otherwise."""
    match = _CRON.match(expression.strip())
    fields = match.group(1).split() if match else []
    if len(fields) != len(FIELDS):
        raise CronError(f"a cron() expression has {len(FIELDS)} fields ({' '.join(FIELDS)}), got {expression!r}")
    minutes, hours, dom, month, dow, year = (f.upper() for f in fields)
    if (dom == "?") == (dow == "?"):
        raise CronError(f"exactly one of day-of-month and day-of-week must be '?', got {dom!r} and {dow!r}")
    if year != "*":
        raise CronError(
            f"year must be '*' (a schedule limited to some years has a first tick with no previous one), got {year!r}"
        )
    times = tuple(sorted(h * 60 + m for h in _values("hours", hours) for m in _values("minutes", minutes)))
    return Cron(expression.strip(), times, _values("month", month), **_days(dom, dow))  # type: ignore[arg-type]


def is_cron(expression: str) -> bool:
    return expression.strip().startswith("cron(")
