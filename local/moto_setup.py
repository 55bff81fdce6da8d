"""The stack's data path wired on one machine: moto's Kinesis, the Lambda stand-in and the local Firehose."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
from moto import mock_aws

from functions.generator.handler import Request, parse_request, run_request
from functions.shared import layout
from functions.shared.dimensions import world_dimensions
from functions.shared.domains import DEFAULT_WINDOW_SECONDS, STATE_PREFIX
from functions.shared.world import World
from local.delivery import DeliveryStats, LocalFirehose
from local.lambda_standin import LocalLambda, time_left
from local.settings import LocalSettings, dimension_seed

LOCAL_REGION = "us-west-2"


@contextmanager
def _emulated_aws() -> Iterator[None]:
    """moto in process, with dummy credentials so no real account is ever reached."""
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}
    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}
    )
    try:
        with mock_aws():
            yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class LocalStack:
    """The stack's data path wired on one machine; use as a context manager."""

    def __init__(
        self,
        settings: LocalSettings,
        lake: Path,
        *,
        seed: int,
        run_number: int = 0,
        table_format: str = layout.TABLE_FORMAT_PARQUET,
    ) -> None:
        self.settings = settings
        self.table_format = table_format
        self.lake = lake
        self.run_number = run_number
        # The stack's world: the seed and counts its dimension upload and its generator's environment get.
        # The tables the world reads, customers per index (the lake's customers table is written in parts,
        # pipeline.write_customer_parts): no customer row is built, at any audience.
        self.dims = world_dimensions(
            dimension_seed(settings),
            settings.customer_count,
            settings.title_count,
            settings.campaign_count,
            delivery=True,
        )
        self.world = World(seed, self.dims, settings.batch_size)
        self.window_seconds = settings.window_seconds or DEFAULT_WINDOW_SECONDS
        self.state_bucket = f"{settings.name_prefix}-state"
        """The generator's state bucket (the admission pass's checkpoints), in moto."""
        self._ctx = _emulated_aws()
        self._shard_summaries: list[dict] = []

    def __enter__(self) -> LocalStack:
        self._ctx.__enter__()
        self.kinesis = boto3.client("kinesis", region_name=LOCAL_REGION)
        self.kinesis.create_stream(StreamName=self.settings.stream_name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
        self.s3 = boto3.client("s3", region_name=LOCAL_REGION)
        self.s3.create_bucket(Bucket=self.state_bucket, CreateBucketConfiguration={"LocationConstraint": LOCAL_REGION})
        self.lambda_client = LocalLambda(
            self.kinesis,
            producer_name=self.settings.producer_function_name,
            stream_name=self.settings.stream_name,
            max_retry_attempts=self.settings.producer_max_retry_attempts,
            timeout_seconds=self.settings.lambda_timeout_seconds,
            generator_name=self.settings.generator_function_name,
            run_shard=self._run_shard,
            # As the stack derives them: Firehose's Iceberg destination takes one JSON object per record, and the
            # Iceberg table keeps year, month, day and hour as columns, which the producer adds to each event.
            aggregate=self.table_format != layout.TABLE_FORMAT_ICEBERG,
            partition_columns=self.table_format == layout.TABLE_FORMAT_ICEBERG,
        )
        self.firehose = LocalFirehose(
            self.kinesis,
            stream_name=self.settings.stream_name,
            delivery_stream_name=self.settings.delivery_stream_name,
            lake=self.lake,
            database=self.settings.database_name,
            partition_by=self.settings.partition_by,
            buffer_size_mb=self.settings.firehose_buffer_size_mb,
            table_format=self.table_format,
        )
        return self

    def __exit__(self, *exc: object) -> None:
        self._ctx.__exit__(*exc)

    def _serve(self, request: Request) -> dict:
        """One generator invocation, as the stack runs it: checkpointing its admission pass in the state bucket,
        within the generator's timeout (a pass that does not fit goes on in a chain of invocations)."""
        return run_request(
            self.lambda_client,
            request,
            world=self.world,
            producer_name=self.settings.producer_function_name,
            generator_name=self.settings.generator_function_name,
            s3_client=self.s3,
            state_bucket=self.state_bucket,
            state_prefix=STATE_PREFIX,
            time_left_ms=time_left(self.settings.lambda_timeout_seconds * 1000),
        )

    def _run_shard(self, payload: bytes) -> None:
        now = dt.datetime.now(dt.UTC)
        self._shard_summaries.append(
            self._serve(parse_request(json.loads(payload), window_seconds=self.window_seconds, now=now))
        )

    def tick(self, start_ms: int, end_ms: int) -> dict:
        """One schedule tick over [start_ms, end_ms): the generator's request path, then every invocation it queued.
        A tick split into shards (or windows) counts the events and payloads its invocations made."""
        self._shard_summaries = []
        summary = self._serve(Request(start_ms, end_ms))
        self.lambda_client.drain()
        for key in ("events", "payloads"):
            made = sum(s.get(key, 0) for s in self._shard_summaries)
            if made:
                summary[key] = summary.get(key, 0) + made
        return summary

    def deliver(self, into: Path | None = None) -> DeliveryStats:
        return self.firehose.deliver(into)

    def redrive(self, payload: bytes) -> None:
        """Invoke the producer again with a dead-lettered payload, as re-driving it from the queue would."""
        self.lambda_client.invoke(
            FunctionName=self.settings.producer_function_name, InvocationType="Event", Payload=payload
        )
        self.lambda_client.drain()
