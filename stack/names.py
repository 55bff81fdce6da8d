"""This stack's physical names: the components' <prefix>-<role> scheme plus the stack's own defaults."""

from components.naming import delivery_stream_name, function_name, schedule_rule_name

__all__ = [
    "default_stream_name",
    "default_workgroup_name",
    "delivery_stream_name",
    "function_name",
    "schedule_rule_name",
]


def default_stream_name(prefix: str) -> str:
    """The stack's Kinesis stream when streamName is unset."""
    return f"{prefix}-telemetry-stream"


def default_workgroup_name(prefix: str) -> str:
    """The stack's Athena workgroup when workgroupName is unset."""
    return f"{prefix}-telemetry"
