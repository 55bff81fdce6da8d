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
    for service in ("Kinesis Data Streams", "Firehose", "Lambda", "S3", "Athena", "CloudWatch Logs", "KMS", "SQS"):
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
