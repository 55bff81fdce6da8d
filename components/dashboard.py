"""PipelineDashboard: one CloudWatch dashboard with the pipeline's golden signals, left to right as the data flows.

Row 1 follows a batch: events generated -> records put -> write throttles -> iterator age -> records delivered ->
freshness -> conversion failures -> dead letters. Row 2 shows both functions' errors, duration and throttles;
row 3 the state of every alarm. The body is built by `dashboard_body`, a pure function, so tests read it as JSON.

"Events generated" comes from the generator's own summary line (one JSON object per tick, `message` "generator
tick", `events` the count), turned into a metric by a CloudWatch Logs metric filter: no extra API call in the
function. The line is written to stdout, which Lambda sends to CloudWatch Logs as it is, even with the JSON log
format (Lambda developer guide, "Log and monitor Python Lambda functions": print output stays plain text), so the
event is the JSON object itself and a JSON filter pattern matches it.
"""

import json
import re
from collections.abc import Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import validation as v
from components.alarms import WatchedFunction
from functions.shared import layout
from functions.shared.domains import TICK_LOG_MESSAGE

GRID_WIDTH = 24  # CloudWatch dashboards are 24 units wide
FLOW_WIDGET_WIDTH = 3  # eight flow widgets across the grid
WIDGET_HEIGHT = 6
DEFAULT_PERIOD_SECONDS = 300
DASHBOARD_NAME_MAX = 255  # PutDashboard: DashboardName is at most 255 of [A-Za-z0-9_-]
EVENTS_METRIC = "EventsGenerated"
EVENTS_FILTER_PATTERN = f'{{ $.message = "{TICK_LOG_MESSAGE}" }}'
"""Matches the generator's summary line (CloudWatch Logs JSON filter pattern syntax)."""
EVENTS_VALUE = "$.events"


