"""DataLake: the encrypted, versioned, private S3 bucket that holds the telemetry lake."""

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components import buckets, naming, policies
from components import validation as v
from functions.shared import schema

MANAGED_ARGS = (
    "bucket_name",
    "bucket_name_prefix",
    "kms_key_arn",
    "transition_days",
    "transition_storage_class",
    "transition_prefixes",
    "noncurrent_version_expiration_days",
    "abort_incomplete_multipart_days",
    "force_destroy",
    "retain_on_delete",
)
"""Arguments that shape a bucket this component creates; meaningless with existing_bucket_name."""


def _combinations(args: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    if "existing_bucket_name" in args:
        for key in MANAGED_ARGS:
            if key in args:
                yield key, "left out when existing_bucket_name is given (that bucket is used as it is)", args[key]
    if "bucket_name" in args and "bucket_name_prefix" in args:
        yield "bucket_name_prefix", "left out when bucket_name is given", args["bucket_name_prefix"]
    storage_class = args.get("transition_storage_class", SPEC.defaults["transition_storage_class"])
    days = args.get("transition_days", SPEC.defaults["transition_days"])
    if storage_class in v.IA_CLASSES and isinstance(days, int) and 0 < days < v.S3_MIN_DAYS_BEFORE_IA:
        yield "transition_days", f"0 or at least {v.S3_MIN_DAYS_BEFORE_IA} for {storage_class}", days
    for prefix in args.get("transition_prefixes") or ():
        if not isinstance(prefix, str) or not schema.PREFIX_PATTERN.match(prefix):
            yield "transition_prefixes", "folders of lowercase letters, digits, '_', '.', '-' ending in '/'", prefix


def _transition_scope(args: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """A transition names what it moves: nothing is assumed about the bucket's folders."""
    days = args.get("transition_days", SPEC.defaults["transition_days"])
    if isinstance(days, int) and days > 0 and not args.get("transition_prefixes"):
        yield (
            "transition_prefixes",
            "the key prefixes to transition (e.g. each table's prefix) when transition_days is above 0",
            args.get("transition_prefixes"),
        )


class DataLakeArgs(TypedDict):
    """Inputs of a DataLake."""

    existing_bucket_name: NotRequired[str]
    """Use this existing bucket as the lake instead of creating one; it is used as it is (no settings changed)."""
    bucket_name: NotRequired[str]
    """Exact bucket name. With neither this nor bucket_name_prefix the name derives from this component's resource
    name plus Pulumi's random suffix."""
    bucket_name_prefix: NotRequired[str]
    """The bucket is named <bucket_name_prefix>-<account>-<region>."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """Encrypt with this KMS key (SSE-KMS) instead of SSE-S3, and refuse uploads asking for any other encryption
    (policies.deny_other_encryption); give it to StreamingIngest's lake_kms_key_arn and TelemetryCatalog's
    kms_key_arn too, so Firehose, the dimension upload and Athena write with it."""
    transition_days: NotRequired[int]
    """Days before table data moves to transition_storage_class; 0 or omitted keeps it in STANDARD."""
    transition_storage_class: NotRequired[str]
    """A storage class Athena can still read, e.g. INTELLIGENT_TIERING."""
    transition_prefixes: NotRequired[Sequence[str]]
    """Key prefixes whose objects transition, e.g. each table's prefix (Athena results and error records stay);
    required with transition_days."""
    noncurrent_version_expiration_days: NotRequired[int]
    """Days before overwritten or deleted object versions expire."""
    abort_incomplete_multipart_days: NotRequired[int]
    """Days before unfinished multipart uploads are aborted."""
    force_destroy: NotRequired[bool]
    """Let `pulumi destroy` delete a bucket that still holds objects (its objects are deleted with it)."""
    retain_on_delete: NotRequired[bool]
    """Keep the bucket and everything in it when the component is deleted or the stack destroyed:
    Pulumi forgets the bucket instead of deleting it, so a lake's history survives `pulumi destroy`."""


def lake_policy(bucket_arn: str, kms_key_arn: str | None) -> dict[str, Any]:
    """The lake's bucket policy: TLS only; under a customer managed key, uploads with any other encryption refused."""
    return policies.bucket_policy(bucket_arn, kms_key_arn)


def lifecycle_rules(
    noncurrent_days: int,
    abort_days: int,
    transition_days: int,
    storage_class: str,
    prefixes: Sequence[str],
) -> list[dict[str, object]]:
    """Lifecycle rules: housekeeping for the whole bucket plus one optional transition per given prefix."""
    if transition_days > 0 and storage_class not in v.TRANSITION_STORAGE_CLASSES:
        raise ValueError(
            f"transition_storage_class must be one of {', '.join(v.TRANSITION_STORAGE_CLASSES)} "
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
        for prefix in prefixes:
            rules.append(
                {
                    "id": f"transition-{prefix.rstrip('/')}",
                    "status": "Enabled",
                    "filter": {"prefix": prefix},
                    "transitions": [{"days": transition_days, "storage_class": storage_class}],
                }
            )
    return rules


SPEC = v.ArgSpec(
    component="DataLake",
    defaults={
        "transition_days": 0,
        "transition_storage_class": "INTELLIGENT_TIERING",
        "noncurrent_version_expiration_days": 30,
        "abort_incomplete_multipart_days": 7,
        "force_destroy": False,
        "retain_on_delete": True,
    },
    rules={
        "existing_bucket_name": v.BUCKET_NAME,
        "bucket_name": v.BUCKET_NAME,
        "bucket_name_prefix": v.BUCKET_NAME_PREFIX,
        "transition_days": v.between(0, v.S3_MAX_LIFECYCLE_DAYS, f"{v.LIFECYCLE_DAYS}; 0 keeps data in STANDARD"),
        "transition_storage_class": v.one_of(*v.TRANSITION_STORAGE_CLASSES),
        "noncurrent_version_expiration_days": v.between(1, v.S3_MAX_LIFECYCLE_DAYS, v.LIFECYCLE_DAYS),
        "abort_incomplete_multipart_days": v.between(1, v.S3_MAX_LIFECYCLE_DAYS, v.LIFECYCLE_DAYS),
        "force_destroy": v.boolean(),
        "retain_on_delete": v.boolean(),
    },
    checks=(_combinations,),
    allowed=v.arguments(DataLakeArgs),
    complete_checks=(_transition_scope,),
)


class DataLake(v.CheckedComponent):
    """The lake bucket: encrypted (only with its key, when it has one), versioned, private, TLS-only, with
    lifecycle housekeeping."""

    _spec = SPEC

    bucket_name: pulumi.Output[str]
    """Name of the lake bucket."""
    bucket_arn: pulumi.Output[str]
    """ARN of the lake bucket."""
    prefixes: pulumi.Output[list[str]]
    """The key prefixes whose objects transition to transition_storage_class (as given; empty when none)."""
    created: pulumi.Output[bool]
    """Whether this component created (and manages) the bucket, rather than adopting an existing one."""

    def __init__(self, name: str, args: DataLakeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        SPEC.validate(name, args)
        super().__init__("acme-telemetry:index:DataLake", name, {}, opts)
        self.prefixes = pulumi.Output.from_input(list(args.get("transition_prefixes") or ()))
        existing = args.get("existing_bucket_name")
        if existing is not None:
            # Adopted as it is: looked up (so a missing bucket fails at preview), never modified or deleted.
            found = aws.s3.get_bucket_output(bucket=existing, opts=pulumi.InvokeOutputOptions(parent=self))
            self.bucket_name = found.bucket
            self.bucket_arn = found.arn
            self.created = pulumi.Output.from_input(False)
            self.register_outputs(
                {
                    "bucket_name": self.bucket_name,
                    "bucket_arn": self.bucket_arn,
                    "prefixes": self.prefixes,
                    "created": self.created,
                }
            )
            return
        # Retained, the bucket keeps its encryption, privacy, TLS-only policy and lifecycle too: deleting them would
        # leave the kept data less protected than it was.
        retain = SPEC.value(args, "retain_on_delete")
        child = pulumi.ResourceOptions(parent=self, retain_on_delete=retain)

        bucket_name: pulumi.Input[str] | None = args.get("bucket_name")
        if bucket_name is None and args.get("bucket_name_prefix") is not None:
            invoke = pulumi.InvokeOutputOptions(parent=self)
            account = aws.get_caller_identity_output(opts=invoke).account_id
            region = aws.get_region_output(opts=invoke).region
            prefix = args["bucket_name_prefix"]
            bucket_name = pulumi.Output.all(account, region).apply(
                lambda ar: naming.default_bucket_name(prefix, ar[0], ar[1])
            )

        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=bucket_name,
            force_destroy=SPEC.value(args, "force_destroy"),
            opts=child,
        )
        kms_key = args.get("kms_key_arn")
        buckets.encrypted(name, bucket, kms_key, child)
        versioning, public_block = buckets.private_and_versioned(name, bucket, child)
        aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=bucket.id,
            policy=pulumi.Output.all(bucket.arn, kms_key).apply(lambda p: policies.to_json(lake_policy(p[0], p[1]))),
            # S3 rejects a bucket policy while the public access block is still being applied.
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=retain, depends_on=[public_block]),
        )
        transition_prefixes = tuple(args.get("transition_prefixes") or ())
        rules = pulumi.Output.all(
            SPEC.value(args, "noncurrent_version_expiration_days"),
            SPEC.value(args, "abort_incomplete_multipart_days"),
            SPEC.value(args, "transition_days"),
            SPEC.value(args, "transition_storage_class"),
        ).apply(lambda r: lifecycle_rules(r[0], r[1], r[2], r[3], transition_prefixes))
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=rules,
            # Noncurrent-version rules need versioning switched on first.
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=retain, depends_on=[versioning]),
        )

        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.created = pulumi.Output.from_input(True)
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "bucket_arn": self.bucket_arn,
                "prefixes": self.prefixes,
                "created": self.created,
            }
        )
