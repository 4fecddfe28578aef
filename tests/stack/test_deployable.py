"""stack._deployable: every kind of package applies Lambda's direct-upload quota alike (an
archive over 50 MB is deployed from S3, an image never is), and tells sizes in Lambda's MB."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from contract import DIRECT_UPLOAD_BYTES_MAX
from stack import FunctionPackage, Package, WorkerPackage
from stack._deployable import mb

ZIP = Path("/build/packages/code.zip")


def _package(size_bytes: int, *, image: bool = False, layer_size_bytes: int = 0) -> Package:
    return Package(
        code_zip=ZIP, layer_zip=None, code_sha256_b64="", layer_sha256_b64=None,
        handler="app.lambda_handler", size_bytes=size_bytes, model_version="v1",
        artifact=Path("/build/model.zip"), layer_size_bytes=layer_size_bytes,
        image_context=Path("/build/images/context") if image else None,
    )  # fmt: skip


def _function_package(size_bytes: int, *, image: bool = False) -> FunctionPackage:
    return FunctionPackage(
        code_zip=ZIP, code_sha256_b64="", handler="app.lambda_handler", size_bytes=size_bytes,
        unzipped_bytes=size_bytes, image_context=Path("/code") if image else None,
    )  # fmt: skip


def _worker_package(size_bytes: int) -> WorkerPackage:
    return WorkerPackage(
        code_zip=ZIP, code_sha256_b64="", handler="h", size_bytes=size_bytes, unzipped_bytes=0,
        requirements=(), dependencies=Path("/deps"),
    )  # fmt: skip


@pytest.mark.parametrize("build", [_package, _function_package])
def test_a_zip_over_the_direct_upload_quota_and_only_then_is_deployed_from_s3(
    build: Callable[..., Package | FunctionPackage],
) -> None:
    at_quota = build(DIRECT_UPLOAD_BYTES_MAX)
    assert not at_quota.is_image and not at_quota.code_from_s3
    over = build(DIRECT_UPLOAD_BYTES_MAX + 1)
    assert not over.is_image and over.code_from_s3


@pytest.mark.parametrize("build", [_package, _function_package])
def test_an_image_package_is_never_deployed_from_s3(
    build: Callable[..., Package | FunctionPackage],
) -> None:
    package = build(DIRECT_UPLOAD_BYTES_MAX * 4, image=True)
    assert package.is_image and not package.code_from_s3


def test_the_model_layer_and_the_worker_zip_follow_the_same_quota() -> None:
    assert not _package(1, layer_size_bytes=DIRECT_UPLOAD_BYTES_MAX).layer_from_s3
    assert _package(1, layer_size_bytes=DIRECT_UPLOAD_BYTES_MAX + 1).layer_from_s3
    assert not _worker_package(DIRECT_UPLOAD_BYTES_MAX).code_from_s3
    assert _worker_package(DIRECT_UPLOAD_BYTES_MAX + 1).code_from_s3


def test_sizes_are_told_in_the_mb_lambdas_quotas_count() -> None:
    assert mb(DIRECT_UPLOAD_BYTES_MAX) == "50.0 MB"
    assert mb(1024 * 1024 * 1024) == "1,024.0 MB"
