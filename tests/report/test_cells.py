"""How the report writes a figure in a table cell: as many digits as the figure can carry."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

from report._cells import marks, marks_of, ms, num
from report._figures import StackFigures


def test_milliseconds_keep_the_digits_their_size_can_carry() -> None:
    assert ms(None) == "–"
    assert ms(1234.56) == "1,235"
    assert ms(100.0) == "100"
    assert ms(12.34) == "12.3"
    assert ms(12.34, digits=2) == "12.34"
    assert ms(0.1234) == "0.123"


def test_a_missing_number_is_a_dash_and_a_present_one_follows_its_format() -> None:
    assert num(None) == "–"
    assert num(1234.56) == "1,234.6"
    assert num(3, "{}") == "3"


def _figures(stack: str, **given: object) -> StackFigures:
    fields: dict[str, object] = {
        "generator_saturated": False,
        "incomplete": [],
        "data_problems": [],
    }
    fields.update(given)
    return cast(StackFigures, SimpleNamespace(stack=stack, **fields))


def test_a_stack_whose_data_is_not_whole_is_marked_by_name() -> None:
    whole = _figures("python-512")
    short = _figures(
        "java-512",
        generator_saturated=True,
        incomplete=["scenario2 (SIGINT)"],
        data_problems=["requests.jsonl: torn last line"],
    )
    assert marks(whole) == "python-512"
    assert marks(short) == "java-512 (incomplete run) (data missing)"
    # the saturated generator's mark is shown only where the table asks for it
    assert marks(short, saturated=True) == "java-512 ⚠ (incomplete run) (data missing)"
    named = marks_of([whole, short])
    assert named("java-512") == "java-512 (incomplete run) (data missing)"
    assert named("python-tf-256") == "python-tf-256"
