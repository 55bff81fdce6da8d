"""The ad events the world's plays carry, laid over already generated events: how `functions.shared.ads` is called.

Until the generator and the backfill kernel emit ads in their timelines (docs/ads.md, "Wiring"), this builds them
from a window's sessions the same way: a pre-roll at the first frame, mid-rolls at their content seconds, a
post-roll after a completed play, each break's ads from the viewer-day schedule, wall time advancing by each ad.
Pauses and stalls, which the timeline would add before a break, are ignored here; draws come from the session id.
It serves the bands and the reconciliation measurement (`measure`), not the lake.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from functions.shared import ads
from functions.shared.dimensions import Dimensions
from functions.shared.world import draw

D_AD_POD = 0
"""Draw numbers of a session's ad stream: break k's pod size is draw D_AD_POD + k * (1 + MAX_POD); its ads the next
MAX_POD draws."""


def _session_key(session_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(session_id.encode(), digest_size=8).digest(), "big")


@dataclass
class Session:
    """What the overlay needs of one play, read from its events."""

    customer_id: str
    device_type: str
    title_id: str
    start_ms: int
    played_seconds: int = 0
    completed: bool = False


def _ms(timestamp: str) -> int:
    moment = dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return int(moment.timestamp() * 1000)


def sessions(events: Iterable[Mapping[str, object]]) -> dict[str, Session]:
    """Each session of the events that has its start, by session id."""
    out: dict[str, Session] = {}
    for ev in events:
        sid = str(ev["session_id"])
        if ev["event_type"] == "start":
            out[sid] = Session(
                str(ev["customer_id"]), str(ev["device_type"]), str(ev["title_id"]), _ms(str(ev["event_timestamp"]))
            )
        elif sid in out and ev["event_type"] in ("stop", "complete", "error"):
            out[sid].played_seconds = int(ev["watch_duration_seconds"] or 0)  # type: ignore[call-overload]
            out[sid].completed = ev["event_type"] == "complete"
    return out


@dataclass(frozen=True)
class AdEvent:
    event_type: str
    at_ms: int
    session_id: str
    customer_id: str
    device_type: str
    campaign_id: str
    ad_position: str
    ad_duration_seconds: int


@dataclass
class Overlay:
    """Ad events of a set of sessions, with the opportunities they were drawn from."""

    events: list[AdEvent] = field(default_factory=list)
    offered: dict[str, int] = field(default_factory=dict)
    """Ads the pods asked for, by position (filled or not)."""
    content_seconds: float = 0.0
    """Content seconds played by viewers on ad tiers."""


def overlay(
    seed: int, dims: Dimensions, plays: Mapping[str, Session], schedules: ads.Schedules | None = None
) -> Overlay:
    """The ads of every play in `plays` whose viewer is on an ad tier."""
    customers = {c["customer_id"]: c for c in dims.customers}
    titles = {t["title_id"]: int(t["duration_minutes"]) * 60 for t in dims.titles}
    schedules = schedules or ads.Schedules(seed, dims.campaigns)
    tgts = schedules.targets
    out = Overlay()
    for sid, play in plays.items():
        customer = customers[play.customer_id]
        if not ads.sees_ads(str(customer["subscription_tier"])):
            continue
        out.content_seconds += play.played_seconds
        key = _session_key(sid)
        ad_ms = 0
        for k, (position, at) in enumerate(ads.breaks(titles[play.title_id], play.played_seconds, play.completed)):
            wall = play.start_ms + at * 1000 + ad_ms
            day, bucket = ads.bucket_of(wall)
            base = D_AD_POD + k * (1 + ads.MAX_POD)
            pod_draw = draw(key, base)
            out.offered[position] = out.offered.get(position, 0) + ads.pod_size(position, pod_draw)
            shown = ads.break_ads(
                tgts,
                schedules.of(customer, day, position),
                bucket,
                position,
                play.device_type,
                pod_draw,
                [draw(key, base + 1 + i) for i in range(ads.MAX_POD)],
            )
            for ad in shown:
                t = tgts[ad.target]
                fields = (sid, play.customer_id, play.device_type, t.campaign_id, position, t.seconds)
                out.events.append(AdEvent("ad_start", wall, *fields))
                if ad.completed:
                    out.events.append(AdEvent("ad_complete", wall + ad.ran_ms, *fields))
                wall += ad.ran_ms
                ad_ms += ad.ran_ms
    return out


def figures(result: Overlay, customers: Sequence[Mapping[str, object]] | None = None) -> dict[str, float]:
    """Ad minutes per content hour, completion by device, mean frequency per campaign-day, fill and the cap."""
    starts = [e for e in result.events if e.event_type == "ad_start"]
    completes = [e for e in result.events if e.event_type == "ad_complete"]
    hours = result.content_seconds / 3600
    out: dict[str, float] = {
        "ad_minutes_per_hour": sum(e.ad_duration_seconds for e in starts) / 60 / hours if hours else 0.0,
        "opportunities_filled": len(starts) / max(1, sum(result.offered.values())),
    }
    for position, n in result.offered.items():
        out[f"offered_per_hour_{position}"] = n / hours if hours else 0.0
    for device in ads.AD_COMPLETION:
        s = sum(1 for e in starts if e.device_type == device)
        c = sum(1 for e in completes if e.device_type == device)
        out[f"completion_{device}"] = c / s if s else float("nan")
    per_day: dict[tuple[str, str, int], int] = {}
    for e in starts:
        key = (e.campaign_id, e.customer_id, e.at_ms // ads.DAY_MS)
        per_day[key] = per_day.get(key, 0) + 1
    out["frequency_per_viewer_day"] = len(starts) / len(per_day) if per_day else 0.0
    out["viewer_days_over_cap"] = sum(1 for n in per_day.values() if n > ads.FREQUENCY_CAP) / max(1, len(per_day))
    reach: dict[str, set[str]] = {}
    for e in starts:
        reach.setdefault(e.campaign_id, set()).add(e.customer_id)
    out["frequency_per_campaign"] = len(starts) / sum(len(v) for v in reach.values()) if reach else 0.0
    return out
