"""What a stage sees: the config, the benchmark, the work dir, the device and the process group."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from mmengine.config import Config
from mmengine.dist import barrier, get_dist_info

from wsisbench.errors import WsisbenchError


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
        stage: the stage running now (set by the runner); ``artifact`` lets it read its declared inputs only.
    """

    cfg: Config
    work_dir: Path
    device: str
    launcher: str
    benchmark: Any
    data_root: Path
    config_hash: str
    stage: Any = None
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

    def artifact(self, stage: str, name: str = "") -> Path:
        """``<work_dir>/<stage>/<name>``: an artifact of a finished stage that the running stage reads.

        ``stage`` must be one of the running stage's ``inputs`` (so reuse can follow the dependencies), and
        the artifact must exist; an empty ``name`` gives the stage folder itself.
        """
        current = self.stage
        if current is not None and stage not in current.inputs:
            raise WsisbenchError(f"stage {current.name!r} reads an artifact of {stage!r} but does not declare it "
                                 f"in its inputs {list(current.inputs)}")
        path = self.work_dir / stage / name if name else self.work_dir / stage
        if not path.exists():
            raise WsisbenchError(f"{path}: artifact {name!r} of stage {stage!r} is missing (did that stage "
                                 f"finish?)")
        return path

    def class_names(self) -> list[str]:
        """The benchmark's K foreground class names (label k + 1 in label maps is ``class_names()[k]``)."""
        return list(self.benchmark.class_names(self.data_root))

    def split_samples(self, split: str) -> list[dict]:
        """Samples of a VOC-layout split: ``img_path``, ``img_id``, ``image_labels`` (0-based class indices)
        and ``seg_map_path``; train_aug reads SBD from ``benchmark.sbd_root`` when the config names one."""
        from wsisbench.datasets.voc import VOCSegDataset

        ds = VOCSegDataset(data_root=str(self.data_root), split=split, show_progress=False,
                           metainfo=dict(classes=tuple(self.class_names())),
                           sbd_root=self.cfg.benchmark.get("sbd_root"))
        return [ds.get_data_info(i) for i in range(len(ds))]

    def log(self, message: str) -> None:
        if self.is_main:
            print(message, flush=True)
