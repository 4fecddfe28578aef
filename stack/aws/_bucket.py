"""ModelBucket: the private, versioned, encrypted, TLS-only bucket holding the artifact."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from stack.aws._policies import tls_only_bucket_policy

#: Days after which a replaced or deleted object's old version is removed from a model bucket.
NONCURRENT_VERSION_DAYS = 7


@dataclass(frozen=True, kw_only=True)
class S3Archive:
    """An archive in the stack's bucket, as Lambda takes code from S3."""

    bucket: pulumi.Output[str]
    key: pulumi.Output[str]
    #: The object's version: a new upload under the same key still updates the function.
    version_id: pulumi.Output[str]


@dataclass(frozen=True, kw_only=True)
class ModelBucketArgs:
    #: The model artifact to upload.
    artifact: Path
    #: Its key in the bucket (``stack.model_key``: includes the model version).
    model_key: str


def private_bucket(name: str, parent: pulumi.Resource) -> aws.s3.Bucket:
    """A bucket nobody outside the account can reach: public access blocked, encrypted at rest
    (SSE-S3), TLS-only; ``force_destroy`` so that `pulumi destroy` removes it with its objects.
    Its resources are named ``<name>``, ``<name>-private``, ``-encryption``, ``-tls-only``."""
    child = pulumi.ResourceOptions(parent=parent)
    bucket = aws.s3.Bucket(name, force_destroy=True, opts=child)
    public_access_block = aws.s3.BucketPublicAccessBlock(
        f"{name}-private",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption",
        bucket=bucket.id,
        rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
        opts=child,
    )
    # S3 refuses some policy writes while the public-access block is being applied.
    aws.s3.BucketPolicy(
        f"{name}-tls-only",
        bucket=bucket.id,
        policy=bucket.arn.apply(lambda arn: json.dumps(tls_only_bucket_policy(arn))),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[public_access_block]),
    )
    return bucket


class ModelBucket(pulumi.ComponentResource):
    """A bucket nobody outside the account can read, holding the model under a versioned key
    (and archives too large to upload to Lambda directly, see ``upload_archive``)."""

    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    model_key: str
    model_object_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: ModelBucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("lambda-model-study:stack:ModelBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        bucket = private_bucket(f"{name}-models", self)
        versioning = aws.s3.BucketVersioning(
            f"{name}-models-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        # Versioning keeps every object ever replaced or deleted (old archives, old models):
        # expire those, and the delete markers left alone, after a week. Lambda copies code
        # and layers when it deploys them, so nothing served reads a noncurrent version.
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-models-expiry",
            bucket=bucket.id,
            rules=[
                {
                    "id": "expire-noncurrent-versions",
                    "status": "Enabled",
                    "filter": {},
                    "noncurrent_version_expiration": {"noncurrent_days": NONCURRENT_VERSION_DAYS},
                    "expiration": {"expired_object_delete_marker": True},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
                }
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        self._bucket = bucket
        self._versioning = versioning
        model_object = aws.s3.BucketObjectv2(
            f"{name}-model",
            bucket=bucket.id,
            key=args.model_key,
            source=pulumi.FileAsset(str(args.artifact)),
            content_type="application/zip",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.model_key = args.model_key
        self.model_object_arn = pulumi.Output.concat(bucket.arn, "/", model_object.key)
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "model_key": self.model_key,
                "model_object_arn": self.model_object_arn,
            }
        )

    def upload_archive(self, name: str, archive: Path) -> S3Archive:
        """Put ``archive`` in the bucket under ``archives/<its file name>`` (the name carries
        its hash) for Lambda to fetch: the deployer's credentials read it, not the function's
        role, so the role gains nothing."""
        archive_object = aws.s3.BucketObjectv2(
            name,
            bucket=self._bucket.id,
            key=f"archives/{archive.name}",
            source=pulumi.FileAsset(str(archive)),
            content_type="application/zip",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self._versioning]),
        )
        return S3Archive(
            bucket=self.bucket_name, key=archive_object.key, version_id=archive_object.version_id
        )
