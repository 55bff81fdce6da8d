"""Config a component would refuse is refused by config validation first: the whole program under mocks registers
nothing, and the one error names the key, its value and the rule. Schedules the generator can cover are accepted
and covered whole."""

from __future__ import annotations

import pytest

from components.testing import AwsMocks, ProgramResult
from functions.shared import domains, households
from stack.settings import ConfigError
from stack.testing import run_stack

BIG = str(10**12)


@pytest.mark.parametrize(
    ("overrides", "key", "value", "rule"),
    [
        # A tick covers the time since the previous run, at most a week (domains.MAX_TICK_SECONDS).
        ({"scheduleExpression": "rate(8 days)"}, "scheduleExpression", "rate(8 days)", "at most 604,800 s (a week)"),
        ({"scheduleExpression": "cron(0 8 1 * ? *)"}, "scheduleExpression", "cron(0 8 1 * ? *)", "2,678,400 s"),
        # The silence alarm's period is the schedule's; CloudWatch PutMetricAlarm evaluates at most one day.
        ({"scheduleExpression": "rate(2 days)"}, "scheduleExpression", 172800, "at most 86,400 s while the schedule"),
        # EventBridge cron(): the year must be '*' here, fields in range.
        ({"scheduleExpression": "cron(0 12 ? * MON 2027)"}, "scheduleExpression", "cron(0 12 ? * MON 2027)", "'*'"),
        ({"scheduleExpression": "cron(61 * * * ? *)"}, "scheduleExpression", "cron(61 * * * ? *)", "cron(minutes"),
        # CloudWatch PutMetricAlarm: Period x EvaluationPeriods <= 86,400 s (300 s x 288 at most).
        ({"silenceAlarmPeriods": "300"}, "silenceAlarmPeriods", 300, "at most 288 with scheduleExpression 300 s"),
        (
            {"silenceAlarmPeriods": "3", "scheduleExpression": "rate(1 day)"},
            "silenceAlarmPeriods",
            3,
            "at most 1 with scheduleExpression 86400 s (CloudWatch PutMetricAlarm",
        ),
        ({"namePrefix": ""}, "namePrefix", "", "lowercase letters, digits and hyphens, starting with a letter"),
        ({"scheduleExpression": ""}, "scheduleExpression", "", "rate(N minute|minutes"),
        # Dimension tables: built and uploaded where `pulumi up` runs; the generator holds the titles in Lambda memory.
        ({"customerCount": str(10**8)}, "customerCount", 10**8, f"1–{households.MAX_CUSTOMERS}"),
        ({"titleCount": "5000", "lambdaMemoryMb": "128"}, "titleCount", 5_000, "titles fit 80% of lambdaMemoryMb 128"),
        ({"campaignCount": str(10**8)}, "campaignCount", 10**8, f"1–{domains.MAX_CAMPAIGNS}"),
        ({"titleCount": "70000"}, "titleCount", 70_000, "1–65536 (the world's title draw)"),
        # Integers are ASCII digits (Python's int() would read full-width ones).
        ({"customerCount": "１０００"}, "customerCount", "１０００", "an integer (ASCII digits)"),
        ({"batchSize": "５００"}, "batchSize", "５００", "an integer (ASCII digits)"),
        ({"worldSeed": "9" * 20}, "worldSeed", "9" * 20, "an integer (ASCII digits)"),
        # S3 lifecycle rules take a 32-bit integer of days.
        ({"lakeTransitionDays": BIG}, "lakeTransitionDays", 10**12, "0–2147483647 days"),
        ({"noncurrentVersionExpirationDays": BIG}, "noncurrentVersionExpirationDays", 10**12, "1–2147483647 days"),
        ({"abortIncompleteMultipartDays": BIG}, "abortIncompleteMultipartDays", 10**12, "1–2147483647 days"),
    ],
)
def test_bad_value_registers_nothing_and_names_key_value_and_rule(
    overrides: dict[str, str], key: str, value: object, rule: str
) -> None:
    mocks = AwsMocks()
    with pytest.raises(ConfigError) as caught:
        run_stack("dev", overrides=overrides, mocks=mocks)
    assert mocks.resources == [] and mocks.calls == []
    mine = [p for p in caught.value.problems if p.startswith(f"acme-telemetry:{key} must be ")]
    assert any(p.endswith(f"got {value!r}") and rule in p for p in mine), caught.value.problems


def generator_env(result: ProgramResult) -> dict[str, str]:
    return result.one("aws:lambda/function:Function", "generator-generator").inputs["environment"]["variables"]


def silence(result: ProgramResult) -> dict | None:
    found = [a.inputs for a in result.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") if a.name.endswith("silent")]
    return found[0] if found else None


@pytest.mark.parametrize(("expression", "period", "periods"), [("rate(2 hours)", 7200, 3), ("rate(1 day)", 86400, 1)])
def test_a_long_rate_is_covered_whole_and_watched_within_a_day(expression: str, period: int, periods: int) -> None:
    result = run_stack("dev", overrides={"scheduleExpression": expression})
    assert generator_env(result)["WINDOW_SECONDS"] == str(period)
    alarm = silence(result)
    assert alarm is not None and (alarm["period"], alarm["evaluationPeriods"]) == (period, periods)


def test_a_cron_schedule_gives_the_generator_its_expression_to_start_each_tick_at_the_previous_firing() -> None:
    result = run_stack("dev", overrides={"scheduleExpression": "cron(0 12 ? * MON-FRI *)"})
    env = generator_env(result)
    assert env["SCHEDULE_EXPRESSION"] == "cron(0 12 ? * MON-FRI *)" and "WINDOW_SECONDS" not in env
    assert silence(result) is None  # no fixed period to count silence in


def test_an_empty_value_still_means_unset_for_keys_without_a_default() -> None:
    result = run_stack("dev", overrides={"alarmTopicArn": "", "streamName": ""})
    assert len(result.of_type("aws:sns/topic:Topic")) == 1  # no topic given: the stack creates its own
    assert result.outputs["streamName"] == "acme-data-telemetry-stream"  # derived from namePrefix
