"""An instance's environment variables: Lambda's reserved ones, then the stack's own.

The emulator's own environment is not inherited (except ``PATH``): a function sees what it would
see on Lambda, and Lambda's fixed paths in the stack's values are mapped to the instance's folders.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from contract import MODEL_S3_ENDPOINT_ENV, log_group_name

from .._spec import FunctionSpec
from ..gateway._sigv4 import StaticCredentials
from ._instance import InitType, Instance

#: fake credentials, so SDK-style signing code in a function has something to sign with
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIAEMULATOR00000000",
    "AWS_SECRET_ACCESS_KEY": "emulator-secret-key-not-checked-by-anything",
    "AWS_SESSION_TOKEN": "emulator-session-token",
}


def instance_environment(
    spec: FunctionSpec,
    inst: Instance,
    *,
    s3_endpoint: str | None,
    python_path: str | None = None,
    buckets_endpoint: str | None = None,
    credentials: StaticCredentials | None = None,
    version: str = "$LATEST",
) -> dict[str, str]:
    """The environment ``inst`` of ``spec`` starts with; ``s3_endpoint``: the local S3 (if any);
    ``python_path``: what a Python instance's interpreter sees (default: its task root only);
    ``buckets_endpoint``: moto's S3 holding the spec's buckets; ``credentials``: the function's
    role credentials (``_sigv4.role_credentials``), which sign its calls to S3 and to the IAM
    stacks its role may invoke; ``version``: the version the instance runs (``$LATEST`` or a
    published version's number: its variable and log stream name say which, as on Lambda)."""
    day = datetime.now(UTC).strftime("%Y/%m/%d")
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "TMPDIR": str(inst.tmp_dir),
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{inst.port}",
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": version,
        "AWS_LAMBDA_LOG_GROUP_NAME": log_group_name(spec.name),
        "AWS_LAMBDA_LOG_STREAM_NAME": f"{day}/[{version}]{inst.id}",
        "AWS_LAMBDA_INITIALIZATION_TYPE": inst.init_type.value,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
        "AWS_REGION": spec.region,
        "AWS_DEFAULT_REGION": spec.region,
        "LAMBDA_TASK_ROOT": str(inst.task_root),
        "_HANDLER": spec.handler,
        **FAKE_CREDENTIALS,
    }
    if spec.log_format == "json":
        # What Lambda tells the runtime client under logFormat: JSON (its logging goes JSON too).
        env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
    if inst.init_type is InitType.SNAP_START:
        # AWS: these two are not available in SnapStart functions (one snapshot, many streams).
        del env["AWS_LAMBDA_LOG_GROUP_NAME"], env["AWS_LAMBDA_LOG_STREAM_NAME"]
    if spec.language == "python":
        env["PYTHONPATH"] = python_path if python_path is not None else str(inst.task_root)
        # The task root is read-only on Lambda: no bytecode is cached there between starts.
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    if s3_endpoint is not None and spec.s3_objects:
        env[MODEL_S3_ENDPOINT_ENV] = s3_endpoint
    if buckets_endpoint is not None and spec.buckets:
        # boto3 (1.28 and later) sends S3 calls to AWS_ENDPOINT_URL_S3.
        env["AWS_ENDPOINT_URL_S3"] = buckets_endpoint
    if credentials is not None:
        # The function's role credentials: they sign its S3 calls and its requests to the
        # stacks its role may invoke (the front doors recognise them).
        del env["AWS_SESSION_TOKEN"]
        env["AWS_ACCESS_KEY_ID"] = credentials.access_key_id
        env["AWS_SECRET_ACCESS_KEY"] = credentials.secret_access_key
        if credentials.session_token:
            env["AWS_SESSION_TOKEN"] = credentials.session_token
    for name, value in spec.environment.items():
        env[name] = _map_path(inst, value)
    return env


def _map_path(inst: Instance, value: str) -> str:
    # Lambda's fixed paths (/opt for layers, /var/task, /tmp) are this instance's directories.
    for prefix, local in (
        ("/opt", inst.opt_dir),
        ("/var/task", inst.task_root),
        ("/tmp", inst.tmp_dir),
    ):
        if value == prefix or value.startswith(prefix + "/"):
            return str(local) + value[len(prefix) :]
    return value
