"""``wsisbench data ...``: generate, check and convert datasets (one module per action)."""
from __future__ import annotations

import importlib

DATA_ACTION_MODULES = [
    "wsisbench.cli.data_generate",
    "wsisbench.cli.data_check",
    "wsisbench.cli.data_convert",
]


def register(subparsers) -> None:
    parser = subparsers.add_parser("data", help="generate, check and convert datasets",
                                   description="Generate the embedded benchmark, check and convert datasets.")
    sub = parser.add_subparsers(dest="data_command", metavar="ACTION")
    for name in DATA_ACTION_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name == name:
                continue
            raise
        module.register(sub)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)
