"""The model runtime of the function (``MODEL_RUNTIME``): who computes the probabilities.

``artifact`` (the default) is the evaluator of ``_model`` on ``model.zip`` alone, standard
library only. ``litert``, ``tensorflow`` and ``onnx`` serve the artifact's framework export
(``model.tflite``, ``model.keras``, ``model.onnx``, beside the artifact): the function still
reads the artifact for the contract (feature names, checks, encoding, ``/health``), and the
framework computes standardisation, the weighted sum and the sigmoid in float32. A framework
is imported only by its own runtime, at init; this module imports the standard library only.
"""

from __future__ import annotations

from _errors import InitError
from _model import Model, load_model

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from _framework import FrameworkModel

MODEL_RUNTIMES = ("artifact", "litert", "tensorflow", "onnx")
DEFAULT_MODEL_RUNTIME = "artifact"
#: The export each framework runtime serves, as the artifact's suffix is replaced.
EXPORT_SUFFIX = {"litert": ".tflite", "tensorflow": ".keras", "onnx": ".onnx"}
#: What a framework runtime's package must hold (pyproject.toml's pins), for its error message.
FRAMEWORK_PACKAGES = {
    "litert": "ai-edge-litert and numpy",
    "tensorflow": "tensorflow (Keras 3)",
    "onnx": "onnxruntime and numpy",
}


def model_runtime(environ: Mapping[str, str]) -> str:
    """``MODEL_RUNTIME``, checked: one of MODEL_RUNTIMES, default ``artifact``."""
    runtime = environ.get("MODEL_RUNTIME") or DEFAULT_MODEL_RUNTIME
    if runtime not in MODEL_RUNTIMES:
        raise InitError(
            f"MODEL_RUNTIME is {runtime!r}; set it to one of "
            f"{', '.join(MODEL_RUNTIMES)} (default {DEFAULT_MODEL_RUNTIME})"
        )
    if runtime != DEFAULT_MODEL_RUNTIME and (
        environ.get("MODEL_BUCKET") or environ.get("MODEL_KEY")
    ):
        raise InitError(
            f"MODEL_RUNTIME={runtime} serves the export shipped in the package; "
            "the s3 strategy (MODEL_BUCKET, MODEL_KEY) is for the artifact runtime "
            "only: unset them or MODEL_RUNTIME"
        )
    return runtime


def runtime_header(runtime: str) -> str:
    """The ``x-runtime`` value (docs/api.md): ``python``, or ``python-<model runtime>``."""
    return "python" if runtime == DEFAULT_MODEL_RUNTIME else f"python-{runtime}"


def export_path(artifact_path: str, runtime: str) -> str:
    """The framework export beside the artifact: ``model.zip`` → ``model.tflite``."""
    stem = artifact_path.removesuffix(".zip")
    return stem + EXPORT_SUFFIX[runtime]


def load(runtime: str, artifact_path: str, expected_version: str | None) -> Model:
    """The model that scores requests under ``runtime``; InitError says what is wrong."""
    if runtime == DEFAULT_MODEL_RUNTIME:
        return load_model(artifact_path, expected_version)
    framework: type[FrameworkModel]
    try:
        if runtime == "litert":
            from _litert import LiteRTModel

            framework = LiteRTModel
        elif runtime == "onnx":
            from _onnx import OnnxModel

            framework = OnnxModel
        else:
            from _tensorflow import TensorFlowModel

            framework = TensorFlowModel
    except ImportError as exc:
        # Chained, so the log shows the import error itself, as AWS's runtime would.
        raise InitError(
            f"MODEL_RUNTIME={runtime} cannot import its framework ({exc}): the "
            f"function's package must hold {FRAMEWORK_PACKAGES[runtime]}; build "
            f"the package for the {runtime} runtime"
        ) from exc
    path = export_path(artifact_path, runtime)
    return load_model(
        artifact_path, expected_version, lambda doc, source: framework(doc, source, path)
    )
