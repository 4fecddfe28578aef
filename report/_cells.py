"""How the report writes a figure in its tables: milliseconds, numbers, and a stack's name with
the marks that say its data is not whole."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ._figures import StackFigures

__all__ = ["marks", "marks_of", "ms", "num"]


def ms(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}" if value >= 1 else f"{value:.3f}"


def num(value: float | None, fmt: str = "{:,.1f}") -> str:
    return "–" if value is None else fmt.format(value)


def marks(f: StackFigures, *, saturated: bool = False) -> str:
    """The stack's name as the tables show it: visibly marked when its data is not whole."""
    shown = [" ⚠" if saturated and f.generator_saturated else ""]
    if f.incomplete:
        shown.append(" (incomplete run)")
    if f.data_problems:
        shown.append(" (data missing)")
    return f.stack + "".join(shown)


def marks_of(figures: Sequence[StackFigures]) -> Callable[[str], str]:
    marked = {f.stack: marks(f) for f in figures}
    return lambda stack: marked.get(stack, stack)
