"""From a stack (``Pulumi.<stack>.yaml`` + its package) to what the emulator hosts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from contract import ROUTE_KEYS

from ._spec import FunctionSpec, S3Object

if TYPE_CHECKING:
    from stack import FunctionPackage, Package, StackSettings, WorkerPackage

#: the bucket name the emulator's local S3 endpoint serves an ``s3`` stack's artifact from
EMULATOR_BUCKET = "lambda-model-study-emulator"


def spec_from_stack(
    settings: StackSettings,
    package: Package,
    *,
    routes: tuple[str, ...] | None = ROUTE_KEYS,
) -> FunctionSpec:
    """The function a stack deploys, as the emulator hosts it.

    Mitigations: ``provisioned`` starts that many instances ahead and never reclaims them;
    ``ping`` invokes the function on its schedule (on the scaled clock); ``snapstart`` runs init
    once at start and starts every instance as a restore, without the memory snapshot itself
    (docs/emulator.md).
    """
    from stack import model_env, model_key

    s3_objects: tuple[S3Object, ...] = ()
    bucket = key = None
    if settings.model_strategy == "s3":
        bucket, key = EMULATOR_BUCKET, model_key(package.model_version)
        s3_objects = (S3Object(bucket=bucket, key=key, path=Path(package.artifact)),)
    # Lambda's own paths (/var/task, /opt); each instance maps them to its directories.
    environment = model_env(settings, package.model_version, bucket, key)
    mitigation = settings.cold_start_mitigation
    return FunctionSpec(
        **_function_fields(settings, handler=package.handler, code_zip=package.code_zip),
        layer_zip=Path(package.layer_zip) if package.layer_zip is not None else None,
        environment=environment,
        provisioned_concurrency=(
            (settings.provisioned_concurrency or 0) if mitigation == "provisioned" else 0
        ),
        snapstart=mitigation == "snapstart",
        ping_interval_minutes=float(settings.ping_interval_minutes)
        if mitigation == "ping" and settings.ping_interval_minutes
        else None,
        api_throttle_burst=settings.api_throttle_burst,
        api_throttle_rate=settings.api_throttle_rate,
        routes=routes,
        s3_objects=s3_objects,
        authorization=settings.authorization,
        log_format=settings.log_format,
        # The stack setting ``model_runtime``; a stack without it serves the artifact.
        model_runtime=str(getattr(settings, "model_runtime", None) or "artifact"),
    )


def _function_fields(
    settings: StackSettings, *, handler: str, code_zip: str | Path
) -> dict[str, Any]:
    """What every hosted function takes from its stack settings alike (model or worker)."""
    return {
        "name": settings.name,
        "language": settings.language,
        "memory_mb": settings.memory_mb,
        "timeout_s": float(settings.timeout_s),
        "handler": handler,
        "code_zip": Path(code_zip),
        "runtime": settings.runtime,
        "architecture": settings.architecture,
        "region": settings.region,
        "reserved_concurrency": settings.reserved_concurrency,
    }


def worker_bucket(settings: StackSettings) -> str:
    """The bucket the emulator creates for a worker stack (AWS's is named by Pulumi)."""
    return f"{settings.function_name}-results"


def spec_from_worker_stack(settings: StackSettings, package: WorkerPackage) -> FunctionSpec:
    """A ``loadgen-worker`` stack as the emulator hosts it: the real worker zip, no HTTP API
    (the Lambda API invokes it), its bucket on moto's S3, and the load generator's wheels for
    the host's Python (the zip's are CPython 3.12 manylinux: httptools and PyYAML's compiled
    modules load in that version only)."""
    return FunctionSpec(
        **_function_fields(settings, handler=package.handler, code_zip=package.code_zip),
        environment=dict(settings.environment),
        routes=None,
        kind="loadgen-worker",
        buckets=(worker_bucket(settings),),
        host_distributions=package.distributions,
        invoke_targets=settings.target_stacks,
    )


def spec_from_function_stack(
    settings: StackSettings, package: FunctionPackage, dependencies: Path | None
) -> FunctionSpec:
    """A ``function`` stack as the emulator hosts it: the team's package behind its HTTP API
    (its routes, or ``$default``), its requirements built for the host's Python
    (``dependencies``, ahead of the package's Lambda wheels on the path, as for the framework
    stacks), its environment as given. An image function runs as its code folder plus those
    dependencies (no image is built here)."""
    mitigation = settings.cold_start_mitigation
    return FunctionSpec(
        **_function_fields(settings, handler=package.handler, code_zip=package.code_zip),
        layer_zip=package.merged_layer_zip,
        environment=dict(settings.environment),
        provisioned_concurrency=(
            (settings.provisioned_concurrency or 0) if mitigation == "provisioned" else 0
        ),
        snapstart=mitigation == "snapstart",
        api_throttle_burst=settings.api_throttle_burst,
        api_throttle_rate=settings.api_throttle_rate,
        routes=settings.route_keys,
        authorization=settings.authorization,
        kind="function",
        dependencies_dir=dependencies,
    )
