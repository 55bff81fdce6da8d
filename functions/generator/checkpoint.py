"""The admission pass's checkpoints in S3: where a coordinator saves the pass and where the next one picks it up.

A checkpoint is `Admission.snapshot()`'s bytes (its own header carries a magic, a format version, the world's
identity and a checksum; `Admission.restore` refuses anything else), stored under

    {prefix}{world_id}/day={pass_start(position):010d}/{position:010d}.pass

where `position` is the next slot the saved pass judges (`Admission.position`) and `world_id` digests everything
that makes verdicts what they are, the code included: a deploy that changes the model reads none of an older
model's checkpoints. Keys sort by position within a day, so the newest at or before a slot is the last key of a
listing of at most two day prefixes (that slot's admission day and the one before).

Lambda code: standard library and boto3 only.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from functions.shared import concurrency
from functions.shared.world import World

log = logging.getLogger(__name__)

FUNCTIONS_ROOT = Path(__file__).resolve().parents[1]
"""The `functions` package: exactly what ships to Lambda, and what `code_digest` reads."""
WORLD_ID_HEX = 16
"""Hex digits of a world id (64 bits: two worlds or deploys colliding is not a concern at any scale)."""
MAX_S3_KEY_BYTES = 1024
"""S3: "The object key name is a sequence of Unicode characters with UTF-8 encoding of up to 1,024 bytes long"
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html)."""
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
"""S3 general purpose bucket naming rules: 3-63 characters, lowercase letters, digits, dots and hyphens, beginning
and ending with a letter or digit (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html)."""
_KEY_SUFFIX_BYTES = len(f"{'0' * WORLD_ID_HEX}/day={0:010d}/{0:010d}.pass")


class CheckpointError(RuntimeError):
    """The state bucket could not be listed or written."""


def check_state_location(bucket: str, prefix: str) -> None:
    """Refuse a state bucket name S3 would refuse, or a prefix that makes keys S3 would refuse, naming the rule."""
    if not _BUCKET_NAME.match(bucket) or ".." in bucket:
        raise ValueError(
            "environment variable STATE_BUCKET must be an S3 bucket name (3-63 lowercase letters, digits, dots and "
            f"hyphens, starting and ending with a letter or digit), got {bucket!r}"
        )
    if not prefix or prefix.startswith("/") or not prefix.endswith("/"):
        raise ValueError(f"environment variable STATE_PREFIX must be a key prefix like 'admission/', got {prefix!r}")
    if len(prefix.encode()) + _KEY_SUFFIX_BYTES > MAX_S3_KEY_BYTES:
        raise ValueError(
            f"environment variable STATE_PREFIX must be at most {MAX_S3_KEY_BYTES - _KEY_SUFFIX_BYTES} bytes (S3 keys "
            f"are at most {MAX_S3_KEY_BYTES}), got {len(prefix.encode())}"
        )


@functools.cache
def code_digest() -> str:
    """SHA-256 over the `functions` package's Python sources (paths and bytes), read on first use."""
    digest = hashlib.sha256()
    for path in sorted(FUNCTIONS_ROOT.rglob("*.py")):
        digest.update(path.relative_to(FUNCTIONS_ROOT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def world_id(world: World, code: str | None = None) -> str:
    """A short hex id of what makes a world's verdicts what they are: its seed, its dimension seed and counts, its
    batch size and the code (`code_digest()` unless given)."""
    dimension_seed, customers = world.dims.lifecycle or (None, None)
    identity = {
        "world_seed": world.seed,
        "dimension_seed": dimension_seed,
        "customers": customers,
        "titles": len(world.dims.titles),
        "campaigns": len(world.dims.campaigns),
        "batch_size": world.batch_size,
        "code": code_digest() if code is None else code,
    }
    blob = json.dumps(identity, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:WORLD_ID_HEX]


class CheckpointStore:
    """One world's admission checkpoints under `{prefix}{world_id}/` of a bucket."""

    def __init__(
        self, s3_client: Any, bucket: str, prefix: str, world_id: str, *, page_size: int | None = None
    ) -> None:
        self.s3 = s3_client
        self.bucket = bucket
        self.prefix = prefix
        self.world_id = world_id
        self.page_size = page_size
        """Keys per ListObjectsV2 page (S3's default and most, 1,000, unless given)."""

    def _day_prefix(self, day: int) -> str:
        return f"{self.prefix}{self.world_id}/day={day:010d}/"

    def key(self, position: int) -> str:
        """The key of the checkpoint whose pass judges `position` next."""
        if position < 0:
            raise ValueError(f"position must be a slot at or after 0, got {position}")
        return f"{self._day_prefix(concurrency.pass_start(position))}{position:010d}.pass"

    def positions(self, at_or_before: int) -> Iterator[int]:
        """Positions of the checkpoints at or before a slot, of its admission day or the one before, newest first.

        ListObjectsV2, paginated, over the slot's day prefix, and over the day before's only when the caller reads
        past the slot's day (a warm tick lists once); a listing that fails raises CheckpointError (a coordinator
        that cannot see its checkpoints must not start a bootstrap chain in their place).
        """
        day = concurrency.pass_start(at_or_before)
        for prefix in (self._day_prefix(day), self._day_prefix(day - 1440)):
            found = set()
            for key in self._keys(prefix):
                name = key[len(prefix) :]
                if not (name.endswith(".pass") and name[:-5].isdigit() and len(name) == 15):
                    log.warning("ignoring %s: not a checkpoint key", key)
                    continue
                position = int(name[:-5])
                if position <= at_or_before and self.key(position) == key:
                    found.add(position)
            yield from sorted(found, reverse=True)

    def _keys(self, prefix: str) -> Iterator[str]:
        try:
            paging = {"PageSize": self.page_size} if self.page_size else {}
            pages = self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix, PaginationConfig=paging
            )
            for page in pages:
                for item in page.get("Contents", ()):
                    yield item["Key"]
        except Exception as exc:
            raise CheckpointError(f"listing s3://{self.bucket}/{prefix} failed: {exc}") from exc

    def load(self, position: int) -> bytes | None:
        """The checkpoint at `position`, or None (logged) if it cannot be read: gone since it was listed, or a
        failed GET; a coordinator then takes the next older one."""
        key = self.key(position)
        try:
            return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except Exception as exc:
            log.warning("checkpoint s3://%s/%s unreadable, taking an older one: %s", self.bucket, key, exc)
            return None

    def first_readable(
        self, positions: Iterable[int], accept: Callable[[bytes], object] | None = None
    ) -> tuple[int, bytes] | None:
        """The first of `positions` whose checkpoint is readable and that `accept` takes without raising ValueError
        (`Admission.restore`: a corrupt one is skipped, logged), with its bytes; or None."""
        for position in positions:
            data = self.load(position)
            if data is None:
                continue
            if accept is not None:
                try:
                    accept(data)
                except ValueError as exc:
                    log.warning(
                        "checkpoint s3://%s/%s refused, taking an older one: %s", self.bucket, self.key(position), exc
                    )
                    continue
            return position, data
        return None

    def latest(self, at_or_before: int, accept: Callable[[bytes], object] | None = None) -> bytes | None:
        """The newest readable checkpoint at or before a slot (of its admission day or the one before) that
        `accept` takes (first_readable), or None."""
        found = self.first_readable(self.positions(at_or_before), accept)
        return None if found is None else found[1]

    def save(self, position: int, data: bytes) -> str:
        """Write the checkpoint whose pass judges `position` next (a retry writes the same key); its key. A failed
        PUT raises CheckpointError."""
        key = self.key(position)
        try:
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType="application/octet-stream")
        except Exception as exc:
            raise CheckpointError(f"saving s3://{self.bucket}/{key} ({len(data):,} bytes) failed: {exc}") from exc
        return key
