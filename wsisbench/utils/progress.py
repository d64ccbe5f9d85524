"""Progress bars that stay readable in logs: frequent redraws on a terminal, a line every few seconds otherwise."""
from __future__ import annotations

import sys

from tqdm import tqdm


def progress(iterable=None, desc: str = "", disable: bool = False, **kwargs) -> tqdm:
    """``tqdm`` with ``mininterval`` 0.1 s on a TTY and 10 s when stderr is a file or pipe (CI logs)."""
    interactive = sys.stderr.isatty()
    kwargs.setdefault("mininterval", 0.1 if interactive else 10.0)
    kwargs.setdefault("dynamic_ncols", interactive)
    return tqdm(iterable, desc=desc, disable=disable, **kwargs)
