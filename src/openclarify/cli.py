"""The ``openclarify`` command: ``run``, ``serve``, ``demo`` and ``validate``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from openclarify import __version__


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``openclarify`` command."""
    parser = argparse.ArgumentParser(
        prog="openclarify",
        description=(
            "Run SageMaker Clarify processing jobs (bias metrics, Kernel SHAP, "
            "partial dependence) from the same analysis config, anywhere."
        ),
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run", help="run the job laid out under the ML root (the image's entrypoint)"
    )
    run.add_argument(
        "--ml-root",
        default=None,
        help="the ML root (default: $OPENCLARIFY_ML_ROOT, else /opt/ml)",
    )
    run.add_argument(
        "mode",
        nargs="?",
        choices=["serve"],
        help="'serve' runs the model server on /opt/ml/model, as serving images do",
    )

    serve = commands.add_parser("serve", help="serve an XGBoost model over HTTP")
    _add_serve_arguments(serve)

    demo = commands.add_parser(
        "demo", help="run the Adult census walk-through on the bundled data"
    )
    demo.add_argument(
        "--output",
        default="demo-output",
        help="folder for the walk-through's ML roots and results "
        "(default: %(default)s)",
    )
    demo.add_argument(
        "--instances",
        type=int,
        default=2,
        help="hosts to run the jobs on, as processes on this machine (default: 2)",
    )
    demo.add_argument(
        "--no-run",
        action="store_true",
        help="only lay out the inputs; do not run the jobs",
    )

    validate = commands.add_parser(
        "validate", help="check an analysis config and print what is wrong"
    )
    validate.add_argument("file", help="the analysis_config.json to check")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``openclarify`` command and return its exit code."""
    args = build_parser().parse_args(argv)

    if args.command == "run":
        if args.mode == "serve":
            # SageMaker's serving convention: `<image> serve`, model in
            # /opt/ml/model, port from SAGEMAKER_BIND_TO_PORT.
            from openclarify.serving.sidecar import serve

            port = int(os.environ.get("SAGEMAKER_BIND_TO_PORT") or 8080)
            return serve("/opt/ml/model", host="0.0.0.0", port=port, workers=_cores())
        from openclarify.entrypoint import run_job

        return run_job(args.ml_root)

    if args.command == "serve":
        from openclarify.serving.sidecar import serve

        return serve(
            args.model,
            host=args.host,
            port=args.port,
            workers=args.workers or _cores(),
            allow_pickle=args.allow_pickle,
        )

    if args.command == "demo":
        from openclarify.demo.walkthrough import run_demo

        return run_demo(args.output, instances=args.instances, run=not args.no_run)

    if args.command == "validate":
        return _validate(args.file)
    return 2


def _add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        required=True,
        help="model.tar.gz, an xgboost-model, *.json or *.ubj file, or a folder",
    )
    parser.add_argument("--host", default="127.0.0.1", help="default: %(default)s")
    parser.add_argument("--port", type=int, default=8080, help="default: %(default)s")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="server worker processes (default: one per CPU core)",
    )
    parser.add_argument(
        "--allow-pickle",
        action="store_true",
        help="accept pickled models (unpickling runs code: trusted files only)",
    )


def _cores() -> int:
    return max(
        1,
        len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else (os.cpu_count() or 1),
    )


def _validate(path: str) -> int:
    from openclarify.config import validate_file

    problems = validate_file(path)
    if not problems:
        print(f"{path}: valid analysis config")
        return 0
    for problem in problems:
        print(f"{path}: {problem}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
