"""Lambda's and API Gateway's own numbers that the stacks, the emulator, the report and the
functions all depend on: each cites where it comes from ("Lambda quotas", "Amazon API Gateway
quotas" in AWS's documentation, unless said otherwise)."""

from __future__ import annotations

#: Lambda's documented ratio: a function gets one vCPU's worth of CPU time at 1,769 MB (the
#: emulator's CPU limits, the report's "vCPU asked").
MB_PER_VCPU = 1769
#: Lambda quota: synchronous invocation request and response payloads, 6 MB each (the
#: emulator refuses larger events and results; each function refuses a larger decoded body).
PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024
#: Lambda quota: a function's memory, 128 MB to 10,240 MB.
MEMORY_MB_MIN, MEMORY_MB_MAX = 128, 10_240
#: Lambda quota: a function's timeout, 1 s to 900 s (15 minutes).
TIMEOUT_S_MIN, TIMEOUT_S_MAX = 1, 900
#: Lambda: the init phase of an on-demand instance is limited to 10 s.
INIT_TIMEOUT_S = 10.0
#: Lambda quota: a function's environment variables, 4 KB in total.
ENVIRONMENT_BYTES_LIMIT = 4096
#: Lambda: a function's name is at most 64 characters (EventBridge rule names too).
FUNCTION_NAME_MAX = 64
#: Lambda quota: concurrent executions per account and region, 1,000 by default.
ACCOUNT_CONCURRENCY = 1000
#: Lambda quota (deployment package): a zip uploaded directly with the request may be 50 MB;
#: larger ones must come from S3 (same region).
DIRECT_UPLOAD_BYTES_MAX = 50 * 1024 * 1024
#: Lambda quota: the function's code and all its layers, unzipped, 250 MB whatever the upload.
UNZIPPED_BYTES_MAX = 250 * 1024 * 1024
#: API Gateway HTTP API quota: maximum integration timeout 30 s (not adjustable).
API_GATEWAY_TIMEOUT_S = 30
#: API Gateway HTTP API quota: payload size 10 MB (not adjustable).
API_PAYLOAD_LIMIT_BYTES = 10 * 1024 * 1024
#: Lambda's advanced logging controls (LoggingConfig.LogFormat): ``text`` (the default) writes
#: START, END and tab-separated REPORT lines; ``json`` writes platform.start, platform.report...
#: records. A stack chooses one; the emulator writes it; the report reads both.
LOG_FORMATS = ("text", "json")
#: Not a quota but what Lambda is observed to do: an idle instance is kept about 10 minutes
#: (reported for AWS since 2019; LocalStack's default). The emulator's default keep-alive and
#: the study's schedule both assume it.
DEFAULT_KEEP_ALIVE_S = 600.0


def log_group_name(function_name: str) -> str:
    """The CloudWatch log group Lambda writes a function's logs to: ``/aws/lambda/<name>``."""
    return f"/aws/lambda/{function_name}"
