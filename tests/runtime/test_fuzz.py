"""Hypothesis sends random bodies to both functions: never a 5xx, never a hang, and the same
status and error code from both (the error order of docs/api.md, exercised at random)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..support.runtimes import Functions, error_code, event, fixture_model

pytestmark = [pytest.mark.java, pytest.mark.slow]

FUZZ = settings(
    max_examples=250,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MODEL = fixture_model("model_mixed.json")
NAMES = [spec["name"] for spec in MODEL["inputs"]]
VOCABULARY = [
    w for spec in MODEL["inputs"] if spec["kind"] == "categorical" for w in spec["vocabulary"]
]


def answers_agree(functions: Functions, artifact: Path, evt: dict[str, Any]) -> None:
    python = functions.get("python", artifact).invoke(evt)
    java = functions.get("java", artifact).invoke(evt)
    assert python["statusCode"] < 500, python["body"]
    assert java["statusCode"] < 500, java["body"]
    assert (python["statusCode"], error_code(python)) == (java["statusCode"], error_code(java)), (
        python["body"][:300],
        java["body"][:300],
    )


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(VOCABULARY),
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from([*NAMES, "instances", "x", ""]) | st.text(max_size=5),
            children,
            max_size=5,
        )
    ),
    max_leaves=30,
)

number_literals = st.from_regex(
    r"\A-?(0|[1-9][0-9]{0,400})(\.[0-9]{1,30})?([eE][+-]?[0-9]{1,5})?\Z"
)
nearly_valid_values = st.one_of(
    number_literals.map(lambda s: ("raw", s)),
    st.sampled_from(
        [
            "NaN",
            "Infinity",
            "-Infinity",
            "true",
            "null",
            "[]",
            "{}",
            '"1"',
            "01",
            "1.",
            "-",
            "1e999",
            "-0",
            "5e-324",
        ]
    ).map(lambda s: ("raw", s)),
    st.text(max_size=3000).map(lambda s: ("value", s)),
    st.sampled_from(VOCABULARY).map(lambda s: ("value", s)),
)


@st.composite
def nearly_valid_bodies(draw: st.DrawFn) -> str:
    """Requests close to valid: right names mostly, values that stress the value rules."""
    instances = []
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        names = draw(
            st.lists(
                st.sampled_from([*NAMES, "extra", "Duration"]),
                unique=True,
                min_size=len(NAMES) - 1,
                max_size=len(NAMES) + 1,
            )
        )
        parts = []
        for name in names:
            kind, text = draw(nearly_valid_values)
            parts.append(f"{json.dumps(name)}:{text if kind == 'raw' else json.dumps(text)}")
        instances.append("{" + ",".join(parts) + "}")
    tail = draw(st.sampled_from(["", ',"signature_name":"s"', ',"signature_name":1', ',"x":[]']))
    return '{"instances":[' + ",".join(instances) + "]" + tail + "}"


@st.composite
def deep_bodies(draw: st.DrawFn) -> str:
    # Around the limit of 64 (counting the request's own levels) most of the time.
    depth = draw(st.integers(min_value=58, max_value=68) | st.integers(min_value=1, max_value=3000))
    opener = draw(st.sampled_from(["[", '{"k":']))
    closer = "]" if opener == "[" else "}"
    inner = opener * depth + "0" + closer * depth
    where = draw(st.sampled_from(["top", "value", "instances", "extra"]))
    if where == "top":
        return inner
    if where == "instances":
        return '{"instances":' + inner + "}"
    if where == "extra":
        return '{"instances":[],"x":' + inner + "}"
    instance = {name: 0 for name in NAMES} | {"service": "http", "protocol_type": "tcp"}
    return json.dumps({"instances": [instance]}).replace('"duration": 0', '"duration": ' + inner)


@FUZZ
@given(value=json_values)
def test_random_json(value: Any, functions: Functions, artifacts: dict[str, Path]) -> None:
    answers_agree(functions, artifacts["mixed"], event(body=json.dumps(value)))
    answers_agree(functions, artifacts["mixed"], event(body=json.dumps({"instances": [value]})))


@FUZZ
@given(body=nearly_valid_bodies())
def test_nearly_valid_requests(body: str, functions: Functions, artifacts: dict[str, Path]) -> None:
    answers_agree(functions, artifacts["mixed"], event(body=body))


@FUZZ
@given(data=st.binary(max_size=200))
def test_random_bytes_in_a_base64_body(
    data: bytes, functions: Functions, artifacts: dict[str, Path]
) -> None:
    encoded = base64.b64encode(data).decode("ascii")
    answers_agree(functions, artifacts["mixed"], event(body=encoded, base64=True))


@FUZZ
@given(text=st.text(alphabet=st.characters(codec="ascii"), max_size=16))
def test_random_text_marked_base64(
    text: str, functions: Functions, artifacts: dict[str, Path]
) -> None:
    answers_agree(functions, artifacts["mixed"], event(body=text, base64=True))


@FUZZ
@given(
    text=st.text(max_size=200) | st.text(alphabet='{}[]",:0123456789.eE-+ tnrufalse\\', max_size=60)
)
def test_random_text(text: str, functions: Functions, artifacts: dict[str, Path]) -> None:
    answers_agree(functions, artifacts["mixed"], event(body=text))


@settings(FUZZ, max_examples=80)
@given(body=deep_bodies())
def test_deep_nesting(body: str, functions: Functions, artifacts: dict[str, Path]) -> None:
    answers_agree(functions, artifacts["mixed"], event(body=body))


@settings(FUZZ, max_examples=30)
@given(
    size=st.integers(min_value=1, max_value=2_000_000),
    char=st.sampled_from(["a", "\u00e9", "\u20ac", "\U0001f600"]),
)
def test_long_strings(
    size: int, char: str, functions: Functions, artifacts: dict[str, Path]
) -> None:
    instance = {
        "duration": 0,
        "protocol_type": char * size,
        "service": "http",
        "src_bytes": 181,
        "count": 2,
    }
    answers_agree(functions, artifacts["mixed"], event(body=json.dumps({"instances": [instance]})))
