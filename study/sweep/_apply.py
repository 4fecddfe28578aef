"""``python -m study sweep --apply``: the chosen memory size written into the stack file's
``<project>:memory_mb`` line, the rest of the file untouched."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from contract import ExitCode

from ._stats import Choice

__all__ = ["apply_choice", "apply_memory"]

_MEMORY_LINE = re.compile(r"^(\s*[\w.-]+:memory_mb:\s*)(\S+)(.*)$")


def apply_memory(stack_file: Path, memory_mb: int) -> tuple[str, str] | None:
    """Write ``memory_mb`` into the stack file's ``<project>:memory_mb`` line (the rest of the
    file untouched); returns the line before and after, or None when it already says so."""
    lines = stack_file.read_text(encoding="utf-8").splitlines(keepends=True)
    for index, line in enumerate(lines):
        m = _MEMORY_LINE.match(line.rstrip("\n"))
        if m is None:
            continue
        if m[2] == str(memory_mb):
            return None
        new = f"{m[1]}{memory_mb}{m[3]}\n"
        old = lines[index]
        lines[index] = new
        tmp = stack_file.with_suffix(stack_file.suffix + ".tmp")
        tmp.write_text("".join(lines), encoding="utf-8")
        tmp.replace(stack_file)
        return old.rstrip("\n"), new.rstrip("\n")
    raise ValueError(
        f"{stack_file} has no memory_mb line to change: add "
        f"'<project>:memory_mb: {memory_mb}' under config: by hand"
    )


def apply_choice(root: Path, stack: str, choice: Choice) -> int:
    """``--apply``: the chosen size into ``Pulumi.<stack>.yaml``, the change printed; the exit
    status (2 when the file cannot be changed)."""
    if choice.memory_mb is None:
        print("--apply: nothing applied, no size was chosen", file=sys.stderr)
        return ExitCode.OK
    stack_file = root / f"Pulumi.{stack}.yaml"
    try:
        change = apply_memory(stack_file, choice.memory_mb)
    except (OSError, ValueError) as exc:
        print(f"error: --apply: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    if change is None:
        print(f"--apply: {stack_file.name} already has memory_mb {choice.memory_mb}")
    else:
        print(f"--apply: {stack_file.name}\n- {change[0].strip()}\n+ {change[1].strip()}")
    return ExitCode.OK
