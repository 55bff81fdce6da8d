"""Session invariants every batch of streaming events must satisfy, however it was produced.

`check_events` reads only the list of row dicts and the dimension tables, so the streaming generator's
tests and the backfill's tests hold their output to the same rules.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from itertools import pairwise

from functions.shared import ads, domains, geography, layout, player
from functions.shared.dimensions import Dimensions
from functions.shared.schema import STREAMING_EVENTS, SchemaError, validate_record
from functions.shared.world import World

UUID4_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
DEVICE_ID_PATTERN = re.compile(r"^dev_[0-9a-f]{16}$")

SESSION_CONSTANT_FIELDS = (
    "customer_id",
    "title_id",
    "title_type",
    "device_id",
    "device_type",
    "device_os",
    "app_version",
    "quality",
    "ip_address",
    "isp",
    "connection_type",
    "country",
    "state",
    "city",
)
"""One customer, title, device, network and quality per session."""

MONOTONIC_FIELDS = (
    "event_timestamp",
    "position_seconds",
    "watch_duration_seconds",
    "buffering_events",
    "buffering_duration_seconds",
    "error_count",
)
"""Fields that never go backwards within a session (timestamps strictly increase; checked separately)."""

_PLAYING = frozenset({"pause", "bitrate_change", "error", "ad_start", *domains.SESSION_END_TYPES})
NEXT_EVENT_TYPES = {
    "start": _PLAYING,
    "pause": frozenset({"resume"}),
    "resume": _PLAYING,
    "bitrate_change": _PLAYING,
    "ad_start": _PLAYING | {"ad_complete"},
    "ad_complete": _PLAYING,
    "complete": frozenset({"ad_start"}),
}
"""Which event may directly follow which within a session (nothing follows a stop, a fatal `error`, a
`start_failed` or an `exit_before_start`; only a post-roll's ads follow a `complete`)."""
UNSTARTED = frozenset({"start_failed", "exit_before_start"})
"""Attempts that end before the first frame: the session's only event."""


def expected_quality(tier: str, bandwidth_mbps: float, device_type: str, connection: str) -> str:
    """Best quality the tier, the screen and the network allow and the bandwidth carries (written out here,
    independent of the generator: phones and tablets on 4G/5G stream SD, only TVs 4K)."""
    allowed = domains.QUALITY_ORDER.index(domains.MAX_QUALITY_BY_TIER[tier])
    allowed = min(allowed, domains.QUALITY_ORDER.index("4K" if device_type == "tv" else "HD"))
    if connection in ("4g", "5g"):
        allowed = 0
    best = domains.QUALITY_ORDER[0]
    for i, quality in enumerate(domains.QUALITY_ORDER):
        if i <= allowed and bandwidth_mbps >= domains.MIN_BANDWIDTH_MBPS_FOR_QUALITY[quality]:
            best = quality
    return best


def _ms(timestamp: str) -> int:
    moment = dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return (moment - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(milliseconds=1)


def _fail(message: str, index: int, ev: dict) -> None:
    raise AssertionError(f"event {index} (session {ev.get('session_id')}, {ev.get('event_type')}): {message}")


def _check_ad(i: int, ev: dict, customer: dict, title: dict, targets: dict[str, ads.Target]) -> None:
    """An ad event's campaign: in the table, on a viewer of an ad tier, bought for this break position with this
    length, live on the UTC day its break started and targeted at this viewer; the break at the play's start, a
    mid-roll mark or the title's end."""
    kind = ev["event_type"]
    if (ev["campaign_id"] is not None) != (kind in domains.AD_EVENT_TYPES):
        _fail("campaign_id is set exactly on ad_start and ad_complete", i, ev)
    if kind not in domains.AD_EVENT_TYPES:
        for name in domains.AD_EVENT_FIELDS:
            if ev[name] is not None:
                _fail(f"{name} must be null on a {kind}", i, ev)
        return
    target = targets.get(ev["campaign_id"])
    if target is None:
        _fail(f"campaign_id {ev['campaign_id']!r} is not an in-stream campaign of the campaigns table", i, ev)
        return
    if not ads.sees_ads(customer["subscription_tier"]):
        _fail(f"an ad shown on the ad-free tier {customer['subscription_tier']}", i, ev)
    if ev["ad_position"] != target.position or ev["ad_duration_seconds"] != target.seconds:
        _fail(f"{ev['ad_position']} of {ev['ad_duration_seconds']} s but the campaign buys {target.position} of "
              f"{target.seconds} s", i, ev)  # fmt: skip
    started = _ms(ev["event_timestamp"]) - (target.seconds * 1000 + 1 if kind == "ad_complete" else 0)
    if not target.live(started // ads.DAY_MS):
        _fail(f"campaign {target.campaign_id} is not live on the day its ad started", i, ev)
    if not target.fits(customer):
        _fail(f"campaign {target.campaign_id}'s targeting does not take customer {customer['customer_id']}", i, ev)
    duration = title["duration_minutes"] * 60
    position = ev["position_seconds"]
    where = {
        "pre_roll": ev["watch_duration_seconds"] == 0,
        "mid_roll": position % ads.MID_ROLL_EVERY_SECONDS == 0 and 0 < position <= duration - ads.MID_ROLL_TAIL_SECONDS,
        "post_roll": position == duration,
    }
    if not where[ev["ad_position"]]:
        _fail(f"a {ev['ad_position']} at position {position} (watched {ev['watch_duration_seconds']} s)", i, ev)


def _check_row(i: int, ev: dict, customers: dict[str, dict], titles: dict[str, dict]) -> None:
    try:
        validate_record(STREAMING_EVENTS, ev)
    except SchemaError as exc:
        _fail(str(exc), i, ev)
    if not layout.is_timestamp(ev["event_timestamp"]):
        _fail(f"event_timestamp {ev['event_timestamp']!r} is not ISO 8601 UTC with milliseconds", i, ev)
    for name in ("event_id", "session_id"):
        if not UUID4_PATTERN.match(ev[name]):
            _fail(f"{name} {ev[name]!r} is not a version-4 UUID string", i, ev)
    if not DEVICE_ID_PATTERN.match(ev["device_id"]):
        _fail(f"device_id {ev['device_id']!r} is not dev_ + 16 hex digits", i, ev)
    domain_checks = (
        ("event_type", domains.EVENT_TYPES),
        ("device_type", domains.DEVICE_TYPES),
        ("title_type", domains.TITLE_TYPES),
        ("quality", domains.QUALITY_ORDER),
        ("connection_type", domains.CONNECTION_TYPES),
        ("app_version", domains.APP_VERSIONS),
    )
    for name, allowed in domain_checks:
        if ev[name] not in allowed:
            _fail(f"{name} {ev[name]!r} is not one of {list(allowed)}", i, ev)
    if ev["isp"] not in geography.network_shares(ev["country"], ev["connection_type"]):
        _fail(f"isp {ev['isp']!r} is not a {ev['connection_type']} provider of {ev['country']}", i, ev)
    if ev["device_os"] not in domains.DEVICE_OS[ev["device_type"]]:
        _fail(f"device_os {ev['device_os']!r} is not an OS of a {ev['device_type']}", i, ev)
    # The reading is the session's throughput: up to its line's top, below the line's range while ABR plays a low
    # rung, and the rung playing always within 70 % (ExoPlayer's bandwidth fraction) of the throughput level the
    # reading jitters around (at most 15 % below it, world.JITTER_PERMILLE; rounded to 0.1 Mbps).
    high = domains.CONNECTION_TYPES[ev["connection_type"]][1]
    if not 0 < ev["bandwidth_mbps"] <= high:
        _fail(f"bandwidth_mbps {ev['bandwidth_mbps']} outside {ev['connection_type']} range 0..{high}", i, ev)
    if ev["bitrate_kbps"] is not None and ev["bitrate_kbps"] > 700 * (ev["bandwidth_mbps"] + 0.05) / 0.85:
        _fail(f"bitrate_kbps {ev['bitrate_kbps']} does not fit 70 % of {ev['bandwidth_mbps']} Mbps", i, ev)
    customer = customers.get(ev["customer_id"])
    if customer is None:
        _fail(f"customer_id {ev['customer_id']!r} is not in the customers table", i, ev)
    title = titles.get(ev["title_id"])
    if title is None:
        _fail(f"title_id {ev['title_id']!r} is not in the titles table", i, ev)
    if ev["title_type"] != title["title_type"]:
        _fail(f"title_type {ev['title_type']!r} but {title['title_id']} is a {title['title_type']}", i, ev)
    for name in ("country", "state", "city"):
        if ev[name] != customer[name]:
            _fail(f"{name} {ev[name]!r} differs from the customer's {customer[name]!r}", i, ev)
    quality = expected_quality(
        customer["subscription_tier"], ev["bandwidth_mbps"], ev["device_type"], ev["connection_type"]
    )
    if ev["quality"] != quality:
        _fail(
            f"quality {ev['quality']} but tier {customer['subscription_tier']} at {ev['bandwidth_mbps']} Mbps "
            f"gives {quality}",
            i,
            ev,
        )
    duration = title["duration_minutes"] * 60
    if not 0 <= ev["position_seconds"] <= duration:
        _fail(f"position_seconds {ev['position_seconds']} outside the title's 0..{duration}", i, ev)
    completion = min(100.0, round(100 * ev["position_seconds"] / duration, 2))
    if ev["completion_percentage"] != completion:
        _fail(f"completion_percentage {ev['completion_percentage']} but position gives {completion}", i, ev)
    if ev["event_type"] == "complete" and (ev["completion_percentage"] != 100.0 or ev["position_seconds"] != duration):
        _fail("a complete event must reach the title's end (completion 100)", i, ev)
    if ev["event_type"] == "start" and (ev["watch_duration_seconds"] != 0 or ev["buffering_events"] != 0):
        _fail("a start event has nothing watched or buffered yet", i, ev)
    if ev["watch_duration_seconds"] < 0 or ev["error_count"] < 0 or ev["buffering_duration_seconds"] < 0:
        _fail("counts and durations must not be negative", i, ev)
    if (ev["buffering_events"] == 0) != (ev["buffering_duration_seconds"] == 0):
        _fail("buffering_duration_seconds must be 0 exactly when buffering_events is 0", i, ev)
    kind = ev["event_type"]
    if (ev["startup_time_ms"] is not None) != (kind in ("start", *UNSTARTED)):
        _fail("startup_time_ms is set exactly on start, start_failed and exit_before_start", i, ev)
    if ev["startup_time_ms"] is not None and not 0 <= ev["startup_time_ms"] <= player.MAX_STARTUP_MS:
        _fail(f"startup_time_ms {ev['startup_time_ms']} outside 0..{player.MAX_STARTUP_MS}", i, ev)
    if kind == "exit_before_start" and ev["startup_time_ms"] < player.EBVS_GRACE_MS:
        _fail("nobody leaves before the grace of EBVS_GRACE_MS", i, ev)
    if (ev["error_code"] is not None) != (kind in ("start_failed", "error")):
        _fail("error_code is set exactly on start_failed and error", i, ev)
    if ev["error_count"] != (1 if kind in ("start_failed", "error") else 0):
        _fail(f"error_count {ev['error_count']}: 1 on the fatal event, else 0", i, ev)
    if kind in UNSTARTED:
        if ev["bitrate_kbps"] is not None or ev["watch_duration_seconds"] or ev["buffering_events"]:
            _fail("an attempt that never started has no bitrate, nothing watched or buffered", i, ev)
    else:
        rung = ev["bitrate_kbps"]
        if rung not in player.LADDER_KBPS:
            _fail(f"bitrate_kbps {rung} is not a rung of the ladder", i, ev)
        elif player.RUNG_QUALITY[player.LADDER_KBPS.index(rung)] != ev["quality"]:
            _fail(f"bitrate_kbps {rung} is not a {ev['quality']} rung", i, ev)
        elif rung > player.DEVICE_MAX_KBPS[ev["device_type"]]:
            _fail(f"bitrate_kbps {rung} above what a {ev['device_type']} plays", i, ev)


def check_events(
    events: Sequence[dict],
    dims: Dimensions,
    *,
    sorted_by_time: bool = True,
    window: tuple[dt.datetime, dt.datetime] | None = None,
) -> None:
    """Raise AssertionError naming the first event that breaks a row or session invariant.

    `window` = (start, end) also requires every timestamp in [start, end), as a tick's window holds them.
    """
    customers = {c["customer_id"]: c for c in dims.customers}
    titles = {t["title_id"]: t for t in dims.titles}
    targets = {t.campaign_id: t for t in ads.targets(dims.campaigns)}
    seen_ids: set[str] = set()
    sessions: dict[str, list[tuple[int, dict]]] = defaultdict(list)
    devices: dict[str, tuple[str, str, str]] = {}
    bounds = None
    if window is not None:
        bounds = tuple(w.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z" for w in window)
    previous_ts = ""
    for i, ev in enumerate(events):
        _check_row(i, ev, customers, titles)
        _check_ad(i, ev, customers[ev["customer_id"]], titles[ev["title_id"]], targets)
        if ev["event_id"] in seen_ids:
            _fail(f"event_id {ev['event_id']} appears twice", i, ev)
        seen_ids.add(ev["event_id"])
        ts = ev["event_timestamp"]
        if sorted_by_time and ts < previous_ts:
            _fail(f"event_timestamp {ts} is earlier than the previous event's {previous_ts}", i, ev)
        previous_ts = ts
        if bounds is not None and not bounds[0] <= ts < bounds[1]:
            _fail(f"event_timestamp {ts} outside the window [{bounds[0]}, {bounds[1]})", i, ev)
        device = (ev["customer_id"], ev["device_type"], ev["device_os"])
        if devices.setdefault(ev["device_id"], device) != device:
            _fail(f"device_id {ev['device_id']} belongs to {devices[ev['device_id']]}, not {device}", i, ev)
        sessions[ev["session_id"]].append((i, ev))

    for rows in sessions.values():
        rows.sort(key=lambda pair: pair[1]["event_timestamp"])
        first = rows[0][1]
        for name in SESSION_CONSTANT_FIELDS:
            for i, ev in rows[1:]:
                if ev[name] != first[name]:
                    _fail(f"{name} {ev[name]!r} changed within the session (was {first[name]!r})", i, ev)
        for (_, before), (i, ev) in pairwise(rows):
            if ev["event_timestamp"] == before["event_timestamp"]:
                _fail("two events of one session share a timestamp", i, ev)
            for name in MONOTONIC_FIELDS[1:]:
                if ev[name] < before[name]:
                    _fail(f"{name} went backwards within the session: {before[name]} -> {ev[name]}", i, ev)
            allowed = NEXT_EVENT_TYPES.get(before["event_type"], frozenset())
            if ev["event_type"] not in allowed:
                _fail(f"{ev['event_type']} may not follow {before['event_type']} (allowed: {sorted(allowed)})", i, ev)
            if before["event_type"] == "pause" and ev["position_seconds"] != before["position_seconds"]:
                _fail("the playhead moved while paused", i, ev)
            if before["event_type"] == "ad_start" and ev["event_type"] == "ad_complete":
                # The ad ran to its end while the content stood still.
                wall = _ms(ev["event_timestamp"]) - _ms(before["event_timestamp"])
                if ev["campaign_id"] != before["campaign_id"] or wall != ev["ad_duration_seconds"] * 1000 + 1:
                    _fail(f"ad_complete {wall} ms after an ad_start of {before['ad_duration_seconds']} s", i, ev)
                for name in ("position_seconds", "watch_duration_seconds", "buffering_duration_seconds"):
                    if ev[name] != before[name]:
                        _fail(f"{name} moved during an ad: {before[name]} -> {ev[name]}", i, ev)
            elif before["event_type"] != "pause":
                # Wall clock = playing + stalled (+ 1 ms per event); a pause and an ad left unfinished (it ran
                # 1 s to its length, and its ad_complete's 1 ms) add time of their own.
                wall = _ms(ev["event_timestamp"]) - _ms(before["event_timestamp"])
                played = (ev["watch_duration_seconds"] - before["watch_duration_seconds"]) * 1000
                stalled = round((ev["buffering_duration_seconds"] - before["buffering_duration_seconds"]) * 1000)
                extra = wall - (played + stalled + 1)
                if before["event_type"] == "ad_start":
                    if not 1001 <= extra <= before["ad_duration_seconds"] * 1000:
                        _fail(f"{wall} ms passed after an abandoned ad for {played} ms played and {stalled} ms "
                              f"stalled", i, ev)  # fmt: skip
                elif extra:
                    _fail(f"{wall} ms passed for {played} ms played and {stalled} ms stalled (+1 ms)", i, ev)
            if ev["event_type"] in domains.AD_EVENT_TYPES and ev["buffering_events"] != before["buffering_events"]:
                _fail("a stall during an ad break", i, ev)
        if len(rows) > 1 and rows[0][1]["event_type"] in UNSTARTED:
            _fail("an attempt that never started has no other event", rows[1][0], rows[1][1])


def autoplayed(world: World, slots: range) -> set[str]:
    """Session ids of the binge links (functions/shared/binge.py) the candidates of `slots` would chain, whether
    admitted or not: what the world draws, not what events show."""
    from functions.shared import concurrency, plays
    from functions.shared import world as wm

    following, seconds = world.catalogue.next, world.catalogue.seconds
    n_types = len(domains.TITLE_TYPES)
    ids = set()
    for slot in slots:
        day = world.hour(slot // 60).titles
        slot_key = wm.draw(world.key, slot)
        for i in range(1, world.slot_count(slot) + 1):
            sk = wm.draw(slot_key, i)
            field = (sk >> wm.TITLE_SHIFT) & 0xFFFF
            device = plays.DEVICE_TABLE[(sk >> wm.DEVICE_SHIFT) & 0x3F]
            complete = ((sk >> wm.END_SHIFT) & 0x3FF) < plays.COMPLETE_BELOW[device * n_types + day.types[field]]
            if day.links[field] and complete:
                keys, _, _ = concurrency.chain_links(
                    sk, device, day.title[field], day.links[field], following, seconds, True
                )
                ids.update(wm.uuid4_text(wm.draw(k, wm.D_SESSION_ID), wm.draw(k, wm.D_SESSION_ID + 1)) for k in keys)
    return ids
