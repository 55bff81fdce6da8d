"""The ad figures of streaming events: load, completion, frequency, the cap and the opportunities behind them.

Reads only the events (the generator's rows or the lake's) and the dimension tables, so it checks what the world
delivered: `local.bands.AD_BANDS` and the reconciliation with the campaigns table (tests/local/test_ad_bands.py).
The opportunities (ads the breaks' pods ask for, filled or not) are counted from the plays' breaks (`ads.breaks`
from where each play started to how far it ran) times the mean pod size of their position: an unfilled break leaves
no event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from functions.shared import ads
from functions.shared.dimensions import Dimensions


def _ms(timestamp: str) -> int:
    moment = dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return round(moment.timestamp() * 1000)


@dataclass
class _Play:
    title_id: str
    first_position: int | None = None
    """Where the play's start event stood (None when the window cut its start)."""
    watched: int = 0
    completed: bool = False


@dataclass
class AdFigures:
    """The ad events of a set of events, and the ad-tier plays they ran in."""

    starts: list[Mapping[str, object]] = field(default_factory=list)
    completes: list[Mapping[str, object]] = field(default_factory=list)
    content_seconds: int = 0
    """Content seconds played by viewers on ad tiers."""
    offered: dict[str, float] = field(default_factory=dict)
    """Ads the plays' breaks ask for in expectation (pods of the mean size), by position."""

    def delivered(self) -> dict[str, int]:
        """Impressions (ad_start events) per campaign."""
        out: dict[str, int] = {}
        for e in self.starts:
            out[str(e["campaign_id"])] = out.get(str(e["campaign_id"]), 0) + 1
        return out


def collect(events: Iterable[Mapping[str, object]], dims: Dimensions) -> AdFigures:
    """The ad events and the ad-tier plays of `events`."""
    tiers = {c["customer_id"]: c["subscription_tier"] for c in dims.customers}
    seconds = {t["title_id"]: int(t["duration_minutes"]) * 60 for t in dims.titles}
    out = AdFigures()
    plays: dict[str, _Play] = {}
    for ev in events:
        kind = ev["event_type"]
        if kind == "ad_start":
            out.starts.append(ev)
        elif kind == "ad_complete":
            out.completes.append(ev)
        if not ads.sees_ads(str(tiers[ev["customer_id"]])) or kind in ("start_failed", "exit_before_start"):
            continue
        play = plays.setdefault(str(ev["session_id"]), _Play(str(ev["title_id"])))
        if kind == "start":
            play.first_position = int(ev["position_seconds"])  # type: ignore[call-overload]
        play.watched = max(play.watched, int(ev["watch_duration_seconds"]))  # type: ignore[call-overload]
        play.completed |= kind == "complete"
    mean_pod = {p: sum(s) / len(s) for p, s in ads.POD_SIZES.items()}
    offered = dict.fromkeys(ads.POSITIONS, 0.0)
    for play in plays.values():
        out.content_seconds += play.watched
        if play.first_position is None:
            continue
        duration = seconds[play.title_id]
        for code, _ in ads.play_breaks(duration, play.first_position, play.watched, play.completed):
            position = ads.POSITIONS[code]
            offered[position] += mean_pod[position]
    out.offered = offered
    return out


def figures(found: AdFigures) -> dict[str, float]:
    """Ad minutes per content hour, completion by device, frequency per campaign-viewer-day and per campaign, the
    share of campaign-viewer-days over the cap, the opportunities per content hour and the share filled."""
    hours = found.content_seconds / 3600
    starts = found.starts
    out: dict[str, float] = {
        "ad_minutes_per_hour": sum(int(e["ad_duration_seconds"]) for e in starts) / 60 / hours if hours else 0.0,  # type: ignore[call-overload]
        "opportunities_filled": len(starts) / max(1.0, sum(found.offered.values())),
        "content_hours": hours,
    }
    for position, n in found.offered.items():
        out[f"offered_per_hour_{position}"] = n / hours if hours else 0.0
    for device in ads.AD_COMPLETION:
        s = sum(1 for e in starts if e["device_type"] == device)
        c = sum(1 for e in found.completes if e["device_type"] == device)
        out[f"completion_{device}"] = c / s if s else float("nan")
    per_day: dict[tuple[str, str, int], int] = {}
    for e in starts:
        key = (str(e["campaign_id"]), str(e["customer_id"]), _ms(str(e["event_timestamp"])) // ads.DAY_MS)
        per_day[key] = per_day.get(key, 0) + 1
    out["frequency_per_viewer_day"] = len(starts) / len(per_day) if per_day else 0.0
    out["viewer_days_over_cap"] = sum(1 for n in per_day.values() if n > ads.FREQUENCY_CAP) / max(1, len(per_day))
    reach: dict[str, set[str]] = {}
    for e in starts:
        reach.setdefault(str(e["campaign_id"]), set()).add(str(e["customer_id"]))
    out["frequency_per_campaign"] = len(starts) / sum(len(v) for v in reach.values()) if reach else 0.0
    return out
