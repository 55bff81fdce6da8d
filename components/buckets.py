"""Settings every bucket of the stack gets, whichever component owns it."""

import pulumi
import pulumi_aws as aws

SSE_S3 = "AES256"
SSE_KMS = "aws:kms"


def encrypted(
    name: str, bucket: aws.s3.Bucket, kms_key: pulumi.Input[str] | None, opts: pulumi.ResourceOptions
) -> aws.s3.BucketServerSideEncryptionConfiguration:
    """Default encryption `name`-encryption: SSE-KMS with the key when given, else SSE-S3, with S3 Bucket Keys (one
    data key per bucket and period, not per object; the bucket's ARN is the encryption context
    policies.lake_key_statement names)."""
    by_default: dict[str, pulumi.Input[str]] = {"sse_algorithm": SSE_S3}
    if kms_key is not None:
        by_default = {"sse_algorithm": SSE_KMS, "kms_master_key_id": kms_key}
    return aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption",
        bucket=bucket.id,
        rules=[{"apply_server_side_encryption_by_default": by_default, "bucket_key_enabled": True}],
        opts=opts,
    )


def private_and_versioned(
    name: str, bucket: aws.s3.Bucket, opts: pulumi.ResourceOptions
) -> tuple[aws.s3.BucketVersioning, aws.s3.BucketPublicAccessBlock]:
    """Versioning on, every kind of public access blocked, ACLs off (owner enforced); children `name`-*."""
    versioning = aws.s3.BucketVersioning(
        f"{name}-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=opts
    )
    public_block = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access-block",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=opts,
    )
    aws.s3.BucketOwnershipControls(
        f"{name}-ownership", bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=opts
    )
    return versioning, public_block
