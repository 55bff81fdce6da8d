"""DataLake: the encrypted, versioned, private S3 bucket that holds the telemetry lake."""

from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import naming, policies
from components.settings import TRANSITION_STORAGE_CLASSES
from functions.shared import layout, schema

DEFAULT_BUCKET_NAME_PREFIX = "acme-telemetry-data"
SSE_S3 = "AES256"
SSE_KMS = "aws:kms"
TRANSITION_PREFIXES: tuple[str, ...] = tuple(t.prefix for t in schema.TABLES)
"""Only table data moves to a cheaper class; Athena results and errors stay in STANDARD."""


class DataLakeArgs(TypedDict):
    """Inputs of a DataLake."""

    bucket_name: NotRequired[pulumi.Input[str]]
    """Exact bucket name; when omitted the bucket is <bucket_name_prefix>-<account>-<region>."""
    bucket_name_prefix: NotRequired[pulumi.Input[str]]
    """First part of the generated bucket name (acme-telemetry-data when omitted)."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """Encrypt with this KMS key (SSE-KMS) instead of SSE-S3; give it to StreamingIngest's lake_kms_key_arn too,
    so Firehose may write."""
    transition_days: NotRequired[pulumi.Input[int]]
    """Days before table data moves to transition_storage_class; 0 or omitted keeps it in STANDARD."""
    transition_storage_class: NotRequired[pulumi.Input[str]]
    """A storage class Athena can still read, e.g. INTELLIGENT_TIERING."""
    noncurrent_version_expiration_days: NotRequired[pulumi.Input[int]]
    """Days before overwritten or deleted object versions expire (30 when omitted)."""
    abort_incomplete_multipart_days: NotRequired[pulumi.Input[int]]
    """Days before unfinished multipart uploads are aborted (7 when omitted)."""
    force_destroy: NotRequired[pulumi.Input[bool]]
    """Let `pulumi destroy` delete a bucket that still holds objects."""


def lifecycle_rules(
    noncurrent_days: int, abort_days: int, transition_days: int, storage_class: str
) -> list[dict[str, object]]:
    """Lifecycle rules: housekeeping for the whole bucket plus one optional transition per table prefix."""
    if transition_days > 0 and storage_class not in TRANSITION_STORAGE_CLASSES:
        raise ValueError(
            f"transition_storage_class must be one of {', '.join(TRANSITION_STORAGE_CLASSES)} "
            f"(classes Athena can read), got {storage_class!r}"
        )
    rules: list[dict[str, object]] = [
        {
            "id": "housekeeping",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "abort_incomplete_multipart_upload": {"days_after_initiation": abort_days},
            "noncurrent_version_expiration": {"noncurrent_days": noncurrent_days},
        }
    ]
    if transition_days > 0:
        for prefix in TRANSITION_PREFIXES:
            rules.append(
                {
                    "id": f"transition-{prefix.rstrip('/')}",
                    "status": "Enabled",
                    "filter": {"prefix": prefix},
                    "transitions": [{"days": transition_days, "storage_class": storage_class}],
                }
            )
    return rules


class DataLake(pulumi.ComponentResource):
    """The lake bucket: encrypted, versioned, private, TLS-only, with lifecycle housekeeping."""

    bucket_name: pulumi.Output[str]
    """Name of the lake bucket."""
    bucket_arn: pulumi.Output[str]
    """ARN of the lake bucket."""
    prefixes: pulumi.Output[list[str]]
    """Key prefixes the stack writes under."""

    def __init__(self, name: str, args: DataLakeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("acme-telemetry:index:DataLake", name, {}, opts)
        child = pulumi.ResourceOptions(parent=self)

        bucket_name = args.get("bucket_name")
        if bucket_name is None:
            invoke = pulumi.InvokeOutputOptions(parent=self)
            account = aws.get_caller_identity_output(opts=invoke).account_id
            region = aws.get_region_output(opts=invoke).region
            prefix = pulumi.Output.from_input(args.get("bucket_name_prefix") or DEFAULT_BUCKET_NAME_PREFIX)
            bucket_name = pulumi.Output.all(prefix, account, region).apply(
                lambda v: naming.default_bucket_name(v[0], v[1], v[2])
            )

        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=bucket_name,
            force_destroy=args.get("force_destroy", False),
            opts=child,
        )
        kms_key = args.get("kms_key_arn")
        by_default: dict[str, pulumi.Input[str]] = {"sse_algorithm": SSE_S3}
        if kms_key is not None:
            by_default = {"sse_algorithm": SSE_KMS, "kms_master_key_id": kms_key}
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[{"apply_server_side_encryption_by_default": by_default, "bucket_key_enabled": True}],
            opts=child,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        public_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=bucket.id,
            policy=bucket.arn.apply(lambda arn: policies.to_json(policies.deny_insecure_transport(arn))),
            # S3 rejects a bucket policy while the public access block is still being applied.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_block]),
        )
        rules = pulumi.Output.all(
            args.get("noncurrent_version_expiration_days", 30),
            args.get("abort_incomplete_multipart_days", 7),
            args.get("transition_days", 0),
            args.get("transition_storage_class", "INTELLIGENT_TIERING"),
        ).apply(lambda v: lifecycle_rules(v[0], v[1], v[2], v[3]))
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=rules,
            # Noncurrent-version rules need versioning switched on first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )

        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.prefixes = pulumi.Output.from_input(list(layout.LAKE_PREFIXES))
        self.register_outputs(
            {"bucket_name": self.bucket_name, "bucket_arn": self.bucket_arn, "prefixes": self.prefixes}
        )
