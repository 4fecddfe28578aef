"""What AWS allows a stack beyond the quotas the parts share: which runtimes, architectures
and log settings a stack may choose, and this project's defaults.

Each value cites where it comes from; ``stack._checks`` checks a stack against them. Lambda's
and API Gateway's quotas (memory, timeouts, payloads, package sizes, name length) and what the
functions themselves support (languages, runtimes, handlers) are in ``contract``.
"""

from __future__ import annotations

from contract import (
    ENVIRONMENT_BYTES_LIMIT,
    FUNCTION_NAME_MAX,
    MODEL_ENVIRONMENT,
    PROJECT,
)

# AWS Lambda documentation, "Improving startup performance with Lambda SnapStart": Java 11 and
# later, Python 3.12 and later, .NET 8 and later; no provisioned concurrency; published
# versions only. Restricted here to the runtimes the functions support at all.
SNAPSTART_RUNTIMES = frozenset(
    {"java17", "java21", "java25", "python3.12", "python3.13", "python3.14"}
)
ARCHITECTURES = ("arm64", "x86_64")
# The Python runtimes a framework model runtime may run on: the Amazon Linux 2023 ones (glibc
# 2.34), since ai-edge-litert 2.x wheels need glibc 2.27 and python3.11 runs on Amazon Linux 2
# (2.26); wheels of ai-edge-litert and tensorflow exist for CPython 3.12 and 3.13, and
# onnxruntime's (manylinux_2_27/2_28) need Amazon Linux 2023's glibc too.
FRAMEWORK_RUNTIMES = ("python3.12", "python3.13")
COLD_START_MITIGATIONS = ("none", "ping", "provisioned", "snapstart")
# The only values CloudWatch Logs' PutRetentionPolicy accepts (retentionInDays).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
PING_INTERVAL_MINUTES_MIN, PING_INTERVAL_MINUTES_MAX = 1, 60
DEFAULT_PING_INTERVAL_MINUTES = 5
# Lambda caps a function's environment at 4 KB in total; the model variables need some of it.
ENVIRONMENT_BYTES_MAX = ENVIRONMENT_BYTES_LIMIT - 512
# The function is named `<PROJECT>-<stack>` by default (``name_prefix``), within Lambda's
# FUNCTION_NAME_MAX; EventBridge rule names too: the ping rule is `<function>-ping`.
STACK_NAME_MAX = FUNCTION_NAME_MAX - len(PROJECT) - 1
PING_RULE_SUFFIX = "-ping"
#: The longest ``name_prefix``: room for a stack name in Lambda's 64-character function names.
NAME_PREFIX_MAX = 32
#: The default ``name_prefix``: functions are named ``lambda-model-study-<stack>``.
DEFAULT_NAME_PREFIX = f"{PROJECT}-"
#: Published versions kept by default: the one alias ``live`` serves and one to roll back to.
DEFAULT_VERSIONS_KEPT = 2
VERSIONS_KEPT_MAX = 100
# Variables Lambda sets itself (and refuses to have overridden), plus the model variables
# that model_env derives from the strategy.
RESERVED_ENVIRONMENT = frozenset(
    {
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID",
        "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_RUNTIME_API", "AWS_REGION",
        "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "LAMBDA_RUNTIME_DIR", "LAMBDA_TASK_ROOT",
        *MODEL_ENVIRONMENT,
    }
)  # fmt: skip
DEFAULT_REGION = "us-east-1"
# The stage throttle the study needs (see StackSettings): scenario 2's 18 users with headroom.
DEFAULT_API_THROTTLE_BURST = 100
DEFAULT_API_THROTTLE_RATE = 4000.0
# A loadgen-worker stack's workers: each is one concurrent Lambda instance, so together with
# the function under test they draw on the account's concurrency (contract's
# ACCOUNT_CONCURRENCY, at most that many workers). The default cap leaves the larger part of
# that pool to the target.
DEFAULT_WORKERS_MAX = 100
# The worker's wheels are installed for an Amazon Linux 2023 Python runtime (glibc 2.34).
WORKER_RUNTIMES = ("python3.12", "python3.13")
# hdrhistogram (the load generator's histograms, a C extension) publishes manylinux wheels for
# x86_64 only (pip found no aarch64 wheel of 0.10.x for CPython 3.12, 2026-12-01), and Lambda
# cannot build an sdist: workers run on x86_64.
WORKER_ARCHITECTURES = ("x86_64",)
