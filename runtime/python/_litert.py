"""The ``litert`` model runtime: the artifact's ``.tflite`` export served with LiteRT
(the ``ai-edge-litert`` package) and numpy. Imported only when ``MODEL_RUNTIME=litert``."""

from __future__ import annotations

import numpy as np
from _errors import InitError
from _framework import FrameworkModel
from ai_edge_litert.interpreter import Interpreter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

INPUT_NAME = "features"
OUTPUT_NAME = "probability"


class LiteRTModel(FrameworkModel):
    runtime = "litert"

    def _load(self, path: str) -> None:
        try:
            # One thread: a Lambda instance serves one request at a time, and below 1,769 MB
            # it has less than one vCPU.
            interpreter = Interpreter(model_path=path, num_threads=1)
        except ValueError as exc:  # LiteRT's error for a missing or malformed file
            raise InitError(
                f"litert export at {path} cannot be loaded ({exc}): export the "
                "artifact (`python -m model export`) and ship the .tflite beside "
                "model.zip"
            ) from None
        signatures = interpreter.get_signature_list()
        if len(signatures) != 1:
            raise InitError(
                f"litert export at {path} has signatures {sorted(signatures)}; "
                "the export has exactly one"
            )
        ((name, io),) = signatures.items()
        self.check_export_version(name)
        if io.get("inputs") != [INPUT_NAME] or io.get("outputs") != [OUTPUT_NAME]:
            raise InitError(
                f"litert export at {path} has inputs {io.get('inputs')} and outputs "
                f"{io.get('outputs')}; expected [{INPUT_NAME!r}] and [{OUTPUT_NAME!r}]"
            )
        self._runner: Any = interpreter.get_signature_runner(name)
        # The first call allocates the tensors: done here, so init pays for it, not a request.
        self._probabilities([[0.0] * self.columns])

    def _probabilities(self, rows: list[list[float]]) -> list[float]:
        # Values beyond float32's range become ±inf, as the float32 model then computes them.
        with np.errstate(over="ignore"):
            features = np.asarray(rows, dtype=np.float32)
        out = self._runner(**{INPUT_NAME: features})[OUTPUT_NAME]
        return [float(p) for p in out.reshape(-1)]
