"""What the functions, the stacks and the emulator must agree on, written once.

The routes of the HTTP contract (docs/api.md), the handler each language's package exposes,
the managed runtimes the functions support, the event a ``ping`` schedule sends, the
environment that tells a function where its model is, how Lambda bills an invocation, and
the Lambda quotas they all depend on (memory per vCPU, payload size), and the exit codes
every command line returns, with the frame each command's ``main`` runs in.
``stack`` and ``emulator`` import this package; the functions in ``runtime/`` stay standalone
(standard library or JDK only) and tests/contract holds what they hard-code to it.

Standard library only, and no Pulumi: the emulator and the load generator import it on
machines that have neither Pulumi nor TensorFlow.
"""

from __future__ import annotations

from contract._billing import billed_duration_ms, billed_restore_ms
from contract._cli_frame import run_main
from contract._exit_codes import ExitCode, signalled
from contract._functions import (
    DEFAULT_RUNTIMES,
    EXPORT_SUFFIXES,
    FUNCTION_ENVIRONMENT,
    FUNCTION_RUNTIMES,
    HANDLERS,
    LANGUAGES,
    MAX_INSTANCES_DEFAULT,
    MAX_INSTANCES_ENV,
    MODEL_ENVIRONMENT,
    MODEL_FILE,
    MODEL_RUNTIMES,
    MODEL_S3_ENDPOINT_ENV,
    MODEL_STRATEGIES,
    PROJECT,
    PYTHON_ONLY_MODEL_ENVIRONMENT,
    RUNTIMES,
    STACK_KINDS,
    WORKER_HANDLER,
    WORKER_RUNS_PREFIX,
    model_env,
)
from contract._headers import (
    COLD_START_HEADER,
    FIRST_RESPONSE_HEADERS,
    GATEWAY_REQUEST_ID_HEADER,
    INIT_MS_HEADER,
    INIT_TYPE_HEADER,
    INSTANCE_ID_HEADER,
    MODEL_VERSION_HEADER,
    REQUEST_ID_HEADER,
    RESPONSE_HEADERS,
    RESTORE_HEADER,
    RUNTIME_HEADER,
)
from contract._lambda import (
    ACCOUNT_CONCURRENCY,
    API_GATEWAY_TIMEOUT_S,
    API_PAYLOAD_LIMIT_BYTES,
    DEFAULT_KEEP_ALIVE_S,
    DIRECT_UPLOAD_BYTES_MAX,
    ENVIRONMENT_BYTES_LIMIT,
    FUNCTION_NAME_MAX,
    INIT_TIMEOUT_S,
    LOG_FORMATS,
    MB_PER_VCPU,
    MEMORY_MB_MAX,
    MEMORY_MB_MIN,
    PAYLOAD_LIMIT_BYTES,
    TIMEOUT_S_MAX,
    TIMEOUT_S_MIN,
    UNZIPPED_BYTES_MAX,
    log_group_name,
)
from contract._requests import (
    RequestSetError,
    SampleRequest,
    parse_request_set,
    read_request_set,
)
from contract._routes import (
    AUTHORIZATIONS,
    HEALTH_PATH,
    PREDICT_PATH,
    ROUTE_KEYS,
    ROUTES,
    path_parameters,
    ping_event,
    route_matches,
)

__all__ = [  # noqa: RUF022 - sorted as the surface test sorts it
    "ACCOUNT_CONCURRENCY",
    "API_GATEWAY_TIMEOUT_S",
    "API_PAYLOAD_LIMIT_BYTES",
    "AUTHORIZATIONS",
    "COLD_START_HEADER",
    "DEFAULT_KEEP_ALIVE_S",
    "DEFAULT_RUNTIMES",
    "DIRECT_UPLOAD_BYTES_MAX",
    "ENVIRONMENT_BYTES_LIMIT",
    "EXPORT_SUFFIXES",
    "ExitCode",
    "FIRST_RESPONSE_HEADERS",
    "FUNCTION_ENVIRONMENT",
    "FUNCTION_NAME_MAX",
    "FUNCTION_RUNTIMES",
    "GATEWAY_REQUEST_ID_HEADER",
    "HANDLERS",
    "HEALTH_PATH",
    "INIT_MS_HEADER",
    "INIT_TIMEOUT_S",
    "INIT_TYPE_HEADER",
    "INSTANCE_ID_HEADER",
    "LANGUAGES",
    "LOG_FORMATS",
    "MAX_INSTANCES_DEFAULT",
    "MAX_INSTANCES_ENV",
    "MB_PER_VCPU",
    "MEMORY_MB_MAX",
    "MEMORY_MB_MIN",
    "MODEL_ENVIRONMENT",
    "MODEL_FILE",
    "MODEL_RUNTIMES",
    "MODEL_S3_ENDPOINT_ENV",
    "MODEL_STRATEGIES",
    "MODEL_VERSION_HEADER",
    "PAYLOAD_LIMIT_BYTES",
    "PREDICT_PATH",
    "PROJECT",
    "PYTHON_ONLY_MODEL_ENVIRONMENT",
    "REQUEST_ID_HEADER",
    "RESPONSE_HEADERS",
    "RESTORE_HEADER",
    "ROUTES",
    "ROUTE_KEYS",
    "RUNTIMES",
    "RUNTIME_HEADER",
    "RequestSetError",
    "STACK_KINDS",
    "SampleRequest",
    "TIMEOUT_S_MAX",
    "TIMEOUT_S_MIN",
    "UNZIPPED_BYTES_MAX",
    "WORKER_HANDLER",
    "WORKER_RUNS_PREFIX",
    "billed_duration_ms",
    "billed_restore_ms",
    "log_group_name",
    "model_env",
    "parse_request_set",
    "path_parameters",
    "ping_event",
    "read_request_set",
    "route_matches",
    "run_main",
    "signalled",
]
