"""The artifact's model for frameworks: a ``.tflite`` file (LiteRT), a ``.keras`` file
(TensorFlow) and a ``.onnx`` file (ONNX Runtime), all built from the artifact's stored
parameters alone (docs/model-artifact.md).

All compute, in float32, on the feature vector the function encodes from a request (a
numeric input after its log, a categorical input one-hot):

    probability = sigmoid(((features - mean) / std) @ weights + bias)

so they are exactly the model ``model.json`` describes, whatever produced it. The graph names
its one signature (LiteRT), the Keras model and the ONNX graph ``model_version_<model_version>``:
a runtime reads it back and refuses an export that does not belong to the artifact beside it.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from contract import EXPORT_SUFFIXES
from model._errors import ArtifactError

#: The prefix of the LiteRT signature key and of the Keras model's name.
VERSION_PREFIX = "model_version_"
#: The feature vector's input name in both exports.
INPUT_NAME = "features"
#: The output name (the Keras layer, the LiteRT signature output).
OUTPUT_NAME = "probability"
#: What ``date_saved`` in a ``.keras`` file's metadata.json is replaced by (see ``keras_bytes``).
FIXED_DATE_SAVED = "1980-01-01@00:00:00"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: Keras' epsilon, the floor of Normalization's divisor, and the artifact's smallest std.
_EPSILON = 1e-7
#: The ONNX file's format and operator set, fixed rather than the installed onnx package's
#: newest, so that its bytes depend on the artifact alone: IR version 7 with opset 13 (ONNX
#: 1.8) holds every operator used here and loads in every onnxruntime since 1.6.
ONNX_IR_VERSION = 7
ONNX_OPSET = 13
#: Who wrote the ONNX file (its ``producer_name``); no version, which would change the bytes.
ONNX_PRODUCER = "lambda-model-study"


def export_paths(artifact: str | Path) -> dict[str, Path]:
    """Where the exports of the artifact at ``artifact`` go: beside it, same stem."""
    path = Path(artifact)
    return {runtime: path.with_suffix(suffix) for runtime, suffix in EXPORT_SUFFIXES.items()}


def parameters(model: Mapping[str, Any]) -> tuple[list[float], list[float], list[float]]:
    """(means, stds, weights), one per column in column order, as ``model.json`` stores them."""
    means: list[float] = []
    stds: list[float] = []
    for spec in model["inputs"]:
        if spec["kind"] == "numeric":
            means.append(float(spec["mean"]))
            stds.append(float(spec["std"]))
        else:
            means.extend(float(m) for m in spec["mean"])
            stds.extend(float(s) for s in spec["std"])
    weights = [float(w) for w in model["weights"]]
    if not len(means) == len(stds) == len(weights) == model["columns"]:
        raise ArtifactError(
            f"model.json: the inputs give {len(means)} columns but there are {len(weights)} "
            f"weights and columns is {model['columns']}; rebuild the artifact"
        )
    return means, stds, weights


def signature_name(model: Mapping[str, Any]) -> str:
    return VERSION_PREFIX + str(model["model_version"])


def _tensorflow() -> Any:
    # Level 3 silences TensorFlow's C++ start-up chatter; plain Eigen kernels (oneDNN off) give
    # the same float bits on more CPUs.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import tensorflow as tf

    # One thread, as training asks: whichever of the two starts TensorFlow in a process fixes
    # it (the setters refuse once it runs), and training's reproducibility depends on it.
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass
    return tf


def _float32_parameters(model: Mapping[str, Any]) -> tuple[Any, Any, Any, Any]:
    """(mean, std, weights as a column, bias) as float32 arrays; ArtifactError if they do not
    fit."""
    import numpy as np

    means, stds, weights = parameters(model)
    with np.errstate(over="ignore"):
        mean32 = np.asarray(means, dtype="float32")
        std32 = np.asarray(stds, dtype="float32")
        weights32 = np.asarray(weights, dtype="float32").reshape(len(weights), 1)
        bias32 = np.asarray([model["bias"]], dtype="float32")
        variance32 = std32 * std32
    finite = all(np.isfinite(a).all() for a in (mean32, weights32, bias32, variance32))
    if not finite or not (std32 >= np.float32(_EPSILON)).all():
        # Another model than the artifact's would be exported: refuse rather than differ.
        raise ArtifactError(
            "model.json: a parameter does not fit the float32 model of the exports (a mean, "
            "weight or bias beyond ±3.4e38, or a std below 1e-7 or above 1.8e19); this "
            "artifact can be served by the artifact runtime only"
        )
    return mean32, std32, weights32, bias32


def keras_model(model: Mapping[str, Any]) -> Any:
    """The Keras model of ``model``: Normalization (mean, std²) then Dense(1, sigmoid)."""
    _tensorflow()  # the environment before Keras loads TensorFlow
    import keras

    mean32, std32, weights32, bias32 = _float32_parameters(model)
    columns = int(weights32.shape[0])
    # Normalization divides by max(sqrt(variance), epsilon): the square root of a float32
    # square (rounded to nearest) is that float32 exactly, so for a std from epsilon up the
    # divisor is std as float32, bit for bit (_float32_parameters checks the range).
    variance32 = std32 * std32
    features = keras.Input(shape=(columns,), dtype="float32", name=INPUT_NAME)
    standardised = keras.layers.Normalization(mean=mean32, variance=variance32, name="standardise")(
        features
    )
    dense = keras.layers.Dense(1, activation="sigmoid", name=OUTPUT_NAME)
    probability = dense(standardised)
    built = keras.Model(features, probability, name=signature_name(model))
    dense.set_weights([weights32, bias32])
    return built


def keras_bytes(model: Mapping[str, Any]) -> bytes:
    """The ``.keras`` file of ``model``, with fixed zip timestamps and ``date_saved``.

    Keras stamps each save with the wall clock (the zip entries and metadata.json's
    ``date_saved``) and the process (``shared_object_id`` in config.json); all are fixed here,
    so the same artifact gives the same bytes (with the same Keras and h5py versions: their
    versions are part of the files).
    """
    built = keras_model(model)
    with tempfile.TemporaryDirectory(prefix="keras-export-") as tmp:
        saved = Path(tmp) / "model.keras"
        with warnings.catch_warnings():
            # Keras 3.15 reads its variables through numpy's pre-2.0 __array__ protocol.
            warnings.simplefilter("ignore", DeprecationWarning)
            built.save(saved)
        with zipfile.ZipFile(saved) as archive:
            members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            if name == "metadata.json":
                metadata = json.loads(data)
                metadata["date_saved"] = FIXED_DATE_SAVED
                data = json.dumps(metadata).encode("utf-8")
            elif name == "config.json":
                data = json.dumps(_renumber_shared_objects(json.loads(data))).encode("utf-8")
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_STORED  # as Keras writes it
            info.external_attr = 0o100644 << 16
            info.create_system = 3
            archive.writestr(info, data)
    return buffer.getvalue()


def _renumber_shared_objects(config: Any) -> Any:
    """``config`` with each ``shared_object_id`` (Keras writes the Python ``id()`` of the
    object, different in every process) replaced by its rank of first appearance: the same
    objects stay linked, and the bytes no longer depend on the process."""
    ranks: dict[Any, int] = {}

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "shared_object_id":
                    value = ranks.setdefault(value, len(ranks) + 1)
                out[key] = walk(value)
            return out
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(config)


def tflite_bytes(model: Mapping[str, Any]) -> bytes:
    """The LiteRT flatbuffer of ``model``: one float32 signature named after its version.

    The same arithmetic as the Keras model, written with the parameters as graph constants:
    converting the Keras model itself would keep its weights as resource variables, which a
    LiteRT signature runner does not initialise.
    """
    tf = _tensorflow()
    mean32, std32, weights32, bias32 = _float32_parameters(model)
    columns = int(weights32.shape[0])
    mean = tf.constant(mean32)
    std = tf.constant(std32)
    weights = tf.constant(weights32)
    bias = tf.constant(bias32)

    # TensorFlow is untyped here (no stubs installed): its decorator hides serve's types.
    @tf.function(  # type: ignore[untyped-decorator]
        input_signature=[tf.TensorSpec([None, columns], tf.float32, name=INPUT_NAME)]
    )
    def serve(features: Any) -> dict[str, Any]:
        return {OUTPUT_NAME: tf.sigmoid(tf.matmul((features - mean) / std, weights) + bias)}

    name = signature_name(model)
    holder = tf.Module()
    with tempfile.TemporaryDirectory(prefix="tflite-export-") as tmp:
        # Through a SavedModel because only that path lets the signature key be named.
        tf.saved_model.save(holder, tmp, signatures={name: serve})
        converter = tf.lite.TFLiteConverter.from_saved_model(tmp, signature_keys=[name])
        data: bytes = converter.convert()
    return data


def onnx_bytes(model: Mapping[str, Any]) -> bytes:
    """The ONNX model of ``model``: ``Sub``, ``Div``, ``MatMul``, ``Add``, ``Sigmoid`` on the
    float32 parameters stored as initializers, the graph named after its version.

    Written with ``onnx``'s helpers (no converter, no TensorFlow) at a fixed IR version and
    opset and without the writer's version, so the bytes are a function of the artifact alone.
    The metadata repeats the model version and the decision threshold (``anomaly`` is
    ``probability >= threshold``) for a reader of the file alone; the function takes both
    from ``model.json``.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    mean32, std32, weights32, bias32 = _float32_parameters(model)
    columns = int(weights32.shape[0])
    initializers = [
        numpy_helper.from_array(mean32, "mean"),
        numpy_helper.from_array(std32, "std"),
        numpy_helper.from_array(weights32, "weights"),
        numpy_helper.from_array(bias32, "bias"),
    ]
    nodes = [
        helper.make_node("Sub", [INPUT_NAME, "mean"], ["centred"], name="centre"),
        helper.make_node("Div", ["centred", "std"], ["standardised"], name="standardise"),
        helper.make_node("MatMul", ["standardised", "weights"], ["weighted"], name="weigh"),
        helper.make_node("Add", ["weighted", "bias"], ["logit"], name="add_bias"),
        helper.make_node("Sigmoid", ["logit"], [OUTPUT_NAME], name="sigmoid"),
    ]
    graph = helper.make_graph(
        nodes,
        signature_name(model),
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["n", columns])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["n", 1])],
        initializers,
        doc_string="probability = sigmoid(((features - mean) / std) @ weights + bias)",
    )
    built = helper.make_model(
        graph,
        ir_version=ONNX_IR_VERSION,
        opset_imports=[helper.make_opsetid("", ONNX_OPSET)],
        producer_name=ONNX_PRODUCER,
    )
    helper.set_model_props(
        built,
        {
            "model_version": str(model["model_version"]),
            "threshold": repr(float(model["threshold"])),
        },
    )
    onnx.checker.check_model(built, full_check=True)
    data: bytes = built.SerializeToString(deterministic=True)
    return data


def write_exports(artifact: str | Path, model: Mapping[str, Any]) -> dict[str, Path]:
    """Write the exports of ``model`` (the content of the artifact at ``artifact``) beside it."""
    paths = export_paths(artifact)
    contents = {
        "litert": tflite_bytes(model),
        "tensorflow": keras_bytes(model),
        "onnx": onnx_bytes(model),
    }
    for runtime, path in paths.items():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(contents[runtime])
        except OSError as exc:
            raise ArtifactError(
                f"{path}: cannot write the {runtime} export: {exc.strerror or exc}"
            ) from exc
    return paths
