"""The model artifact (docs/model-artifact.md): read, check, and score instances.

Reading the zip by hand (zlib and byte offsets) instead of importing ``zipfile`` keeps init
short: ``zipfile`` pulls in a dozen modules, and init time is what this study measures.
"""

from __future__ import annotations

import json
import math
import zlib

from _errors import InitError, RequestError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

SCHEMA_VERSION = 1
MEMBER = "model.json"

# Fixed sizes of the zip records read here (APPNOTE.TXT 4.3.7, 4.3.12, 4.3.16).
_EOCD_SIZE = 22
_CENTRAL_SIZE = 46
_LOCAL_SIZE = 30
_ZIP64_MARK = 0xFFFFFFFF


def read_artifact(path: str) -> bytes:
    """The bytes of ``model.json`` inside the zip at ``path``; InitError names path and problem."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise InitError(
            f"model artifact not found at {path}: build it (`make model`) and set MODEL_PATH "
            "to its location, or ship it as model.zip beside the handler"
        ) from None
    except OSError as exc:
        raise InitError(f"model artifact at {path} cannot be read: {exc.strerror or exc}") from None
    try:
        return _unzip_single(data)
    except _ZipProblem as exc:
        raise InitError(f"model artifact at {path} is not a valid model zip: {exc}") from None


class _ZipProblem(Exception):
    pass


def _u16(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 2], "little")


def _u32(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 4], "little")


def _unzip_single(data: bytes) -> bytes:
    # The end-of-central-directory record sits in the last 22 + 65535 (comment) bytes.
    eocd_at = data.rfind(b"PK\x05\x06", max(0, len(data) - _EOCD_SIZE - 0xFFFF))
    if eocd_at < 0 or eocd_at + _EOCD_SIZE > len(data):
        raise _ZipProblem("no zip end-of-central-directory record (not a zip file, or truncated)")
    entries = _u16(data, eocd_at + 10)
    cd_size = _u32(data, eocd_at + 12)
    cd_offset = _u32(data, eocd_at + 16)
    if cd_offset == _ZIP64_MARK or cd_offset + cd_size > eocd_at:
        raise _ZipProblem("the central directory is out of bounds (truncated or zip64 file)")
    names: list[str] = []
    member: tuple[int, int, int, int, int, int] | None = None
    at = cd_offset
    for _ in range(entries):
        if at + _CENTRAL_SIZE > eocd_at or data[at : at + 4] != b"PK\x01\x02":
            raise _ZipProblem(f"bad central directory entry at byte {at}")
        name_len, extra_len, comment_len = (
            _u16(data, at + 28),
            _u16(data, at + 30),
            _u16(data, at + 32),
        )
        name = data[at + _CENTRAL_SIZE : at + _CENTRAL_SIZE + name_len].decode("utf-8", "replace")
        names.append(name)
        if name == MEMBER:
            # flags, method, crc-32, compressed size, uncompressed size, local header offset
            member = (
                _u16(data, at + 8),
                _u16(data, at + 10),
                _u32(data, at + 16),
                _u32(data, at + 20),
                _u32(data, at + 24),
                _u32(data, at + 42),
            )
        at += _CENTRAL_SIZE + name_len + extra_len + comment_len
    if names != [MEMBER]:
        raise _ZipProblem(f"expected exactly one member {MEMBER!r}, found {names!r}")
    assert member is not None
    flags, method, crc, csize, usize, local_at = member
    if flags & 1:
        raise _ZipProblem(f"{MEMBER} is encrypted")
    if local_at + _LOCAL_SIZE > len(data) or data[local_at : local_at + 4] != b"PK\x03\x04":
        raise _ZipProblem(f"bad local header for {MEMBER} at byte {local_at}")
    start = local_at + _LOCAL_SIZE + _u16(data, local_at + 26) + _u16(data, local_at + 28)
    raw = data[start : start + csize]
    if len(raw) != csize:
        raise _ZipProblem(f"{MEMBER} is truncated")
    if method == 8:
        try:
            content = zlib.decompress(raw, -15)
        except zlib.error as exc:
            raise _ZipProblem(f"{MEMBER} does not inflate: {exc}") from None
    elif method == 0:
        content = raw
    else:
        raise _ZipProblem(f"{MEMBER} uses compression method {method} (only stored or deflate)")
    if len(content) != usize or zlib.crc32(content) != crc:
        raise _ZipProblem(f"{MEMBER} fails its size or CRC-32 check (corrupt file)")
    return content


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed")


class _Numeric:
    __slots__ = ("log_offset", "mean", "name", "std", "weight")

    def __init__(
        self, name: str, log_offset: float | None, mean: float, std: float, weight: float
    ) -> None:
        self.name = name
        self.log_offset = log_offset
        self.mean = mean
        self.std = std
        self.weight = weight


class _Categorical:
    __slots__ = ("contribution", "name", "unknown_contribution", "vocabulary")

    def __init__(
        self,
        name: str,
        vocabulary: list[str],
        mean: list[float],
        std: list[float],
        weights: list[float],
    ) -> None:
        self.name = name
        self.vocabulary = vocabulary
        # The weighted sum of this input's columns depends only on which value was sent, so
        # it is computed once per value here, summing the columns in order (Java does the same,
        # which keeps the two runtimes bit-identical).
        self.contribution = {
            v: _one_hot_sum(k, mean, std, weights) for k, v in enumerate(vocabulary)
        }
        self.unknown_contribution = _one_hot_sum(-1, mean, std, weights)


def _one_hot_sum(hot: int, mean: list[float], std: list[float], weights: list[float]) -> float:
    s = 0.0
    for i in range(len(weights)):
        s += weights[i] * (((1.0 if i == hot else 0.0) - mean[i]) / std[i])
    return s


class Model:
    """A checked artifact, ready to score instances."""

    def __init__(self, doc: Any, source: str) -> None:
        def bad(problem: str) -> InitError:
            return InitError(f"model artifact at {source}: {problem}")

        if not isinstance(doc, dict):
            raise bad("model.json is not a JSON object")
        version = doc.get("schema_version")
        if type(version) is not int or version != SCHEMA_VERSION:
            raise bad(
                f"schema_version is {version!r}; this function reads schema version "
                f"{SCHEMA_VERSION} only (rebuild the artifact or update the function)"
            )
        self.model_version = _field(doc, "model_version", str, bad)
        self.subset = _field(doc, "subset", str, bad)
        inputs = _field(doc, "inputs", list, bad)
        columns = _field(doc, "columns", int, bad)
        weights = _floats(_field(doc, "weights", list, bad), "weights", bad)
        self.bias = _finite(doc.get("bias"), "bias", bad)
        self.threshold = _finite(doc.get("threshold"), "threshold", bad)
        if len(weights) != columns:
            raise bad(f"columns is {columns} but there are {len(weights)} weights")
        self.numeric: list[_Numeric] = []
        self.categorical: list[_Categorical] = []
        # (is_numeric, spec) in input order: the order values are checked and summed.
        self.inputs: list[tuple[bool, Any]] = []
        column = 0
        for i, spec in enumerate(inputs):
            where = f"inputs[{i}]"
            if not isinstance(spec, dict):
                raise bad(f"{where} is not an object")
            name = _field(spec, "name", str, bad, where)
            kind = spec.get("kind")
            if kind == "numeric":
                offset = spec.get("log_offset")
                log_offset = None if offset is None else _finite(offset, f"{where}.log_offset", bad)
                mean = _finite(spec.get("mean"), f"{where}.mean", bad)
                std = _finite(spec.get("std"), f"{where}.std", bad)
                if not std > 0.0:
                    raise bad(f"{where}.std must be > 0, got {std!r}")
                if column >= columns:
                    raise bad(f"the inputs expand to more than columns={columns} columns")
                num = _Numeric(name, log_offset, mean, std, weights[column])
                column += 1
                self.numeric.append(num)
                self.inputs.append((True, num))
            elif kind == "categorical":
                vocabulary = _field(spec, "vocabulary", list, bad, where)
                if not all(isinstance(v, str) for v in vocabulary) or not vocabulary:
                    raise bad(f"{where}.vocabulary must be a non-empty list of strings")
                if len(set(vocabulary)) != len(vocabulary):
                    raise bad(f"{where}.vocabulary has duplicate values")
                if spec.get("unknown") != "zeros":
                    raise bad(f"{where}.unknown is {spec.get('unknown')!r}; schema 1 knows 'zeros'")
                k = len(vocabulary)
                means = _floats(_field(spec, "mean", list, bad, where), f"{where}.mean", bad)
                stds = _floats(_field(spec, "std", list, bad, where), f"{where}.std", bad)
                if len(means) != k or len(stds) != k:
                    raise bad(f"{where}.mean and .std must have {k} entries (one per value)")
                if not all(s > 0.0 for s in stds):
                    raise bad(f"{where}.std must be > 0 everywhere")
                if column + k > columns:
                    raise bad(f"the inputs expand to more than columns={columns} columns")
                cat = _Categorical(name, vocabulary, means, stds, weights[column : column + k])
                column += k
                self.categorical.append(cat)
                self.inputs.append((False, cat))
            else:
                raise bad(f"{where}.kind is {kind!r}; schema 1 knows 'numeric' and 'categorical'")
        if column != columns:
            raise bad(f"the inputs expand to {column} columns but columns is {columns}")
        self.names = [spec.name for _, spec in self.inputs]
        if len(set(self.names)) != len(self.names):
            raise bad("two inputs have the same name")
        self._name_set = frozenset(self.names)

    def score(self, instances: list[Any]) -> list[dict[str, Any]]:
        """One ``{"probability", "anomaly"}`` per instance; RequestError for the first problem."""
        isfinite = math.isfinite
        log = math.log
        exp = math.exp
        inputs = self.inputs
        names = self._name_set
        bias = self.bias
        threshold = self.threshold
        out = []
        for i, inst in enumerate(instances):
            if type(inst) is not dict:
                raise RequestError(
                    400, "invalid_request", f"instances[{i}] is {_json_type(inst)}, not an object"
                )
            if inst.keys() != names:
                self._key_problem(i, inst)
            s = 0.0
            for is_numeric, spec in inputs:
                v = inst[spec.name]
                if is_numeric:
                    # JSON numbers arrive as floats (the body parser maps ints to float);
                    # booleans, strings, null and containers are refused here.
                    if type(v) is not float or not isfinite(v):
                        raise _bad_value(i, spec.name, v, "a finite number")
                    if spec.log_offset is not None:
                        t = v + spec.log_offset
                        if not t > 0.0:
                            raise RequestError(
                                400,
                                "invalid_value",
                                f"instances[{i}].{spec.name} is {v!r}; this feature is "
                                f"log-transformed and needs a value > {-spec.log_offset!r}",
                            )
                        v = log(t)
                    c = (v - spec.mean) / spec.std
                    if not isfinite(c):
                        raise RequestError(
                            400,
                            "invalid_value",
                            f"instances[{i}].{spec.name} is {inst[spec.name]!r}, "
                            "too large for the model to score",
                        )
                    s += spec.weight * c
                else:
                    if type(v) is not str:
                        raise _bad_value(i, spec.name, v, "a string")
                    s += spec.contribution.get(v, spec.unknown_contribution)
            z = s + bias
            if z >= 0.0:
                p = 1.0 / (1.0 + exp(-z))
            elif z < 0.0:
                e = exp(z)
                p = e / (1.0 + e)
            else:
                raise RequestError(
                    400,
                    "invalid_value",
                    f"instances[{i}] has values too large for the model to score",
                )
            out.append({"probability": p, "anomaly": p >= threshold})
        return out

    def _key_problem(self, i: int, inst: dict[str, Any]) -> None:
        for key in inst:
            if key not in self._name_set:
                raise RequestError(
                    400,
                    "unknown_feature",
                    f"instances[{i}] has unknown feature {key!r}; the model's "
                    f"features are {', '.join(self.names)}",
                )
        for name in self.names:
            if name not in inst:
                raise RequestError(
                    400,
                    "missing_feature",
                    f"instances[{i}] lacks feature {name!r}; the model's "
                    f"features are {', '.join(self.names)}",
                )


def _bad_value(i: int, name: str, value: Any, wanted: str) -> RequestError:
    shown = "not finite" if isinstance(value, float) else _json_type(value)
    return RequestError(
        400, "invalid_value", f"instances[{i}].{name} is {shown}; expected {wanted}"
    )


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _field(obj: dict[str, Any], key: str, kind: type, bad: Any, where: str = "") -> Any:
    value = obj.get(key)
    if type(value) is not kind:
        name = f"{where}.{key}" if where else key
        raise bad(f"{name} must be a {kind.__name__}, got {_json_type(value)}")
    return value


def _finite(value: Any, name: str, bad: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise bad(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _floats(values: list[Any], name: str, bad: Any) -> list[float]:
    return [_finite(v, f"{name}[{j}]", bad) for j, v in enumerate(values)]


def load_model(
    path: str, expected_version: str | None = None, make: Callable[[Any, str], Model] = Model
) -> Model:
    """Read, parse and check the artifact at ``path``; InitError says what is wrong.

    ``make(doc, source)`` builds the model from the parsed ``model.json`` (a framework runtime
    passes its subclass of Model)."""
    content = read_artifact(path)
    try:
        doc = json.loads(content.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InitError(f"model artifact at {path}: {MEMBER} is not valid JSON: {exc}") from None
    model = make(doc, path)
    if expected_version is not None and expected_version != model.model_version:
        raise InitError(
            f"model artifact at {path} has model_version {model.model_version!r} "
            f"but MODEL_VERSION is {expected_version!r}: deploy the matching artifact "
            "or update MODEL_VERSION"
        )
    return model
