"""AccessLogBucket: a private, encrypted bucket that receives S3 server access logs of other buckets.

S3 user guide, "Enabling Amazon S3 server access logging": the destination bucket must be in the same account and
region; its default encryption may be SSE-S3 only (SSE-KMS is not supported for log delivery), so this bucket uses
SSE-S3 whatever key the logged buckets use; with Object Ownership "bucket owner enforced" (ACLs off) the logging
service is granted s3:PutObject through the bucket policy, limited to the logged buckets and this account; the
destination must not log to itself (that would log its own log writes forever).
"""

import re
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import buckets, policies
from components import validation as v

LOGGING_SERVICE = "logging.s3.amazonaws.com"
DEFAULT_EXPIRATION_DAYS = 365
"""A year of access logs: long enough to investigate an incident found late or to answer an audit; server access
logs are small (one line per request, and this lake takes a few thousand requests a day)."""
DEFAULT_NONCURRENT_DAYS = 7
BUCKET_PREFIX_MAX = v.S3_MAX_BUCKET_PREFIX
BUCKET_PREFIX_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
ABORT_MULTIPART_DAYS = 1


def log_prefix(source_bucket: str) -> str:
    """Where one bucket's logs go: a prefix per source bucket, so several can share the log bucket."""
    return f"{source_bucket}/"


def access_log_bucket_policy(log_bucket_arn: str, source_bucket_arns: list[str], account_id: str) -> dict[str, Any]:
    """The logging service may write under the log bucket for these source buckets only; TLS is required."""
    return policies.document(
        {
            "Sid": "ServerAccessLogDelivery",
            "Effect": "Allow",
            "Principal": {"Service": LOGGING_SERVICE},
            "Action": "s3:PutObject",
            "Resource": f"{log_bucket_arn}/*",
            "Condition": {
                "ArnLike": {"aws:SourceArn": sorted(source_bucket_arns)},
                "StringEquals": {"aws:SourceAccount": account_id},
            },
        },
        *policies.deny_insecure_transport(log_bucket_arn)["Statement"],
    )


class AccessLogBucketArgs(TypedDict):
    """Inputs of an AccessLogBucket."""

    source_bucket_names: list[pulumi.Input[str]]
    """Buckets whose server access logs this bucket receives (each logs under <its name>/)."""
    bucket_name: NotRequired[str]
    """Exact name of the log bucket; Pulumi names it from the resource name when neither this nor a prefix is given."""
    bucket_name_prefix: NotRequired[str]
    """The log bucket's name starts with this (at most 37 characters); S3 appends a unique suffix."""
    expiration_days: NotRequired[int]
    """Days before a log object is deleted."""
    force_destroy: NotRequired[bool]
    """Let `pulumi destroy` delete the log bucket while it still holds logs."""
    retain_on_delete: NotRequired[bool]
    """Keep the log bucket, and the logging settings of the source buckets, in the account when the stack is
    destroyed."""


SPEC = v.ArgSpec(
    component="AccessLogBucket",
    defaults={"expiration_days": DEFAULT_EXPIRATION_DAYS, "force_destroy": False, "retain_on_delete": False},
    rules={
        "source_bucket_names": v.Rule("a list of at least one bucket", lambda x: isinstance(x, list) and len(x) > 0),
        "bucket_name": v.BUCKET_NAME,
        "bucket_name_prefix": v.text(BUCKET_PREFIX_PATTERN, BUCKET_PREFIX_MAX, "lowercase letters, digits, hyphens"),
        "expiration_days": v.between(1, v.S3_MAX_LIFECYCLE_DAYS, v.LIFECYCLE_DAYS),
        "force_destroy": v.boolean(),
        "retain_on_delete": v.boolean(),
    },
    allowed=v.arguments(AccessLogBucketArgs),
)


class AccessLogBucket(v.CheckedComponent):
    """A private, SSE-S3 encrypted, versioned, TLS-only bucket with an expiry lifecycle, receiving access logs."""

    _spec = SPEC

    bucket_name: pulumi.Output[str]
    """Name of the log bucket."""
    bucket_arn: pulumi.Output[str]
    """ARN of the log bucket."""

    def __init__(self, name: str, args: AccessLogBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        SPEC.validate(name, args)
        super().__init__("acme-telemetry:index:AccessLogBucket", name, {}, opts)
        expiration = SPEC.value(args, "expiration_days")
        sources = list(args["source_bucket_names"])
        # Kept on destroy, the bucket keeps its encryption, privacy, policy and lifecycle too.
        retain = SPEC.value(args, "retain_on_delete")
        child = pulumi.ResourceOptions(parent=self, retain_on_delete=retain)
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id

        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=args.get("bucket_name"),
            bucket_prefix=args.get("bucket_name_prefix"),
            force_destroy=SPEC.value(args, "force_destroy"),
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            # SSE-S3: the only default encryption S3 server access log delivery supports.
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            opts=child,
        )
        versioning, public_block = buckets.private_and_versioned(name, bucket, child)
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition
        policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=pulumi.Output.all(bucket.arn, account, partition, *sources).apply(
                lambda v: policies.to_json(
                    access_log_bucket_policy(v[0], [f"arn:{v[2]}:s3:::{b}" for b in v[3:]], v[1])
                )
            ),
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=retain, depends_on=[public_block]),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[
                {
                    "id": "expire-access-logs",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "expiration": {"days": expiration},
                    "noncurrent_version_expiration": {"noncurrent_days": DEFAULT_NONCURRENT_DAYS},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_MULTIPART_DAYS},
                }
            ],
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=retain, depends_on=[versioning]),
        )
        for i, source in enumerate(sources):
            aws.s3.BucketLogging(
                f"{name}-source-{i}",
                bucket=source,
                target_bucket=bucket.id,
                target_prefix=pulumi.Output.from_input(source).apply(log_prefix),
                # Log delivery starts only once the bucket policy lets the logging service write. Kept with the log
                # bucket: a kept source bucket goes on logging into it.
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=retain, depends_on=[policy]),
            )

        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.register_outputs({"bucket_name": self.bucket_name, "bucket_arn": self.bucket_arn})
