"""``python -m model``: train, evaluate an artifact, write test vectors."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from contract import ExitCode, run_main
from model._data import ENV_VAR, SAMPLE_PATH, DataSource, load, read_kdd, resolve_source
from model._errors import ModelError

if TYPE_CHECKING:
    import pandas as pd

    from model._train_settings import TrainSettings

DEFAULT_OUT = Path("build/model.zip")


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(_main, argv, user_errors=(ModelError,))


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "train":
        return _train(args)
    if args.command == "evaluate":
        return _evaluate(args)
    if args.command == "export":
        return _export(args)
    return _vectors(args)


def _parser() -> argparse.ArgumentParser:
    from model._features import SUBSETS
    from model._train_settings import DEFAULT_SEED, TrainSettings

    defaults = TrainSettings()
    parser = argparse.ArgumentParser(
        prog="python -m model",
        description="Train the KDD Cup 99 intrusion detector and export its artifact.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def training_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--subset", choices=sorted(SUBSETS), default=defaults.subset)
        command.add_argument("--seed", type=int, default=DEFAULT_SEED)
        command.add_argument("--epochs", type=_positive_int, default=defaults.epochs)
        command.add_argument("--batch-size", type=_positive_int, default=defaults.batch_size)
        command.add_argument(
            "--learning-rate", type=_positive_float, default=defaults.learning_rate
        )

    train = commands.add_parser(
        "train",
        help="train, print the evaluation, write the artifact",
        description=(
            f"Data: --data PATH, else --download, else ${ENV_VAR}, else the shipped sample "
            f"({SAMPLE_PATH.name})."
        ),
    )
    source = train.add_mutually_exclusive_group()
    source.add_argument("--data", type=Path, help="a raw KDD Cup 99 file (.gz or plain)")
    source.add_argument(
        "--download",
        action="store_true",
        help="fetch the 10%% file with scikit-learn's fetcher (needs the network once)",
    )
    training_options(train)
    train.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the artifact zip")
    train.add_argument("--eval-data", type=Path, help="also evaluate on this file (corrected.gz)")
    train.add_argument("--vectors", type=Path, help="also write test vectors to this file")

    evaluate = commands.add_parser(
        "evaluate",
        help="evaluate an artifact with the pure-Python evaluator",
        description=f"Data: --data PATH, else ${ENV_VAR}, else the shipped sample.",
    )
    evaluate.add_argument("artifact", type=Path)
    evaluate.add_argument("--data", type=Path, help="a raw KDD Cup 99 file (.gz or plain)")

    export = commands.add_parser(
        "export",
        help="write an artifact's model for frameworks (.tflite, .keras, .onnx) beside it",
        description="train does this too; this rebuilds the exports of an existing artifact.",
    )
    export.add_argument("artifact", type=Path)

    vectors = commands.add_parser(
        "vectors",
        help="train on the shipped sample and write the test vectors",
        description=(
            "The committed vectors come from the shipped sample with the default seed, so "
            f"this ignores ${ENV_VAR}; pass --data to use another file."
        ),
    )
    vectors.add_argument("--data", type=Path, default=SAMPLE_PATH)
    training_options(vectors)
    vectors.add_argument("--out", type=Path, required=True)
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _settings(args: argparse.Namespace) -> TrainSettings:
    from model._train_settings import TrainSettings

    return TrainSettings(
        subset=args.subset,
        seed=args.seed,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
    )


def _train(args: argparse.Namespace) -> int:
    from model._artifact import write_artifact
    from model._metrics import format_table
    from model._train import train
    from model._vectors import vectors_document, write_vectors

    source = resolve_source(args.data, download=args.download)
    frame = _read(source)
    eval_frame = read_kdd(args.eval_data) if args.eval_data is not None else None
    settings = _settings(args)
    result = train(
        frame,
        settings,
        source=source.name,
        eval_frame=eval_frame,
        eval_source=args.eval_data.name if args.eval_data is not None else None,
    )
    for evaluation in result.evaluations:
        print()
        print(
            format_table(
                f"{result.subset.name} subset, {evaluation.name}",
                [("keras", evaluation.keras), ("sklearn LR", evaluation.reference)],
            )
        )
    out = write_artifact(args.out, result.model)
    print()
    print(
        f"wrote {out} (model_version {result.model['model_version']}, "
        f"{out.stat().st_size:,} bytes; trained in {result.train_s:.1f} s)"
    )
    _write_exports(out)
    if args.vectors is not None:
        path = write_vectors(args.vectors, vectors_document(result, seed=args.seed))
        print(f"wrote {path}")
    return ExitCode.OK


def _write_exports(artifact: Path) -> None:
    from model._artifact import read_artifact
    from model._export import write_exports

    # From the file just written, so the exports hold exactly what the artifact documents.
    paths = write_exports(artifact, read_artifact(artifact))
    for runtime, path in paths.items():
        print(f"wrote {path} (for the {runtime} runtime, {path.stat().st_size:,} bytes)")


def _export(args: argparse.Namespace) -> int:
    _write_exports(args.artifact)
    return ExitCode.OK


def _read(source: DataSource) -> pd.DataFrame:
    print(f"reading {source.path or source.name} ({source.origin})", flush=True)
    started = time.perf_counter()
    frame = load(source)
    print(f"read {len(frame):,} rows in {time.perf_counter() - started:.1f} s", flush=True)
    return frame


def _evaluate(args: argparse.Namespace) -> int:
    from model._artifact import read_artifact
    from model._evaluate import evaluate_model
    from model._metrics import format_table

    model = read_artifact(args.artifact)  # before the data: a wrong path fails at once
    source = resolve_source(args.data)
    frame = _read(source)
    print("scoring with the pure-Python evaluator of model.json", flush=True)
    metrics = evaluate_model(model, frame, source=source.name)
    print()
    print(
        format_table(
            f"{model['subset']} subset, {source.name}, artifact {args.artifact} "
            f"(model_version {model['model_version']}, pure-Python evaluation)",
            [("artifact", metrics)],
        )
    )
    return ExitCode.OK


def _vectors(args: argparse.Namespace) -> int:
    from model._train import train
    from model._vectors import vectors_document, write_vectors

    source = resolve_source(args.data)
    frame = _read(source)
    result = train(frame, _settings(args), source=source.name)
    path = write_vectors(args.out, vectors_document(result, seed=args.seed))
    print(
        f"wrote {path} ({result.subset.name} subset, model_version {result.model['model_version']})"
    )
    return ExitCode.OK
