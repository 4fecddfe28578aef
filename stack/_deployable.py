"""How a built package meets Lambda's deploy-time quotas: a container image or a zip, each
archive uploaded with the request or, over the direct-upload quota, from the stack's bucket;
sizes told in the MB the quotas count."""

from __future__ import annotations

from pathlib import Path

from contract import DIRECT_UPLOAD_BYTES_MAX


def too_large_to_upload(size_bytes: int) -> bool:
    """An archive this large cannot go with Lambda's request: it is deployed from S3."""
    return size_bytes > DIRECT_UPLOAD_BYTES_MAX


def mb(size_bytes: int) -> str:
    """``size_bytes`` in MB as Lambda's quotas count them (1 MB = 1,048,576 bytes)."""
    return f"{size_bytes / (1024 * 1024):,.1f} MB"


class Deployable:
    """What a built package (``Package``, ``FunctionPackage``) tells its deployer, from the
    ``image_context`` and ``size_bytes`` fields the package's dataclass gives."""

    #: The container image's build context, or None for a zip package.
    image_context: Path | None
    #: Size of the code archive in bytes.
    size_bytes: int

    @property
    def is_image(self) -> bool:
        """The function is deployed as a container image built from ``image_context``."""
        return self.image_context is not None

    @property
    def code_from_s3(self) -> bool:
        """The code archive is too large to upload with the request: deploy it from S3."""
        return not self.is_image and too_large_to_upload(self.size_bytes)
