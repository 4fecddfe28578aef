"""summary.json's ``scenario1`` written typed: byte-identical rewrites, write -> read -> equal,
a damaged key named in one line, and the report's tolerant reader agreeing."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from resultfiles import (
    SUMMARY,
    EvictionBracket,
    ResultsError,
    Scenario1Facts,
    Scenario1Figures,
)

WRITTEN = Path(__file__).resolve().parent / "written"
#: scenario1 as the driver wrote it (with a bisection) and as a run folder holds it (without)
CASES = {
    "bisected": WRITTEN / "idle-probes" / "scenario1.json",
    "run": WRITTEN / "scenario1" / SUMMARY,
}


def _scenario1(case: str) -> dict[str, object]:
    data = json.loads(CASES[case].read_text(encoding="utf-8"))
    found: dict[str, object] = data if case == "bisected" else data["scenario1"]
    return found


@pytest.mark.parametrize("case", sorted(CASES))
def test_scenario1_reads_and_rewrites_identically(case: str) -> None:
    data = _scenario1(case)
    figures = Scenario1Figures.from_json(data)
    assert json.dumps(figures.to_json(), sort_keys=True) == json.dumps(data, sort_keys=True)
    assert Scenario1Figures.from_json(figures.to_json()) == figures


def test_the_tolerant_reader_agrees_with_the_writer() -> None:
    figures = Scenario1Figures.from_json(_scenario1("bisected"))
    facts = Scenario1Facts.from_json(figures.to_json())
    assert [g.outcome for g in facts.gaps] == [g.outcome for g in figures.gaps]
    assert [g.idle_plan_s for g in facts.gaps] == [g.idle_plan_s for g in figures.gaps]
    assert figures.bracket is not None and figures.bisected is not None
    assert (facts.bracket.kept_s, facts.bracket.evicted_s) == (
        figures.bracket.kept_s,
        figures.bracket.evicted_s,
    )
    assert facts.bisected is not None and facts.bisected.probes == figures.bisected.probes


def test_a_run_stopped_before_its_bracket_states_null() -> None:
    assert Scenario1Figures().to_json() == {"gaps": [], "bracket": None, "bisected": None}
    bracket = EvictionBracket(kept_s=None, evicted_s=2, consistent=True)
    assert Scenario1Figures(bracket=bracket).to_json()["bracket"] == {
        "kept_s": None,
        "evicted_s": 2,
        "consistent": True,
    }


@pytest.mark.parametrize(
    ("where", "key", "value", "message"),
    [
        ((), "gaps", {}, "summary.json scenario1: 'gaps' is not a list"),
        (("gaps", 0), "outcome", None, "summary.json scenario1 gaps: 'outcome' is not a string"),
        (
            ("gaps", 1),
            "cold_start",
            "yes",
            "summary.json scenario1 gaps: 'cold_start' is not true or false",
        ),
        (
            ("bracket",),
            "consistent",
            None,
            "summary.json scenario1 bracket: 'consistent' is not true or false",
        ),
        (
            ("bisected",),
            "probes",
            1.5,
            "summary.json scenario1 bisected: 'probes' is not an integer",
        ),
    ],
)
def test_a_damaged_key_is_named_in_one_line(
    where: tuple[str | int, ...], key: str, value: object, message: str
) -> None:
    data: object = copy.deepcopy(_scenario1("bisected"))
    inner = data
    for step in where:
        inner = inner[step]  # type: ignore[index]
    inner[key] = value  # type: ignore[index]
    with pytest.raises(ResultsError) as caught:
        Scenario1Figures.from_json(data)  # type: ignore[arg-type]
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_a_missing_key_is_named() -> None:
    data = _scenario1("bisected")
    del data["bisected"]
    with pytest.raises(ResultsError, match="summary.json scenario1: 'bisected' is missing"):
        Scenario1Figures.from_json(data)
