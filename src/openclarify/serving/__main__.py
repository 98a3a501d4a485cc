"""Run the model server: ``python -m openclarify.serving --model PATH``.

This is the command :class:`~openclarify.serving.sidecar.Sidecar` starts as a
child process; ``openclarify serve`` offers the same options.
"""

from __future__ import annotations

import argparse
import logging
import sys

from openclarify.serving.sidecar import serve


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and serve until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m openclarify.serving")
    parser.add_argument("--model", default="/opt/ml/model")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--allow-pickle", action="store_true")
    parser.add_argument("--port-file")
    parser.add_argument("--parent-pid", type=int)
    args = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    return serve(
        args.model,
        host=args.host,
        port=args.port,
        workers=args.workers,
        allow_pickle=args.allow_pickle,
        threads=args.threads,
        port_file=args.port_file,
        parent_pid=args.parent_pid,
    )


if __name__ == "__main__":
    sys.exit(main())
