"""The backfill writing to an s3:// lake: pyarrow's S3 client against a local moto server."""

from __future__ import annotations

import io
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from functions.shared import layout
from lakewriter.backfill import __main__ as cli
from lakewriter.backfill.writer import PartitionWriters
from tests.conftest import REGION

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # moto warns that moto[server] extras may be missing; S3 needs only flask
    from moto.server import ThreadedMotoServer

pytestmark = pytest.mark.functional

BUCKET = "acme-lake-backfill"
ARGS = ["--batch-size", "10", "--start", "2025-11-01", "--end", "2025-11-02", "--seed", "9", "--quiet"]


@pytest.fixture
def s3_endpoint(aws_credentials: None) -> Iterator[str]:
    """host:port of a moto S3 server on 127.0.0.1 (a free port) holding an empty bucket BUCKET."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        # moto's backends live in the process, so a server started earlier may have left buckets: start clean.
        urllib.request.urlopen(urllib.request.Request(f"http://{host}:{port}/moto-api/reset", method="POST"))
        client = boto3.client("s3", endpoint_url=f"http://{host}:{port}", region_name=REGION)
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield f"{host}:{port}"
    finally:
        server.stop()


def test_s3_uri_output_writes_the_same_objects_as_a_local_directory(
    s3_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = f"s3://{BUCKET}/lake?endpoint_override={s3_endpoint}&scheme=http&region={REGION}"
    assert cli.main([*ARGS, "--out", uri]) == 0
    assert cli.main([*ARGS, "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].split(" under ")[0] == printed[1].split(" under ")[0]  # same events, files and bytes

    client = boto3.client("s3", endpoint_url=f"http://{s3_endpoint}", region_name=REGION)
    objects = client.list_objects_v2(Bucket=BUCKET)["Contents"]
    # pyarrow leaves a zero-byte folder marker for the lake root when it removes the staging prefix; Athena
    # ignores such markers. Nothing else but the hour files may be there: no staging object survives.
    assert [o["Key"] for o in objects if o["Key"].endswith("/")] == ["lake/"]
    assert all(o["Size"] == 0 for o in objects if o["Key"].endswith("/"))
    keys = [o["Key"] for o in objects if not o["Key"].endswith("/")]
    local = {str(p.relative_to(tmp_path)): p for p in tmp_path.rglob("*" + layout.PARQUET_EXTENSION)}
    assert all(k.startswith("lake/" + layout.TELEMETRY_PREFIX) and k.endswith(layout.PARQUET_EXTENSION) for k in keys)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".backfill-ledger.json", ".lake.lock", "telemetry"]
    # Same run id; the names' written-at second may differ between the two runs, so compare partitions.
    by_partition = {k.rsplit("/", 1)[0].removeprefix("lake/"): k for k in keys}
    assert len(by_partition) == len(keys) == len(local)
    total = 0
    for rel, path in local.items():
        key = by_partition[rel.rsplit("/", 1)[0]]
        body = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        remote = pq.read_table(io.BytesIO(body))
        assert remote.equals(pq.read_table(path)), key
        assert pq.ParquetFile(io.BytesIO(body)).metadata.row_group(0).column(0).compression == "SNAPPY"
        total += remote.num_rows
    assert total == int(printed[0].split()[1].replace(",", "")) > 2000


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("s3://acme-no-such-bucket/lake?endpoint_override={endpoint}&scheme=http&region={region}", "does not exist"),
        ("s3://?endpoint_override={endpoint}&scheme=http&region={region}", "must name a bucket"),
    ],
)
def test_an_s3_out_without_a_usable_bucket_is_refused_naming_out(
    s3_endpoint: str, capsys: pytest.CaptureFixture[str], uri: str, message: str
) -> None:
    out = uri.format(endpoint=s3_endpoint, region=REGION)
    with pytest.raises(SystemExit) as exit_info:
        cli.main([*ARGS, "--out", out])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "out " in err and message in err


def test_an_interrupted_s3_rerun_keeps_the_previous_runs_objects_and_adds_none(
    s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # S3 completes an upload whenever its stream closes, so hour files still open at the interruption must
    # not be closed into the lake: they are staged, and only the staging prefix is removed.
    uri = f"s3://{BUCKET}/lake?endpoint_override={s3_endpoint}&scheme=http&region={REGION}"
    assert cli.main([*ARGS, "--out", uri]) == 0
    client = boto3.client("s3", endpoint_url=f"http://{s3_endpoint}", region_name=REGION)

    def snapshot() -> dict[str, str]:
        return {o["Key"]: o["ETag"] for o in client.list_objects_v2(Bucket=BUCKET)["Contents"]}

    before = snapshot()
    real = PartitionWriters.write
    calls = []

    def interrupted(self: PartitionWriters, hour_start_ms: int, rows: pa.Table) -> None:
        calls.append(1)
        if len(calls) == 30:  # several hour files written, some closed, some open
            raise KeyboardInterrupt
        real(self, hour_start_ms, rows)

    monkeypatch.setattr(PartitionWriters, "write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cli.main([*ARGS, "--chunk-events", "100", "--out", uri])
    assert len(calls) == 30
    assert snapshot() == before
