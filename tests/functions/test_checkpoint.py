"""The admission checkpoints' store against moto's S3 (real boto3 calls), with injected faults."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from botocore.exceptions import ClientError

from functions.generator import checkpoint as cp
from functions.shared import concurrency
from functions.shared.dimensions import world_dimensions
from functions.shared.world import World
from tests.functions.conftest import STATE_BUCKET as BUCKET

PREFIX = "admission/"
WORLD = "0123456789abcdef"
DAY = concurrency.pass_start(29_400_000)  # an admission day's first slot (10:00 UTC)


class FaultyS3:
    """A real client whose chosen operations raise an injected S3 error (for the chosen keys, if given)."""

    def __init__(self, client: Any, fail: set[str], keys: set[str] | None = None) -> None:
        self._client = client
        self._fail = fail
        self._keys = keys

    def _maybe_fail(self, op: str, key: str | None = None) -> None:
        if op in self._fail and (self._keys is None or key in self._keys):
            raise ClientError({"Error": {"Code": "InternalError", "Message": f"injected {op}"}}, op)

    def get_object(self, **kw: Any) -> dict:
        self._maybe_fail("GetObject", kw["Key"])
        return self._client.get_object(**kw)

    def put_object(self, **kw: Any) -> dict:
        self._maybe_fail("PutObject", kw["Key"])
        return self._client.put_object(**kw)

    def get_paginator(self, name: str) -> Any:
        self._maybe_fail("ListObjectsV2")
        return self._client.get_paginator(name)


def _store(client: Any, world_id: str = WORLD) -> cp.CheckpointStore:
    return cp.CheckpointStore(client, BUCKET, PREFIX, world_id)


def _refuse_corrupt(data: bytes) -> None:
    """Stands in for Admission.restore: ValueError for a body it would not take."""
    if data.startswith(b"corrupt"):
        raise ValueError("checksum mismatch")


def test_keys_follow_the_documented_layout_and_sort_by_position() -> None:
    store = _store(object())
    assert store.key(DAY + 5) == f"admission/{WORLD}/day={DAY:010d}/{DAY + 5:010d}.pass"
    # A position in the hour before 10:00 UTC belongs to the day before (a bootstrap's look-back, a late window).
    assert store.key(DAY - 1) == f"admission/{WORLD}/day={DAY - 1440:010d}/{DAY - 1:010d}.pass"
    with pytest.raises(ValueError, match="position must be a slot at or after 0, got -1"):
        store.key(-1)


def test_the_newest_checkpoint_at_or_before_a_slot_of_its_day_or_the_one_before(s3: Any) -> None:
    store = _store(s3)
    for position in (DAY - 2000, DAY - 1440, DAY - 30, DAY + 5, DAY + 10, DAY + 15):
        store.save(position, f"state@{position}".encode())
    assert list(store.positions(DAY + 12)) == [DAY + 10, DAY + 5, DAY - 30, DAY - 1440]
    assert store.latest(DAY + 12) == f"state@{DAY + 10}".encode()
    assert store.latest(DAY + 15) == f"state@{DAY + 15}".encode()
    assert store.latest(DAY + 4) == f"state@{DAY - 30}".encode()  # the day before's, in the look-back hour
    assert store.latest(DAY + 1440) == f"state@{DAY + 15}".encode()  # the next day: this one is its day before
    assert store.latest(DAY + 2880) is None  # two days on: nothing near, the caller bootstraps


def test_the_day_before_is_listed_only_when_read_past_the_slots_day(s3: Any) -> None:
    listed: list[str] = []

    class Counting(FaultyS3):
        def get_paginator(self, name: str) -> Any:
            listed.append(name)
            return super().get_paginator(name)

    store = _store(Counting(s3, set()))
    store.save(DAY - 30, b"old")
    store.save(DAY + 5, b"new")
    positions = store.positions(DAY + 10)
    assert next(positions) == DAY + 5 and len(listed) == 1  # a warm tick's one ListObjectsV2
    assert list(positions) == [DAY - 30] and len(listed) == 2


def test_listing_is_paginated_over_the_whole_day(s3: Any) -> None:
    store = cp.CheckpointStore(s3, BUCKET, PREFIX, WORLD, page_size=4)
    for position in range(DAY, DAY + 1440, 90):  # 16 keys: four pages of four
        s3.put_object(Bucket=BUCKET, Key=store.key(position), Body=b"x")
    assert list(store.positions(DAY + 1439)) == list(range(DAY + 1350, DAY - 1, -90))


def test_a_corrupt_checkpoint_is_skipped_for_the_next_older(s3: Any, caplog: pytest.LogCaptureFixture) -> None:
    store = _store(s3)
    store.save(DAY + 5, b"state@5")
    store.save(DAY + 10, b"corrupt: torn write")
    with caplog.at_level(logging.WARNING):
        assert store.latest(DAY + 20, accept=_refuse_corrupt) == b"state@5"
    assert f"{DAY + 10:010d}.pass refused, taking an older one: checksum mismatch" in caplog.text


def test_an_unreadable_checkpoint_is_skipped_for_the_next_older(s3: Any, caplog: pytest.LogCaptureFixture) -> None:
    store = _store(s3)
    store.save(DAY + 5, b"state@5")
    store.save(DAY + 10, b"state@10")
    faulty = _store(FaultyS3(s3, {"GetObject"}, keys={store.key(DAY + 10)}))
    with caplog.at_level(logging.WARNING):
        assert faulty.latest(DAY + 20) == b"state@5"
    assert "unreadable, taking an older one" in caplog.text and "injected GetObject" in caplog.text


def test_a_checkpoint_gone_since_the_listing_is_skipped(s3: Any) -> None:
    store = _store(s3)
    store.save(DAY + 5, b"state@5")
    store.save(DAY + 10, b"state@10")
    assert list(store.positions(DAY + 20)) == [DAY + 10, DAY + 5]
    s3.delete_object(Bucket=BUCKET, Key=store.key(DAY + 10))  # expired by the lifecycle rule between list and get
    assert store.load(DAY + 10) is None
    assert store.latest(DAY + 20) == b"state@5"


def test_when_every_checkpoint_is_bad_there_is_none(s3: Any) -> None:
    store = _store(s3)
    store.save(DAY + 5, b"corrupt")
    assert store.latest(DAY + 20, accept=_refuse_corrupt) is None
    assert _store(s3).latest(DAY + 20) == b"corrupt"  # the store itself never judges a body


def test_another_worlds_checkpoints_are_never_read(s3: Any) -> None:
    _store(s3, "fedcba9876543210").save(DAY + 10, b"other world")
    store = _store(s3)
    assert list(store.positions(DAY + 20)) == []
    # Foreign objects under this world's day prefixes (not its key layout) are ignored too.
    s3.put_object(Bucket=BUCKET, Key=f"admission/{WORLD}/day={DAY:010d}/notes.txt", Body=b"x")
    s3.put_object(Bucket=BUCKET, Key=f"admission/{WORLD}/day={DAY:010d}/{DAY - 1:010d}.pass", Body=b"x")
    assert list(store.positions(DAY + 20)) == []


def test_a_failed_listing_raises_naming_the_bucket_and_prefix(s3: Any) -> None:
    store = _store(FaultyS3(s3, {"ListObjectsV2"}))
    with pytest.raises(cp.CheckpointError, match=rf"listing s3://{BUCKET}/admission/{WORLD}/day=.* injected"):
        store.latest(DAY)


def test_a_failed_save_raises_naming_the_key_and_size(s3: Any) -> None:
    store = _store(FaultyS3(s3, {"PutObject"}))
    with pytest.raises(cp.CheckpointError, match=rf"saving s3://{BUCKET}/.*{DAY + 3:010d}\.pass \(4 bytes\) failed"):
        store.save(DAY + 3, b"data")
    assert list(_store(s3).positions(DAY + 10)) == []


def test_a_retried_save_overwrites_the_same_key(s3: Any) -> None:
    store = _store(s3)
    assert store.save(DAY + 3, b"a") == store.save(DAY + 3, b"a")
    assert list(store.positions(DAY + 3)) == [DAY + 3] and store.latest(DAY + 3) == b"a"


def test_the_world_id_changes_with_everything_that_makes_verdicts() -> None:
    dims = world_dimensions(42, 300, 40, 5)
    base = cp.world_id(World(1, dims, 100), code="c")
    assert len(base) == cp.WORLD_ID_HEX and base == cp.world_id(World(1, dims, 100), code="c")
    others = {
        cp.world_id(World(2, dims, 100), code="c"),
        cp.world_id(World(1, dims, 101), code="c"),
        cp.world_id(World(1, world_dimensions(43, 300, 40, 5), 100), code="c"),
        cp.world_id(World(1, world_dimensions(42, 301, 40, 5), 100), code="c"),
        cp.world_id(World(1, world_dimensions(42, 300, 41, 5), 100), code="c"),
        cp.world_id(World(1, world_dimensions(42, 300, 40, 6), 100), code="c"),
        cp.world_id(World(1, dims, 100), code="another deploy"),
    }
    assert base not in others and len(others) == 7


def test_the_code_digest_covers_the_shipped_sources() -> None:
    assert len(cp.code_digest()) == 64
    assert (cp.FUNCTIONS_ROOT / "generator" / "checkpoint.py").is_file()
    assert cp.world_id(World(1, world_dimensions(42, 300, 40, 5), 100)) == cp.world_id(
        World(1, world_dimensions(42, 300, 40, 5), 100), code=cp.code_digest()
    )


@pytest.mark.parametrize(
    ("bucket", "prefix", "message"),
    [
        ("Acme_State", "admission/", "STATE_BUCKET must be an S3 bucket name"),
        ("ab", "admission/", "STATE_BUCKET must be an S3 bucket name"),
        ("a..b", "admission/", "STATE_BUCKET must be an S3 bucket name"),
        ("acme-state", "", "STATE_PREFIX must be a key prefix like 'admission/'"),
        ("acme-state", "/admission/", "STATE_PREFIX must be a key prefix"),
        ("acme-state", "admission", "STATE_PREFIX must be a key prefix"),
        ("acme-state", "a" * 1000 + "/", r"STATE_PREFIX must be at most \d+ bytes \(S3 keys are at most 1024\)"),
    ],
)
def test_a_bad_state_location_is_refused_naming_the_variable(bucket: str, prefix: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cp.check_state_location(bucket, prefix)
    cp.check_state_location("acme-telemetry-dev-state-1a2b3c", "admission/")
