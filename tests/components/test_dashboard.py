"""The pipeline dashboard: its body as parsed JSON, the events metric filter, the console URL output."""

import json
import re

import pytest

from components.dashboard import (
    EVENTS_FILTER_PATTERN,
    EVENTS_METRIC,
    EVENTS_VALUE,
    GRID_WIDTH,
    PipelineDashboard,
    dashboard_body,
)
from components.testing import AwsMocks, ProgramResult, run_resources
from functions.generator import handler as gen
from functions.shared.dimensions import generate_dimensions

FUNCTIONS = [("generator", "gen-fn", 60), ("producer", "prod-fn", 30)]


def full_body() -> dict:
    return dashboard_body(
        region="us-west-2",
        stream_name="the-stream",
        delivery_stream_name="the-delivery",
        functions=FUNCTIONS,
        dead_letter_queue_name="the-dlq",
        events_metric=("acme-telemetry/dev", EVENTS_METRIC),
        alarm_arns=["arn:aws:cloudwatch:us-west-2:123456789012:alarm:a"],
    )


def metric_names(widget: dict) -> list[str]:
    return [row[1] for row in widget["properties"]["metrics"]]


def test_first_row_follows_a_batch_left_to_right_from_generated_to_dead_letters() -> None:
    widgets = full_body()["widgets"]
    row = sorted((w for w in widgets if w["y"] == 2), key=lambda w: w["x"])
    assert [w["properties"]["title"] for w in row] == [
        "1. Events generated",
        "2. Records put",
        "3. Write throttles",
        "4. Iterator age (ms)",
        "5. Records delivered",
        "6. Freshness (s)",
        "7. Conversion",
        "8. Dead letters",
    ]
    assert [metric_names(w)[0] for w in row] == [
        EVENTS_METRIC,
        "IncomingRecords",
        "WriteProvisionedThroughputExceeded",
        "GetRecords.IteratorAgeMilliseconds",
        "DeliveryToS3.Records",
        "DeliveryToS3.DataFreshness",
        "FailedConversion.Records",
        "ApproximateNumberOfMessagesVisible",
    ]
    assert row[-1]["x"] + row[-1]["width"] == GRID_WIDTH


def test_no_widgets_overlap_and_all_fit_the_grid() -> None:
    widgets = full_body()["widgets"]
    cells = set()
    for w in widgets:
        assert w["x"] >= 0 and w["x"] + w["width"] <= GRID_WIDTH
        for x in range(w["x"], w["x"] + w["width"]):
            for y in range(w["y"], w["y"] + w["height"]):
                assert (x, y) not in cells, w
                cells.add((x, y))


def test_lambda_row_charts_each_function_and_marks_its_timeout() -> None:
    widgets = {w["properties"].get("title"): w for w in full_body()["widgets"]}
    errors = widgets["Lambda errors"]["properties"]["metrics"]
    assert [(r[3], r[4]["label"]) for r in errors] == [("gen-fn", "generator"), ("prod-fn", "producer")]
    duration = widgets["Lambda duration (ms, max)"]["properties"]
    assert [a["value"] for a in duration["annotations"]["horizontal"]] == [60_000, 30_000]
    assert widgets["Alarms"]["properties"]["alarms"] == ["arn:aws:cloudwatch:us-west-2:123456789012:alarm:a"]


def test_every_metric_widget_is_in_the_stacks_region_and_names_its_resource() -> None:
    body = json.loads(json.dumps(full_body()))
    for widget in body["widgets"]:
        if widget["type"] != "metric":
            continue
        assert widget["properties"]["region"] == "us-west-2"
        for row in widget["properties"]["metrics"]:
            if row[0].startswith("AWS/"):
                assert row[3] in {"the-stream", "the-delivery", "gen-fn", "prod-fn", "the-dlq"}, row


def test_events_filter_matches_the_generators_real_summary_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Accepting:
        def invoke(self, **_: object) -> dict:
            return {"StatusCode": 202}

    monkeypatch.setattr(gen, "_lambda_client", Accepting())
    monkeypatch.setattr(gen, "_dimensions", generate_dimensions(seed=1, customers=20, titles=10, campaigns=2))
    monkeypatch.setattr(gen, "_config", gen.GeneratorConfig(batch_size=25, producer_function_name="p"))
    summary = gen.handler({"start": "2026-11-26T20:00:00Z", "end": "2026-11-26T20:05:00Z", "seed": 3}, None)
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    field, value = re.fullmatch(r'\{ \$\.(\w+) = "([^"]+)" \}', EVENTS_FILTER_PATTERN).groups()  # type: ignore[union-attr]
    assert line[field] == value
    assert line[EVENTS_VALUE.removeprefix("$.")] == summary["events"] > 0


def build(**extra: object) -> ProgramResult:
    def program() -> dict:
        dash = PipelineDashboard(
            "dash",
            {
                "stream_name": "the-stream",
                "delivery_stream_name": "the-delivery",
                "functions": [{"label": "producer", "function_name": "prod-fn", "timeout_seconds": 30}],
                "generator_log_group_name": "/aws/lambda/gen-fn",
                **extra,  # type: ignore[typeddict-item]
            },
        )
        return {"url": dash.dashboard_url, "name": dash.dashboard_name, "ns": dash.events_metric_namespace}

    return run_resources(program, mocks=AwsMocks(region="eu-west-1"), stack="dev")


def test_component_registers_dashboard_and_metric_filter_and_exports_the_console_url() -> None:
    result = build()
    assert result.outputs["name"] == "test-project-dev-dash"
    assert result.outputs["url"] == (
        "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/"
        "test-project-dev-dash"
    )
    metric_filter = result.one("aws:cloudwatch/logMetricFilter:LogMetricFilter").inputs
    assert metric_filter["logGroupName"] == "/aws/lambda/gen-fn"
    assert metric_filter["metricTransformation"]["namespace"] == result.outputs["ns"] == "test-project/dev"
    body = json.loads(result.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
    assert body["widgets"][1]["properties"]["metrics"][0][:2] == ["test-project/dev", EVENTS_METRIC]
    assert "Alarms" not in {w["properties"].get("title") for w in body["widgets"]}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"dashboard_name": "has space"}, r"dashboard_name must be 1–255 letters, digits, - and _, got 'has space'"),
        ({"metric_namespace": "AWS/Mine"}, r"metric_namespace must be a CloudWatch namespace not starting with 'AWS/'"),
    ],
)
def test_bad_names_fail_naming_argument_value_and_rule(extra: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build(**extra)
