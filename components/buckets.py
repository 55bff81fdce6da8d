"""Settings every bucket of the stack gets, whichever component owns it."""

import pulumi
import pulumi_aws as aws


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
