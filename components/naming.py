"""Physical names: the explicit <prefix>-<role> scheme, and names derived from a component's resource name."""

from __future__ import annotations

import re

from functions.shared.schema import GLUE_MAX_NAME


def delivery_stream_name(prefix: str) -> str:
    return f"{prefix}-kinesis-to-s3"


def firehose_role_name(prefix: str) -> str:
    return f"{prefix}-firehose-role"


def function_name(prefix: str, role: str) -> str:
    """Lambda function name of `role` ("generator" or "producer")."""
    return f"{prefix}-{role}"


def function_role_name(prefix: str, role: str) -> str:
    return f"{prefix}-{role}-role"


def schedule_rule_name(prefix: str) -> str:
    return f"{prefix}-generator-schedule"


def dead_letter_queue_name(prefix: str) -> str:
    return f"{prefix}-async-dlq"


def layer_name(prefix: str) -> str:
    return f"{prefix}-mimesis"


def state_bucket_prefix(prefix: str, max_length: int) -> str:
    """Name prefix of the generator's state bucket, cut to `max_length` (S3 appends a unique suffix)."""
    return f"{prefix}-state-"[:max_length]


def lambda_log_group(function: str) -> str:
    return f"/aws/lambda/{function}"


def firehose_log_group(delivery_stream: str) -> str:
    return f"/aws/firehose/{delivery_stream}"


def default_bucket_name(bucket_prefix: str, account: str, region: str) -> str:
    return f"{bucket_prefix}-{account}-{region}"


def glue_name(*parts: str) -> str:
    """A Glue/Athena-safe name (lowercase letters, digits, underscores, leading letter) joined from `parts`."""
    name = re.sub(r"[^a-z0-9]+", "_", "_".join(parts).lower()).strip("_")
    if not name or not name[0].isalpha():
        name = "t_" + name
    return name[:GLUE_MAX_NAME]


def scoped(*parts: str) -> str:
    """Project, stack and resource name joined into one name of letters, digits, '-' and '_' (Lambda layer names)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", "-".join(parts))
