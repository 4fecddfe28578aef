"""The function packages as Lambda sees them: handlers, runtimes, and the model's environment."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Protocol

#: The project's name: the Pulumi project (the namespace of its config keys), the prefix of
#: every function's name, the ping's user agent.
PROJECT = "lambda-model-study"

LANGUAGES = ("java", "python")
#: The handler string Lambda loads: ``app.handler`` in runtime/python/app.py, and
#: ``predictor.Handler::handleRequest`` in runtime/java.
HANDLERS: Mapping[str, str] = MappingProxyType(
    {"java": "predictor.Handler::handleRequest", "python": "app.handler"}
)
#: What a stack deploys: ``model`` (the model-serving function behind an HTTP API, the
#: default), ``loadgen-worker`` (the load generator's worker function, invoked directly) or
#: ``function`` (a team's own function behind an HTTP API: its code, handler and requests).
STACK_KINDS = ("model", "loadgen-worker", "function")
#: The managed runtimes a ``function`` stack may name (its code is the team's, so older
#: runtimes Lambda still runs are allowed). Python: CPython on Amazon Linux; Java: a fat jar.
FUNCTION_RUNTIMES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "java": ("java11", "java17", "java21"),
        "python": ("python3.10", "python3.11", "python3.12", "python3.13"),
    }
)
#: The handler of a ``loadgen-worker`` stack: ``handler`` in loadgen/workers/_handler.py, which runs
#: one slice of a plan and uploads its result folder to the stack's bucket.
WORKER_HANDLER = "loadgen.workers._handler.handler"
#: The key prefix under which workers write their result folders in the worker bucket
#: (``runs/<run_id>/worker-<i>/...``); the worker role may write only there.
WORKER_RUNS_PREFIX = "runs/"
#: Managed runtimes the functions can run on. Python: the handler is written for 3.11+.
#: Java: the classes are compiled with ``javac --release 17``, so java17 and later.
RUNTIMES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "java": ("java17", "java21", "java25"),
        "python": ("python3.11", "python3.12", "python3.13", "python3.14"),
    }
)
#: What a stack runs when its file names no runtime, and what the emulator reports then.
DEFAULT_RUNTIMES: Mapping[str, str] = MappingProxyType({"java": "java21", "python": "python3.12"})

#: Where a function finds its model: ``bundled`` in the code archive, a ``layer``, or ``s3``.
MODEL_STRATEGIES = ("bundled", "layer", "s3")
#: The artifact's file name in a code archive or a layer (``MODEL_PATH`` points at it).
MODEL_FILE = "model.zip"
#: The variables a function reads to find its model (runtime/python/app.py, Handler.java).
MODEL_ENVIRONMENT = ("MODEL_BUCKET", "MODEL_KEY", "MODEL_PATH", "MODEL_RUNTIME", "MODEL_VERSION")
#: Who computes the probabilities in the Python function (``MODEL_RUNTIME``, docs/api.md): the
#: framework-free evaluator of model.zip, or a framework serving its export beside model.zip.
MODEL_RUNTIMES = ("artifact", "litert", "tensorflow", "onnx")
#: Of those, the ones only the Python function reads: the Java function serves the artifact
#: alone (no framework model runtime: the Java TensorFlow bindings are not obtainable here).
PYTHON_ONLY_MODEL_ENVIRONMENT = ("MODEL_RUNTIME",)
#: The file each framework model runtime serves beside ``model.zip``: the function finds it by
#: replacing ``.zip`` (``model.zip`` → ``model.tflite``); ``python -m model export`` writes it.
EXPORT_SUFFIXES: Mapping[str, str] = MappingProxyType(
    {"litert": ".tflite", "tensorflow": ".keras", "onnx": ".onnx"}
)
#: The most instances a ``POST /predict`` takes (docs/api.md); a stack may set it.
MAX_INSTANCES_ENV = "MAX_INSTANCES"
#: What both functions take when ``MAX_INSTANCES`` is unset.
MAX_INSTANCES_DEFAULT = 1000
#: A base URL replacing AWS's S3 endpoint for the ``s3`` strategy (the emulator sets it).
MODEL_S3_ENDPOINT_ENV = "MODEL_S3_ENDPOINT"
#: The other variables the model function reads (both functions): set by a stack's environment
#: or by the emulator, never derived by ``model_env``.
FUNCTION_ENVIRONMENT = (MAX_INSTANCES_ENV, MODEL_S3_ENDPOINT_ENV)


class ModelPlacement(Protocol):
    """What ``model_env`` needs of a stack's settings."""

    @property
    def name(self) -> str: ...
    @property
    def model_strategy(self) -> str: ...
    @property
    def model_runtime(self) -> str: ...
    @property
    def environment(self) -> Mapping[str, str]: ...


def model_env(
    settings: ModelPlacement,
    model_version: str,
    bucket: str | None = None,
    key: str | None = None,
    *,
    task_root: str = "/var/task",
    layer_root: str = "/opt",
) -> dict[str, str]:
    """The function's whole environment: the stack's extra variables plus the model's.

    ``bundled`` → ``MODEL_PATH=<task_root>/model.zip``; ``layer`` → ``<layer_root>/model.zip``
    (Lambda mounts layers at /opt); ``s3`` → ``MODEL_BUCKET`` and ``MODEL_KEY``. A framework
    model runtime adds ``MODEL_RUNTIME`` (the artifact runtime is the function's default, so its
    environment is unchanged). The emulator passes its own directories as
    ``task_root``/``layer_root``.
    """
    environment = dict(settings.environment)
    environment["MODEL_VERSION"] = model_version
    if settings.model_runtime != "artifact":
        environment["MODEL_RUNTIME"] = settings.model_runtime
    if settings.model_strategy == "bundled":
        environment["MODEL_PATH"] = f"{task_root}/{MODEL_FILE}"
    elif settings.model_strategy == "layer":
        environment["MODEL_PATH"] = f"{layer_root}/{MODEL_FILE}"
    else:
        if not bucket or not key:
            raise ValueError(
                f"stack {settings.name} loads its model from S3: model_env needs bucket and key"
            )
        environment["MODEL_BUCKET"] = bucket
        environment["MODEL_KEY"] = key
    return dict(sorted(environment.items()))
