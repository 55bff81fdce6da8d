"""The cost model: rates, the measured workload, per-service lines and the CLI's errors."""

from __future__ import annotations

import pytest

from local import prices
from local.__main__ import main
from local.cost import (
    SECONDS_PER_MONTH,
    default_rate,
    estimate,
    measure_profile,
    parse_rate,
    provisioned_break_even,
    provisioned_shards,
)
from local.settings import load_settings


@pytest.fixture(scope="module")
def profile():
    return measure_profile(batch_size=1000, events=1000)


@pytest.mark.parametrize(
    ("text", "per_second"), [("100/s", 100), ("6000/min", 100), ("360000/h", 100), ("8.64e6/d", 100)]
)
def test_rates_in_any_unit_become_events_per_second(text: str, per_second: float) -> None:
    assert parse_rate(text) == pytest.approx(per_second)


@pytest.mark.parametrize(("text", "message"), [("100/week", "unknown unit 'week'"), ("fast", "like 100/s")])
def test_a_bad_rate_is_refused_naming_the_option_and_the_rule(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_rate(text)


def test_the_default_rate_is_the_stacks_schedule() -> None:
    assert default_rate(load_settings("dev")) == pytest.approx(1000 / 300)


def test_aggregation_bills_firehose_about_seven_times_fewer_bytes(profile) -> None:
    assert profile.records["after"] * 50 < profile.records["before"] == 1.0
    assert 6 < profile.firehose_billed["before"] / profile.firehose_billed["after"] < 9
    assert profile.record_bytes["after"] == pytest.approx(profile.record_bytes["before"])  # same JSON, fewer records


def test_each_line_follows_its_price_and_only_the_per_record_lines_change(profile) -> None:
    bill = estimate(load_settings("dev"), 100, profile)
    lines = {(line.service, line.item.split(" ")[0]): line for line in bill.lines}
    ingestion = lines[("Firehose", "ingestion")]
    events = 100 * SECONDS_PER_MONTH
    assert ingestion.before == pytest.approx(events * 5120 / prices.GB * prices.FIREHOSE_PER_GB_INGESTED)
    assert ingestion.after < ingestion.before / 6
    for line in bill.lines:
        if line.service in ("Lambda", "S3", "Athena", "SQS", "KMS"):
            assert line.before == line.after
    assert bill.total("after") < bill.total("before")


def test_provisioned_shards_follow_the_peak_write_rate(profile) -> None:
    assert provisioned_shards(0, profile) == 1
    rate = 4 * 1024 * 1024 / profile.record_bytes["after"] / 2  # 4 MiB/s at twice the mean
    assert provisioned_shards(rate * 0.99, profile) == 4


def test_a_provisioned_stream_is_cheaper_from_zero_events_at_these_prices(profile) -> None:
    # One shard-hour ($0.015) costs less than one on-demand stream-hour ($0.04) and per-GB on-demand charges
    # outgrow per-shard ones, so the break-even is 0 events/s.
    assert provisioned_break_even(profile) == 0.0


def test_the_cost_command_prints_every_service_and_refuses_an_unknown_unit(capsys: pytest.CaptureFixture) -> None:
    assert main(["cost", "--stack", "dev", "--rate", "100/s", "--markdown"]) == 0
    out = capsys.readouterr().out
    services = ("Kinesis Data Streams", "Firehose", "Lambda", "S3", "S3 generator state", "Athena", "CloudWatch Logs")
    for service in (*services, "KMS", "SQS"):
        assert f"| {service} |" in out
    assert main(["cost", "--rate", "3/fortnight"]) == 2
    assert "unknown unit 'fortnight'" in capsys.readouterr().out


def test_the_bill_prices_the_alarms_the_stack_creates_its_key_and_traces() -> None:
    from local.cost import monitoring_alarms
    from stack.testing import run_stack

    stack = run_stack("dev")
    settings = load_settings("dev")
    assert monitoring_alarms(settings) == len(stack.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"))
    bill = estimate(settings, 10.0, measure_profile(settings.batch_size, events=200))
    services = bill.by_service()
    assert services["CloudWatch alarms and dashboard"][0] > 0
    assert services["X-Ray"][0] > 0
    assert any(line.item == "1 customer managed key(s)" for line in bill.lines)


def test_iceberg_prices_the_iceberg_destination_per_gb_and_the_optimizers_not_conversion(profile) -> None:
    from local.cost import COMPACTION_DPU_HOURS_PER_GB

    settings = load_settings("dev").but(table_format="iceberg")
    bill = estimate(settings, 100, profile)
    lines = {(line.service, line.item.split(" ")[0]): line for line in bill.lines}
    events = 100 * SECONDS_PER_MONTH
    iceberg = lines[("Firehose", "Iceberg")]
    # Billed per GB ingested with no 5 KB rounding: the JSON bytes themselves.
    assert (
        iceberg.before
        == iceberg.after
        == pytest.approx(events * profile.json_bytes / prices.GB * prices.FIREHOSE_ICEBERG_PER_GB)
    )
    assert not {("Firehose", "ingestion"), ("Firehose", "format"), ("Firehose", "dynamic")} & set(lines)
    glue = lines[("Glue table optimizers", "compaction,")]
    assert (
        glue.before
        >= events * profile.parquet_bytes / prices.GB * COMPACTION_DPU_HOURS_PER_GB * prices.GLUE_PER_DPU_HOUR
    )
    # One event per record in both columns: Kinesis is billed as without aggregation.
    kinesis = lines[("Kinesis Data Streams", "ON_DEMAND:")]
    assert kinesis.before == kinesis.after == estimate(load_settings("dev"), 100, profile).lines[0].before
    assert any("one JSON object per record" in note for note in bill.notes)


def test_iceberg_stacks_trade_three_s3_alarms_for_one_on_failed_rows() -> None:
    from local.cost import monitoring_alarms

    dev = load_settings("dev")
    # No conversion, S3-success or partition-count alarm; one on DeliveryToIceberg.FailedRowCount.
    assert monitoring_alarms(dev) - monitoring_alarms(dev.but(table_format="iceberg")) == 3 - 1


@pytest.mark.parametrize("table_format", ["parquet", "iceberg"])
def test_source_record_backup_is_priced_only_when_on_as_gzip_json_in_s3(profile, table_format: str) -> None:
    settings = load_settings("dev").but(table_format=table_format)
    off = estimate(settings, 100, profile)
    on = estimate(settings.but(firehose_backup_source_records=True), 100, profile)
    [backup] = [line for line in on.lines if "backup" in line.item]
    assert not [line for line in off.lines if "backup" in line.item]
    assert 0 < profile.backup_bytes < profile.json_bytes / 3  # GZIP JSON of repetitive events
    storage = 100 * SECONDS_PER_MONTH * profile.backup_bytes / prices.GB * prices.S3_PER_GB_MONTH
    assert backup.before == pytest.approx(storage, rel=0.5) and backup.before > storage
    assert on.total("after") == pytest.approx(off.total("after") + backup.after)


def test_on_demand_advantage_bills_the_25_mib_commitment_at_a_low_rate_and_breaks_even_near_aws_figure(
    profile,
) -> None:
    from local.cost import KINESIS_ON_DEMAND_ADVANTAGE, advantage_break_even, kinesis_cost

    committed_gb = 25 * 1024**2 * SECONDS_PER_MONTH / prices.GB
    assert kinesis_cost(KINESIS_ON_DEMAND_ADVANTAGE, 0, 0, profile, "after") == pytest.approx(
        committed_gb * prices.KINESIS_ADVANTAGE_PER_GB_IN
    )
    rate = advantage_break_even(profile, "after")
    assert rate is not None
    events = rate * SECONDS_PER_MONTH
    below, above = events * 0.99, events * 1.01
    assert kinesis_cost(KINESIS_ON_DEMAND_ADVANTAGE, 0, below, profile, "after") > kinesis_cost(
        "ON_DEMAND", 0, below, profile, "after"
    )
    assert kinesis_cost(KINESIS_ON_DEMAND_ADVANTAGE, 0, above, profile, "after") < kinesis_cost(
        "ON_DEMAND", 0, above, profile, "after"
    )
    # AWS: "more cost-effective for use cases that ingest at least 10 MiB/s"; this stream alone breaks even a little
    # below that (its data out is discounted too), in the same range.
    mib_per_second = rate * profile.kinesis_billed["after"] / 1024**2
    assert 5 < mib_per_second < 12


def test_the_cost_command_prices_iceberg_and_prints_all_three_kinesis_modes(capsys) -> None:
    assert main(["cost", "--table-format", "iceberg", "--backup-source-records", "--rate", "100/s"]) == 0
    out = capsys.readouterr().out
    assert "iceberg table" in out and "Iceberg destination" in out and "Glue table" in out
    assert "On-demand Advantage" in out and "PROVISIONED" in out and "backup" in out


def test_the_generators_state_bucket_is_priced_per_coordinator_and_per_kept_checkpoint(profile) -> None:
    from local.cost import BOOTSTRAPS_PER_MONTH, CHECKPOINT_BASE_BYTES, CHECKPOINT_BYTES_PER_BATCH_UNIT, state_bucket

    dev = load_settings("dev")  # rate(5 minutes), batchSize 1,000, 256 MB, 60 s
    state = state_bucket(dev, 1000 / 300)
    coordinators = SECONDS_PER_MONTH / 300  # one a tick: 8,760
    assert BOOTSTRAPS_PER_MONTH == 1  # and its chain fits one invocation at batchSize 1,000
    assert state.requests == {"LIST": coordinators + 1, "GET": coordinators + 1, "PUT": coordinators + 1}
    assert state.checkpoint_bytes == pytest.approx(CHECKPOINT_BASE_BYTES + CHECKPOINT_BYTES_PER_BATCH_UNIT * 1000)
    assert state.checkpoints == pytest.approx(288 * 3.5)  # 3 days' checkpoints, expired at the next midnight UTC
    assert state.dollars == pytest.approx(
        state.checkpoints * state.checkpoint_bytes / prices.GB * prices.S3_PER_GB_MONTH
        + (coordinators + 1) / 1000 * (prices.S3_PER_1000_LISTS + prices.S3_PER_1000_GETS + prices.S3_PER_1000_PUTS)
    )
    bill = estimate(dev, 1000 / 300, profile)
    [line] = [line for line in bill.lines if line.service == "S3 generator state"]
    assert line.before == line.after == pytest.approx(state.dollars)
    assert not any("placeholder" in note for note in bill.notes)


def test_the_state_grows_with_the_volume_and_a_large_stacks_bootstrap_hops_add_requests() -> None:
    from local.cost import CHECKPOINT_BASE_BYTES, state_bucket

    dev = load_settings("dev")
    small, large = state_bucket(dev, 1000 / 300), state_bucket(dev, 1_000_000 / 300)
    grown = large.checkpoint_bytes - CHECKPOINT_BASE_BYTES
    assert grown == pytest.approx(1000 * (small.checkpoint_bytes - CHECKPOINT_BASE_BYTES))  # state ∝ volume
    assert large.checkpoints == small.checkpoints  # one checkpoint per coordinator whatever the volume
    # batchSize 1,000,000 at 256 MB: the bootstrap chain is 384 invocations of 60 s (36 s of pass each), each
    # listing, reading, saving (config warns that a chain may not be that long: tests/stack/test_settings.py).
    assert large.requests["PUT"] - small.requests["PUT"] == 384 - 1


def test_a_tick_longer_than_an_hour_saves_one_checkpoint_per_window() -> None:
    from local.cost import state_bucket

    two_hours = load_settings("dev").but(schedule_expression="rate(2 hours)", window_seconds=7200)
    state = state_bucket(two_hours, 1000 / 300)
    assert state.requests["PUT"] == pytest.approx(prices.HOURS_PER_MONTH + 1)  # two windows a tick, one an hour
    assert state.checkpoints == pytest.approx(24 * 3.5)
