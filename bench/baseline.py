"""The per-row baseline both benchmarks measure against: what a straightforward generator does.

One dict per event, every field drawn on its own with `random` (and mimesis for the address), no sessions,
then `json.dumps`: a newline-terminated UTF-8 JSON line per event.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid

from mimesis import Internet

from functions.shared import domains, geography, player
from functions.shared.dimensions import Dimensions


class NaiveEvents:
    """Draws baseline events from a dimension set; `line(epoch_ms)` is one event at that moment, encoded."""

    def __init__(self, dims: Dimensions, seed: int = 1) -> None:
        self.customers, self.titles = dims.customers, dims.titles
        self.rng = random.Random(seed)
        self.internet = Internet(seed=seed)
        self.types, self.type_weights = list(domains.EVENT_TYPES), list(domains.EVENT_TYPES.values())
        self.devices, self.device_weights = list(domains.DEVICE_TYPES), list(domains.DEVICE_TYPES.values())

    def line(self, epoch_ms: int) -> bytes:
        rng = self.rng
        customer = rng.choice(self.customers)
        title = rng.choice(self.titles)
        device = rng.choices(self.devices, self.device_weights)[0]
        connection = rng.choice(list(domains.CONNECTION_TYPES))
        low, high = domains.CONNECTION_TYPES[connection]
        moment = dt.datetime.fromtimestamp(epoch_ms / 1000, tz=dt.UTC)
        duration = title["duration_minutes"] * 60
        position = rng.randint(0, duration)
        kind = rng.choices(self.types, self.type_weights)[0]
        ev = {
            "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "event_type": kind,
            "event_timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "customer_id": customer["customer_id"],
            "title_id": title["title_id"],
            "session_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "device_id": f"dev_{rng.getrandbits(64):016x}",
            "title_type": title["title_type"],
            "device_type": device,
            "device_os": rng.choice(domains.DEVICE_OS[device]),
            "app_version": rng.choice(domains.APP_VERSIONS),
            "quality": rng.choice(domains.QUALITY_ORDER),
            "bandwidth_mbps": round(rng.uniform(low, high), 1),
            "buffering_events": rng.randint(0, 3),
            "buffering_duration_seconds": round(rng.uniform(0, 10), 3),
            "error_count": rng.randint(0, 1),
            "watch_duration_seconds": rng.randint(0, position),
            "position_seconds": position,
            "completion_percentage": round(100 * position / duration, 2),
            "ip_address": self.internet.ip_v4(),
            "isp": geography.isp_for(customer["country"], connection, rng.random()),
            "connection_type": connection,
            "country": customer["country"],
            "state": customer["state"],
            "city": customer["city"],
            "startup_time_ms": rng.randint(300, 20_000) if kind == "start" else None,
            "bitrate_kbps": rng.choice(player.LADDER_KBPS),
            "error_code": None,
            "campaign_id": None,
            "ad_position": None,
            "ad_duration_seconds": None,
        }
        return (json.dumps(ev, separators=(",", ":")) + "\n").encode("utf-8")
