"""The response headers every function writes and the emulator and the load generator read."""

from __future__ import annotations

#: ``true`` on the first response of an instance that ran its own init (docs/api.md).
COLD_START_HEADER = "x-cold-start"
#: Lambda's ``AWS_LAMBDA_INITIALIZATION_TYPE``: ``on-demand``, ``provisioned-concurrency``,
#: ``snap-start``.
INIT_TYPE_HEADER = "x-init-type"
#: A random id per execution environment (fresh after a SnapStart restore).
INSTANCE_ID_HEADER = "x-instance-id"
#: The invocation's request id (Lambda's ``awsRequestId``), ``unknown`` without a context.
REQUEST_ID_HEADER = "x-request-id"
#: Which function answered: ``python3.12``, ``java21``... (``AWS_EXECUTION_ENV``'s runtime).
RUNTIME_HEADER = "x-runtime"
#: The served model's version (the artifact's ``model_version``).
MODEL_VERSION_HEADER = "x-model-version"
#: On the first response of a cold instance: its init time in ms, three decimals.
INIT_MS_HEADER = "x-init-ms"
#: ``true`` on the first response after a SnapStart restore (instead of ``x-init-ms``).
RESTORE_HEADER = "x-restore"

#: API Gateway's own id of the request, on every response it sends (the emulator's too); it
#: joins a request with the stage's access log.
GATEWAY_REQUEST_ID_HEADER = "apigw-requestid"

#: The headers on every response of the model function, in the order the functions write them.
RESPONSE_HEADERS = (
    COLD_START_HEADER,
    INIT_TYPE_HEADER,
    INSTANCE_ID_HEADER,
    RUNTIME_HEADER,
    MODEL_VERSION_HEADER,
    REQUEST_ID_HEADER,
)
#: The headers only an instance's first response carries (one of them, never both).
FIRST_RESPONSE_HEADERS = (INIT_MS_HEADER, RESTORE_HEADER)
