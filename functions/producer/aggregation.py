"""Producer, aggregation: pack one-event records into JSON Lines records of whole events, sized to the billing units.

Lambda code: standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

MAX_EVENTS_PER_RECORD = 500
"""Firehose multi-record de-aggregation splits at most 500 JSON objects out of one record ("Record deaggregation by
JSON or by delimiter is capped at 500 per record":
https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning-multirecord-deaggergation.html)."""
FIREHOSE_BILLING_UNIT = 5 * 1024
"""Firehose bills ingestion and format conversion per record rounded up to 5 KB (5,120 bytes):
https://aws.amazon.com/kinesis/data-firehose/pricing/."""
KINESIS_BILLING_UNIT = 1024
"""Kinesis on-demand bills data in per record rounded up to 1 KB (1,024 bytes): https://aws.amazon.com/kinesis/data-streams/pricing/."""
KINESIS_PUT_PAYLOAD_UNIT = 25 * 1024
"""Kinesis provisioned bills PUT payload units of 25 KB per record (same pricing page)."""
AGGREGATE_TARGET_BYTES = 2 * KINESIS_PUT_PAYLOAD_UNIT
"""Size an aggregated record is filled up to (data plus partition key): 50 KiB, a whole number of every billing
unit above, so a full record wastes nothing to rounding (events per record: docs/benchmarks.md), well under
MAX_EVENTS_PER_RECORD and far
under the 1 MiB record limit, so a hot shard (1 MiB/s) still takes 20 records a second and one bad record sends few
events to errors/."""


def aggregate_records(
    records: Sequence[dict],
    *,
    target_bytes: int = AGGREGATE_TARGET_BYTES,
    max_events: int = MAX_EVENTS_PER_RECORD,
) -> list[dict]:
    """Pack one-event entries (encode_records) into JSONL records of whole events, each session under one key.

    Firehose bills every record rounded up to 5 KB and Kinesis on-demand to 1 KB, so a ~700-byte event alone is
    billed about seven times over; packed to `target_bytes` (data plus key), records waste at most the tail of
    their last unit. Rules:
    - an event is never split, and a record holds at most `max_events` (Firehose's de-aggregation cap);
    - all events of one session (one partition key in `records`) go, in order, into one record or, when they do
      not fit in one, into consecutive records that the session opens, so every record carrying a session's
      events has that session's key and they reach one shard in the order sent;
    - whole sessions that fit are packed first-fit into the records still open, keyed by their first session;
    - an event larger than `target_bytes` travels alone (the 1 MiB record limit is checked by batch_records).
    """
    if target_bytes < 1 or not 1 <= max_events <= MAX_EVENTS_PER_RECORD:
        raise ValueError(
            f"target_bytes must be ≥ 1 and max_events 1–{MAX_EVENTS_PER_RECORD}, got {target_bytes}, {max_events}"
        )
    sessions: dict[str, list[bytes]] = {}
    for rec in records:
        sessions.setdefault(rec["PartitionKey"], []).append(rec["Data"])
    packed: list[list] = []  # [key, [data, ...], bytes incl. key, events]
    open_records: list[list] = []  # the records with room left, in creation order
    for key, datas in sessions.items():
        key_bytes = len(key) if key.isascii() else len(key.encode("utf-8"))
        size = sum(map(len, datas))
        if len(datas) <= max_events and key_bytes + size <= target_bytes:
            for rec in open_records:
                if rec[2] + size <= target_bytes and rec[3] + len(datas) <= max_events:
                    rec[1].extend(datas)
                    rec[2] += size
                    rec[3] += len(datas)
                    break
            else:
                rec = [key, list(datas), key_bytes + size, len(datas)]
                packed.append(rec)
                open_records.append(rec)
        else:  # the session opens as many records as it fills, in order; the last one stays open to others
            rec = None
            for data in datas:
                if rec is None or rec[2] + len(data) > target_bytes or rec[3] == max_events:
                    rec = [key, [], key_bytes, 0]
                    packed.append(rec)
                rec[1].append(data)
                rec[2] += len(data)
                rec[3] += 1
            if rec is not None:
                open_records.append(rec)
        # A record too full to take even the smallest event seen no longer needs to be looked at.
        open_records = [r for r in open_records if r[2] < target_bytes and r[3] < max_events]
    return [{"Data": b"".join(datas), "PartitionKey": key} for key, datas, _, _ in packed]


def billed_bytes(sizes: Iterable[int], unit: int) -> int:
    """Bytes a service bills for records of these sizes when it rounds each up to a whole `unit`."""
    return sum(-(-size // unit) * unit for size in sizes)
