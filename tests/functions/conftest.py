"""Shared fixtures for the Lambda function tests: valid events, a moto Kinesis stream, a fake clock, fault injection."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from functions.shared import domains
from functions.shared.schema import STREAMING_EVENTS
from tests.conftest import REGION

STREAM = "acme-telemetry-test"
SHARDS = 4

_EVENT_TYPES = tuple(domains.EVENT_TYPES)
_START = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)


def make_event(seq: int, session: int = 0) -> dict:
    """A valid streaming_events record built from the schema; `seq` makes it unique, `session` groups it."""
    ev: dict[str, Any] = {}
    for col in STREAMING_EVENTS.columns:
        if col.type == "string":
            ev[col.name] = f"{col.name}-{seq}"
        elif col.type == "int":
            ev[col.name] = seq % 10_000
        elif col.type == "double":
            ev[col.name] = seq / 7
        else:  # boolean: not in streaming_events today, kept so a schema change cannot break the factory
            ev[col.name] = seq % 2 == 0
    stamp = _START + dt.timedelta(milliseconds=seq * 37)
    ev.update(
        event_id=f"evt-{seq:08d}",
        session_id=f"sess-{session:05d}",
        event_type=_EVENT_TYPES[seq % len(_EVENT_TYPES)],
        event_timestamp=stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z",
        city="São Paulo",  # non-ASCII: the encoding must keep it as UTF-8, not \\u escapes
    )
    # Ad fields only on ad events, as the producer requires (schema.validate_event).
    ad = ev["event_type"] in domains.AD_EVENT_TYPES
    ev.update(
        campaign_id=f"camp_{seq % 1000:04d}" if ad else None,
        ad_position=domains.AD_POSITIONS[seq % 3] if ad else None,
        ad_duration_seconds=15 if ad else None,
    )
    return ev


@pytest.fixture
def make_events() -> Callable[..., list[dict]]:
    """Factory: n valid events spread round-robin over `sessions` sessions, in per-session time order."""

    def make(n: int, sessions: int = 50) -> list[dict]:
        return [make_event(i, i % sessions) for i in range(n)]

    return make


@pytest.fixture
def kinesis(aws_credentials: None) -> Iterator[Any]:
    """A real boto3 Kinesis client against moto, with a provisioned stream of SHARDS shards named STREAM."""
    with mock_aws():
        client = boto3.client("kinesis", region_name=REGION)
        client.create_stream(StreamName=STREAM, ShardCount=SHARDS)
        yield client


@dataclass
class StreamRecord:
    """One record as read back from a shard."""

    shard_id: str
    sequence_number: str
    partition_key: str
    data: bytes


def read_stream(client: Any, stream: str = STREAM) -> list[StreamRecord]:
    """Every record of every shard, read from TRIM_HORIZON until a shard returns nothing, in shard order."""
    out: list[StreamRecord] = []
    for shard in client.list_shards(StreamName=stream)["Shards"]:
        it = client.get_shard_iterator(StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")[
            "ShardIterator"
        ]
        while it:
            resp = client.get_records(ShardIterator=it, Limit=1000)
            if not resp["Records"]:
                break
            out.extend(
                StreamRecord(shard["ShardId"], r["SequenceNumber"], r["PartitionKey"], r["Data"])
                for r in resp["Records"]
            )
            it = resp.get("NextShardIterator")
    return out


@dataclass
class FakeClock:
    """Lambda's remaining time, consumed only by the injected sleep (so tests never really sleep)."""

    remaining_ms: float = 60_000.0
    sleeps: list[float] = field(default_factory=list)

    def time_left_ms(self) -> int:
        return int(self.remaining_ms)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.remaining_ms -= seconds * 1000


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def throttle_error(code: str = "ProvisionedThroughputExceededException") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"injected {code}"}}, "PutRecords")


class FaultyKinesis:
    """Wraps a real client: fails a seeded share of entries and/or whole calls, writes the rest for real.

    `fail_entry(record, rng)` decides per entry; failed entries get an ErrorCode in their response
    position exactly as Kinesis reports them, successful ones are really written (to moto).
    """

    ENTRY_ERRORS = ("ProvisionedThroughputExceededException", "InternalFailure")

    def __init__(
        self,
        client: Any,
        *,
        entry_fail_rate: float = 0.0,
        seed: int = 0,
        throttle_first_calls: int = 0,
        throttle_code: str = "ProvisionedThroughputExceededException",
        fail_entry: Callable[[dict, random.Random], bool] | None = None,
    ) -> None:
        self._client = client
        self._rng = random.Random(seed)
        self._throttle_left = throttle_first_calls
        self._throttle_code = throttle_code
        self._fail_entry = fail_entry or (lambda rec, rng: rng.random() < entry_fail_rate)
        self.calls: list[list[dict]] = []
        self.failed_entries = 0
        self.rejected_calls = 0

    def put_records(self, *, StreamName: str, Records: list[dict]) -> dict:
        self.calls.append(list(Records))
        if self._throttle_left:
            self._throttle_left -= 1
            self.rejected_calls += 1
            raise throttle_error(self._throttle_code)
        mask = [self._fail_entry(rec, self._rng) for rec in Records]
        ok = [rec for rec, bad in zip(Records, mask, strict=True) if not bad]
        written = iter(self._client.put_records(StreamName=StreamName, Records=ok)["Records"] if ok else [])
        results = []
        for bad in mask:
            if bad:
                code = self._rng.choice(self.ENTRY_ERRORS)
                results.append({"ErrorCode": code, "ErrorMessage": f"injected {code}"})
            else:
                results.append(next(written))
        self.failed_entries += sum(mask)
        return {"FailedRecordCount": sum(mask), "Records": results}


STATE_BUCKET = "acme-telemetry-state"
"""The generator's state bucket in the checkpoint and coordinator tests."""


@pytest.fixture
def s3(aws_credentials: None) -> Iterator[Any]:
    """A moto S3 client with the state bucket."""
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=STATE_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield client
