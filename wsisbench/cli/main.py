"""The ``wsisbench`` command line: one sub-command per module in this package.

Each sub-command module exposes ``register(subparsers)`` which adds its parser and sets
``func(args) -> int``. A :class:`~wsisbench.errors.WsisbenchError` becomes ``error: ...`` and exit 2.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from wsisbench.errors import WsisbenchError

#: sub-command modules in the order ``--help`` lists them (a module that fails to import is an error).
COMMAND_MODULES = [
    "wsisbench.cli.run",
    "wsisbench.cli.eval",
    "wsisbench.cli.report",
    "wsisbench.cli.compare",
    "wsisbench.cli.claims",
    "wsisbench.cli.results",
    "wsisbench.cli.check",
    "wsisbench.cli.list",
    "wsisbench.cli.data",
    "wsisbench.cli.proposals",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wsisbench",
        description="Benchmark and evaluation toolkit for weakly and partially supervised segmentation.",
    )
    from wsisbench import __version__

    parser.add_argument("--version", action="version", version=f"wsisbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0 if args.command is None else 2
    try:
        return int(args.func(args) or 0)
    except WsisbenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; finished stages are kept and the next run resumes from them", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
