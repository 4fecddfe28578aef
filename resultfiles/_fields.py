"""Strict field access for the typed writers' ``from_json``: a wrong or missing key is one line.

The readers in ``_facts`` are tolerant (a report of a damaged folder still shows what it can);
the writers' ``from_json`` reads back what a writer wrote, exactly, or says which key is wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from ._errors import ResultsError

__all__ = [
    "JsonObject",
    "absent_or",
    "as_object",
    "need",
    "numbers",
    "object_at",
    "optional_float",
    "optional_int",
    "optional_object",
    "optional_str",
    "req_bool",
    "req_float",
    "req_int",
    "req_str",
    "str_map",
    "strs",
]

#: A JSON object as read (the free-form parts of a result file: a plan, a target, ...).
JsonObject = Mapping[str, object]

_T = TypeVar("_T")


def _wrong(where: str, key: str, what: str) -> ResultsError:
    return ResultsError(
        f"{where}: {key!r} is not {what}; the file was not written by this "
        "version's writer (rewrite it, or read it with read_run_info/read_summary)"
    )


def need(data: JsonObject, key: str, where: str) -> object:
    """``data[key]``; a missing key raises ResultsError naming it."""
    if key not in data:
        raise ResultsError(
            f"{where}: {key!r} is missing; the file was not written by this "
            "version's writer (rewrite it, or read it with "
            "read_run_info/read_summary)"
        )
    return data[key]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def req_int(data: JsonObject, key: str, where: str) -> int:
    value = need(data, key, where)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong(where, key, "an integer")
    return value


def optional_int(data: JsonObject, key: str, where: str) -> int | None:
    value = need(data, key, where)
    return None if value is None else req_int(data, key, where)


def req_float(data: JsonObject, key: str, where: str) -> float:
    """A number, returned as written (an int stays an int, so that it is rewritten as one)."""
    value = need(data, key, where)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong(where, key, "a number")
    return value


def optional_float(data: JsonObject, key: str, where: str) -> float | None:
    value = need(data, key, where)
    return None if value is None else req_float(data, key, where)


def req_str(data: JsonObject, key: str, where: str) -> str:
    value = need(data, key, where)
    if not isinstance(value, str):
        raise _wrong(where, key, "a string")
    return value


def optional_str(data: JsonObject, key: str, where: str) -> str | None:
    value = need(data, key, where)
    return None if value is None else req_str(data, key, where)


def req_bool(data: JsonObject, key: str, where: str) -> bool:
    value = need(data, key, where)
    if not isinstance(value, bool):
        raise _wrong(where, key, "true or false")
    return value


def as_object(value: object, where: str, key: str) -> JsonObject:
    if not isinstance(value, dict):
        raise _wrong(where, key, "a JSON object")
    return value


def object_at(data: JsonObject, key: str, where: str) -> JsonObject:
    return as_object(need(data, key, where), where, key)


def optional_object(data: JsonObject, key: str, where: str) -> JsonObject | None:
    value = need(data, key, where)
    return None if value is None else as_object(value, where, key)


def _list(data: JsonObject, key: str, where: str) -> list[object]:
    value = need(data, key, where)
    if not isinstance(value, list):
        raise _wrong(where, key, "a list")
    return value


def _typed(items: list[object], kind: type[_T], where: str, key: str, what: str) -> tuple[_T, ...]:
    out: list[_T] = []
    for item in items:
        if not isinstance(item, kind) or isinstance(item, bool) and kind is not bool:
            raise _wrong(where, key, what)
        out.append(item)
    return tuple(out)


def strs(data: JsonObject, key: str, where: str) -> tuple[str, ...]:
    return _typed(_list(data, key, where), str, where, key, "a list of strings")


def numbers(data: JsonObject, key: str, where: str) -> tuple[float, ...]:
    """A list of numbers, each as written (an int stays an int)."""
    out: list[float] = []
    for item in _list(data, key, where):
        if isinstance(item, bool) or not isinstance(item, int | float):
            raise _wrong(where, key, "a list of numbers")
        out.append(item)
    return tuple(out)


def absent_or(
    data: JsonObject, key: str, where: str, read: Callable[[JsonObject, str, str], _T]
) -> _T | None:
    """A key a writer leaves out when it has nothing to state: None when absent."""
    return read(data, key, where) if key in data else None


def str_map(data: JsonObject, key: str, where: str) -> dict[str, str]:
    """An object whose values are all strings (the credentials, a folder's distributions)."""
    found = object_at(data, key, where)
    if not all(isinstance(v, str) for v in found.values()):
        raise _wrong(where, key, "an object of strings")
    return {k: str(v) for k, v in found.items()}
