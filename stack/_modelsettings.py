"""What is particular to a model stack: which model runtime goes with which language, runtime,
model strategy and mitigation, and the S3 key its artifact is uploaded under."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contract import MODEL_FILE, MODEL_RUNTIMES
from stack._limits import FRAMEWORK_RUNTIMES
from stack._schema import setting_key


def model_key(model_version: str) -> str:
    """The S3 key of the artifact: versioned, so a new model never overwrites a served one."""
    return f"models/{model_version}/{MODEL_FILE}"


def model_runtime_problems(values: Mapping[str, Any]) -> list[str]:
    """What a framework model runtime cannot be combined with."""
    model_runtime = values.get("model_runtime")
    if model_runtime not in MODEL_RUNTIMES or model_runtime == "artifact":
        return []
    key = setting_key("model_runtime")
    problems = []
    if values.get("language") == "java":
        problems.append(
            f"{key} is {model_runtime!r} but the Java function serves the artifact only (the Java "
            "TensorFlow bindings are not obtainable here); use language: python or "
            "model_runtime: artifact"
        )
        return problems
    runtime = values.get("runtime")
    if runtime and runtime not in FRAMEWORK_RUNTIMES:
        problems.append(
            f"{key} is {model_runtime!r}, which needs an Amazon Linux 2023 runtime with the "
            f"framework's wheels; {setting_key('runtime')} is {runtime!r}: use one of "
            f"{', '.join(FRAMEWORK_RUNTIMES)}"
        )
    strategy = values.get("model_strategy")
    if strategy == "s3":
        problems.append(
            f"{key} is {model_runtime!r}, which serves the export shipped in the package; "
            f"{setting_key('model_strategy')} s3 is for the artifact runtime only: use bundled"
            + (" or layer" if model_runtime != "tensorflow" else "")
        )
    if model_runtime == "tensorflow":
        # TensorFlow is beyond the 250 MB zip limit, so this runtime ships as a container image,
        # and Lambda gives an image function neither layers nor SnapStart.
        if strategy == "layer":
            problems.append(
                f"{key} 'tensorflow' is deployed as a container image, which cannot use layers; "
                f"set {setting_key('model_strategy')} to bundled"
            )
        if values.get("cold_start_mitigation") == "snapstart":
            problems.append(
                f"{key} 'tensorflow' is deployed as a container image, which SnapStart does not "
                "support; choose another cold_start_mitigation (none, ping, provisioned)"
            )
    return problems
