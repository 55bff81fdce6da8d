"""A stand-in for Lambda's asynchronous invoke: the generator's shards and the producer, run in process."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from functions.producer.handler import deliver_events, parse_payload


@dataclass
class DeadLetter:
    """A payload the local producer gave up on, as the stack's dead-letter queue would keep it."""

    payload: bytes
    error: str


class LocalLambda:
    """Stands in for the Lambda API the generator calls: `Event` invokes of the producer and of its own shards.

    Like Lambda's asynchronous invocation, `invoke` only queues the payload and answers 202; `drain` runs the
    generator's shards (through `run_shard`, the generator's own request path) and the producer's logic (the
    same functions its handler calls) against the Kinesis client, retrying a failed producer payload up to
    `max_retry_attempts` times and then keeping it as a dead letter.
    """

    def __init__(
        self,
        kinesis_client: Any,
        *,
        producer_name: str,
        stream_name: str,
        max_retry_attempts: int,
        timeout_seconds: int,
        generator_name: str = "",
        run_shard: Callable[[bytes], None] | None = None,
        aggregate: bool = True,
        partition_columns: bool = False,
    ) -> None:
        self._kinesis = kinesis_client
        self._aggregate = aggregate
        """Whether the producer packs events into JSON Lines records (the stack's AGGREGATE_RECORDS)."""
        self._partition_columns = partition_columns
        """Whether it adds year, month, day and hour to each event (the stack's PARTITION_COLUMNS)."""
        self._producer_name = producer_name
        self._generator_name = generator_name
        self._run_shard = run_shard
        self._shards: list[bytes] = []
        self._stream = stream_name
        self._retries = max_retry_attempts
        self._timeout_ms = timeout_seconds * 1000
        self._queue: list[bytes] = []
        self.accepted_event_ids: list[str] = []
        self.dead_letters: list[DeadLetter] = []
        self.put_calls = 0
        self.retried_entries = 0

    def invoke(self, *, FunctionName: str, InvocationType: str, Payload: bytes | str) -> dict:
        known = [n for n in (self._producer_name, self._generator_name if self._run_shard else "") if n]
        if FunctionName not in known:
            raise ValueError(f"FunctionName must be one of {known} locally, got {FunctionName!r}")
        if InvocationType != "Event":
            raise ValueError(f"InvocationType must be 'Event' (asynchronous), got {InvocationType!r}")
        payload = Payload.encode("utf-8") if isinstance(Payload, str) else bytes(Payload)
        (self._queue if FunctionName == self._producer_name else self._shards).append(payload)
        return {"StatusCode": 202}

    def _run_producer(self, payload: bytes) -> None:
        events = parse_payload(payload)
        # The handler's own function: events packed into aggregated records (unless the stack turns that off, as it
        # does for Firehose's Iceberg destination), then written with retries.
        report = deliver_events(
            self._kinesis,
            self._stream,
            events,
            time_left_ms=time_left(self._timeout_ms),  # the producer's Lambda timeout
            aggregate=self._aggregate,
            partition_columns=self._partition_columns,
        )
        self.put_calls += report.put_calls
        self.retried_entries += report.retries
        self.accepted_event_ids.extend(e["event_id"] for e in events)

    def drain(self) -> None:
        while self._shards:  # a shard queues producer payloads; the generator's own failures surface here
            shards, self._shards = self._shards, []
            for payload in shards:
                assert self._run_shard is not None
                self._run_shard(payload)
                self._drain_producer()
        self._drain_producer()

    def _drain_producer(self) -> None:
        queue, self._queue = self._queue, []
        for payload in queue:
            for attempt in range(self._retries + 1):
                try:
                    self._run_producer(payload)
                    break
                except Exception as exc:  # Lambda's async retries catch everything a handler raises
                    if attempt == self._retries:
                        self.dead_letters.append(DeadLetter(payload, f"{type(exc).__name__}: {exc}"))


def time_left(timeout_ms: int) -> Callable[[], int]:
    """An invocation's time left from now, as Lambda's context.get_remaining_time_in_millis counts it."""
    deadline = time.monotonic() + timeout_ms / 1000
    return lambda: int((deadline - time.monotonic()) * 1000)
