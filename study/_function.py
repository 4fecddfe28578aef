"""``python -m study --function DIR --memory 256,512,1024``: a team's own function, studied.

The function's stack file (``Pulumi.<name>.yaml``, kind ``function``) is written from the
directory once, in the project directory, and used as it is after that (the user keeps and
edits it; ``--write-stack`` writes it and stops). Each memory size is the stack's variant
``<name>@<MB>`` (hosted as ``<name>-at-<MB>``); the study hosts them all and runs both
scenarios on each, as it does for the study's own stacks. Every problem with the function's
files is found before anything starts (``stack._function``), one line each.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from contract import FUNCTION_RUNTIMES
from stack import (
    PackageError,
    SettingsError,
    build_function_package,
    function_stack_text,
    guess_handler,
    host_dependencies,
    load_stack_file,
    project_root,
    read_sam_function,
)

__all__ = ["FunctionStudyError", "add_function_options", "function_stacks"]

DEFAULT_MEMORY = "256,512,1024"
_NAME = re.compile(r"[^A-Za-z0-9_-]+")


class FunctionStudyError(RuntimeError):
    """The function cannot be studied as given; the message says what to change."""


def add_function_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group('your own function (README, "Study your own function")')
    group.add_argument(
        "--function",
        type=Path,
        default=None,
        metavar="DIR",
        help="study this function (a directory with your handler, its "
        "requirements.txt and requests.json, or a SAM template.yaml) instead of "
        "the study's stacks",
    )
    group.add_argument(
        "--sam-function",
        default=None,
        metavar="LOGICAL_ID",
        help="with a SAM template: the AWS::Serverless::Function to study (default: its only one)",
    )
    group.add_argument(
        "--memory",
        default=DEFAULT_MEMORY,
        metavar="LIST",
        help=f"memory sizes in MB to study it at (default {DEFAULT_MEMORY})",
    )
    group.add_argument(
        "--name", default=None, help="its stack name (default: the directory's name)"
    )
    group.add_argument(
        "--handler",
        default=None,
        help="module.function (default: the first of app.lambda_handler, "
        "app.handler, lambda_function.lambda_handler, ... it defines)",
    )
    runtimes = ", ".join((*FUNCTION_RUNTIMES["python"], *FUNCTION_RUNTIMES["java"]))
    group.add_argument(
        "--runtime",
        default=None,
        help=f"Lambda runtime, one of {runtimes} (default python3.12; java21 for "
        "a .jar, whose --handler is pkg.Class::method)",
    )
    group.add_argument(
        "--requests",
        default=None,
        metavar="FILE",
        help="the request file (default: DIR/requests.json or .jsonl)",
    )
    group.add_argument(
        "--routes",
        default=None,
        help="route keys, comma-separated (default $default: every request)",
    )
    group.add_argument(
        "--expect-field",
        default=None,
        metavar="NAME",
        help="a JSON field every correct answer holds (default: any 2xx)",
    )
    group.add_argument(
        "--project",
        type=Path,
        default=None,
        metavar="DIR",
        help="where Pulumi.<name>.yaml and build/ go (default: this project)",
    )
    group.add_argument(
        "--write-stack",
        action="store_true",
        help="write Pulumi.<name>.yaml (to keep and edit) and stop; an existing "
        "one is left as it is",
    )


def _memory_sizes(text: str) -> list[int]:
    sizes = []
    for part in text.split(","):
        if not part.strip():
            continue
        if not part.strip().isdigit():
            raise FunctionStudyError(
                f"--memory {text!r}: {part.strip()!r} is not a whole "
                "number of MB; give e.g. 256,512,1024"
            )
        sizes.append(int(part))
    if not sizes:
        raise FunctionStudyError("--memory names no size; give e.g. 256,512,1024")
    return list(dict.fromkeys(sizes))


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def function_stacks(args: argparse.Namespace) -> tuple[Path, list[str]] | None:
    """The project directory and the stacks to study (``<name>@<MB>``), the stack file
    written first if there is none; None after ``--write-stack``."""
    code: Path = args.function
    if not code.exists():
        raise FunctionStudyError(
            f"--function {code}: no such directory or .zip; give your function's directory"
        )
    root = (args.project or project_root()).resolve()
    sam = None
    if code.is_file() and code.suffix in (".yaml", ".yml"):
        try:
            sam = read_sam_function(code, args.sam_function)
        except SettingsError as exc:
            raise FunctionStudyError(
                "\n  ".join([f"cannot take the function from {code}:", *exc.problems])
            ) from None
        code = sam.code
    default_name = sam.name if sam is not None else code.resolve().stem
    name = args.name or _NAME.sub("-", default_name).strip("-").lower() or "function"
    sizes = _memory_sizes(
        args.memory
        if sam is None or args.memory != DEFAULT_MEMORY or sam.memory_mb is None
        else str(sam.memory_mb)
    )
    stack_file = root / f"Pulumi.{name}.yaml"
    if not stack_file.is_file():
        handler = (
            args.handler
            or (sam.handler if sam is not None else None)
            or (guess_handler(code) if code.is_dir() else None)
        )
        if handler is None:
            raise FunctionStudyError(
                f"no handler found in {code} (tried app.lambda_handler, "
                "app.handler, lambda_function.lambda_handler, ...); give "
                "--handler module.function"
            )
        root.mkdir(parents=True, exist_ok=True)
        if not (root / "Pulumi.yaml").is_file():
            (root / "Pulumi.yaml").write_text(
                "name: lambda-model-study\nruntime: python\n"
                "description: functions studied with lambda-model-study\n",
                encoding="utf-8",
            )
        more: dict[str, object] = {}
        if sam is not None:
            more = {
                "timeout_s": sam.timeout_s,
                "architecture": sam.architecture,
                "environment": sam.environment,
                "layers": ",".join(_relative(p, root) for p in sam.layers),
                "image": _relative(sam.dockerfile, root) if sam.dockerfile else "",
            }
        routes = args.routes or (",".join(sam.routes) if sam is not None else "")
        stack_file.write_text(
            function_stack_text(
                code=_relative(code, root),
                handler=handler,
                runtime=args.runtime
                or (sam.runtime if sam is not None else None)
                or ("java21" if code.suffix == ".jar" else "python3.12"),
                memory_mb=sizes[0],
                requests=_relative(Path(args.requests), root) if args.requests else "",
                routes=routes,
                expect_field=args.expect_field or "",
                more=more,
            ),
            encoding="utf-8",
        )
        print(f"wrote {stack_file} (keep and edit it; `pulumi up --stack {name}` deploys it)")
    else:
        print(f"using {stack_file} (delete it to write it anew from the options)")
    try:
        for size in sizes:
            load_stack_file(stack_file, memory_mb=size)
    except SettingsError as exc:
        raise FunctionStudyError(
            "\n  ".join(
                [f"the function cannot be studied as {stack_file} describes it:", *exc.problems]
            )
        ) from None
    if args.write_stack:
        return None
    # Built here, before anything starts, so that requirements without a wheel for Lambda's
    # platform or a package over Lambda's limits is one line; the emulator then finds both
    # builds in the cache.
    settings = load_stack_file(stack_file, memory_mb=sizes[0])
    try:
        package = build_function_package(settings, root=root)
        host_dependencies(settings, root=root)
    except PackageError as exc:
        raise FunctionStudyError(str(exc)) from None
    print(f"package: {package.describe()}")
    return root, [f"{name}@{size}" for size in sizes]
