"""What a stage sees: the config, the benchmark, the work dir, the device and the process group."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from mmengine.config import Config
from mmengine.dist import barrier, get_dist_info


@dataclass
class RunContext:
    """Shared state of one ``wsisbench run``.

    Attributes:
        cfg: the full mmengine Config (method settings, model, schedule, benchmark).
        work_dir: the run's directory; stage ``s`` writes into ``work_dir / s``.
        device: 'cpu' or 'cuda'.
        launcher: 'none', 'pytorch' or 'slurm' (mmengine's launchers).
        benchmark: the resolved :class:`wsisbench.benchmarks.BenchmarkSpec`.
        data_root: the benchmark's root directory on disk.
        config_hash: identity of this run's config (manifests carry it).
    """

    cfg: Config
    work_dir: Path
    device: str
    launcher: str
    benchmark: Any
    data_root: Path
    config_hash: str
    extras: dict = field(default_factory=dict)

    @property
    def rank(self) -> int:
        return get_dist_info()[0]

    @property
    def world_size(self) -> int:
        return get_dist_info()[1]

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    def barrier(self) -> None:
        if self.distributed:
            barrier()

    def shard(self, items: Sequence) -> list:
        """This rank's share of ``items`` (round-robin), for stages that split work across processes."""
        return list(items[self.rank::self.world_size])

    def stage_dir(self, name: str) -> Path:
        """The finished directory of an earlier stage (its artifacts are complete when a stage runs)."""
        return self.work_dir / name

    def log(self, message: str) -> None:
        if self.is_main:
            print(message, flush=True)
