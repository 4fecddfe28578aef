"""The ``onnx`` model runtime: the artifact's ``.onnx`` export served with ONNX Runtime (the
``onnxruntime`` package) and numpy. Imported only when ``MODEL_RUNTIME=onnx``."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
from _errors import InitError
from _framework import FrameworkModel
from onnxruntime.capi import onnxruntime_pybind11_state as _ort_errors

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

INPUT_NAME = "features"
OUTPUT_NAME = "probability"
#: What ONNX Runtime raises for a file it cannot read or a graph it cannot run.
_LOAD_ERRORS = (
    _ort_errors.Fail,
    _ort_errors.InvalidArgument,
    _ort_errors.InvalidGraph,
    _ort_errors.InvalidProtobuf,
    _ort_errors.NoSuchFile,
)


class OnnxModel(FrameworkModel):
    runtime = "onnx"

    def _load(self, path: str) -> None:
        options = ort.SessionOptions()
        # One thread for operators and one between them: a Lambda instance serves one request
        # at a time and has less than one vCPU below 1,769 MB, so a thread pool would only
        # contend; it also fixes the order of every float32 sum (docs/model-artifact.md).
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        try:
            session = ort.InferenceSession(
                path, sess_options=options, providers=["CPUExecutionProvider"]
            )
        except _LOAD_ERRORS as exc:
            raise InitError(
                f"onnx export at {path} cannot be loaded ({exc}): export the "
                "artifact (`python -m model export`) and ship the .onnx beside "
                "model.zip"
            ) from None
        self.check_export_version(str(session.get_modelmeta().graph_name))
        inputs = [(i.name, list(i.shape)) for i in session.get_inputs()]
        outputs = [o.name for o in session.get_outputs()]
        if [name for name, _ in inputs] != [INPUT_NAME] or outputs != [OUTPUT_NAME]:
            raise InitError(
                f"onnx export at {path} has inputs {[n for n, _ in inputs]} and "
                f"outputs {outputs}; expected [{INPUT_NAME!r}] and "
                f"[{OUTPUT_NAME!r}]"
            )
        if inputs[0][1][1:] != [self.columns]:
            raise InitError(
                f"onnx export at {path} takes inputs of shape {inputs[0][1]}; the "
                f"artifact has {self.columns} columns"
            )
        self._session: Any = session
        # The first run sizes the buffers: done here, so init pays for it, not a request.
        self._probabilities([[0.0] * self.columns])

    def _probabilities(self, rows: list[list[float]]) -> list[float]:
        # Values beyond float32's range become ±inf, as the float32 model then computes them.
        with np.errstate(over="ignore"):
            features = np.asarray(rows, dtype=np.float32)
        (out,) = self._session.run([OUTPUT_NAME], {INPUT_NAME: features})
        return [float(p) for p in out.reshape(-1)]
