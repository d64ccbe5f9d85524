"""A stage: one named, resumable step of a method (train a classifier, extract maps, predict, evaluate...)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from .context import RunContext


@dataclass
class Stage:
    """A named step whose artifacts live in ``<work_dir>/<name>/``.

    Args:
        name: directory name and the key in result.json's ``stages``.
        fn: ``fn(ctx, out_dir) -> summary dict | None``. It writes its artifacts into ``out_dir`` (a partial
            directory that becomes ``<work_dir>/<name>`` only when ``fn`` returns). Every rank calls it under
            DDP; ``fn`` shards its own work (``ctx.shard``) and writes shared files on the main rank only.
            A summary with an ``evaluations`` entry feeds result.json.
        description: one line shown in progress output.
        resumable: keep the partial directory after a crash so that ``fn`` can continue from it
            (training stages: mmengine resumes from the last checkpoint there).
    """

    name: str
    fn: Callable[["RunContext", Path], dict | None]
    description: str = ""
    resumable: bool = False

    def __call__(self, ctx: "RunContext", out_dir: Path) -> dict | None:
        return self.fn(ctx, out_dir)
