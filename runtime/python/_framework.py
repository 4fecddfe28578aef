"""What the framework runtimes (``_litert``, ``_tensorflow``, ``_onnx``) share: the request
checks, the encoding of an instance into the feature vector, and the answer. Standard library
only; each framework module supplies the float32 computation."""

from __future__ import annotations

import math

from _errors import InitError, RequestError
from _model import Model

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: The export names its LiteRT signature and its Keras model ``model_version_<version>``
#: (model/_export.py).
VERSION_PREFIX = "model_version_"


class FrameworkModel(Model):
    """The artifact's contract, with the probabilities computed by a framework's export."""

    #: ``litert``, ``tensorflow`` or ``onnx``, for messages.
    runtime = ""

    def __init__(self, doc: Any, source: str, export_path: str) -> None:
        super().__init__(doc, source)
        # Each categorical value's column, so encoding is one dict look-up per input.
        self._hot = [
            None if is_numeric else {v: k for k, v in enumerate(spec.vocabulary)}
            for is_numeric, spec in self.inputs
        ]
        self.columns = sum(
            1 if is_numeric else len(spec.vocabulary) for is_numeric, spec in self.inputs
        )
        self.export_path = export_path
        self._load(export_path)

    def _load(self, path: str) -> None:
        raise NotImplementedError

    def _probabilities(self, rows: list[list[float]]) -> list[float]:
        """One float32 probability (as a float) per feature vector."""
        raise NotImplementedError

    def check_export_version(self, name: str) -> None:
        """Refuse an export that does not carry this artifact's model_version."""
        found = name[len(VERSION_PREFIX) :] if name.startswith(VERSION_PREFIX) else None
        if found != self.model_version:
            raise InitError(
                f"{self.runtime} export at {self.export_path} is for model_version "
                f"{found or f'(unknown: {name!r})'} but the artifact beside it is "
                f"{self.model_version}: export the artifact again (`python -m model export`)"
            )

    def encode(self, instance: dict[str, Any]) -> list[float]:
        """The feature vector: each numeric input after its log, each categorical one-hot."""
        row: list[float] = []
        for (_numeric, spec), hot in zip(self.inputs, self._hot, strict=True):
            value = instance[spec.name]
            if hot is None:
                x = float(value)
                row.append(x if spec.log_offset is None else math.log(x + spec.log_offset))
            else:
                columns = [0.0] * len(spec.vocabulary)
                index = hot.get(value)
                if index is not None:
                    columns[index] = 1.0
                row.extend(columns)
        return row

    def score(self, instances: list[Any]) -> list[dict[str, Any]]:
        # The artifact runtime's checks, in double precision and the documented order, so that
        # every runtime refuses exactly the same requests with the same code; its probabilities
        # are not used.
        Model.score(self, instances)
        probabilities = self._probabilities([self.encode(inst) for inst in instances])
        threshold = self.threshold
        out = []
        for i, p in enumerate(probabilities):
            if not 0.0 <= p <= 1.0:  # NaN: a value beyond float32's range met a zero weight
                raise RequestError(
                    400,
                    "invalid_value",
                    f"instances[{i}] has values too large for the {self.runtime} "
                    "model to score in float32",
                )
            out.append({"probability": p, "anomaly": p >= threshold})
        return out
