"""IAM and resource policy documents as pure functions of ARNs, so tests can read them without AWS."""

from __future__ import annotations

import json
from typing import Any

from functions.shared import layout

PolicyDocument = dict[str, Any]

POLICY_VERSION = "2012-10-17"  # IAM: the current policy language version

FIREHOSE_BUCKET_PREFIXES = (layout.TELEMETRY_PREFIX, layout.ERRORS_PREFIX)
"""The only key prefixes Firehose writes under."""


def document(*statements: dict[str, Any]) -> PolicyDocument:
    return {"Version": POLICY_VERSION, "Statement": list(statements)}


def to_json(doc: PolicyDocument) -> str:
    """Stable JSON text (sorted keys) so a re-run produces byte-identical policies."""
    return json.dumps(doc, sort_keys=True)


def assume_role(service: str, account_id: str) -> PolicyDocument:
    """Trust policy letting one AWS service assume a role, only on behalf of this account (confused deputy guard)."""
    return document(
        {
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        }
    )


def glue_arns(partition: str, region: str, account_id: str, database: str, table: str) -> list[str]:
    """Catalog, database and table ARNs; Glue authorizes GetTable against all three."""
    base = f"arn:{partition}:glue:{region}:{account_id}"
    return [f"{base}:catalog", f"{base}:database/{database}", f"{base}:table/{database}/{table}"]


def log_streams(log_group_arn: str) -> str:
    """ARN pattern of every log stream in one log group."""
    return f"{log_group_arn}:*"


def firehose_policy(
    stream_arn: str,
    bucket_arn: str,
    glue_resource_arns: list[str],
    log_group_arn: str,
    log_stream: str,
    *,
    lake_kms_key_arn: str | None = None,
    region: str | None = None,
) -> PolicyDocument:
    """Firehose may read one stream, write two prefixes of one bucket, read one table's schema, log to one stream.

    No `kms:Decrypt` for the stream: it uses the AWS managed key alias/aws/kinesis, whose key policy already
    lets principals of this account use it through Kinesis (kms:ViaService). A lake bucket encrypted with a
    customer managed key does need a grant, limited to S3 acting for this bucket.
    """
    extra = []
    if lake_kms_key_arn:
        if not region:
            raise ValueError("region is required with lake_kms_key_arn (the grant is limited to S3 in that region)")
        extra.append(
            {
                "Sid": "EncryptLakeObjects",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": [lake_kms_key_arn],
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
                    # With S3 Bucket Keys (DataLake enables them) the encryption context is the bucket's ARN;
                    # without, the object's.
                    "StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket_arn, f"{bucket_arn}/*"]},
                },
            }
        )
    return document(
        {
            "Sid": "ReadSourceStream",
            "Effect": "Allow",
            "Action": [
                "kinesis:DescribeStream",
                "kinesis:GetRecords",
                "kinesis:GetShardIterator",
                "kinesis:ListShards",
            ],
            "Resource": [stream_arn],
        },
        {
            "Sid": "LocateLakeBucket",
            "Effect": "Allow",
            "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
            "Resource": [bucket_arn],
        },
        {
            "Sid": "WriteTelemetryAndErrors",
            "Effect": "Allow",
            "Action": ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"],
            "Resource": [f"{bucket_arn}/{prefix}*" for prefix in FIREHOSE_BUCKET_PREFIXES],
        },
        {
            "Sid": "ReadTableSchema",
            "Effect": "Allow",
            "Action": ["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"],
            "Resource": list(glue_resource_arns),
        },
        {
            "Sid": "DeliveryLogs",
            "Effect": "Allow",
            "Action": ["logs:PutLogEvents"],
            "Resource": [f"{log_group_arn}:log-stream:{log_stream}"],
        },
        *extra,
    )


def _own_logs(log_group_arn: str) -> dict[str, Any]:
    return {
        "Sid": "OwnLogGroup",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [log_streams(log_group_arn)],
    }


def _dead_letters(queue_arn: str) -> dict[str, Any]:
    return {"Sid": "AsyncFailureDestination", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [queue_arn]}


def generator_policy(
    producer_arn: str, queue_arn: str, log_group_arn: str, own_arn: str | None = None
) -> PolicyDocument:
    """The generator may invoke only the producer (and, given `own_arn`, itself), use the DLQ and write its own logs.

    A tick too large for one invocation is split into shards that the generator sends to itself asynchronously
    (functions/generator/handler.py: run_request); `own_arn` is its own function ARN, built from its name
    (`lambda_function_arn`) since the function cannot exist before its role's policy.
    """
    statements = [
        {"Sid": "InvokeProducer", "Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": [producer_arn]}
    ]
    if own_arn:
        statements.append(
            {"Sid": "InvokeOwnShards", "Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": [own_arn]}
        )
    return document(*statements, _dead_letters(queue_arn), _own_logs(log_group_arn))


def lambda_function_arn(partition: str, region: str, account_id: str, function_name: str) -> str:
    """ARN of a Lambda function (unqualified: any version or alias of it is invoked through this name)."""
    return f"arn:{partition}:lambda:{region}:{account_id}:function:{function_name}"


def producer_policy(stream_arn: str, queue_arn: str, log_group_arn: str) -> PolicyDocument:
    """The producer may put records to one stream only (AWS managed key: no KMS grant needed), DLQ, own logs."""
    return document(
        {
            "Sid": "PutToStream",
            "Effect": "Allow",
            "Action": ["kinesis:PutRecord", "kinesis:PutRecords"],
            "Resource": [stream_arn],
        },
        _dead_letters(queue_arn),
        _own_logs(log_group_arn),
    )


def deny_insecure_transport(bucket_arn: str) -> PolicyDocument:
    """Bucket policy refusing every request that does not use TLS, on the bucket and on its objects."""
    return document(
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            # A Deny must cover everyone and every action to close plain-HTTP access entirely.
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )


def dead_letter_queue_policy(queue_arn: str, rule_arn: str) -> PolicyDocument:
    """Only EventBridge, for this one rule, may send undeliverable schedule events to the queue."""
    return document(
        {
            "Sid": "ScheduleDeadLetters",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
        }
    )
