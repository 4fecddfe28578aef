"""What the functions, the stacks and the emulator must agree on, written once.

The routes of the HTTP contract (docs/api.md), the handler each language's package exposes,
the managed runtimes the functions support, the event a ``ping`` schedule sends, the
environment that tells a function where its model is, how Lambda bills an invocation, and
the Lambda quotas they all depend on (memory per vCPU, payload size).
``stack`` and ``emulator`` import this package; the functions in ``runtime/`` stay standalone
(standard library or JDK only) and tests/contract holds what they hard-code to it.

Standard library only, and no Pulumi: the emulator and the load generator import it on
machines that have neither Pulumi nor TensorFlow.
"""

from __future__ import annotations

from contract._billing import billed_duration_ms, billed_restore_ms
from contract._functions import (
    DEFAULT_RUNTIMES,
    FUNCTION_RUNTIMES,
    HANDLERS,
    LANGUAGES,
    MODEL_ENVIRONMENT,
    MODEL_FILE,
    MODEL_RUNTIMES,
    MODEL_STRATEGIES,
    PROJECT,
    PYTHON_ONLY_MODEL_ENVIRONMENT,
    RUNTIMES,
    STACK_KINDS,
    WORKER_HANDLER,
    WORKER_RUNS_PREFIX,
    model_env,
)
from contract._lambda import MB_PER_VCPU, PAYLOAD_LIMIT_BYTES
from contract._requests import (
    RequestSetError,
    SampleRequest,
    parse_request_set,
    read_request_set,
)
from contract._routes import (
    HEALTH_PATH,
    PREDICT_PATH,
    ROUTE_KEYS,
    ROUTES,
    path_parameters,
    ping_event,
    route_matches,
)

__all__ = [  # noqa: RUF022 - sorted as the surface test sorts it
    "DEFAULT_RUNTIMES",
    "FUNCTION_RUNTIMES",
    "HANDLERS",
    "HEALTH_PATH",
    "LANGUAGES",
    "MB_PER_VCPU",
    "MODEL_ENVIRONMENT",
    "MODEL_FILE",
    "MODEL_RUNTIMES",
    "MODEL_STRATEGIES",
    "PAYLOAD_LIMIT_BYTES",
    "PREDICT_PATH",
    "PROJECT",
    "PYTHON_ONLY_MODEL_ENVIRONMENT",
    "ROUTES",
    "ROUTE_KEYS",
    "RUNTIMES",
    "RequestSetError",
    "STACK_KINDS",
    "SampleRequest",
    "WORKER_HANDLER",
    "WORKER_RUNS_PREFIX",
    "billed_duration_ms",
    "billed_restore_ms",
    "model_env",
    "parse_request_set",
    "path_parameters",
    "ping_event",
    "read_request_set",
    "route_matches",
]
