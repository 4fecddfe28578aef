"""The Java function's JSON reader and writer (runtime/java/src/predictor/Json.java), driven
through the harness: a table of documents with the offsets of their errors, bounds on depth and
size, and differential tests against Python's json (the Python function's strict reading)."""

from __future__ import annotations

import json
import re
import struct
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ..support.runtimes import RUNTIMES, Functions, JavaHarness, body_of, error_code, event

pytestmark = pytest.mark.java

FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def java(functions: Functions, artifacts: dict[str, Path]) -> JavaHarness:
    harness = functions.get("java", artifacts["mixed"])
    assert isinstance(harness, JavaHarness)
    return harness


def python_strict(text: str) -> tuple[bool, Any]:
    """The Python function's reading: (accepted, value)."""
    contract = sys.modules["_http_api"]
    errors = sys.modules["_errors"]
    try:
        value = contract.parse_json(text)
    except errors.RequestError:
        return False, None
    return (not contract.depth_exceeds(value)), value


def java_parse(java: JavaHarness, text: str, **bounds: int) -> dict[str, Any]:
    answer = java.request({"op": "parse", "text": text, **bounds})
    if answer["ok"]:
        answer["value"] = from_java(answer["value"])
    return answer


def from_java(value: Any) -> Any:
    """Undo the harness's marker for non-finite doubles ({"$double": "Infinity"})."""
    if isinstance(value, dict):
        if set(value) == {"$double"}:
            return float(value["$double"])
        return {k: from_java(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_java(v) for v in value]
    return value


def same(a: Any, b: Any) -> bool:
    """Equal values, floats compared by their bits (so -0.0 differs from 0.0)."""
    if isinstance(a, float) and isinstance(b, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


# document -> offset of the error (where reading stopped)
ERRORS = {
    "": 0,
    "   ": 3,
    "{": 1,
    '{"a":}': 5,
    '{"a" 1}': 5,
    '{"a":1,}': 7,
    "{,}": 1,
    "{'a':1}": 1,
    "[1,]": 3,
    "[1 2]": 3,
    "[1,2": 4,
    "tru": 0,
    "nul": 0,
    "True": 0,
    "NaN": 0,
    "Infinity": 0,
    "-Infinity": 1,
    '"abc': 0,
    '"a\\x"': 3,
    '"a\\u12G4"': 2,
    '"a\\u0\u0661\u0662\u0663"': 2,
    '"a\u0001"': 2,
    "01": 1,
    "1.": 1,
    "1.e5": 1,
    "1e": 1,
    "1e+": 1,
    "-": 1,
    "+1": 0,
    ".5": 0,
    "0x10": 1,
    "1 2": 2,
    '{"a":1,"a":2}': 7,
    '{"a":1,"\\u0061":2}': 7,
    "\ufeff{}": 0,
    "[" * 65 + "]" * 65: 64,
    # Offsets count characters (code points), not UTF-16 units: U+1F600 is one character.
    '"\U0001f600\\x"': 3,
    '"\U0001f600\\u12G4"': 2,
    '{"\U0001f600":1,"\U0001f600":2}': 7,
}

# Errors after characters outside the BMP and lone surrogates, where Python's json stops at the
# same place: both functions must report the same offset (docs/api.md, invalid_json).
E = "\U0001f600"
SHARED_ERRORS = {
    f'["{E}"': 4,  # the error is at the very end
    f'["{E}{E}"': 5,
    f'"{E}"x': 3,
    f'"{E}{E}"  ]': 6,
    f'["{E}",{E}]': 5,
    f'{{"{E}":1,}}': 7,
    f'{{"{E}"{E}1}}': 4,
    f'"{E}\x01"': 2,
    E: 0,
    f"[{E}": 1,
    '"\ud800': 0,
    '["\ud800"': 4,
    "\ud800": 0,
    "[\udc00]": 1,
    f'"{E}\ud800"x': 4,
}


def python_offset(text: str) -> int:
    """The offset in the Python function's invalid_json message for ``text``."""
    contract = sys.modules["_http_api"]
    errors = sys.modules["_errors"]
    with pytest.raises(errors.RequestError) as refused:
        contract.parse_json(text)
    found = re.search(r"at offset (\d+)$", refused.value.message)
    assert found, refused.value.message
    return int(found.group(1))


@pytest.mark.parametrize(
    ("text", "offset"), list(ERRORS.items()), ids=[repr(t)[:30] for t in ERRORS]
)
def test_refused_documents_report_their_offset(java: JavaHarness, text: str, offset: int) -> None:
    answer = java_parse(java, text)
    assert answer["ok"] is False
    assert answer["offset"] == offset, answer["message"]
    assert answer["message"].endswith(f"at offset {offset}")
    assert python_strict(text)[0] is False


ACCEPTED = [
    "{}",
    "[]",
    "0",
    "-0",
    "1E5",
    "1e-5",
    "-1.25e+10",
    '"\\/\\b\\f\\n\\r\\t\\"\\\\"',
    '"\\ud83d\\ude00"',
    '"\\ud800"',
    '"\u00e9\u20ac\U0001f600"',
    " \t\n\r[ 1 , 2 ] \r\n",
    '{"a":{"b":[null,true,false]}}',
    "[" * 64 + "]" * 64,
    '"\u2028\u007f"',
    "1" + "0" * 400,
    "5e-324",
    "1e-400",
    "1e400",
    "123456789012345678901234567890",
]


@pytest.mark.parametrize("text", ACCEPTED, ids=[repr(t)[:30] for t in ACCEPTED])
def test_accepted_documents_read_as_python_reads_them(java: JavaHarness, text: str) -> None:
    answer = java_parse(java, text)
    assert answer["ok"] is True, answer
    accepted, expected = python_strict(text)
    assert accepted
    assert same(answer["value"], expected)


@pytest.mark.parametrize(
    ("text", "offset"), list(SHARED_ERRORS.items()), ids=[ascii(t)[:30] for t in SHARED_ERRORS]
)
def test_both_functions_count_the_offset_in_characters(
    java: JavaHarness, text: str, offset: int
) -> None:
    answer = java_parse(java, text)
    assert answer["ok"] is False
    assert answer["offset"] == offset, answer["message"]
    assert python_offset(text) == offset


BODY_ERRORS = {
    f'{{"instances":["{E}"': "at offset 17",
    f'{{"instances":["{E}\ud800"]}}': "(lone surrogate at 16)",
}


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize(("body", "tail"), list(BODY_ERRORS.items()), ids=["syntax", "surrogate"])
def test_invalid_json_messages_give_character_offsets(
    runtime: str, body: str, tail: str, functions: Functions, artifacts: dict[str, Path]
) -> None:
    response = functions.get(runtime, artifacts["mixed"]).invoke(event(body=body))
    assert error_code(response) == "invalid_json"
    assert body_of(response)["error"]["message"].endswith(tail)


def test_the_writer_refuses_non_finite_numbers(java: JavaHarness) -> None:
    for text in ("1e400", "-1e400", "NaN"):
        assert "refused" in java.request({"op": "write_number", "text": text})
    for text in ("0.1", "-0.0", "1e-5", "1.7976931348623157e308", "5e-324", "123456789.125"):
        written = java.request({"op": "write_number", "text": text})["json"]
        assert same(json.loads(written), float(text)), (text, written)


def test_depth_and_size_bounds_are_parameters(java: JavaHarness) -> None:
    assert java_parse(java, "[[[]]]", max_depth=3)["ok"] is True
    assert java_parse(java, "[[[[]]]]", max_depth=3)["offset"] == 3
    assert java_parse(java, '{"a":{"b":{}}}', max_depth=2)["offset"] == 10
    assert java_parse(java, "[1,2,3]", max_chars=7)["ok"] is True
    refused = java_parse(java, "[1,2,3] ", max_chars=7)
    assert refused["ok"] is False and "longer than 7" in refused["message"]
    # Seven UTF-16 units of '"' and three U+1F600 are four characters.
    refused = java_parse(java, f'"{E}{E}{E}{E}"', max_chars=7)
    assert refused["ok"] is False and refused["offset"] == 4


def test_deep_nesting_is_refused_without_a_stack_overflow(java: JavaHarness) -> None:
    # The 65th opening bracket is where reading stops.
    for text, offset in (("[" * 1_000_000, 64), ('{"a":' * 200_000, 64 * 5)):
        answer = java_parse(java, text)
        assert answer["ok"] is False and answer["offset"] == offset


json_documents = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=40,
)


@FUZZ
@given(value=json_documents, style=st.sampled_from(["compact", "ascii", "unicode", "indent"]))
def test_valid_documents_read_the_same_in_java_and_python(
    java: JavaHarness, value: Any, style: str
) -> None:
    text = {
        "compact": json.dumps(value, separators=(",", ":")),
        "ascii": json.dumps(value),
        "unicode": json.dumps(value, ensure_ascii=False),
        "indent": json.dumps(value, indent=2, ensure_ascii=False),
    }[style]
    accepted, expected = python_strict(text)
    answer = java_parse(java, text)
    assert answer["ok"] is accepted
    if accepted:
        assert same(answer["value"], expected)


BEYOND_BMP = re.compile("[\U00010000-\U0010ffff]")


def assert_offset_in_characters(java: JavaHarness, text: str, offset: int) -> None:
    """``offset`` (Java's, for refused ``text``) lies in the text and does not depend on whether
    its non-ASCII characters lie beyond the BMP: JSON treats them all alike, so replacing each
    by its own unused BMP character (distinct, so keys stay distinct) must leave the offset
    where it was."""
    assert 0 <= offset <= len(text), (text, offset)
    unused = (chr(c) for c in range(0xE000, 0xF900) if chr(c) not in text)  # private use
    stand_in = {c: next(unused) for c in sorted(set(BEYOND_BMP.findall(text)))}
    in_bmp = BEYOND_BMP.sub(lambda m: stand_in[m.group()], text)
    if in_bmp != text:
        assert java_parse(java, in_bmp)["offset"] == offset, text


@FUZZ
@given(
    value=json_documents,
    cut=st.integers(min_value=0, max_value=10**6),
    junk=st.sampled_from(["", "x", ",", "]", "}", '"', ":", " ", "\\", "\U0001f600"]),
)
@example(value=["\U0001f600\U0001f600"], cut=5, junk="")  # once offset 7 in a text of 5
@example(value={"": None, "\U00010001": None, "\U00010000": 0}, cut=28, junk="")  # distinct keys
def test_broken_documents_report_offsets_in_characters(
    java: JavaHarness, value: Any, cut: int, junk: str
) -> None:
    # A document with text beyond the BMP (st.text draws it often), cut short and followed by
    # junk, so the error comes after such characters.
    whole = json.dumps(value, ensure_ascii=False)
    text = whole[: cut % (len(whole) + 1)] + junk
    accepted, _ = python_strict(text)
    answer = java_parse(java, text)
    assert answer["ok"] is accepted, (text, answer)
    if not accepted:
        assert_offset_in_characters(java, text, answer["offset"])


number_texts = st.from_regex(r"\A-?(0|[1-9][0-9]{0,40})(\.[0-9]{1,40})?([eE][+-]?[0-9]{1,3})?\Z")


@FUZZ
@given(text=number_texts)
def test_numbers_parse_exactly_as_a_correctly_rounded_double(java: JavaHarness, text: str) -> None:
    answer = java_parse(java, f"[{text}]")
    expected = float(text)
    assert answer["ok"] is True
    assert same(answer["value"][0], expected), (text, answer["value"][0], expected)


@FUZZ
@given(
    text=st.text(alphabet='{}[]",:0123456789.eE-+ \n\\uatrfslne\u00e9\U0001f600', max_size=40)
    | st.text(max_size=40)
)
@example(text=f'["{E}{E}"')  # once reported offset 7, beyond the end (UTF-16 units)
def test_random_text_is_accepted_or_refused_as_python_does(java: JavaHarness, text: str) -> None:
    accepted, expected = python_strict(text)
    answer = java_parse(java, text)
    assert answer["ok"] is accepted, (text, answer)
    if accepted:
        assert same(answer["value"], expected)
    if not accepted:
        assert_offset_in_characters(java, text, answer["offset"])


@FUZZ
@given(text=st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0xFFFF), max_size=60))
def test_strings_are_written_as_python_writes_them(java: JavaHarness, text: str) -> None:
    # Python's default json.dumps: ASCII out, \uXXXX (lower-case hex) for the rest.
    assert java.request_raw({"op": "quote", "text": text}) == '{"value":' + json.dumps(text) + "}"