def _metric_widget(
    x: int,
    y: int,
    width: int,
    title: str,
    region: str,
    metrics: list[list[Any]],
    stat: str,
    period: int,
    annotations: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    props: dict[str, Any] = {
        "title": title,
        "region": region,
        "view": "timeSeries",
        "stacked": False,
        "stat": stat,
        "period": period,
        "metrics": metrics,
        "yAxis": {"left": {"min": 0}},
    }
    if annotations:
        props["annotations"] = {"horizontal": annotations}
    return {"type": "metric", "x": x, "y": y, "width": width, "height": WIDGET_HEIGHT, "properties": props}


def _s3_delivery(delivery: list[str], name: str) -> list[tuple[str, list[list[Any]], str, None]]:
    """An S3 destination's widgets: records delivered, freshness, format conversion."""
    delivery_stream_name = name
    return [
        (
            "Records delivered",
            [[*delivery, "DeliveryToS3.Records", "DeliveryStreamName", delivery_stream_name, {"label": "to S3"}]],
            "Sum",
            None,
        ),
        (
            "Freshness (s)",
            [[*delivery, "DeliveryToS3.DataFreshness", "DeliveryStreamName", delivery_stream_name, {"label": "age"}]],
            "Maximum",
            None,
        ),
        (
            "Conversion",
            [
                [
                    *delivery,
                    "FailedConversion.Records",
                    "DeliveryStreamName",
                    delivery_stream_name,
                    {"label": "failed"},
                ],
                [
                    *delivery,
                    "SucceedConversion.Records",
                    "DeliveryStreamName",
                    delivery_stream_name,
                    {"label": "converted", "yAxis": "right"},
                ],
            ],
            "Sum",
            None,
        ),
    ]


def _iceberg_delivery(delivery: list[str], name: str) -> list[tuple[str, list[list[Any]], str, None]]:
    """An Iceberg destination's widgets: rows delivered, freshness, failed rows."""
    return [
        (
            "Rows delivered",
            [[*delivery, "DeliveryToIceberg.SuccessfulRowCount", "DeliveryStreamName", name, {"label": "to Iceberg"}]],
            "Sum",
            None,
        ),
        (
            "Freshness (s)",
            [[*delivery, "DeliveryToIceberg.DataFreshness", "DeliveryStreamName", name, {"label": "age"}]],
            "Maximum",
            None,
        ),
        (
            "Failed rows",
            [[*delivery, "DeliveryToIceberg.FailedRowCount", "DeliveryStreamName", name, {"label": "failed"}]],
            "Sum",
            None,
        ),
    ]


def dashboard_body(
    *,
    region: str,
    stream_name: str,
    delivery_stream_name: str,
    functions: Sequence[tuple[str, str, int]] = (),
    dead_letter_queue_name: str | None = None,
    events_metric: tuple[str, str] | None = None,
    alarm_arns: Sequence[str] = (),
    period: int = DEFAULT_PERIOD_SECONDS,
    iceberg: bool = False,
) -> dict[str, Any]:
    """The dashboard's JSON body. `functions` are (label, function name, timeout seconds); `events_metric` is the
    (namespace, metric name) of the events-generated metric; `iceberg` charts an Iceberg destination's metrics
    (Firehose developer guide, apache-iceberg-metric.html) instead of the S3 destination's."""
    stream = ["AWS/Kinesis"]
    delivery = ["AWS/Firehose"]
    flow: list[tuple[str, list[list[Any]], str, list[dict[str, Any]] | None]] = []
    if events_metric is not None:
        flow.append(("Events generated", [[events_metric[0], events_metric[1], {"label": "events"}]], "Sum", None))
    flow += [
        ("Records put", [[*stream, "IncomingRecords", "StreamName", stream_name, {"label": "records"}]], "Sum", None),
        (
            "Write throttles",
            [
                [*stream, "WriteProvisionedThroughputExceeded", "StreamName", stream_name, {"label": "throttled"}],
                [*stream, "PutRecords.ThrottledRecords", "StreamName", stream_name, {"label": "throttled records"}],
            ],
            "Sum",
            None,
        ),
        (
            "Iterator age (ms)",
            [[*stream, "GetRecords.IteratorAgeMilliseconds", "StreamName", stream_name, {"label": "Firehose lag"}]],
            "Maximum",
            None,
        ),
        *(
            _iceberg_delivery(delivery, delivery_stream_name)
            if iceberg
            else _s3_delivery(delivery, delivery_stream_name)
        ),
    ]
    if dead_letter_queue_name is not None:
        flow.append(
            (
                "Dead letters",
                [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", dead_letter_queue_name]],
                "Maximum",
                [{"value": 0, "label": "any is an alarm", "color": "#d62728"}],
            )
        )
    width = max(GRID_WIDTH // len(flow), FLOW_WIDGET_WIDTH)
    widgets: list[dict[str, Any]] = [
        {
            "type": "text",
            "x": 0,
            "y": 0,
            "width": GRID_WIDTH,
            "height": 2,
            "properties": {
                "markdown": f"## {stream_name}: schedule → generator → producer → Kinesis → Firehose → S3\n"
                "Left to right as a batch flows. Alarms and what to do about each: the README's *Operating the "
                "stack* section."
            },
        }
    ]
    for i, (title, metrics, stat, notes) in enumerate(flow):
        widgets.append(_metric_widget(i * width, 2, width, f"{i + 1}. {title}", region, metrics, stat, period, notes))

    if functions:
        third = GRID_WIDTH // 3
        y = 2 + WIDGET_HEIGHT

        def per_function(metric: str, stat: str | None = None) -> list[list[Any]]:
            rows: list[list[Any]] = []
            for label, name, _ in functions:
                options: dict[str, Any] = {"label": label}
                if stat:
                    options["stat"] = stat
                rows.append(["AWS/Lambda", metric, "FunctionName", name, options])
            return rows

        timeouts = [
            {"value": timeout * 1000, "label": f"{label} timeout", "color": "#d62728"}
            for label, _, timeout in functions
        ]
        widgets += [
            _metric_widget(0, y, third, "Lambda errors", region, per_function("Errors"), "Sum", period),
            _metric_widget(
                third,
                y,
                third,
                "Lambda duration (ms, max)",
                region,
                per_function("Duration"),
                "Maximum",
                period,
                timeouts,
            ),
            _metric_widget(2 * third, y, third, "Lambda throttles", region, per_function("Throttles"), "Sum", period),
        ]
    if alarm_arns:
        y = 2 + 2 * WIDGET_HEIGHT if functions else 2 + WIDGET_HEIGHT
        widgets.append(
            {
                "type": "alarm",
                "x": 0,
                "y": y,
                "width": GRID_WIDTH,
                "height": 4,
                "properties": {"title": "Alarms", "alarms": list(alarm_arns), "sortBy": "stateUpdatedTimestamp"},
            }
        )
    return {"widgets": widgets}


def dashboard_url(region: str, dashboard_name: str) -> str:
    """Console address of a dashboard (commercial partition)."""
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards/dashboard/{dashboard_name}"
    )


DASHBOARD_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


class PipelineDashboardArgs(TypedDict):
    """Inputs of a PipelineDashboard."""

    stream_name: pulumi.Input[str]
    """Kinesis stream of the pipeline."""
    delivery_stream_name: pulumi.Input[str]
    """Firehose delivery stream reading it."""
    functions: NotRequired[list[WatchedFunction]]
    """Lambda functions to chart (errors, duration against the timeout, throttles)."""
    dead_letter_queue_name: NotRequired[pulumi.Input[str]]
    """SQS dead-letter queue to chart."""
    generator_log_group_name: NotRequired[pulumi.Input[str]]
    """Log group of the generator; a metric filter turns its per-tick summary into an events-generated metric."""
    metric_namespace: NotRequired[str]
    """Namespace of that metric."""
    alarm_arns: NotRequired[pulumi.Input[list[str]]]
    """Alarms to show in the dashboard's alarm-status widget."""
    dashboard_name: NotRequired[str]
    """Dashboard name; letters, digits, - and _, at most 255."""
    table_format: NotRequired[str]
    """The delivery stream's destination: parquet (S3 with format conversion) or iceberg, whose metrics differ."""


SPEC = v.ArgSpec(
    component="PipelineDashboard",
    defaults={"table_format": layout.TABLE_FORMAT_PARQUET},
    rules={
        "table_format": v.one_of(*layout.TABLE_FORMATS),
        "dashboard_name": v.Rule(
            f"1–{DASHBOARD_NAME_MAX} letters, digits, - and _", lambda x: DASHBOARD_NAME.match(x) is not None
        ),
        "metric_namespace": v.Rule(
            "a CloudWatch namespace not starting with 'AWS/' (reserved), at most 255 characters",
            lambda x: isinstance(x, str) and 0 < len(x) <= 255 and not x.startswith("AWS/"),
        ),
    },
    allowed=v.arguments(PipelineDashboardArgs),
)


class PipelineDashboard(v.CheckedComponent):
    """A CloudWatch dashboard of the pipeline's golden signals, and the metric filter counting generated events."""

    _spec = SPEC

    dashboard_name: pulumi.Output[str]
    """Name of the dashboard."""
    dashboard_url: pulumi.Output[str]
    """Console URL of the dashboard."""
    events_metric_namespace: pulumi.Output[str]
    """Namespace of the events-generated metric (when a generator log group was given)."""

    def __init__(self, name: str, args: PipelineDashboardArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        SPEC.validate(name, args)
        super().__init__("acme-telemetry:index:PipelineDashboard", name, {}, opts)
        dashboard_name = args.get("dashboard_name") or f"{pulumi.get_project()}-{pulumi.get_stack()}-{name}"
        namespace = args.get("metric_namespace") or f"{pulumi.get_project()}/{pulumi.get_stack()}"
        child = pulumi.ResourceOptions(parent=self)
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region

        events_metric: tuple[str, str] | None = None
        log_group = args.get("generator_log_group_name")
        if log_group is not None:
            aws.cloudwatch.LogMetricFilter(
                f"{name}-events-generated",
                name=EVENTS_METRIC,
                log_group_name=log_group,
                pattern=EVENTS_FILTER_PATTERN,
                metric_transformation={
                    "name": EVENTS_METRIC,
                    "namespace": namespace,
                    "value": EVENTS_VALUE,
                    "unit": "Count",
                },
                opts=child,
            )
            events_metric = (namespace, EVENTS_METRIC)

        functions = args.get("functions", [])
        function_names = pulumi.Output.all(*[fn["function_name"] for fn in functions])
        body = pulumi.Output.all(
            region,
            args["stream_name"],
            args["delivery_stream_name"],
            function_names,
            args.get("dead_letter_queue_name"),
            args.get("alarm_arns", []),
        ).apply(
            lambda v: json.dumps(
                dashboard_body(
                    region=v[0],
                    stream_name=v[1],
                    delivery_stream_name=v[2],
                    functions=[
                        (fn["label"], fn_name, fn["timeout_seconds"])
                        for fn, fn_name in zip(functions, v[3], strict=True)
                    ],
                    dead_letter_queue_name=v[4],
                    events_metric=events_metric,
                    alarm_arns=v[5] or [],
                    iceberg=SPEC.value(args, "table_format") == layout.TABLE_FORMAT_ICEBERG,
                ),
                sort_keys=True,
            )
        )
        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard", dashboard_name=dashboard_name, dashboard_body=body, opts=child
        )

        self.dashboard_name = dashboard.dashboard_name
        self.dashboard_url = pulumi.Output.all(region, dashboard.dashboard_name).apply(
            lambda v: dashboard_url(v[0], v[1])
        )
        self.events_metric_namespace = pulumi.Output.from_input(namespace)
        self.register_outputs(
            {
                "dashboard_name": self.dashboard_name,
                "dashboard_url": self.dashboard_url,
                "events_metric_namespace": self.events_metric_namespace,
            }
        )
